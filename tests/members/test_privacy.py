"""Download my data, delete my account, email change, consent and the privacy notice."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from members import extensions
from members import services
from members.extensions import PersonalDataSource
from members.models import ContactMessage
from members.models import Participant
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import ExchangeFactory
from tests.members.factories import ExpertiseFieldFactory
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    member = MemberFactory(first_name="Amina", last_name="Otieno", email="amina@example.org")
    ExchangeFactory(participant=member, year=2011, programme="FK Health")
    services.participant_update_profile(
        participant=member,
        data={
            "city": "Nairobi",
            "organisation": "Kenya Red Cross",
            "bio": "Nurse",
            "phone": "+254712345678",
            "directory_visibility": Participant.Visibility.MEMBERS,
            "resource_person": True,
        },
        expertise=[ExpertiseFieldFactory(name="Health")],
        consent=True,
    )
    member.refresh_from_db()
    client.force_login(member.user)
    return member


@pytest.fixture
def registered_source():
    """What another app (registrations, say) holds, registered as the apps do from ready()."""
    store = {}

    def export(participant):
        return store.get(participant.pk, [])

    def erase(participant):
        store.pop(participant.pk, None)

    extensions.register_personal_data_source(
        PersonalDataSource(name="test_registrations", export=export, erase=erase)
    )
    yield store
    extensions._personal_data_sources.pop("test_registrations")


def test_download_my_data_holds_everything_including_other_apps(client, member, registered_source):
    registered_source[member.pk] = [{"activity": "Webinar on malaria", "status": "confirmed"}]
    other = MemberFactory()
    ContactMessage.objects.create(sender=other, recipient=member, subject="Hi", body="Hello")
    response = client.get(reverse("members:data_download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]  # personal data stays out of caches
    data = json.loads(response.content)
    assert data["roster"]["roster_id"] == member.participant_id
    assert data["profile"]["city"] == "Nairobi"
    assert data["profile"]["fields_of_expertise"] == ["Health"]
    assert data["profile"]["privacy_notice_version"]
    assert data["exchanges"][0]["programme"] == "FK Health"
    assert data["account"]["login_email"] == "amina@example.org"
    assert data["messages_received"][0]["body"] == "Hello"
    assert data["test_registrations"] == [{"activity": "Webinar on malaria", "status": "confirmed"}]


def test_download_is_only_ever_ones_own(client, member):
    other = MemberFactory(first_name="Other", city="Kampala")
    response = client.get(reverse("members:data_download"), {"pk": other.pk, "id": other.pk})
    data = json.loads(response.content)
    assert data["roster"]["roster_id"] == member.participant_id
    assert "Kampala" not in response.content.decode()


def test_delete_needs_the_password(client, member):
    response = client.post(reverse("members:account_delete"), {"password": "wrong"})
    assert response.status_code == 200
    assert "not your password" in response.content.decode()
    member.refresh_from_db()
    assert member.user is not None and member.deleted_at is None


def test_delete_erases_login_profile_and_other_apps_data_but_keeps_the_roster(
    client, member, registered_source
):
    registered_source[member.pk] = [{"activity": "x"}]
    other = MemberFactory()
    ContactMessage.objects.create(sender=member, recipient=other, subject="a", body="b")
    ContactMessage.objects.create(sender=other, recipient=member, subject="c", body="d")
    user_pk = member.user.pk

    response = client.post(reverse("members:account_delete"), {"password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=user_pk).exists()
    assert not EmailAddress.objects.filter(user_id=user_pk).exists()
    member.refresh_from_db()
    # The roster's own columns stay, so that the person is not invited again by mistake.
    assert member.participant_id and member.first_name == "Amina"
    assert member.email == "amina@example.org"
    assert member.exchanges.count() == 1
    assert member.declined_invitations is True
    assert member.deleted_at is not None
    # Everything they added is gone.
    assert member.user is None
    assert (member.city, member.organisation, member.bio, member.search_text) == ("", "", "", "")
    assert not member.phone
    assert member.expertise.count() == 0
    assert member.resource_person is False
    assert member.directory_visibility == Participant.Visibility.HIDDEN
    assert member.privacy_consent_at is None
    assert not ContactMessage.objects.filter(sender=member).exists()
    assert not ContactMessage.objects.filter(recipient=member).exists()
    assert registered_source == {}
    # Logged out, and the login no longer works.
    assert client.get(reverse("members:home")).status_code == 302
    assert not client.login(email="amina@example.org", password=DEFAULT_PASSWORD)


def test_staff_see_that_an_account_was_deleted(client, member, admin_client):
    services.participant_delete_account(participant=member)
    response = admin_client.get(
        reverse("admin:members_participant_changelist"), {"account_deleted": "yes"}
    )
    assert response.status_code == 200
    assert "Amina" in response.content.decode()
    response = admin_client.get(reverse("admin:members_participant_change", args=[member.pk]))
    assert "account deleted" in response.content.decode().lower()


def test_delete_needs_csrf(member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    response = client.post(reverse("members:account_delete"), {"password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.deleted_at is None


def test_a_verified_new_email_becomes_the_address_of_record_and_clears_the_bad_flag(
    client, member, django_capture_on_commit_callbacks
):
    services.participant_mark_email_status(
        participant=member, status=Participant.EmailStatus.BOUNCED
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_email"), {"action_add": "", "email": "amina.new@example.org"})
    member.refresh_from_db()
    assert member.email == "amina@example.org"  # not before it is verified
    assert member.email_status == Participant.EmailStatus.BOUNCED

    confirmation_mail = [m for m in mail.outbox if "amina.new@example.org" in m.to][-1]
    link = next(
        word for word in confirmation_mail.body.split() if "/accounts/confirm-email/" in word
    )
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path)
    assert response.status_code == 302

    member.refresh_from_db()
    assert member.email == "amina.new@example.org"
    assert member.email_status == Participant.EmailStatus.OK
    assert member.email_source == Participant.EmailSource.MEMBER
    assert member.address_of_record == "amina.new@example.org"


def test_login_by_emailed_code_is_offered(client):
    client.logout()
    response = client.get(reverse("account_login"))
    assert reverse("account_request_login_code") in response.content.decode()


def test_email_links_land_on_the_right_page_after_login(client, member):
    client.logout()
    target = reverse("members:message", args=[1])
    response = client.get(target)
    assert response["Location"] == f"{reverse('account_login')}?next={target}"
    response = client.post(
        response["Location"], {"login": member.email, "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == target


def test_privacy_notice_is_public_and_versioned(client, settings):
    client.logout()
    response = client.get(reverse("privacy"))
    assert response.status_code == 200
    assert settings.PRIVACY_NOTICE_VERSION in response.content.decode()


def test_a_member_cannot_reach_the_admin(client, member):
    response = client.get(reverse("admin:members_participant_changelist"))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "login" in response["Location"]


def test_staff_without_roster_row_cannot_delete_or_download(client):
    client.force_login(StaffUserFactory())
    assert client.get(reverse("members:data_download")).status_code == 404
    assert client.post(reverse("members:account_delete"), {"password": "x"}).status_code == 404


def test_login_by_emailed_code_lands_on_the_page_the_mail_linked_to(
    client, member, django_capture_on_commit_callbacks
):
    client.logout()
    target = reverse("members:profile_edit")
    request_url = f"{reverse('account_request_login_code')}?next={target}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(request_url, {"email": member.email})
    assert response.status_code == 302
    code_mail = next(m for m in reversed(mail.outbox) if member.email in m.to)
    lines = [line.strip() for line in code_mail.body.splitlines() if line.strip()]
    code = lines[next(n for n, line in enumerate(lines) if "code is listed below" in line) + 1]
    response = client.post(response["Location"], {"code": code, "next": target})
    assert response.status_code == 302
    assert response["Location"] == target


def test_delete_drops_an_address_the_member_chose_themselves(client, member):
    Participant.objects.filter(pk=member.pk).update(
        email="amina.private@example.org", email_source=Participant.EmailSource.MEMBER
    )

    client.post(reverse("members:account_delete"), {"password": DEFAULT_PASSWORD})

    member.refresh_from_db()
    assert member.email == ""  # Norec's records never held it
    assert member.declined_invitations is True
    assert member.deleted_at is not None


def test_an_address_change_is_confirmed_in_our_words_and_the_old_address_is_told(
    client, django_capture_on_commit_callbacks, settings
):
    """Issue 10, item 22: the verification mail was allauth's stock text ("to register an
    account"), text only, and the old address never heard of the change."""
    member = MemberFactory(first_name="N'Dri & <Co>", email="ndri@example.org")
    client.force_login(member.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_email"), {"action_add": "", "email": "ndri.new@example.org"})

    confirmation = [m for m in mail.outbox if m.to == ["ndri.new@example.org"]][-1]
    assert confirmation.subject == "[Norec Network] Confirm your new email address"
    assert "register an account" not in confirmation.body
    assert "Hello N'Dri & <Co>," in confirmation.body  # plain text is not HTML-escaped
    assert "You asked to use this address, ndri.new@example.org" in confirmation.body
    assert "Until you confirm, you log in with your current address" in confirmation.body
    html = {kind: content for content, kind in confirmation.alternatives}["text/html"]
    assert "Hello N&#x27;Dri &amp; &lt;Co&gt;," in html
    assert "Confirm my address" in html
    link = next(word for word in confirmation.body.split() if "/accounts/confirm-email/" in word)
    assert f'href="{link}"' in html
    assert not [m for m in mail.outbox if m.to == ["ndri@example.org"]]  # nothing changed yet

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/" + link.split("://", 1)[1].split("/", 1)[1])

    notice = next(m for m in mail.outbox if m.to == ["ndri@example.org"])
    assert notice.subject == "[Norec Network] The email address of your account was changed"
    assert "from ndri@example.org to ndri.new@example.org" in notice.body
    assert f"Norec's network adviser at {settings.NETWORK_ADVISER_EMAIL}" in notice.body
    assert "text/html" in [kind for _, kind in notice.alternatives]
    member.refresh_from_db()
    assert member.email == "ndri.new@example.org"
