"""Staff set a newsletter's pace on a phone-sized screen: a bad pace is refused beside the field
with what they typed kept, and the send page shows the audience, the pace and the finish."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from newsletters.models import Newsletter
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory


@pytest.fixture
def newsletter_staff(transactional_db):
    staff = StaffUserFactory(email="kari@example.org", first_name="Kari")
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="newsletters",
            codename__in=["view_newsletter", "add_newsletter", "change_newsletter"],
        )
    )
    MemberFactory.create_batch(3)
    return staff


def test_the_pace_and_its_estimate_on_a_phone(phone_page, staff_login, snap, newsletter_staff):
    page = staff_login(phone_page, "kari@example.org", next_url="/admin/newsletters/newsletter/")
    page.get_by_role("link", name="Add newsletter").click()
    page.locator("#id_subject").fill("News from the network")
    page.get_by_label("Month:", exact=True).fill("2026-12")
    page.locator("#id_body").fill("Hello all")
    pace = page.get_by_label("Pace (messages per hour):", exact=True)
    expect(pace).to_have_value("20000")

    pace.fill("-20")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("The pace cannot be negative")
    expect(page.get_by_label("Pace (messages per hour):", exact=True)).to_have_value("-20")
    assert not Newsletter.objects.exists()

    page.get_by_label("Pace (messages per hour):", exact=True).fill("60")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", name=re.compile("Preview, test and send"))).to_be_visible()
    estimate = page.locator("#pace-estimate")
    expect(estimate).to_contain_text(
        "At 60 messages an hour, 3 messages take about 3 minutes: they finish around"
    )
    expect(page.locator("#pace-setting")).to_contain_text("60 messages an hour.")
    box = estimate.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    estimate.scroll_into_view_if_needed()
    snap(page, "newsletter-pace", sizes=("phone",))

    # "Change the pace" leads to the field, with the same estimate beside it.
    page.get_by_role("link", name="Change the pace").click()
    expect(page.get_by_label("Pace (messages per hour):", exact=True)).to_have_value("60")
    expect(page.locator("#pace-estimate")).to_contain_text("3 messages take about 3 minutes")
    snap(page, "newsletter-pace-edit", sizes=("phone",))
