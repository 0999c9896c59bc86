"""Every CSV download of personal data goes through `members.csv_export`: no cell, of any column,
can run as a formula in a spreadsheet, and each download is in the audit log."""

import csv
import io

import pytest
from django.urls import reverse

from activities import services as activity_services
from members import services
from members.audit import CSV_EXPORT
from members.csv_export import UTF8_BOM
from members.csv_export import spreadsheet_safe
from members.models import StaffAction
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_cell_that_a_spreadsheet_would_run_is_quoted(value):
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Amina", "", "2026-11-01", "a=b", None, 3])
def test_other_cells_are_kept_as_they_are(value):
    assert spreadsheet_safe(value) == ("" if value is None else str(value))


@pytest.fixture
def tricky():
    """A member whose every text starts with something a spreadsheet would run."""
    member = MemberFactory(first_name="\t=cmd", last_name="\r=cmd", email="=cmd@example.org")
    services.participant_update_profile(
        participant=member, data={"resource_person": True, "organisation": "@SUM(A1)"}
    )
    return member


@pytest.fixture
def staff_client(client):
    staff = StaffUserFactory(is_superuser=True)
    client.force_login(staff)
    return client


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.getvalue().decode("utf-8")
    assert raw.startswith(UTF8_BOM)
    return list(csv.reader(io.StringIO(raw.removeprefix(UTF8_BOM))))


def row_of_tricky(rows) -> list[str]:
    (row,) = [row for row in rows if "'=cmd@example.org" in row]
    return row


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:members_participant_export"),
        reverse("admin:members_resourceperson_export"),
    ],
)
def test_the_roster_exports_quote_every_column(staff_client, tricky, url):
    row = row_of_tricky(rows_of(staff_client.get(url)))
    assert "'\t=cmd" in row and "'\r=cmd" in row
    assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert StaffAction.objects.get().kind == CSV_EXPORT


def test_the_registrations_export_quotes_every_column_too(staff_client, tricky):
    activity = ActivityFactory()
    activity_services.activity_register(activity=activity, participant=tricky)

    rows = rows_of(
        staff_client.get(reverse("admin:activities_activity_export", args=[activity.pk]))
    )

    assert rows[0][:3] == ["first_name", "last_name", "email"]
    assert rows[1][:3] == ["'\t=cmd", "'\r=cmd", "'=cmd@example.org"]
    action = StaffAction.objects.get()
    assert (action.kind, action.affected_count) == (CSV_EXPORT, 1)
