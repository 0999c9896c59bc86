"""The invitation data model: one invitation per wave and participant, one open at a time, and
links that nothing in the database can rebuild."""

import pytest
from django.db import IntegrityError
from django.db import transaction
from django.test import override_settings

from invitations.models import Invitation
from invitations.models import Wave
from invitations.tokens import invitation_for_token
from invitations.tokens import invitation_token
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def make_wave(**fields) -> Wave:
    return Wave.objects.create(
        name=fields.pop("name", "Kenya 2026"), home_countries=["KE"], **fields
    )


def test_a_participant_gets_at_most_one_invitation_per_wave():
    wave = make_wave()
    participant = ParticipantFactory()
    Invitation.objects.create(wave=wave, participant=participant, status="expired")

    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(wave=wave, participant=participant, status="expired")


def test_a_participant_holds_at_most_one_open_invitation():
    participant = ParticipantFactory()
    Invitation.objects.create(wave=make_wave(), participant=participant, status="sent")

    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(wave=None, participant=participant, status="pending")
    # Closed ones do not count: a new invitation after an expired one is fine.
    Invitation.objects.filter(participant=participant).update(status="expired")
    Invitation.objects.create(wave=None, participant=participant, status="pending")


def test_direct_invitations_without_a_wave_are_not_limited_by_the_wave_constraint():
    participant = ParticipantFactory()
    Invitation.objects.create(wave=None, participant=participant, status="expired")
    Invitation.objects.create(wave=None, participant=participant, status="revoked")

    assert participant.invitations.count() == 2


def test_wave_years_must_be_in_order():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_wave(exchange_year_from=2020, exchange_year_to=2010)


def test_each_invitation_gets_its_own_random_nonce():
    first = Invitation.objects.create(participant=ParticipantFactory())
    second = Invitation.objects.create(participant=ParticipantFactory())

    assert len(first.token_nonce) == 32  # 128 bits in hex
    assert first.token_nonce != second.token_nonce


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_finds_its_invitation():
    invitation = Invitation.objects.create(participant=ParticipantFactory())

    token = invitation_token(invitation)

    assert invitation_for_token(token) == invitation
    # At least 128 bits of secret beside the id.
    assert len(token.split("-")[1]) * 4 >= 128


def test_a_token_contains_neither_the_nonce_nor_anything_stored():
    invitation = Invitation.objects.create(participant=ParticipantFactory())

    token = invitation_token(invitation)

    assert invitation.token_nonce not in token
    stored = Invitation.objects.filter(pk=invitation.pk).values()[0]
    long_values = [str(value) for value in stored.values() if len(str(value)) >= 8]
    assert not any(value in token for value in long_values)


def test_the_database_alone_cannot_rebuild_a_link():
    invitation = Invitation.objects.create(participant=ParticipantFactory())
    token = invitation_token(invitation)

    with override_settings(SECRET_KEY="another-key-that-an-attacker-might-guess-xxxxxxxxxx"):
        assert invitation_token(invitation) != token
        assert invitation_for_token(token) is None


def test_rotating_the_nonce_kills_every_earlier_link():
    invitation = Invitation.objects.create(participant=ParticipantFactory())
    token = invitation_token(invitation)

    invitation.token_nonce = "0" * 32
    invitation.save(update_fields=["token_nonce"])

    assert invitation_for_token(token) is None
    assert invitation_for_token(invitation_token(invitation)) == invitation


@pytest.mark.parametrize(
    "token",
    [
        "",
        "nonsense",
        "1-2-3",
        "-" + "a" * 40,
        "zz-short",
        "zzzzzzzzzzzzzz-" + "a" * 40,
        "!-" + "a" * 40,
    ],
)
def test_malformed_tokens_find_nothing(token):
    Invitation.objects.create(participant=ParticipantFactory())

    assert invitation_for_token(token) is None


def test_a_token_for_another_invitation_id_finds_nothing():
    first = Invitation.objects.create(participant=ParticipantFactory())
    second = Invitation.objects.create(participant=ParticipantFactory())
    id_part, digest = invitation_token(first).split("-")

    from django.utils.http import int_to_base36

    assert invitation_for_token(f"{int_to_base36(second.pk)}-{digest}") is None
    assert invitation_for_token(f"{int_to_base36(2**63 + 5)}-{digest}") is None
