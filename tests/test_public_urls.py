"""What link checkers, uptime monitors and browsers ask of the site besides GET."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from invitations.models import Invitation
from invitations.tokens import invitation_token
from newsletters.rendering import unsubscribe_token
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_activity():
    return ActivityFactory(is_public=True)


@pytest.fixture
def past_public_activity():
    starts = timezone.now() - datetime.timedelta(days=7)
    return ActivityFactory(
        is_public=True, starts_at=starts, ends_at=starts + datetime.timedelta(hours=1)
    )


def anonymous_urls(activity, past_activity, invitation, member) -> list[str]:
    return [
        reverse("home"),
        reverse("privacy"),
        reverse("activities:list"),
        reverse("activities:past"),
        reverse("activities:detail", args=[activity.pk]),
        reverse("activities:ics", args=[activity.pk]),
        reverse("activities:detail", args=[past_activity.pk]),
        reverse("invitations:request"),
        reverse("invitations:request_done"),
        reverse("invitations:accept", args=[invitation_token(invitation)]),
        reverse("invitations:decline", args=[invitation_token(invitation)]),
        reverse("newsletters:unsubscribe", args=[unsubscribe_token(member.pk)]),
        reverse("account_login"),
    ]


def member_urls() -> list[str]:
    return [
        reverse("members:home"),
        reverse("members:profile_edit"),
        reverse("members:directory"),
        reverse("activities:mine"),
        reverse("newsletters:archive"),
    ]


def test_head_answers_like_get_on_every_public_page(public_activity, past_public_activity):
    person = ParticipantFactory()
    invitation = Invitation.objects.create(
        participant=person,
        email=person.email,
        status=Invitation.Status.SENT,
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    member = MemberFactory()
    urls = anonymous_urls(public_activity, past_public_activity, invitation, member)

    # Each method from a fresh client: a first visit is what a link checker makes.
    answers = {url: (Client().head(url), Client().get(url)) for url in urls}

    wrong = {
        url: (head.status_code, get.status_code)
        for url, (head, get) in answers.items()
        if head.status_code != get.status_code or head.status_code == 405
    }
    assert wrong == {}
    assert all(head.content == b"" for head, _ in answers.values())
    assert answers[reverse("home")][0].status_code == 200
    # A HEAD on an unsubscribe link is a mail scanner: it must never unsubscribe.
    member.refresh_from_db()
    assert member.newsletter_subscribed is True
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


def test_head_answers_like_get_on_a_members_pages(client):
    member = MemberFactory()
    client.force_login(member.user)

    wrong = {
        url: (client.head(url).status_code, client.get(url).status_code) for url in member_urls()
    }

    assert {url: codes for url, codes in wrong.items() if codes != (200, 200)} == {}


def test_head_on_the_health_check_answers_like_get(client):
    # Monitors probe with HEAD; the status code is the whole answer.
    head = client.head(reverse("healthz"))

    assert head.status_code != 405
    assert head.status_code == client.get(reverse("healthz")).status_code


def test_a_post_is_still_refused_where_only_reading_makes_sense(client):
    assert client.post(reverse("home")).status_code == 405
    assert client.put(reverse("invitations:request")).status_code == 405


def test_the_favicon_is_served_at_the_site_root(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file's signature
    assert client.head("/favicon.ico").status_code == 200
