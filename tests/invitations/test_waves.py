"""Waves: who they invite, the preview's reasons, launch, pause, resume, cancel, re-send, direct
invitations, and fixing a bad address."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core import outbound
from core.tasks import outbound_sweep
from invitations import selectors
from invitations import services
from invitations.models import Invitation
from invitations.models import Wave
from invitations.services import AUDIT_INVITATIONS_RESENT
from invitations.services import AUDIT_WAVE_LAUNCH
from members import services as member_services
from members.models import Participant
from members.models import StaffAction
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.support.preparing import prepare_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


@pytest.fixture
def roster():
    """Kenya: two invitable, one of each reason to be left out; plus someone from Uganda."""
    people = {
        "ok1": ParticipantFactory(home_country="KE"),
        "ok2": ParticipantFactory(home_country="KE"),
        "registered": MemberFactory(home_country="KE"),
        "declined": ParticipantFactory(home_country="KE", declined_invitations=True),
        "no_address": ParticipantFactory(home_country="KE", email=""),
        "bounced": ParticipantFactory(home_country="KE", email_status="bounced"),
        "complained": ParticipantFactory(home_country="KE", email_status="complained"),
        "invited": ParticipantFactory(home_country="KE"),
        "uganda": ParticipantFactory(home_country="UG"),
    }
    Invitation.objects.create(participant=people["invited"], email="x@example.org", status="sent")
    return people


def counts(wave):
    return {row["reason"]: row["count"] for row in selectors.wave_preview(wave=wave)}


def test_the_preview_counts_everyone_once_under_their_first_reason(
    roster, django_assert_num_queries
):
    wave = make_wave(home_countries=["KE"])

    with django_assert_num_queries(1):
        preview = counts(wave)

    assert preview == {
        "eligible": 2,
        "registered": 1,
        "declined": 1,
        "no_address": 1,
        "bad_address": 2,
        "already_invited": 1,
    }


def test_the_lists_behind_the_preview_hold_the_right_people(roster):
    wave = make_wave(home_countries=["KE"])

    def ids(reason):
        return set(selectors.wave_participants_for_reason(wave=wave, reason=reason))

    assert ids("eligible") == {roster["ok1"], roster["ok2"]}
    assert ids("bad_address") == {roster["bounced"], roster["complained"]}
    assert ids("already_invited") == {roster["invited"]}


def test_several_countries_and_narrowing_by_programme_and_years():
    kenyan = ParticipantFactory(home_country="KE")
    ugandan = ParticipantFactory(home_country="UG")
    old = ParticipantFactory(home_country="KE")
    other_programme = ParticipantFactory(home_country="UG")
    ExchangeFactory(participant=kenyan, year=2015, programme="Norec Health")
    ExchangeFactory(participant=ugandan, year=2019, programme="Norec Health")
    ExchangeFactory(participant=old, year=1990, programme="Norec Health")
    ExchangeFactory(participant=other_programme, year=2016, programme="Youth")

    wave = make_wave(
        home_countries=["KE", "UG"],
        programmes=["Norec Health"],
        exchange_year_from=2010,
        exchange_year_to=2020,
    )

    assert set(selectors.wave_selection(wave=wave)) == {kenyan, ugandan}
    assert set(selectors.wave_selection(wave=make_wave(home_countries=["KE", "UG"]))) == {
        kenyan,
        ugandan,
        old,
        other_programme,
    }


def test_launch_materialises_one_invitation_per_eligible_participant_and_records_it(roster):
    wave = make_wave(home_countries=["KE"], expiry_days=20, reminder_days=7)
    adviser = StaffUserFactory()

    created = services.wave_launch(wave=wave, actor=adviser, target_url="/admin/x/")
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.PREPARING
    assert not Invitation.objects.filter(wave=wave).exists()  # the worker makes them
    prepare_all(services.INVITATION_STREAM, wave.pk)

    assert created == 2
    invitations = Invitation.objects.filter(wave=wave)
    assert {i.participant for i in invitations} == {roster["ok1"], roster["ok2"]}
    assert {(i.status, i.valid_days, i.reminder_days) for i in invitations} == {("pending", 20, 7)}
    assert {i.time_zone for i in invitations} == {"Africa/Nairobi"}
    assert {i.email for i in invitations} == {roster["ok1"].email, roster["ok2"].email}
    wave.refresh_from_db()
    assert wave.status == Wave.Status.SENDING and wave.launched_at is not None
    action = StaffAction.objects.get(kind=AUDIT_WAVE_LAUNCH)
    assert (action.actor, action.affected_count, action.target_url) == (adviser, 2, "/admin/x/")


def test_a_participants_own_time_zone_wins_over_the_country(roster):
    Participant.objects.filter(pk=roster["ok1"].pk).update(time_zone="Europe/Oslo")
    wave = make_wave(home_countries=["KE"])

    launch(wave)

    assert Invitation.objects.get(participant=roster["ok1"]).time_zone == "Europe/Oslo"
    assert Invitation.objects.get(participant=roster["ok2"]).time_zone == "Africa/Nairobi"


def test_a_wave_launches_once():
    make_participants(1)
    wave = make_wave()
    launch(wave)

    with pytest.raises(services.InvitationRefused):
        launch(wave)
    assert Invitation.objects.count() == 1
    assert StaffAction.objects.filter(kind=AUDIT_WAVE_LAUNCH).count() == 1


def test_nobody_gets_two_invitations_from_two_waves():
    make_participants(3)
    first = make_wave(name="first")
    second = make_wave(name="second")

    assert launch(first) == 3
    assert launch(second) == 0


def test_a_wave_with_a_later_start_is_scheduled_and_starts_on_time():
    make_participants(1)
    wave = make_wave(starts_at=timezone.now() + timedelta(hours=1))
    launch(wave)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.SCHEDULED

    assert services.wave_start_due(now=timezone.now() + timedelta(minutes=61)) == 1
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.SENDING


def test_pause_resume_and_cancel():
    make_participants(3)
    wave = make_wave(batch_size=1, rate_per_hour=60)
    launch(wave)
    send_all(campaign_id=wave.pk, rounds=1)

    services.wave_pause(wave=wave, reason="Checking a complaint")
    wave.refresh_from_db()
    assert (wave.status, wave.paused_reason) == ("paused", "Checking a complaint")
    with pytest.raises(services.InvitationRefused):
        services.wave_pause(wave=wave)

    services.wave_resume(wave=wave)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.SENDING

    revoked = services.wave_cancel(wave=wave)
    wave.refresh_from_db()
    assert wave.status == Wave.Status.CANCELLED
    assert revoked == 2
    statuses = sorted(wave.invitations.values_list("status", flat=True))
    assert statuses == ["revoked", "revoked", "sent"]
    with pytest.raises(services.InvitationRefused):
        services.wave_cancel(wave=wave)
    with pytest.raises(services.InvitationRefused):
        services.wave_resume(wave=wave)


def test_a_cancelled_draft_is_never_launched():
    wave = make_wave()
    services.wave_cancel(wave=wave)

    with pytest.raises(services.InvitationRefused):
        launch(wave)


def test_resend_goes_to_those_who_have_not_accepted_and_may_still_be_invited():
    people = make_participants(4)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED
    rows = {i.participant_id: i for i in wave.invitations.all()}
    Invitation.objects.filter(pk=rows[people[0].pk].pk).update(status="accepted")
    Invitation.objects.filter(pk=rows[people[1].pk].pk).update(status="expired")
    member_services.participant_decline_invitations(participant=people[2])
    # An old complaint on the address before it was corrected must not count against the wave.
    Invitation.objects.filter(pk=rows[people[3].pk].pk).update(complained_at=timezone.now())
    mail.outbox.clear()
    adviser = StaffUserFactory()
    # Long enough ago: nobody is mailed twice within INVITATION_RESEND_MIN_DAYS.
    Invitation.objects.filter(wave=wave).update(sent_at=timezone.now() - timedelta(days=8))

    count = services.wave_resend(wave=wave, actor=adviser)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.PREPARING
    assert Invitation.objects.filter(wave=wave, complained_at__isnull=False).exists()
    prepare_all(services.INVITATION_STREAM, wave.pk)  # the worker's part
    assert not Invitation.objects.filter(wave=wave, complained_at__isnull=False).exists()
    send_all(campaign_id=wave.pk)

    assert count == 2  # the expired one and the one who never answered
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people[1].email, people[3].email])
    action = StaffAction.objects.get(kind=AUDIT_INVITATIONS_RESENT)
    assert (action.actor, action.affected_count) == (adviser, 2)
    assert Invitation.objects.get(pk=rows[people[0].pk].pk).status == "accepted"


def test_the_resend_delay_is_a_setting_and_a_stale_confirmation_sends_nothing(settings):
    settings.INVITATION_RESEND_MIN_DAYS = 3
    people = make_participants(2)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    now = timezone.now()
    Invitation.objects.filter(participant=people[0]).update(sent_at=now - timedelta(days=4))
    Invitation.objects.filter(participant=people[1]).update(sent_at=now - timedelta(days=2))

    with pytest.raises(services.InvitationRefused) as refused:
        services.wave_resend(wave=wave, actor=None, confirmed_count=2)
    assert refused.value.code == services.RESEND_COUNT_CHANGED
    assert not Invitation.objects.filter(status="pending").exists()
    assert services.wave_resend(wave=wave, actor=None, confirmed_count=1) == 1
    prepare_all(services.INVITATION_STREAM, wave.pk)

    assert Invitation.objects.get(status="pending").participant == people[0]


def test_a_preparation_killed_midway_resumes_where_the_rows_stop_without_duplicates(monkeypatch):
    """Each chunk commits alone. A chain lost after its first chunk (the worker killed) is found
    by the sweep once stale and goes on from the last participant with a row; a chunk run twice
    adds nothing (ON CONFLICT DO NOTHING on the per-recipient constraint)."""
    monkeypatch.setattr(outbound, "PREPARE_CHUNK", 2)
    make_participants(5)
    wave = make_wave()
    services.wave_launch(wave=wave, actor=StaffUserFactory())

    first = services.wave_prepare_chunk(wave_id=wave.pk)
    # The same chunk again (a redelivered task): who has a row is no longer eligible, so it
    # takes the next ones and nobody gets a second invitation.
    again = services.wave_prepare_chunk(wave_id=wave.pk, after=0)
    assert (first.rows, first.more, again.more) == (2, True, True)
    assert wave.invitations.count() == wave.invitations.values("participant").distinct().count()
    assert wave.invitations.count() == 4
    assert outbound.stalled_preparations() == []  # just touched: its chain may be alive
    Wave.objects.filter(pk=wave.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert outbound.stalled_preparations() == [(services.INVITATION_STREAM, wave.pk)]

    outbound_sweep.delay()  # enqueues the next chunk, run at once by the eager test Celery

    wave.refresh_from_db()
    assert wave.status == Wave.Status.SENDING and wave.prepared_at is not None
    assert wave.invitations.count() == 5
    assert wave.invitations.values("participant").distinct().count() == 5
    assert outbound.stalled_preparations() == []
    assert services.wave_prepare_chunk(wave_id=wave.pk).rows == 0  # done: a late chunk leaves


def test_a_wave_paused_or_cancelled_while_preparing_stops_preparing(monkeypatch):
    monkeypatch.setattr(outbound, "PREPARE_CHUNK", 2)
    make_participants(5)
    wave = make_wave()
    services.wave_launch(wave=wave, actor=StaffUserFactory())
    services.wave_prepare_chunk(wave_id=wave.pk)

    services.wave_pause(wave=wave)
    assert services.wave_prepare_chunk(wave_id=wave.pk) == outbound.PrepareResult(0, False)
    assert wave.invitations.count() == 2
    assert send_all(campaign_id=wave.pk) == 0  # nothing goes out before it is prepared
    with pytest.raises(services.InvitationRefused):
        services.wave_resend(wave=wave, actor=None)

    services.wave_resume(wave=wave)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.PREPARING
    services.wave_prepare_chunk(wave_id=wave.pk)
    assert wave.invitations.count() == 4

    revoked = services.wave_cancel(wave=wave)
    prepare_all(services.INVITATION_STREAM, wave.pk)

    assert revoked == 4
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.CANCELLED
    assert set(wave.invitations.values_list("status", flat=True)) == {"revoked"}
    assert send_all(campaign_id=wave.pk) == 0 and mail.outbox == []


def test_the_resend_delay_comes_from_the_environment_with_a_safe_default():
    from tests.test_settings import manage

    script = "from django.conf import settings; print(settings.INVITATION_RESEND_MIN_DAYS)"
    default = manage("shell", "-c", script, env={})
    configured = manage("shell", "-c", script, env={"INVITATION_RESEND_MIN_DAYS": "14"})

    assert default.stdout.strip().splitlines()[-1] == "7", default.stderr
    assert configured.stdout.strip().splitlines()[-1] == "14", configured.stderr


def test_a_draft_cannot_be_resent():
    wave = make_wave()
    with pytest.raises(services.InvitationRefused):
        services.wave_resend(wave=wave, actor=None)


# --- direct invitations and bad addresses -------------------------------------------------------


def test_inviting_one_participant_directly_sends_at_once():
    person = ParticipantFactory()

    invitation = services.invitation_send_direct(participant=person, actor=StaffUserFactory())
    send_all(campaign_id=None)

    invitation.refresh_from_db()
    assert invitation.wave is None and invitation.status == "sent"
    assert [m.to for m in mail.outbox] == [[person.email]]


@pytest.mark.parametrize(
    "fields",
    [
        {"declined_invitations": True},
        {"email": ""},
        {"email_status": "bounced"},
        {"email_status": "complained"},
    ],
)
def test_a_direct_invitation_is_refused_for_people_who_may_not_be_invited(fields):
    person = ParticipantFactory(**fields)

    with pytest.raises(services.InvitationRefused):
        services.invitation_send_direct(participant=person, actor=None)
    assert not Invitation.objects.exists()


def test_a_direct_invitation_is_refused_for_a_member_or_an_open_invitation():
    member = MemberFactory()
    invited = ParticipantFactory()
    services.invitation_send_direct(participant=invited, actor=None)

    with pytest.raises(services.InvitationRefused, match="already registered"):
        services.invitation_send_direct(participant=member, actor=None)
    with pytest.raises(services.InvitationRefused, match="open invitation"):
        services.invitation_send_direct(participant=invited, actor=None)


def test_fixing_a_bounced_address_makes_the_person_invitable_again():
    person = ParticipantFactory(home_country="KE", email_status="bounced")
    wave = make_wave()
    assert counts(wave)["bad_address"] == 1

    member_services.participant_set_email(
        participant=person, email="new@example.org", source=Participant.EmailSource.ADVISER
    )

    assert counts(wave) == {**counts(wave), "eligible": 1, "bad_address": 0}
    assert launch(wave) == 1
    assert Invitation.objects.get().email == "new@example.org"


def test_revoking_an_invitation_kills_its_link():
    from invitations.tokens import invitation_for_token
    from invitations.tokens import invitation_token

    invitation = services.invitation_send_direct(participant=ParticipantFactory(), actor=None)
    token = invitation_token(invitation)

    services.invitation_revoke(invitation=invitation)

    assert invitation_for_token(token) is None
    assert Invitation.objects.get(pk=invitation.pk).status == "revoked"
    with pytest.raises(services.InvitationRefused):
        services.invitation_revoke(invitation=invitation)


def test_the_preview_counts_those_it_would_invite_per_language(django_assert_num_queries):
    ParticipantFactory(home_country="KE", preferred_language="fr")
    ParticipantFactory(home_country="KE", preferred_language="fr")
    ParticipantFactory(home_country="KE", preferred_language="es")
    ParticipantFactory(home_country="KE", preferred_language="en")
    # Left out, so not counted: registered, without an address, from another country.
    MemberFactory(home_country="KE", preferred_language="fr")
    ParticipantFactory(home_country="KE", email="", preferred_language="es")
    ParticipantFactory(home_country="UG", preferred_language="pt")
    wave = make_wave(home_countries=["KE"])

    with django_assert_num_queries(1):
        rows = selectors.wave_preview_languages(wave=wave)

    assert [(row["language"], row["count"]) for row in rows] == [
        ("en", 1),
        ("fr", 2),
        ("es", 1),
        ("pt", 0),
    ]
    assert [str(row["label"]) for row in rows] == ["English", "French", "Spanish", "Portuguese"]
