"""Leaving and rejoining the newsletter: every way out is recorded with its source and time, so
staff can tell why someone no longer gets it (for the ESP's reports, see
tests/test_outbound_tracking.py)."""

import pytest

from members import services
from members.models import Participant
from newsletters.rendering import unsubscribe_token
from newsletters.services import newsletter_unsubscribe
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_one_click_link_is_recorded_as_the_source():
    member = MemberFactory()

    newsletter_unsubscribe(token=unsubscribe_token(member.pk))

    member.refresh_from_db()
    assert member.newsletter_subscribed is False
    assert member.newsletter_unsubscribe_source == "unsubscribe link"
    assert member.newsletter_unsubscribed_at is not None


def test_the_profile_is_recorded_as_the_source_and_subscribing_again_clears_it():
    member = MemberFactory()

    services.participant_update_profile(participant=member, data={"newsletter_subscribed": False})
    member.refresh_from_db()
    assert (member.newsletter_subscribed, member.newsletter_unsubscribe_source) == (
        False,
        "profile",
    )
    assert member.newsletter_unsubscribed_at is not None

    services.participant_update_profile(participant=member, data={"newsletter_subscribed": True})
    member.refresh_from_db()
    assert member.newsletter_subscribed is True
    assert (member.newsletter_unsubscribe_source, member.newsletter_unsubscribed_at) == ("", None)


def test_saving_the_profile_without_changing_the_choice_keeps_the_record():
    member = MemberFactory()
    services.participant_set_newsletter_subscription(
        participant=member, subscribed=False, source="esp:postmark"
    )

    services.participant_update_profile(
        participant=member, data={"city": "Abidjan", "newsletter_subscribed": False}
    )

    member.refresh_from_db()
    assert member.newsletter_unsubscribe_source == "esp:postmark"


def test_news_about_an_address_that_is_no_longer_theirs_changes_nothing():
    member = MemberFactory(email="ndri@example.org")

    services.participant_set_newsletter_subscription(
        participant=member, subscribed=False, source="esp:mailjet", address="old@example.org"
    )
    services.participant_mark_email_status(
        participant=member, status=Participant.EmailStatus.BOUNCED, address="old@example.org"
    )

    member.refresh_from_db()
    assert member.newsletter_subscribed is True
    assert member.email_status == Participant.EmailStatus.OK
    # The same news about the current address (in another case) does apply.
    services.participant_mark_email_status(
        participant=member, status=Participant.EmailStatus.BOUNCED, address="NDRI@example.org"
    )
    member.refresh_from_db()
    assert member.email_status == Participant.EmailStatus.BOUNCED


def test_the_record_is_in_the_members_data_download_and_goes_with_their_account():
    member = MemberFactory()
    services.participant_set_newsletter_subscription(
        participant=member, subscribed=False, source="esp:brevo"
    )
    member.refresh_from_db()

    profile = services.participant_export_data(participant=member)["profile"]
    assert profile["newsletter_unsubscribed_through"] == "esp:brevo"
    assert profile["newsletter_unsubscribed_at"] is not None

    services.participant_delete_account(participant=member)
    member.refresh_from_db()
    assert (member.newsletter_unsubscribe_source, member.newsletter_unsubscribed_at) == ("", None)
