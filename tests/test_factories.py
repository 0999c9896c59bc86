"""Test data is built through the services, so no fixture holds a state the portal never makes
(a draft that was published, a cancellation without its time, a member without a login address)."""

import pytest
from allauth.account.models import EmailAddress

from activities.models import Activity
from activities.services import ActivityRefused
from members.models import Participant
from members.services import ParticipantRefused
from tests.activities.factories import ActivityFactory
from tests.activities.factories import PhysicalActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_activity_is_a_draft_until_it_is_published_or_cancelled():
    draft = ActivityFactory(status=Activity.Status.DRAFT)
    published = ActivityFactory()
    cancelled = ActivityFactory(status=Activity.Status.CANCELLED)

    assert (draft.status, draft.published_at, draft.cancelled_at) == ("draft", None, None)
    assert published.status == "published" and published.published_at is not None
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None


def test_an_activity_staff_could_not_publish_cannot_be_built_as_published():
    with pytest.raises(ActivityRefused, match="place or a city"):
        PhysicalActivityFactory(place="", city="")
    assert PhysicalActivityFactory(place="", city="", status=Activity.Status.DRAFT).pk


def test_a_member_has_the_account_an_accepted_invitation_gives():
    member = MemberFactory(email="amina@example.org")

    assert member.user.email == member.email == "amina@example.org"
    assert member.email_status == Participant.EmailStatus.OK
    (address,) = EmailAddress.objects.filter(user=member.user)
    assert (address.email, address.verified, address.primary) == (member.email, True, True)


def test_a_members_bad_address_is_reported_as_the_esp_reports_it():
    assert MemberFactory(email_status="bounced").email_status == "bounced"
    assert MemberFactory(email_status="complained").has_bad_address


def test_a_member_cannot_share_a_login_address_with_another_account():
    UserFactory(email="amina@example.org")
    with pytest.raises(ParticipantRefused):
        MemberFactory(email="amina@example.org")
