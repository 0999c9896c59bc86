"""Logging in and out in a real browser, through allauth's pages in our layout."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory


@pytest.fixture
def member(transactional_db):
    return MemberFactory(first_name="Amina", email="amina@example.org")


def open_login(page, live_server):
    page.goto(live_server.url + reverse("account_login"))
    return page


def test_a_member_logs_in_and_lands_on_their_page(phone_page, live_server, member, snap):
    page = open_login(phone_page, live_server)
    snap(page, "login")

    page.get_by_label("Email").fill("amina@example.org")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(live_server.url + reverse("members:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Amina")
    snap(page, "member-home")


def test_a_wrong_password_says_so_and_keeps_the_email(phone_page, live_server, member, snap):
    page = open_login(phone_page, live_server)

    page.get_by_label("Email").fill("amina@example.org")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign In").click()

    expect(
        page.get_by_text(re.compile("email address and/or password.*not correct"))
    ).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("amina@example.org")
    expect(page).to_have_url(re.compile(re.escape(reverse("account_login"))))
    snap(page, "login-wrong-password")


def test_a_member_logs_out(desktop_page, live_server, member):
    page = open_login(desktop_page, live_server)
    page.get_by_label("Email").fill("amina@example.org")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(live_server.url + reverse("members:home"))

    page.get_by_role("button", name="Log out").click()

    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Log in")).to_be_visible()
    expect(navigation.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto(live_server.url + reverse("members:home"))
    expect(page).to_have_url(re.compile(re.escape(reverse("account_login"))))
