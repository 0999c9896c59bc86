"""Chromium applies the Content-Security-Policy to the member pages and the back office, and
reports not one violation: every script and style the pages use comes from the site's files."""

import datetime
from datetime import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from activities.models import Material
from invitations import services as invitation_services
from invitations.models import InvitationRequest
from invitations.models import Wave
from newsletters.models import Newsletter
from tests.activities.factories import ActivityFactory
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

VIOLATION = "Content Security Policy"


@pytest.fixture
def site(transactional_db):
    """A little of everything the pages show, built as staff and members would."""
    member = MemberFactory(first_name="Amina", home_country="KE")
    staff = StaffUserFactory(email="staff@example.org", is_superuser=True)
    upcoming = ActivityFactory(is_public=True)
    starts = timezone.now() - datetime.timedelta(days=3)
    past = ActivityFactory(
        is_public=True, starts_at=starts, ends_at=starts + datetime.timedelta(hours=1)
    )
    Material.objects.create(activity=past, title="Slides", url="https://example.org/slides.pdf")
    activity_services.activity_register(activity=upcoming, participant=member)
    person = ParticipantFactory(home_country="ZW")
    ExchangeFactory(participant=person)
    wave = Wave.objects.create(
        name="Zimbabwe, first wave",
        home_countries=["ZW"],
        rate_per_hour=0,
        window_start=time(0, 0),
        window_end=time(23, 59, 59),
        window_weekdays=list(range(7)),
    )
    invitation_services.wave_launch(wave=wave, actor=staff)
    request_row = InvitationRequest.objects.create(
        first_name="Faly", last_name="Rakoto", email="faly@example.org", home_country="MG"
    )
    newsletter = NewsletterFactory(status=Newsletter.Status.SENT, started_at=timezone.now())
    draft = NewsletterFactory()
    return {
        "member": member,
        "staff": staff,
        "upcoming": upcoming,
        "past": past,
        "wave": wave,
        "request": request_row,
        "newsletter": newsletter,
        "draft": draft,
    }


def logged_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return context.new_page()


def violations_on(page, live_server, paths) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    current = {"path": ""}

    def note(message):
        if VIOLATION in message.text:
            seen.setdefault(current["path"], []).append(message.text)

    page.on("console", note)
    for path in paths:
        current["path"] = path
        response = page.goto(live_server.url + path, wait_until="load")
        assert response.status < 400, (path, response.status)
    # The listener is worth something only if it hears a violation: make one on purpose.
    with page.expect_console_message(lambda message: VIOLATION in message.text):
        current["path"] = "control"
        page.evaluate("document.body.setAttribute('style', 'outline: 2px solid red')")
    assert seen.pop("control")
    return seen


def test_member_pages_run_under_the_policy_without_a_violation(new_context, live_server, site):
    page = logged_in(
        new_context(viewport={"width": 360, "height": 740}), live_server, site["member"].user
    )
    paths = [
        reverse("home"),
        reverse("privacy"),
        reverse("members:home"),
        reverse("members:profile_edit"),
        reverse("members:directory"),
        reverse("activities:list"),
        reverse("activities:detail", args=[site["upcoming"].pk]),
        reverse("activities:past"),
        reverse("activities:detail", args=[site["past"].pk]),
        reverse("activities:mine"),
        reverse("newsletters:archive"),
        reverse("newsletters:detail", args=[site["newsletter"].pk]),
        reverse("account_email"),
        reverse("account_change_password"),
        reverse("mfa_index"),
    ]

    assert violations_on(page, live_server, paths) == {}


def test_visitor_pages_run_under_the_policy_without_a_violation(new_context, live_server, site):
    page = new_context().new_page()
    paths = [
        reverse("home"),
        reverse("account_login"),
        reverse("account_reset_password"),
        reverse("invitations:request"),
        reverse("activities:list"),
    ]

    assert violations_on(page, live_server, paths) == {}


def test_the_back_office_runs_under_the_policy_without_a_violation(
    new_context, live_server, site, snap
):
    page = logged_in(
        new_context(viewport={"width": 1280, "height": 800}), live_server, site["staff"]
    )
    paths = [
        reverse("admin:index"),
        reverse("admin:members_participant_changelist"),
        reverse("admin:members_participant_change", args=[site["member"].pk]),  # autocompletes
        reverse("admin:members_participant_import"),
        reverse("admin:members_participant_counts_by_country"),
        reverse("admin:invitations_wave_add"),
        reverse("admin:invitations_wave_change", args=[site["wave"].pk]),  # progress
        reverse("admin:members_participant_bad_addresses"),
        reverse("admin:invitations_invitationrequest_change", args=[site["request"].pk]),
        reverse("admin:activities_activity_add"),  # date and time widgets
        reverse("admin:activities_activity_change", args=[site["past"].pk]),  # materials inline
        reverse("admin:activities_activity_registrations", args=[site["upcoming"].pk]),
        reverse("admin:monthly_plan"),
        reverse("admin:newsletters_newsletter_add"),
        reverse("admin:newsletters_newsletter_send", args=[site["draft"].pk]),  # framed preview
    ]

    assert violations_on(page, live_server, paths) == {}
    page.goto(live_server.url + reverse("admin:invitations_wave_change", args=[site["wave"].pk]))
    snap(page, "csp-wave-progress", sizes=("desktop",))


def test_a_new_staff_member_sees_the_authenticator_qr_code(new_context, live_server, site):
    # allauth draws the QR code as a data: image; without it no staff account could be set up.
    from tests.members.factories import DEFAULT_PASSWORD

    newcomer = StaffUserFactory(email="new.staff@example.org", mfa=False)
    page = new_context().new_page()
    page.goto(f"{live_server.url}{reverse('account_login')}")
    page.get_by_label("Email").fill(newcomer.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{live_server.url}{reverse('mfa_activate_totp')}")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)  # allauth asks to confirm it first
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}{reverse('mfa_activate_totp')}")

    seen = violations_on(page, live_server, [reverse("mfa_activate_totp")])

    assert seen == {}
    qr_code = page.get_by_role("img")
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0")
