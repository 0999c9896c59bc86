"""The adviser imports a roster file through the admin page in a real browser."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from playwright.sync_api import expect

from members.models import Participant
from tests.members.factories import StaffUserFactory

FILES = Path(__file__).parent.parent / "members" / "files"


@pytest.fixture
def adviser(transactional_db):
    user = StaffUserFactory(email="adviser@example.org")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="members",
            codename__in=["view_participant", "add_participant", "change_participant"],
        )
    )
    return user


def test_the_adviser_checks_then_imports_a_file(
    desktop_page, live_server, adviser, snap, staff_login
):
    page = staff_login(desktop_page, "adviser@example.org")
    page.goto(live_server.url + reverse("admin:members_participant_changelist"))
    page.get_by_role("link", name="Import roster").click()
    snap(page, "roster-import-form")

    page.get_by_label("Roster file (CSV)").set_input_files(str(FILES / "bad_rows.csv"))
    page.get_by_label("Dry run").check()
    page.get_by_role("button", name="Import").click()

    expect(
        page.get_by_role("heading", name="Dry run: nothing was saved: bad_rows.csv")
    ).to_be_visible()
    expect(page.locator("#import-errors")).to_contain_text("unknown home country “Narnia”")
    assert not Participant.objects.exists()
    snap(page, "roster-import-dry-run")

    page.get_by_label("Roster file (CSV)").set_input_files(str(FILES / "bad_rows.csv"))
    page.get_by_role("button", name="Import").click()

    expect(page.locator(".messagelist .warning")).to_contain_text("2 created")
    expect(page.locator(".count-created")).to_have_text("2")
    assert Participant.objects.count() == 2
    snap(page, "roster-import-done")

    # The list the adviser lands on, searched by a surname (rows drawn by members.admin_list).
    person = Participant.objects.order_by("pk").first()
    page.goto(live_server.url + reverse("admin:members_participant_changelist"))
    page.locator("#searchbar").fill(person.last_name)
    page.keyboard.press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text(person.last_name)
    snap(page, "roster-list-search")
