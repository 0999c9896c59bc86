"""The adviser's "Addresses that bounced" page (members/admin_bad_addresses.py): bad addresses by
country, correcting one, and "and invite now" through the hook invitations registers."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from invitations.models import Invitation
from members import extensions
from members.audit import ADDRESS_CHANGE
from members.models import Participant
from members.models import StaffAction
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


ADVISER_PERMISSIONS = (
    "view_wave",
    "add_wave",
    "change_wave",
    "view_invitation",
    "add_invitation",
    "change_invitation",
    "view_participant",
    "change_participant",
)


@pytest.fixture
def adviser():
    return grant(StaffUserFactory(email="adviser@example.org"), *ADVISER_PERMISSIONS)


@pytest.fixture
def adviser_client(client, adviser):
    client.force_login(adviser)
    return client


def test_bad_addresses_by_country_and_fixing_one(
    adviser_client, django_capture_on_commit_callbacks
):
    bounced = ParticipantFactory(home_country="KE", email_status="bounced")
    ParticipantFactory(home_country="KE", email_status="complained")
    ParticipantFactory(home_country="UG", email_status="bounced")
    ParticipantFactory(home_country="UG")
    url = reverse("admin:members_participant_bad_addresses")

    overview = adviser_client.get(url)
    rows = {row["home_country"]: row["total"] for row in overview.context["rows"]}
    kenya = adviser_client.get(url + "?country=KE")

    assert rows == {"KE": 2, "UG": 1}
    waves = adviser_client.get(reverse("admin:invitations_wave_changelist"))
    assert url.encode() in waves.content
    assert bounced.email.encode() in kenya.content
    fix = reverse("admin:members_participant_fix_address", args=[bounced.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = adviser_client.post(
            fix, {"email": "Amina.New@Example.org", "invite": "1"}, follow=True
        )

    assert b"is now amina.new@example.org" in response.content
    bounced.refresh_from_db()
    assert (bounced.email, bounced.email_status, bounced.email_source) == (
        "amina.new@example.org",
        Participant.EmailStatus.UNKNOWN,
        Participant.EmailSource.ADVISER,
    )
    assert Invitation.objects.get().email == "amina.new@example.org"
    assert [m.to for m in mail.outbox] == [["amina.new@example.org"]]


def test_a_fix_is_recorded_for_undo_and_links_mailed_to_the_old_address_stop_working(
    adviser_client, adviser
):
    person = ParticipantFactory(
        home_country="KE", email="old@example.org", email_status="complained"
    )
    mailed = Invitation.objects.create(
        participant=person, email="old@example.org", status=Invitation.Status.SENT
    )

    adviser_client.post(
        reverse("admin:members_participant_fix_address", args=[person.pk]),
        {"email": "new@example.org"},
    )

    mailed.refresh_from_db()
    assert mailed.status == Invitation.Status.REVOKED
    action = StaffAction.objects.get(kind=ADDRESS_CHANGE)
    assert (action.actor, action.participant) == (adviser, person)
    assert action.details["old"] == {
        "email": "old@example.org",
        "status": "complained",
        "source": "roster",
    }
    assert action.details["new"]["email"] == "new@example.org"


def test_a_registered_members_bad_address_is_not_changed_by_staff(adviser_client):
    member = MemberFactory(email="member@example.org", email_status="bounced")

    response = adviser_client.post(
        reverse("admin:members_participant_fix_address", args=[member.pk]),
        {"email": "other@example.org"},
        follow=True,
    )

    assert b"change it themselves on their account page" in response.content
    member.refresh_from_db()
    assert member.email == "member@example.org"


def test_a_wrong_address_is_refused_with_a_message(adviser_client):
    bounced = ParticipantFactory(home_country="KE", email_status="bounced")

    response = adviser_client.post(
        reverse("admin:members_participant_fix_address", args=[bounced.pk]),
        {"email": "not an address"},
        follow=True,
    )

    assert b"is not a valid email address" in response.content
    bounced.refresh_from_db()
    assert bounced.email_status == "bounced"


def test_the_bad_address_pages_use_few_queries(adviser_client, django_assert_max_num_queries):
    for country in ("KE", "UG", "TZ"):
        ParticipantFactory.create_batch(5, home_country=country, email_status="bounced")

    with django_assert_max_num_queries(12):
        adviser_client.get(reverse("admin:members_participant_bad_addresses") + "?country=KE")


def test_the_page_lives_with_the_participants(adviser_client):
    ParticipantFactory(home_country="KE", email_status="bounced")

    response = adviser_client.get(
        reverse("admin:members_participant_bad_addresses") + "?country=KE"
    )

    assert response.request["PATH_INFO"] == "/admin/members/participant/bad-addresses/"
    assert reverse("admin:members_participant_changelist").encode() in response.content
    assert b"and invite now" in response.content


def test_staff_who_may_not_view_participants_never_see_their_addresses(client):
    bounced = ParticipantFactory(home_country="KE", email_status="bounced")
    client.force_login(grant(StaffUserFactory(), "view_wave", "view_invitation"))

    overview = client.get(reverse("admin:members_participant_bad_addresses"))
    kenya = client.get(reverse("admin:members_participant_bad_addresses") + "?country=KE")

    assert overview.status_code == 403
    assert kenya.status_code == 403
    assert bounced.email.encode() not in kenya.content


def test_staff_who_may_only_view_participants_see_the_list_but_cannot_fix(client):
    bounced = ParticipantFactory(home_country="KE", email_status="bounced")
    client.force_login(grant(StaffUserFactory(), "view_participant"))

    kenya = client.get(reverse("admin:members_participant_bad_addresses") + "?country=KE")
    response = client.post(
        reverse("admin:members_participant_fix_address", args=[bounced.pk]),
        {"email": "new@example.org"},
    )

    assert bounced.email.encode() in kenya.content
    assert reverse("admin:members_participant_fix_address", args=[bounced.pk]).encode() not in (
        kenya.content
    )
    assert response.status_code == 403
    bounced.refresh_from_db()
    assert (bounced.email_status, bounced.email) == ("bounced", bounced.email)


def test_members_and_anonymous_never_reach_the_page(client):
    bounced = ParticipantFactory(home_country="KE", email_status="bounced")
    url = reverse("admin:members_participant_bad_addresses") + "?country=KE"
    fix = reverse("admin:members_participant_fix_address", args=[bounced.pk])

    assert client.get(url).status_code == 302
    assert client.post(fix, {"email": "new@example.org"}).status_code == 302
    client.force_login(MemberFactory().user)
    assert client.get(url).status_code in (302, 403)
    assert client.post(fix, {"email": "new@example.org"}).status_code in (302, 403)
    bounced.refresh_from_db()
    assert bounced.email_status == "bounced"


def test_the_fix_is_a_post_only(adviser_client):
    bounced = ParticipantFactory(home_country="KE", email_status="bounced")

    response = adviser_client.get(
        reverse("admin:members_participant_fix_address", args=[bounced.pk]) + "?email=x@example.org"
    )

    assert response.status_code == 405
    bounced.refresh_from_db()
    assert bounced.email_status == "bounced"


def test_a_fixer_who_may_not_invite_corrects_the_address_without_inviting(client):
    bounced = ParticipantFactory(home_country="KE", email_status="bounced")
    client.force_login(grant(StaffUserFactory(), "view_participant", "change_participant"))

    response = client.post(
        reverse("admin:members_participant_fix_address", args=[bounced.pk]),
        {"email": "new@example.org", "invite": "1"},
        follow=True,
    )

    assert b"is now new@example.org" in response.content
    assert not Invitation.objects.exists()


def test_without_an_invitation_hook_the_page_offers_none_and_only_corrects(
    adviser_client, monkeypatch
):
    # members knows nothing of invitations: what "and invite now" does is the registered hook's.
    monkeypatch.setattr(extensions, "_invite_after_fix", None)
    bounced = ParticipantFactory(home_country="KE", email_status="bounced")

    kenya = adviser_client.get(reverse("admin:members_participant_bad_addresses") + "?country=KE")
    response = adviser_client.post(
        reverse("admin:members_participant_fix_address", args=[bounced.pk]),
        {"email": "new@example.org", "invite": "1"},
        follow=True,
    )

    assert b"and invite now" not in kenya.content
    assert b"is now new@example.org" in response.content
    assert not Invitation.objects.exists()


def test_the_invitation_hook_says_why_it_did_not_invite(adviser_client):
    # A participant who declined invitations is corrected, but not invited.
    bounced = ParticipantFactory(
        home_country="KE", email_status="bounced", declined_invitations=True
    )

    response = adviser_client.post(
        reverse("admin:members_participant_fix_address", args=[bounced.pk]),
        {"email": "new@example.org", "invite": "1"},
        follow=True,
    )

    assert b"Not invited:" in response.content
    assert not Invitation.objects.exists()
