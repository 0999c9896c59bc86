"""One-click unsubscribe: no login; a GET changes nothing; the RFC 8058 POST unsubscribes."""

import pytest
from django.test import Client
from django.urls import reverse

from newsletters import views
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


BAD = reverse("newsletters:unsubscribe", kwargs={"token": "1-" + "0" * 32})


def one_click(client, participant):
    return client.post(
        url_for(participant),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def test_guessing_tokens_is_rate_limited(client):
    limit = views.BAD_TOKENS_PER_CLIENT.amount
    for _ in range(limit):
        assert client.post(BAD).status_code == 404
    assert client.post(BAD).status_code == 429
    assert client.get(BAD).status_code == 429


def test_a_valid_one_click_post_works_from_a_client_over_the_limit():
    # Mailbox providers send every member's one-click POST from a few addresses of their own:
    # wrong tokens from there must never stop a real one (RFC 8058; the member must be removed).
    member = MemberFactory()
    mailbox_provider = Client(enforce_csrf_checks=True, REMOTE_ADDR="209.85.220.41")
    for _ in range(views.BAD_TOKENS_PER_CLIENT.amount + 1):
        mailbox_provider.post(BAD)
    assert mailbox_provider.post(BAD).status_code == 429

    response = one_click(mailbox_provider, member)

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.newsletter_subscribed is False


def test_behind_the_proxy_one_guessing_client_does_not_block_another(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    member = MemberFactory()
    guesser = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    reader = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.23")
    for _ in range(views.BAD_TOKENS_PER_CLIENT.amount):
        guesser.post(BAD)
    assert guesser.post(BAD).status_code == 429

    # The other client behind the same proxy: a mangled link is "does not work", not 429.
    assert reader.get(BAD).status_code == 404
    assert reader.get(url_for(member)).status_code == 200


def test_a_client_cannot_escape_the_limit_by_writing_its_own_forwarded_for():
    # No trusted proxy (the default): X-Forwarded-For is the client's own words.
    statuses = [
        Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(BAD).status_code
        for n in range(views.BAD_TOKENS_PER_CLIENT.amount + 1)
    ]
    assert statuses[-1] == 429


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
