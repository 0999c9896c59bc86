"""One-click unsubscribe: no login; a GET changes nothing; the RFC 8058 POST unsubscribes."""

import pytest
from django.test import Client
from django.urls import reverse

from newsletters.rendering import unsubscribe_token
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def url_for(participant):
    return reverse("newsletters:unsubscribe", kwargs={"token": unsubscribe_token(participant.pk)})


def test_opening_the_link_shows_a_button_and_changes_nothing(client):
    member = MemberFactory()

    response = client.get(url_for(member))

    assert response.status_code == 200
    assert b'<form method="post"' in response.content
    assert b">Unsubscribe</button>" in response.content
    member.refresh_from_db()
    assert member.newsletter_subscribed is True


def test_the_one_click_post_unsubscribes_without_login_or_csrf_token():
    member = MemberFactory()
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        url_for(member),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    member.refresh_from_db()
    assert member.newsletter_subscribed is False


def test_the_confirmation_button_unsubscribes_and_a_second_click_is_harmless(client):
    member = MemberFactory()
    assert client.post(url_for(member)).status_code == 200
    assert client.post(url_for(member)).status_code == 200
    member.refresh_from_db()
    assert member.newsletter_subscribed is False


def test_a_wrong_token_changes_nobody_and_says_so(client):
    member = MemberFactory()
    other = MemberFactory()
    forged = f"{other.pk}-{unsubscribe_token(member.pk).split('-')[1]}"

    response = client.post(reverse("newsletters:unsubscribe", kwargs={"token": forged}))

    assert response.status_code == 404
    assert b"This link does not work" in response.content
    other.refresh_from_db()
    member.refresh_from_db()
    assert other.newsletter_subscribed and member.newsletter_subscribed


def test_guessing_tokens_is_rate_limited_but_valid_links_still_work(client):
    member = MemberFactory()
    bad = reverse("newsletters:unsubscribe", kwargs={"token": "1-" + "0" * 32})
    for _ in range(20):
        assert client.post(bad).status_code == 404
    assert client.post(bad).status_code == 429
    # The limit counts failures per address: another sender's valid link is unaffected.
    other_client = Client(REMOTE_ADDR="10.0.0.9")
    assert other_client.post(url_for(member)).status_code == 200


def test_a_token_with_non_ascii_digits_is_a_kind_404(client):
    # "²" passes str.isdigit() but not int(): it must not become a 500.
    for token in ["²-abc", "٣-abc"]:
        response = client.get(reverse("newsletters:unsubscribe", kwargs={"token": token}))
        assert response.status_code == 404


def test_the_pages_name_the_profiles_checkbox_in_its_own_words(client):
    """Issue 10, item 22: the page said "tick 'receives the newsletter'", a label the profile
    does not have. Both pages now quote the profile form's label."""
    member = MemberFactory()
    client.force_login(member.user)
    profile = client.get(reverse("members:profile_edit"))
    label = str(profile.context["form"].fields["newsletter_subscribed"].label)
    assert label in profile.content.decode()
    client.logout()

    confirm = client.get(url_for(member)).content.decode()
    done = client.post(url_for(member)).content.decode()
    for page in (confirm, done):
        assert f"tick “{label}” in your profile" in page
        assert "receives the newsletter" not in page


def test_a_used_link_says_already_unsubscribed(client):
    member = MemberFactory()
    first = client.post(url_for(member)).content.decode()
    assert "You are unsubscribed" in first and "already" not in first

    # Opening the link again: no button that would do nothing, just the state.
    again = client.get(url_for(member))
    assert again.status_code == 200
    assert b"You are already unsubscribed" in again.content
    assert b'<form method="post"' not in again.content
    # A second one-click POST (mail apps retry) says the same and changes nothing.
    second = client.post(url_for(member))
    assert second.status_code == 200 and b"You are already unsubscribed" in second.content
    member.refresh_from_db()
    assert member.newsletter_subscribed is False


def test_a_member_who_subscribed_again_is_asked_again(client):
    from members.services import participant_set_newsletter_subscription

    member = MemberFactory()
    client.post(url_for(member))
    participant_set_newsletter_subscription(participant=member, subscribed=True)
    response = client.get(url_for(member))
    assert b">Unsubscribe</button>" in response.content
    assert b"already" not in response.content
