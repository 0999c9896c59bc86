"""The shared layout (templates/base.html): page titles and the status messages' markup."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def title_of(response) -> str:
    body = response.content.decode()
    return body.split("<title>", 1)[1].split("</title>", 1)[0]


def test_titles_keep_the_separator_except_on_the_home_page(client):
    """Issue 10, item 22: /me/ (URL name "home" in the members namespace) read "My pageNorec
    Network"; only the site's own home page has no page title before the site's name."""
    assert title_of(client.get(reverse("home"))) == "Norec Network"
    client.force_login(MemberFactory().user)
    assert title_of(client.get(reverse("members:home"))) == "My page · Norec Network"
    assert title_of(client.get(reverse("activities:list"))).endswith(" · Norec Network")


class _Roles(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.lists_with_roles = 0
        self.items_in_status = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("ul", "ol") and "role" in attrs:
            self.lists_with_roles += 1
        if tag == "li" and any(a.get("role") == "status" for _, a in self.stack):
            self.items_in_status += 1
        if tag not in ("input", "meta", "link", "br", "img"):
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def test_messages_are_a_list_inside_a_status_region(client):
    """role=status on the <ul> itself replaced the list's role (axe: "serious"); the live region
    is a div around a plain list."""
    from tests.activities.factories import ActivityFactory

    client.force_login(MemberFactory().user)
    activity = ActivityFactory()
    response = client.post(reverse("activities:register", args=[activity.pk]), follow=True)
    assert "You are registered." in response.content.decode()
    parser = _Roles()
    parser.feed(response.content.decode())
    assert parser.lists_with_roles == 0
    assert parser.items_in_status == 1
