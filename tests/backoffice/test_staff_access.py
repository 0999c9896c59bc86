"""Only staff reach the back office, always through allauth's login, and only with TOTP set up."""

from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.members.factories import totp_code

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


def login_url(next_url):
    return f"{reverse('account_login')}?{urlencode({'next': next_url})}"


def test_the_admin_login_page_sends_visitors_to_the_portal_login(client):
    response = client.get(reverse("admin:login"), {"next": "/admin/members/participant/"})

    assert response.status_code == 302
    assert response["Location"] == login_url("/admin/members/participant/")


def test_an_anonymous_visitor_never_sees_an_admin_page(client):
    response = client.get(ADMIN, follow=True)

    assert response.redirect_chain[-1][0] == login_url(ADMIN)
    assert b"Back office" not in response.content


def test_a_member_never_reaches_the_admin(client):
    member = MemberFactory()
    client.force_login(member.user)

    response = client.get(ADMIN, follow=True)

    assert response.status_code == 403
    assert b"This part is for Norec staff" in response.content


def test_staff_without_an_authenticator_app_must_set_one_up_first(client):
    staff = StaffUserFactory(mfa=False)
    client.post(reverse("account_login"), {"login": staff.email, "password": DEFAULT_PASSWORD})

    for path in (ADMIN, "/admin/members/participant/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_activate_totp"))

    # allauth asks for the password again before adding an authenticator.
    assert client.get(reverse("mfa_activate_totp")).status_code == 302
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    # Recovery codes come with the authenticator, and are shown at once to be kept.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert set(staff.authenticator_set.values_list("type", flat=True)) == {
        Authenticator.Type.TOTP,
        Authenticator.Type.RECOVERY_CODES,
    }
    assert client.get(ADMIN).status_code == 200


def test_a_recovery_code_replaces_a_lost_phone_once(client):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    staff = StaffUserFactory(email="adviser@example.org")
    code = RecoveryCodes.activate(staff).get_unused_codes()[0]

    def log_in_with(second_factor):
        client.logout()
        client.post(login_url(ADMIN), {"login": staff.email, "password": DEFAULT_PASSWORD})
        client.post(reverse("mfa_authenticate"), {"code": second_factor})
        return client.get(ADMIN).status_code

    assert log_in_with(code) == 200
    assert log_in_with(code) == 302  # used once, then never again


def test_staff_with_an_authenticator_app_reach_the_admin(client):
    client.force_login(StaffUserFactory())

    assert client.get(ADMIN).status_code == 200


def test_staff_log_in_with_password_then_totp_code(client):
    staff = StaffUserFactory(email="adviser@example.org")

    response = client.post(login_url(ADMIN), {"login": staff.email, "password": DEFAULT_PASSWORD})
    # The password alone is not enough: allauth asks for the code.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(ADMIN).status_code == 302

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert client.get(ADMIN).status_code == 302

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_staff_land_in_the_back_office_after_login(client):
    """Issue 10, item 22: staff landed on /me/ ("not linked to a former participant")."""
    staff = StaffUserFactory(email="adviser@example.org")
    client.post(reverse("account_login"), {"login": staff.email, "password": DEFAULT_PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert response["Location"] == ADMIN


def test_staff_without_an_authenticator_are_sent_on_to_set_one_up(client):
    staff = StaffUserFactory(mfa=False)
    response = client.post(
        reverse("account_login"), {"login": staff.email, "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == ADMIN
    assert client.get(ADMIN)["Location"].startswith(reverse("mfa_activate_totp"))


def test_members_still_land_on_their_page_and_a_next_url_still_wins(client):
    member = MemberFactory()
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == reverse("members:home")

    client.logout()
    staff = StaffUserFactory(email="adviser@example.org")
    client.post(
        login_url(reverse("activities:list")),
        {"login": staff.email, "password": DEFAULT_PASSWORD},
    )
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response["Location"] == reverse("activities:list")
