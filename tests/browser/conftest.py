"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Failing tests keep a screenshot under test-artifacts/playwright/ (pyproject passes
`--screenshot=only-on-failure`); `snap(page, name)` keeps pictures of passing ones too.
"""

import os

import pytest

from tests.support.screens import VIEWPORTS
from tests.support.screens import snap as _snap

CHROMIUM = "/usr/lib/chromium/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium, not a Playwright download (the /usr/bin/chromium wrapper adds flags and
    # prints errors, so launch the binary itself).
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def _database_before_browser(django_db_setup):
    # Create the test database before Playwright starts its event loop (Django refuses database
    # work while a loop runs), and so drop it only after the browser is gone.
    return


@pytest.fixture(scope="session")
def playwright(playwright):
    # Playwright's sync API keeps an event loop running in the main thread from its start to the
    # end of the session, so Django takes every ORM call (the test's, and the flush after it) for
    # async code. They are not; allow them exactly while Playwright runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield playwright
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def phone_page(new_context, live_server):
    """A page in a 360 x 740 phone-sized, touch-enabled context."""
    context = new_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True)
    return context.new_page()


@pytest.fixture
def desktop_page(new_context, live_server):
    """A page in a 1280 x 800 desktop-sized context."""
    context = new_context(viewport=VIEWPORTS["desktop"])
    return context.new_page()


@pytest.fixture
def snap():
    """`snap(page, name)` saves test-artifacts/screens/<name>-phone.png and <name>-desktop.png."""
    return _snap


def log_in_staff(page, live_server, email, *, next_url="/admin/", password=None):
    """Log a staff account in the way staff do: the portal's login, then the authenticator code
    (staff made by StaffUserFactory share STAFF_TOTP_SECRET)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from tests.members.factories import DEFAULT_PASSWORD
    from tests.members.factories import totp_code

    page.goto(f"{live_server.url}{reverse('account_login')}?{urlencode({'next': next_url})}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password or DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}{next_url}")
    return page


@pytest.fixture
def staff_login(live_server):
    """`staff_login(page, email, next_url="/admin/")`: password, then TOTP code, like real staff."""
    return lambda page, email, **kwargs: log_in_staff(page, live_server, email, **kwargs)
