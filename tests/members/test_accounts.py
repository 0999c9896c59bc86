"""members owns the logins: an invited participant's account is made by
`participant_create_account`, which the invitations app calls (it writes no User or allauth
EmailAddress itself)."""

from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings

from members import services
from members.models import Participant
from tests.members.factories import ParticipantFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_account_is_made_with_its_address_verified_and_tied_to_the_roster_row():
    participant = ParticipantFactory(email="amina@example.org")

    user = services.participant_create_account(
        participant=participant, email=" Amina@Example.org ", password="a-long-password-1963"
    )

    assert user.email == "amina@example.org"
    assert user.check_password("a-long-password-1963")
    (address,) = EmailAddress.objects.filter(user=user)
    assert (address.email, address.verified, address.primary) == ("amina@example.org", True, True)
    participant.refresh_from_db()
    assert participant.user == user
    assert participant.email_status == Participant.EmailStatus.OK


def test_an_address_someone_logs_in_with_is_refused_and_nothing_is_made():
    UserFactory(email="amina@example.org")
    participant = ParticipantFactory(email="amina@example.org")

    with pytest.raises(services.ParticipantRefused) as refused:
        services.participant_create_account(
            participant=participant, email="AMINA@example.org", password="a-long-password-1963"
        )

    assert refused.value.code == services.ADDRESS_TAKEN
    participant.refresh_from_db()
    assert participant.user is None
    assert EmailAddress.objects.filter(email__iexact="amina@example.org").count() == 1


def test_the_invitations_app_writes_no_logins_of_its_own():
    source = "\n".join(
        path.read_text() for path in (Path(settings.BASE_DIR) / "invitations").rglob("*.py")
    )
    assert "EmailAddress" not in source
    assert "create_user" not in source
