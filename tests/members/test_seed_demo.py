"""`manage.py seed_demo`: a living demo roster, idempotent, never on production by accident."""

import importlib
import io
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import CommandError
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from members import demo
from members.models import Exchange
from members.models import ExpertiseField
from members.models import Language
from members.models import Participant
from members.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_development(settings):
    # The test runner turns DEBUG off; seed_demo is for a DEBUG (local) site.
    settings.DEBUG = True


def run(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def table_sizes() -> tuple[int, ...]:
    return (
        Participant.objects.count(),
        Exchange.objects.count(),
        User.objects.count(),
        EmailAddress.objects.count(),
    )


def test_seed_demo_builds_a_living_roster_and_the_documented_accounts():
    output = run()

    assert Participant.objects.count() == demo.DEFAULT_PARTICIPANTS
    assert Participant.objects.values("home_country").distinct().count() == 25
    years = Exchange.objects.values_list("year", flat=True)
    assert min(years) >= 1963 and max(years) <= demo.LAST_EXCHANGE_YEAR
    assert Exchange.objects.filter(year__lt=1970).exists()
    two_exchanges = Participant.objects.annotate(n=Count("exchanges")).filter(n=2).count()
    assert 100 < two_exchanges < 600
    assert Exchange.objects.values("programme").distinct().count() >= 5
    assert Participant.objects.filter(email_status=Participant.EmailStatus.BOUNCED).exists()
    # Nobody invented can ever receive a mail.
    domains = {
        email.rsplit("@", 1)[-1]
        for email in Participant.objects.values_list("email", flat=True)
        if email
    }
    assert domains <= {"example.org", "example.com", "example.net", "norec.test"}

    # Exactly the accounts docs/demo-accounts.md and the README promise.
    accounts = {
        ("adviser@norec.test", "adviser-demo-1963"): {"is_staff": True, "is_superuser": False},
        ("staff@norec.test", "staff-demo-1963"): {"is_staff": True, "is_superuser": False},
        ("admin@norec.test", "admin-demo-1963"): {"is_staff": True, "is_superuser": True},
        ("member@norec.test", "member-demo-1963"): {"is_staff": False, "is_superuser": False},
        ("committee@norec.test", "committee-demo-1963"): {
            "is_staff": False,
            "is_superuser": False,
        },
    }
    for (email, password), flags in accounts.items():
        user = User.objects.get(email=email)
        assert user.check_password(password), email
        assert {"is_staff": user.is_staff, "is_superuser": user.is_superuser} == flags
        assert EmailAddress.objects.filter(
            user=user, email=email, verified=True, primary=True
        ).exists()
        assert f"{email}  /  {password}" in output
    adviser = User.objects.get(email=demo.ADVISER[0])
    assert adviser.has_perm("members.view_participant")
    assert adviser.has_perm("members.change_participant")

    members = Participant.objects.filter(user__isnull=False)
    # The first members, and a member from Uganda for the Uganda branch's committee.
    assert members.count() == demo.MEMBER_COUNT + 1
    committee = Participant.objects.get(user__email=demo.COMMITTEE[0])
    assert committee.home_country.code == demo.COMMITTEE_COUNTRY
    member = Participant.objects.get(user__email=demo.MEMBER[0])
    assert member.email == demo.MEMBER[0]
    assert member.directory_visibility == Participant.Visibility.MEMBERS
    assert member.privacy_consent_at is not None
    assert member.city and member.organisation and member.bio
    assert member.expertise.exists() and member.languages.exists()
    assert members.filter(directory_visibility=Participant.Visibility.MEMBERS).count() >= 5
    assert members.filter(directory_visibility=Participant.Visibility.HIDDEN).exists()


def test_if_empty_is_a_quick_no_op_and_a_plain_rerun_adds_nothing():
    run("--participants", "60")
    before = table_sizes()

    with CaptureQueriesContext(connection) as queries:
        output = run("--if-empty")
    assert "already has participants" in output
    assert len(queries) <= 2
    assert table_sizes() == before

    output = run("--participants", "60")
    assert table_sizes() == before
    assert "0 participants and 0 exchanges added" in output


def test_if_empty_leaves_a_real_roster_alone():
    Participant.objects.create(participant_id="REAL-1", first_name="Real", home_country="KE")
    run("--if-empty")
    assert list(Participant.objects.values_list("participant_id", flat=True)) == ["REAL-1"]
    assert not User.objects.exists()


def test_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=false"):
        run("--participants", "30")
    assert table_sizes() == (0, 0, 0, 0)


def test_force_runs_without_debug(settings):
    settings.DEBUG = False
    run("--participants", "30", "--force")
    assert Participant.objects.count() == 30


def test_the_roster_is_the_same_every_time_and_named_by_region():
    first, second = demo.build_roster(300), demo.build_roster(300)
    assert first == second
    guatemalans = [row for row in first if row["home_country"] in ("GT", "BO")]
    assert guatemalans
    latin_first, latin_last = (demo._split(names) for names in demo.NAMES["latin_america"])
    for row in guatemalans:
        assert row["first_name"] in latin_first and row["last_name"] in latin_last
        assert row["preferred_language"] == "es"


def test_vocabularies_come_from_a_migration_that_is_safe_to_run_twice():
    assert Language.objects.count() >= 30
    assert Language.objects.filter(code="sw", name="Swahili").exists()
    assert ExpertiseField.objects.filter(is_approved=True).count() >= 20
    Language.objects.filter(code="sw").update(name="Kiswahili")  # a staff edit survives
    migration = importlib.import_module("members.migrations.0002_seed_languages_and_expertise")
    before = (Language.objects.count(), ExpertiseField.objects.count())
    migration.add_vocabularies(apps, SimpleNamespace(connection=connection))
    assert (Language.objects.count(), ExpertiseField.objects.count()) == before
    assert Language.objects.get(code="sw").name == "Kiswahili"


@pytest.mark.django_db
def test_demo_staff_log_in_with_the_published_demo_authenticator(client, settings):
    from tests.members.factories import totp_code

    call_command("seed_demo", "--participants", "30", stdout=io.StringIO())
    email, password = demo.ADVISER
    client.post("/accounts/login/", {"login": email, "password": password})

    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_totp_code", stdout=out)
    assert out.getvalue().strip() == totp_code(demo.DEMO_TOTP_SECRET)
    response = client.post("/accounts/2fa/authenticate/", {"code": out.getvalue().strip()})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_other_apps_add_their_demo_data_through_registered_seeders(monkeypatch):
    from members import extensions

    seeded = []
    monkeypatch.setattr(extensions, "_demo_seeders", {})
    extensions.register_demo_seeder(
        extensions.DemoSeeder(name="activities", seed=lambda: seeded.append(1) or "3 activities")
    )

    output = run("--participants", "60")

    assert seeded == [1]
    assert "activities: 3 activities" in output


def test_demo_staff_get_their_roles():
    from tests.support.roles import ensure_staff_groups

    ensure_staff_groups()
    run("--participants", "60")

    adviser = User.objects.get(email=demo.ADVISER[0])
    staff = User.objects.get(email=demo.STAFF[0])
    assert list(adviser.groups.values_list("name", flat=True)) == ["Network advisers"]
    assert list(staff.groups.values_list("name", flat=True)) == ["Activity staff"]
    assert adviser.has_perm("invitations.add_wave") and not adviser.has_perm(
        "activities.add_activity"
    )
    assert staff.has_perm("newsletters.add_newsletter") and not staff.has_perm(
        "invitations.view_wave"
    )
