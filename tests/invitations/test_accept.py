"""Accepting and declining an invitation from the link in its mail."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from invitations import views
from invitations.models import Invitation
from invitations.tokens import invitation_token
from members.models import Participant
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "blue-river-mountain-1987"


def sent_invitation(participant=None, **fields) -> Invitation:
    participant = participant or ParticipantFactory(first_name="Amina", last_name="Odhiambo")
    fields.setdefault("status", Invitation.Status.SENT)
    fields.setdefault("expires_at", timezone.now() + timedelta(days=30))
    return Invitation.objects.create(participant=participant, email=participant.email, **fields)


def accept_url(invitation) -> str:
    """The link in the invitation mail."""
    return reverse("invitations:accept", args=[invitation_token(invitation)])


def decline_url(invitation) -> str:
    return reverse("invitations:decline", args=[invitation_token(invitation)])


ACCEPT_FORM = "/invitations/accept/"
DECLINE_FORM = "/invitations/decline/"


def open_link(client, url: str):
    """Open a link from the mail as a browser does, following its redirect to the page."""
    return client.get(url, follow=True)


def accept(client, invitation, data: dict):
    """Open the invitation's link, then submit the form on the page it leads to."""
    open_link(client, accept_url(invitation))
    return client.post(ACCEPT_FORM, data)


def decline(client, invitation):
    open_link(client, decline_url(invitation))
    return client.post(DECLINE_FORM)


def accept_data(**overrides) -> dict:
    return {"password1": PASSWORD, "password2": PASSWORD, "consent": "on", **overrides}


# --- opening the link


def test_the_link_greets_the_person_by_name_with_their_exchange(client):
    invitation = sent_invitation()
    ExchangeFactory(participant=invitation.participant, year=2009, partner_organisation="KCMC")

    response = open_link(client, accept_url(invitation))

    assert response.status_code == 200
    assert "Welcome, Amina" in response.text
    assert "in 2009 with KCMC" in response.text
    assert invitation.email in response.text


def test_opening_the_link_changes_nothing(client):
    # Mail scanners follow links: only the person's own POST may accept.
    invitation = sent_invitation()

    before = database_state()

    open_link(client, accept_url(invitation))
    open_link(client, accept_url(invitation))
    open_link(client, decline_url(invitation))

    assert database_state() == before
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert invitation.accepted_at is None
    assert not get_user_model().objects.exists()


def database_state() -> dict:
    """Everything opening a link could touch, except the session that keeps its token."""
    return {
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "users": list(get_user_model().objects.order_by("pk").values()),
        "addresses": list(EmailAddress.objects.order_by("pk").values()),
    }


@pytest.mark.parametrize("link", [accept_url, decline_url])
def test_a_link_moves_its_token_to_the_session_and_redirects_to_a_page_without_it(client, link):
    invitation = sent_invitation()
    token = invitation_token(invitation)
    before = database_state()

    response = client.get(link(invitation))
    page = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] in (ACCEPT_FORM, DECLINE_FORM)
    assert token not in response["Location"]
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.session["invitations:token"] == token
    assert page.status_code == 200
    assert "Amina" in page.text
    # Neither the page's links nor its form give the token back.
    assert token not in page.text
    assert database_state() == before


def test_the_pages_behind_a_link_show_nothing_to_a_browser_that_did_not_open_it(client):
    # Another browser (a colleague's, a shared computer's next user) has no token in its session.
    invitation = sent_invitation()
    Client().get(accept_url(invitation))

    pages = [client.get(ACCEPT_FORM), client.get(DECLINE_FORM)]
    posted = [client.post(ACCEPT_FORM, accept_data()), client.post(DECLINE_FORM)]

    for response in pages + posted:
        assert response.status_code == 400
        assert "Please open the link from your email again" in response.text
        assert "Amina" not in response.text
    assert not get_user_model().objects.exists()
    assert not Participant.objects.get(pk=invitation.participant_id).declined_invitations


def test_after_accepting_the_token_leaves_the_session(client):
    invitation = sent_invitation()

    accept(client, invitation, accept_data())

    assert "invitations:token" not in client.session


def test_the_accept_page_has_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    invitation = sent_invitation()
    ExchangeFactory(participant=invitation.participant)
    ExchangeFactory(participant=invitation.participant, year=2019)
    client.get(accept_url(invitation))

    # The session (where the token waits), the invitation with its participant, the exchange.
    with django_assert_max_num_queries(4):
        assert client.get(ACCEPT_FORM).status_code == 200


# --- accepting


def test_accepting_creates_a_verified_account_linked_to_the_participant_and_logs_in(client):
    invitation = sent_invitation()

    response = accept(client, invitation, accept_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("members:profile_edit")
    user = get_user_model().objects.get()
    assert user.email == invitation.email
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.filter(
        user=user, email=invitation.email, verified=True, primary=True
    ).exists()
    participant = Participant.objects.get(pk=invitation.participant_id)
    assert participant.user == user
    assert participant.privacy_consent_at is not None
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_at is not None
    # Logged in, on their page, and no verification mail was needed.
    home = client.get(reverse("members:home"))
    assert home.status_code == 200
    assert "Welcome, Amina" in home.text
    assert mail.outbox == []


def test_a_wrong_form_keeps_the_page_and_says_what_is_wrong(client):
    invitation = sent_invitation()

    response = accept(client, invitation, accept_data(password2="something-else-2001", consent=""))

    assert response.status_code == 200
    assert "The two passwords are not the same" in response.text
    assert "Please accept the privacy notice" in response.text
    assert not get_user_model().objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


def test_a_weak_password_is_refused(client):
    invitation = sent_invitation()

    response = accept(client, invitation, accept_data(password1="123", password2="123"))

    assert response.status_code == 200
    assert "too short" in response.text
    assert not get_user_model().objects.exists()


def test_a_link_works_once(client):
    invitation = sent_invitation()
    accept(client, invitation, accept_data())
    client.logout()

    response = accept(client, invitation, accept_data(password1="x" * 20))

    # A used link sends the person to log in; nothing else changes.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert get_user_model().objects.count() == 1
    assert get_user_model().objects.get().check_password(PASSWORD)
    page = client.get(response["Location"])
    assert "already been used" in page.text


def test_a_used_link_opened_while_logged_in_as_that_person_goes_home(client):
    invitation = sent_invitation()
    accept(client, invitation, accept_data())

    response = open_link(client, accept_url(invitation))

    assert response.redirect_chain[-1][0] == reverse("members:home")
    assert "already registered" in response.text


def test_a_participant_with_an_account_cannot_use_an_open_invitation(client):
    member = MemberFactory()
    invitation = sent_invitation(member)

    response = open_link(client, accept_url(invitation))

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "already been used" in response.text


@pytest.mark.parametrize(
    ("fields", "status", "text"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "has expired"),
        ({"status": Invitation.Status.EXPIRED}, 410, "has expired"),
        ({"status": Invitation.Status.REVOKED}, 410, "no longer works"),
        ({"status": Invitation.Status.BOUNCED}, 410, "no longer works"),
        # The sender skipped it (registered, declined or address changed meanwhile): never mailed.
        ({"status": Invitation.Status.SKIPPED}, 410, "no longer works"),
    ],
)
def test_expired_or_revoked_links_give_a_kind_page_and_accept_nothing(client, fields, status, text):
    invitation = sent_invitation(**fields)

    page = open_link(client, accept_url(invitation))
    posted = accept(client, invitation, accept_data())

    for response in (page, posted):
        assert response.status_code == status
        assert text in response.text
        assert reverse("invitations:request") in response.text
    assert not get_user_model().objects.exists()
    assert Participant.objects.get(pk=invitation.participant_id).user is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("0" if token[-1] != "0" else "1"),  # tampered digest
        lambda token: token.split("-")[0] + "-" + "a" * 40,  # forged digest
        lambda token: "zz-" + token.split("-")[1],  # someone else's id
        lambda token: token[:20],  # cut in two by a mail client
        lambda token: "nonsense",
    ],
)
def test_tampered_or_unknown_tokens_are_refused(client, mangle):
    invitation = sent_invitation()

    response = client.post(
        reverse("invitations:accept", args=[mangle(invitation_token(invitation))]), accept_data()
    )

    assert response.status_code == 404
    assert "We do not recognise this link" in response.text
    assert reverse("invitations:request") in response.text
    assert not get_user_model().objects.exists()


def test_a_token_only_opens_its_own_invitation(client):
    mine = sent_invitation()
    other = sent_invitation(ParticipantFactory(first_name="Kofi"))

    accept(client, mine, accept_data())

    assert Participant.objects.get(pk=mine.participant_id).user is not None
    assert Participant.objects.get(pk=other.participant_id).user is None
    other.refresh_from_db()
    assert other.status == Invitation.Status.SENT


def test_someone_logged_in_cannot_take_another_persons_invitation(client):
    intruder = MemberFactory(first_name="Kofi")
    client.force_login(intruder.user)
    invitation = sent_invitation()

    page = open_link(client, accept_url(invitation))
    posted = accept(client, invitation, accept_data())

    assert page.status_code == posted.status_code == 403
    assert "logged in as someone else" in page.text
    assert "Amina" not in page.text
    assert Participant.objects.get(pk=invitation.participant_id).user is None
    intruder.refresh_from_db()
    assert intruder.user.email != invitation.email


def test_an_address_that_already_logs_in_is_not_taken_over(client):
    invitation = sent_invitation()
    StaffUserFactory(email=invitation.email)

    response = accept(client, invitation, accept_data())

    assert response.status_code == 409
    assert "already has an account" in response.text
    assert Participant.objects.get(pk=invitation.participant_id).user is None
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


PROXY = "10.0.0.1"  # the TLS proxy: behind it, every request comes from its address


def behind_the_proxy(client_address: str, **headers) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address, **headers)


def guess_tokens(client, count: int) -> list[int]:
    return [
        client.get(reverse("invitations:accept", args=[f"{n}-{'0' * 40}"])).status_code
        for n in range(count)
    ]


def test_guessing_tokens_is_rate_limited_per_client(client):
    limit = views.TOKEN_FAILURES_PER_CLIENT.amount

    assert set(guess_tokens(client, limit)) == {404}
    response = client.get(reverse("invitations:accept", args=["zz-" + "0" * 40]))

    assert response.status_code == 429
    assert "Too many attempts" in response.text


def test_a_valid_link_works_from_a_client_over_the_limit(client):
    # Only wrong tokens count, and a real link is never refused: the invitee may share an
    # address (an office, a mobile operator's NAT) with whoever made the wrong attempts.
    invitation = sent_invitation()
    assert guess_tokens(client, views.TOKEN_FAILURES_PER_CLIENT.amount + 1)[-1] == 429

    page = open_link(client, accept_url(invitation))
    accepted = client.post(ACCEPT_FORM, accept_data())

    assert page.status_code == 200
    assert "Welcome, Amina" in page.text
    assert accepted.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    # The decline link too.
    other = sent_invitation(ParticipantFactory(first_name="Kofi"))
    assert open_link(client, decline_url(other)).status_code == 200


def test_behind_the_proxy_one_guessing_client_does_not_block_another(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    invitation = sent_invitation()
    guesser = behind_the_proxy("203.0.113.7")
    invitee = behind_the_proxy("198.51.100.23")

    assert guess_tokens(guesser, views.TOKEN_FAILURES_PER_CLIENT.amount + 1)[-1] == 429
    # The other person behind the same proxy: a link cut in two is "unknown", not "too many".
    assert guess_tokens(invitee, 1) == [404]
    assert open_link(invitee, accept_url(invitation)).status_code == 200


@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_a_client_cannot_escape_the_limit_by_writing_its_own_forwarded_for(
    settings, trusted_proxies
):
    # Without a trusted proxy, X-Forwarded-For is the client's own words and is ignored; behind
    # one, only the entry the proxy appended (the address it saw) counts.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = trusted_proxies
    limit = views.TOKEN_FAILURES_PER_CLIENT.amount

    def spoofing_client(n: int) -> Client:
        if trusted_proxies:
            return behind_the_proxy(f"192.0.2.{n}, 203.0.113.7")
        return Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    statuses = [guess_tokens(spoofing_client(n), 1)[0] for n in range(limit + 1)]

    assert statuses == [404] * limit + [429]


# --- signup stays closed


def test_public_signup_is_closed(client):
    page = client.get(reverse("account_signup"))
    posted = client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert "Joining is by invitation" in page.text
    assert reverse("invitations:request") in page.text
    assert "Joining is by invitation" in posted.text
    assert not get_user_model().objects.filter(email="new@example.org").exists()


def test_signup_stays_closed_after_opening_an_invitation(client):
    # The invitation opens its own form only; allauth's signup never opens for the session.
    invitation = sent_invitation()
    open_link(client, accept_url(invitation))

    response = client.post(
        reverse("account_signup"),
        {"email": "other@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert "Joining is by invitation" in response.text
    assert not get_user_model().objects.exists()


def test_the_login_page_explains_how_to_get_an_invitation(client):
    response = client.get(reverse("account_login"))

    assert "sign up" not in response.text.lower()
    assert reverse("invitations:request") in response.text


# --- declining


def test_opening_the_decline_link_only_asks(client):
    invitation = sent_invitation()

    response = open_link(client, decline_url(invitation))

    assert response.status_code == 200
    assert "Do not invite me again" in response.text
    assert not Participant.objects.get(pk=invitation.participant_id).declined_invitations
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


def test_declining_records_it_and_closes_the_invitation(client):
    invitation = sent_invitation()

    response = decline(client, invitation)

    assert response.status_code == 200
    assert "We will not invite you again" in response.text
    assert Participant.objects.get(pk=invitation.participant_id).declined_invitations
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert invitation.declined_at is not None
    # The accept link no longer works, and says so kindly.
    accept_page = open_link(client, accept_url(invitation))
    assert accept_page.status_code == 410
    # Opening the decline link again says it is done.
    again = open_link(client, decline_url(invitation))
    assert "already told us" in again.text


def test_declining_an_expired_invitation_still_counts(client):
    invitation = sent_invitation(status=Invitation.Status.EXPIRED)

    decline(client, invitation)

    assert Participant.objects.get(pk=invitation.participant_id).declined_invitations


def test_declining_from_an_old_link_revokes_a_newer_open_invitation(client):
    participant = ParticipantFactory()
    old = sent_invitation(participant, status=Invitation.Status.EXPIRED)
    new = sent_invitation(participant)
    new_token = invitation_token(new)

    decline(client, old)

    new.refresh_from_db()
    assert new.status == Invitation.Status.REVOKED
    assert client.get(reverse("invitations:accept", args=[new_token])).status_code == 404


def test_declining_with_a_tampered_token_changes_nothing(client):
    invitation = sent_invitation()
    token = invitation_token(invitation)

    response = client.post(reverse("invitations:decline", args=[token[:-2] + "00"]))

    assert response.status_code == 404
    assert not Participant.objects.get(pk=invitation.participant_id).declined_invitations


def test_a_registered_member_cannot_decline_with_their_used_link(client):
    invitation = sent_invitation()
    accept(client, invitation, accept_data())
    client.logout()

    response = decline(client, invitation)

    assert response.status_code == 302
    assert not Participant.objects.get(pk=invitation.participant_id).declined_invitations


def test_accept_and_decline_need_csrf(client):

    invitation = sent_invitation()
    strict = Client(enforce_csrf_checks=True)

    assert accept(strict, invitation, accept_data()).status_code == 403
    assert decline(strict, invitation).status_code == 403
    assert not get_user_model().objects.exists()


def test_a_login_code_for_an_unknown_address_explains_invitations_not_signup(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"email": "stranger@example.org"})

    (message,) = mail.outbox
    assert "created from a personal invitation" in message.body
    assert "sign up for an account" not in message.body
    assert reverse("account_signup") in message.body


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_create_one_account():
    # Two tabs, or a double tap: the invitation row lock lets exactly one through.
    import threading

    from django.db import connection

    from invitations.accept import invitation_accept
    from invitations.services import InvitationRefused

    invitation = sent_invitation()
    start = threading.Barrier(2)
    outcomes = []

    def accept_once():
        try:
            start.wait()
            invitation_accept(invitation=invitation, password=PASSWORD)
            outcomes.append("accepted")
        except InvitationRefused as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted", "used"]
    assert get_user_model().objects.count() == 1


def test_the_participant_pages_are_small_with_few_queries(client, django_assert_max_num_queries):
    invitation = sent_invitation()
    ExchangeFactory(participant=invitation.participant)

    client.get(accept_url(invitation))
    with django_assert_max_num_queries(4):
        accept_page = client.get(ACCEPT_FORM)
    with django_assert_max_num_queries(3):
        decline_page = client.get(DECLINE_FORM)
    problem_page = client.get(reverse("invitations:accept", args=["unknown-link"]))

    for page in (accept_page, decline_page, problem_page):
        assert len(page.content) < 60_000


def test_the_first_link_keeps_working_while_a_resend_waits_to_go_out(client):
    # `wave_resend` puts the invitation back to pending (no expiry) until the new message leaves;
    # in a throttled wave that can take days, and the person may use the mail they already have.
    invitation = sent_invitation(status=Invitation.Status.PENDING, expires_at=None)

    assert open_link(client, accept_url(invitation)).status_code == 200
    response = accept(client, invitation, accept_data())

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
