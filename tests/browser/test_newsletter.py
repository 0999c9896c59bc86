"""Staff write, preview, test and schedule a newsletter in a real browser; a real worker sends it;
a member reads the archive and unsubscribes from the link in the mail they received."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

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
def worker(transactional_db, smtp_sink, tmp_path):
    from django.db import connection

    purge_queues()
    process = WorkerProcess(
        database_url=database_url(connection.settings_dict), env=smtp_sink.env(), log_dir=tmp_path
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
    desktop_page, live_server, staff_login, snap, people, worker, smtp_sink
):
    page = staff_login(desktop_page, "kari@example.org", next_url="/admin/newsletters/newsletter/")

    page.get_by_role("link", name="Add newsletter").click()
    page.get_by_label("Subject:").fill("News from the network")
    page.get_by_label("Month:", exact=True).fill("2026-12")
    page.get_by_label("Text:").fill(BODY)
    page.get_by_label("Audience:").select_option("all")
    snap(page, "newsletter-compose")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", name=re.compile("Preview, test and send"))).to_be_visible()
    expect(page.locator(".count-receive")).to_have_text("3")
    preview = page.frame_locator("iframe.nl-preview")
    expect(preview.get_by_role("heading", name="A new season of exchanges")).to_be_visible()
    expect(page.locator("#preview-text")).to_contain_text("Hello Amina,")
    snap(page, "newsletter-preview")

    page.get_by_role("button", name="Send a test to kari@example.org").click()
    expect(page.locator(".messagelist")).to_contain_text("A test was sent to kari@example.org")
    (test_mail,) = smtp_sink.wait_for(1)
    assert test_mail.envelope_to == ("kari@example.org",)
    assert test_mail["Subject"] == "[Test] News from the network"
    assert "Hello Kari," in test_mail.text()
