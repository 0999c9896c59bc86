"""Staff write, preview, test and schedule a newsletter in a real browser; a real worker sends it;
a member reads the archive and unsubscribes from the link in the mail they received."""

import re
import time

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from playwright.sync_api import expect

from core.tasks import outbound_tick
from members.models import Participant
from newsletters.models import Newsletter
from newsletters.tasks import newsletters_send_due
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.support.smtp import SmtpSink
from tests.support.worker import WorkerProcess
from tests.support.worker import database_url
from tests.support.worker import purge_queues

# A real worker sends the mail (so no eager Celery), to a local SMTP sink.
pytestmark = pytest.mark.integration


@pytest.fixture
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def worker(transactional_db, smtp_sink, tmp_path, live_server):
    from django.db import connection

    purge_queues()
    # The worker writes links with SITE_URL: the live server's, so that the member can follow
    # the very link in the mail.
    process = WorkerProcess(
        database_url=database_url(connection.settings_dict),
        env={**smtp_sink.env(), "SITE_URL": live_server.url},
        log_dir=tmp_path,
    )
    process.start()
    yield process
    process.stop()
    print(f"--- worker log ---\n{process.log()}")


BODY = (
    "## A new season of exchanges\n\n"
    "Thirty participants from **Kenya and Nepal** start their exchange this month. "
    "Read more on [our website](https://www.norec.no/).\n\n"
    "- Update your profile\n- Tell us your story\n"
)


@pytest.fixture
def people(transactional_db):
    staff = StaffUserFactory(email="kari@example.org", first_name="Kari")
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="newsletters",
            codename__in=["view_newsletter", "add_newsletter", "change_newsletter"],
        )
    )
    members = [
        MemberFactory(first_name="Amina", email="amina@example.org", home_country="KE"),
        MemberFactory(first_name="Bishnu", email="bishnu@example.org", home_country="NP"),
        MemberFactory(first_name="Chipo", email="chipo@example.org", home_country="ZM"),
    ]
    return staff, members


def test_staff_write_preview_test_and_schedule_then_a_member_unsubscribes(
    desktop_page, phone_page, live_server, staff_login, snap, people, worker, smtp_sink
):
    page = staff_login(desktop_page, "kari@example.org", next_url="/admin/newsletters/newsletter/")

    page.get_by_role("link", name="Add newsletter").click()
    page.locator("#id_subject").fill("News from the network")
    page.get_by_label("Month:", exact=True).fill("2026-12")
    page.locator("#id_body").fill(BODY)
    page.get_by_label("Audience:").select_option("all")
    snap(page, "newsletter-compose")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", name=re.compile("Preview, test and send"))).to_be_visible()
    expect(page.locator(".count-receive")).to_have_text("3")
    preview = page.frame_locator("iframe.nl-preview")
    expect(preview.get_by_role("heading", name="A new season of exchanges")).to_be_visible()
    # The preview is addressed to the staff member, never to a real member.
    expect(page.locator("#preview-text")).to_contain_text("Hello")
    expect(page.locator("#preview-text")).not_to_contain_text("Amina")
    snap(page, "newsletter-preview")

    page.get_by_role("button", name="Send a test to kari@example.org").click()
    expect(page.locator(".messagelist")).to_contain_text("A test was sent to kari@example.org")
    (test_mail,) = smtp_sink.wait_for(1)
    assert test_mail.envelope_to == ("kari@example.org",)
    assert test_mail["Subject"] == "[Test] News from the network"
    assert "Hello Kari," in test_mail.text()

    # Schedule it for now (the form starts at the current minute); beat's job then starts it.
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".messagelist")).to_contain_text("Scheduled for")
    expect(page.locator("#newsletter-status")).to_have_text("scheduled")
    newsletter = Newsletter.objects.get()
    assert newsletter.status == Newsletter.Status.SCHEDULED

    newsletters_send_due.delay()
    received = smtp_sink.wait_for(4, timeout=60)[1:]
    assert sorted(m.envelope_to[0] for m in received) == [
        "amina@example.org",
        "bishnu@example.org",
        "chipo@example.org",
    ]
    # Beat's tick finds nothing left and marks it sent; the page keeps the counts.
    deadline = time.monotonic() + 30
    while newsletter.status != Newsletter.Status.SENT and time.monotonic() < deadline:
        outbound_tick.delay()
        time.sleep(1)
        newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT
    page.reload()
    expect(page.locator("#newsletter-status")).to_have_text("sent")
    expect(page.locator("#progress-counts .count-sent")).to_have_text("3")
    expect(page.locator("#progress-counts .count-queued")).to_have_text("0")
    snap(page, "newsletter-sent-progress")

    # Amina reads the archive, then unsubscribes from the link in the mail she received.
    (amina_mail,) = [m for m in received if m.envelope_to[0] == "amina@example.org"]
    assert amina_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"Stop receiving the newsletter: (\S+)", amina_mail.text()).group(1)
    # A long header is folded after the colon; unfolded, it is the link in angle brackets.
    assert amina_mail["List-Unsubscribe"].strip() == f"<{link}>"
    assert f'href="{link}"' in amina_mail.html()

    member_page = phone_page
    # The mail itself, as a phone's mail app shows it (360 px wide).
    member_page.set_content(amina_mail.html())
    expect(member_page.get_by_text("Hello Amina,")).to_be_visible()
    snap(member_page, "newsletter-mail", sizes=("phone",))
    member_page.goto(live_server.url + reverse("account_login"))
    member_page.get_by_label("Email").fill("amina@example.org")
    member_page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    member_page.get_by_role("button", name="Sign In").click()
    member_page.get_by_role("link", name="Newsletters", exact=True).click()
    expect(member_page.get_by_role("heading", name="Newsletters", level=1)).to_be_visible()
    snap(member_page, "newsletter-archive")
    member_page.get_by_role("link", name="News from the network").click()
    expect(member_page.get_by_role("heading", name="A new season of exchanges")).to_be_visible()
    snap(member_page, "newsletter-archive-issue")

    assert link.startswith(live_server.url)
    member_page.goto(link)
    confirm = member_page.get_by_role("heading", name="Unsubscribe from the newsletter")
    expect(confirm).to_be_visible()
    snap(member_page, "newsletter-unsubscribe-confirm")
    amina = Participant.objects.get(email="amina@example.org")
    assert amina.newsletter_subscribed is True  # opening the link changed nothing
    member_page.get_by_role("button", name="Unsubscribe").click()
    expect(member_page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    snap(member_page, "newsletter-unsubscribe-done")
    amina.refresh_from_db()
    assert amina.newsletter_subscribed is False
