"""The public "I have not received an invitation / my address changed" form."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from invitations import views
from invitations.models import InvitationRequest
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

URL = "/invitations/request/"


def request_data(**overrides) -> dict:
    return {
        "first_name": "Amina",
        "last_name": "Odhiambo",
        "email": "amina.new@example.org",
        "home_country": "KE",
        "exchange_year": "2009",
        "partner_organisation": "KCMC",
        "message": "I changed my address.",
        "website": "",
        **overrides,
    }


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """Post the form as a browser would, then run what waits for the commit (the mail)."""

    def _submit(client, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, data)

    return _submit


def without_csrf(html: str) -> str:
    # Each page carries its own CSRF token (the language form); everything else must match.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_form_lives_at_its_url():
    assert reverse("invitations:request") == URL


def test_the_form_is_linked_from_the_home_and_login_pages(client):
    assert URL in client.get(reverse("home")).text
    assert URL in client.get(reverse("account_login")).text


def test_a_request_is_recorded_and_confirmed_by_mail(client, submit):
    response = submit(client, request_data(email="  Amina.New@Example.org "))

    assert response.status_code == 302
    assert response["Location"] == reverse("invitations:request_done")
    request_row = InvitationRequest.objects.get()
    assert request_row.email == "amina.new@example.org"
    assert request_row.home_country == "KE"
    assert request_row.exchange_year == 2009
    assert request_row.status == InvitationRequest.Status.OPEN
    assert request_row.matched_participant is None
    (message,) = mail.outbox
    assert message.to == ["amina.new@example.org"]
    assert "Hello Amina" in message.body
    assert message.alternatives and "Hello Amina" in message.alternatives[0][0]
    page = client.get(response["Location"])
    assert "we received your request" in page.text


def test_the_answer_is_the_same_for_people_on_the_roster_and_strangers(client, submit):
    # On the roster, with this very address and exchange.
    known = ParticipantFactory(
        first_name="Amina", last_name="Odhiambo", email="amina@example.org", home_country="KE"
    )
    ExchangeFactory(participant=known, year=2009, partner_organisation="KCMC")

    known_response = submit(client, request_data(email="amina@example.org"))
    known_page = client.get(known_response["Location"])
    stranger_response = submit(Client(), request_data(email="nobody@example.org"))
    stranger_page = Client().get(stranger_response["Location"])

    assert known_response.status_code == stranger_response.status_code == 302
    assert known_response["Location"] == stranger_response["Location"]
    assert without_csrf(known_page.text) == without_csrf(stranger_page.text)
    known_mail, stranger_mail = mail.outbox
    assert known_mail.subject == stranger_mail.subject
    assert known_mail.body == stranger_mail.body
    assert known_mail.alternatives == stranger_mail.alternatives
    # Nothing about the roster is stored on the request either: the adviser matches it.
    assert InvitationRequest.objects.filter(matched_participant__isnull=False).count() == 0


def test_errors_are_shown_next_to_the_fields_and_keep_what_was_typed(client):
    response = client.post(
        URL,
        request_data(email="not-an-address", exchange_year="1850", home_country="", first_name=""),
    )

    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert "Give a year between 1963 and" in response.text
    assert "This field is required." in response.text
    assert 'value="not-an-address"' in response.text
    assert 'value="Odhiambo"' in response.text
    assert "KCMC" in response.text
    assert "I changed my address." in response.text
    assert not InvitationRequest.objects.exists()
    assert mail.outbox == []


def test_a_filled_honeypot_looks_like_success_but_stores_and_sends_nothing(client, submit):
    response = submit(client, request_data(website="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == reverse("invitations:request_done")
    assert not InvitationRequest.objects.exists()
    assert mail.outbox == []


def test_requests_are_rate_limited_per_address(client):
    limit = views.REQUESTS_PER_ADDRESS.amount
    for number in range(limit):
        # Different clients, same address.
        Client(REMOTE_ADDR=f"10.0.0.{number + 1}").post(URL, request_data())

    response = Client(REMOTE_ADDR="10.0.1.1").post(URL, request_data())

    assert response.status_code == 429
    assert "already received several requests" in response.text
    assert 'value="amina.new@example.org"' in response.text
    assert InvitationRequest.objects.count() == limit


def test_requests_are_rate_limited_per_client(client, submit):
    limit = views.REQUESTS_PER_CLIENT.amount
    for number in range(limit):
        submit(client, request_data(email=f"person{number}@example.org"))

    response = submit(client, request_data(email="one-more@example.org"))

    assert response.status_code == 429
    assert InvitationRequest.objects.count() == limit
    assert len(mail.outbox) == limit


def test_behind_the_proxy_each_client_has_its_own_limit(settings, submit):
    # Every visitor arrives from the proxy's address; the limit is per real client.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    limit = views.REQUESTS_PER_CLIENT.amount
    busy = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    other = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.23")
    for number in range(limit):
        submit(busy, request_data(email=f"person{number}@example.org"))

    refused = submit(busy, request_data(email="one-more@example.org"))
    accepted = submit(other, request_data(email="someone.else@example.org"))

    assert refused.status_code == 429
    assert accepted.status_code == 302
    assert InvitationRequest.objects.filter(email="someone.else@example.org").exists()


def test_the_form_needs_csrf():
    response = Client(enforce_csrf_checks=True).post(URL, request_data())

    assert response.status_code == 403
    assert not InvitationRequest.objects.exists()


def test_the_form_page_is_small_and_has_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):
        response = client.get(URL)

    assert response.status_code == 200
    assert len(response.content) < 60_000


def test_a_members_requests_are_in_their_data_export_and_erased_with_their_account():
    from invitations.requests import invitation_requests_erase
    from invitations.requests import invitation_requests_export
    from tests.members.factories import MemberFactory

    member = MemberFactory(email="amina@example.org")
    InvitationRequest.objects.create(
        first_name="Amina", last_name="O", email="amina@example.org", home_country="KE"
    )
    InvitationRequest.objects.create(
        first_name="Amina",
        last_name="O",
        email="amina.old@example.org",
        home_country="KE",
        matched_participant=member,
    )
    other = InvitationRequest.objects.create(
        first_name="Kofi", last_name="M", email="kofi@example.org", home_country="GH"
    )

    exported = invitation_requests_export(member)
    invitation_requests_erase(member)

    assert sorted(row["email"] for row in exported) == [
        "amina.old@example.org",
        "amina@example.org",
    ]
    assert list(InvitationRequest.objects.all()) == [other]


def test_the_demo_requests_are_seeded_once():
    from invitations.requests import invitation_requests_seed_demo

    ParticipantFactory(participant_id="DEMO-000001", home_country="TZ")

    invitation_requests_seed_demo()
    invitation_requests_seed_demo()

    assert InvitationRequest.objects.count() == 2
    assert InvitationRequest.objects.filter(home_country="TZ").count() == 1


def test_the_rate_limit_holds_in_redis_across_clients(redis_cache, submit):
    from django.core.cache import caches

    assert type(caches["default"]).__name__ == "RedisCache"
    limit = views.REQUESTS_PER_ADDRESS.amount
    for number in range(limit):
        submit(Client(REMOTE_ADDR=f"10.0.2.{number + 1}"), request_data())

    response = submit(Client(REMOTE_ADDR="10.0.3.1"), request_data())

    assert response.status_code == 429
    assert InvitationRequest.objects.count() == limit


def test_an_address_too_long_for_the_roster_is_a_form_error_not_a_crash(client):
    long_address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".org"  # valid, over 254

    response = client.post(URL, request_data(email=long_address))

    assert response.status_code == 200
    assert "at most 254 characters" in response.text
    assert 'value="Odhiambo"' in response.text
    assert not InvitationRequest.objects.exists()
