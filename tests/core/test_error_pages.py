"""Error pages as production shows them (DEBUG off): styled, readable on a phone, with a way on;
and the CSRF failure page that explains and keeps what was typed (issue 10, item 20)."""

import pytest
from django.test import Client
from django.test import RequestFactory
from django.urls import reverse

from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
STYLESHEET = "/static/css/site.css"


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def assert_styled(response, template_name=None):
    body = response.content.decode()
    assert VIEWPORT in body
    assert STYLESHEET in body
    assert "Norec <span>Network</span>" in body  # the site's header, not Django's bare page
    assert "DEBUG" not in body
    if template_name:
        assert template_name in [t.name for t in response.templates]
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/no-such-page/",
        "/activities/999999/",
        "/activities/calendar/no-such-key/not-a-token.ics",
    ],
    ids=["unknown-url", "missing-activity", "bad-calendar-feed"],
)
def test_not_found_is_the_styled_page_with_a_way_on(client, url):
    response = client.get(url)
    assert response.status_code == 404
    body = assert_styled(response, "404.html")
    assert "We cannot find this page" in body
    assert f'href="{reverse("home")}"' in body
    assert f'href="{reverse("activities:list")}"' in body
    assert "<title>Page not found · Norec Network</title>" in body


@pytest.mark.django_db
def test_not_found_offers_a_member_their_page(client):
    client.force_login(MemberFactory().user)
    body = client.get("/no-such-page/").content.decode()
    assert f'href="{reverse("members:home")}"' in body


@pytest.mark.django_db
def test_a_bad_host_gets_the_styled_400_page(client):
    response = client.get("/", HTTP_HOST="not-our-site.example")
    assert response.status_code == 400
    body = assert_styled(response, "400.html")
    assert "We could not understand this request" in body


@pytest.mark.django_db
@pytest.mark.urls("tests.support.error_urls")
def test_forbidden_and_bad_requests_get_styled_pages(client):
    response = client.get("/test-errors/403/")
    assert response.status_code == 403
    body = assert_styled(response, "403.html")
    assert "You cannot open this page" in body and "Log in" in body

    response = client.get("/test-errors/400/")
    assert response.status_code == 400
    assert_styled(response, "400.html")


@pytest.mark.django_db
@pytest.mark.urls("tests.support.error_urls")
def test_a_server_error_gets_the_styled_500_page():
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/500/")
    assert response.status_code == 500
    body = assert_styled(response, "500.html")
    assert "Something went wrong on our side" in body
    assert "a bug" not in body


def test_the_500_page_needs_neither_context_nor_database():
    """No django_db mark: any query here raises. Django renders 500.html with no context at all."""
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert VIEWPORT in body and STYLESHEET in body
    assert "Something went wrong on our side" in body


# --- CSRF failure ---------------------------------------------------------------------------------


@pytest.fixture
def member_in_stale_tab():
    """A logged-in member whose form carries no valid token (the page was open too long, or they
    logged in again in another tab)."""
    member = MemberFactory(first_name="Amina")
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    return client


def post_contact_form(client, *, origin="http://testserver", referer="/directory/7/"):
    headers = {}
    if origin:
        headers["HTTP_ORIGIN"] = origin
    if referer:
        headers["HTTP_REFERER"] = f"http://testserver{referer}"
    return client.post(
        reverse("members:directory_contact", args=[7]),
        {
            "csrfmiddlewaretoken": "stale-token-from-an-old-page",
            "subject": "Cholera response",
            "body": "Could we compare notes?\nI have data from 2019 & 2020.",
            "password": "my-secret-password",
            "otp_code": "123456",
            "next": "/me/",
        },
        **headers,
    )


@pytest.mark.django_db
def test_a_stale_form_explains_offers_the_way_back_and_keeps_the_text(member_in_stale_tab):
    response = post_contact_form(member_in_stale_tab)

    assert response.status_code == 403
    body = assert_styled(response, "403_csrf.html")
    assert "Your form was not sent" in body
    assert "open in two tabs" in body and "for a long time" in body
    assert "CSRF" not in body and "More information is available" not in body
    assert 'href="/directory/7/"' in body  # back to the page the form was on
    # What was typed, read-only, to copy; never a password or a code.
    assert "readonly" in body
    assert "Cholera response" in body
    assert "I have data from 2019 &amp; 2020." in body
    assert "my-secret-password" not in body
    assert "123456" not in body
    assert "stale-token-from-an-old-page" not in body
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_forged_cross_site_post_gets_no_text_shown_back(member_in_stale_tab):
    """Another site's form must not be able to put its words on one of our pages."""
    response = post_contact_form(
        member_in_stale_tab, origin="https://attacker.example", referer=None
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your form was not sent" in body
    assert "Cholera response" not in body
    assert 'href="/directory/7/"' not in body


@pytest.mark.django_db
def test_a_failed_login_form_keeps_the_address_but_not_the_password():
    member = MemberFactory(email="amina@example.org")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": DEFAULT_PASSWORD},
        HTTP_ORIGIN="http://testserver",
        HTTP_REFERER="http://testserver" + reverse("account_login"),
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "amina@example.org" in body
    assert DEFAULT_PASSWORD not in body
    assert f'href="{reverse("account_login")}"' in body
