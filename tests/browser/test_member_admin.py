"""Staff find resource persons in the admin, filter them and export them as CSV (recorded)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from members import services
from members.audit import CSV_EXPORT
from members.models import StaffAction
from tests.members.factories import ExpertiseFieldFactory
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory


@pytest.fixture
def people(transactional_db):
    from django.contrib.auth.models import Permission

    adviser = StaffUserFactory(email="adviser@example.org")
    # What the advisers' group gives: seeing resource persons (a read-only list).
    adviser.user_permissions.add(Permission.objects.get(codename="view_resourceperson"))
    health = ExpertiseFieldFactory(name="Public health")
    willing = MemberFactory(first_name="Willing", last_name="Mentor", residence_country="KE")
    services.participant_update_profile(
        participant=willing, data={"resource_person": True}, expertise=[health]
    )
    other = MemberFactory(first_name="Other", last_name="Lecturer", residence_country="UG")
    services.participant_update_profile(participant=other, data={"resource_person": True})
    MemberFactory(first_name="Not", last_name="Opted")


def test_staff_filter_resource_persons_and_export_them(
    desktop_page, live_server, staff_login, people, snap
):
    page = staff_login(
        desktop_page,
        "adviser@example.org",
        next_url=reverse("admin:members_resourceperson_changelist"),
    )
    expect(page.get_by_role("link", name="Willing Mentor")).to_be_visible()
    expect(page.get_by_role("link", name="Other Lecturer")).to_be_visible()
    expect(page.get_by_text("Not Opted")).to_have_count(0)
    page.get_by_role("link", name="Public health").first.click()
    expect(page.get_by_role("link", name="Other Lecturer")).to_have_count(0)
    snap(page, "admin-resource-persons", sizes=("desktop",))

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these as CSV").click()
    assert download_info.value.suggested_filename.startswith("resource-persons-")
    action = StaffAction.objects.get(kind=CSV_EXPORT)
    assert action.affected_count == 1
