"""Requests refused before anything reads them: NUL characters (PostgreSQL cannot take them) and
bodies larger than the page accepts."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.urls import reverse

from invitations.models import InvitationRequest
from members.models import Participant
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

NUL_REFUSED = "It contains a character that has no place in a web address or a form"


def assert_refused_for_nul(response):
    assert response.status_code == 400
    assert NUL_REFUSED in response.content.decode()
    assert '<meta name="viewport"' in response.content.decode()  # the site's page, styled


@pytest.fixture
def staff_client(admin_client):
    # The superuser, with the authenticator app every staff account has.
    return admin_client


def test_a_nul_in_a_calendar_feed_address_is_a_clear_400(client):
    assert_refused_for_nul(client.get("/activities/calendar/%00/x.ics"))


def test_a_nul_in_an_admin_list_filter_is_a_clear_400(staff_client):
    assert_refused_for_nul(staff_client.get("/admin/members/participant/?home_country=%00"))
    assert_refused_for_nul(
        staff_client.get("/admin/members/participant/bad-addresses/?country=%00")
    )


def test_a_nul_in_a_posted_form_field_is_a_clear_400_and_changes_nothing(staff_client):
    # An admin action's selection goes straight into a query, with no form to clean it first.
    person = ParticipantFactory()

    response = staff_client.post(
        reverse("admin:members_participant_changelist"),
        {"action": "delete_selected", "_selected_action": [str(person.pk), "1\x00"]},
    )

    assert_refused_for_nul(response)
    assert Participant.objects.filter(pk=person.pk).exists()


def test_a_nul_anywhere_in_a_public_form_refuses_the_whole_post(client):
    data = {
        "first_name": "Amina",
        "last_name": "Odhiambo",
        "email": "amina@example.org",
        "home_country": "KE",
        "message": "Hello\x00",
    }

    assert_refused_for_nul(client.post(reverse("invitations:request"), data))
    assert_refused_for_nul(client.post(reverse("invitations:request"), {"na\x00me": "x"}))
    assert not InvitationRequest.objects.exists()


def test_a_nul_in_the_session_cookie_is_a_clear_400(client):
    # The session cookie is looked up in the database before any view runs.
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"

    assert_refused_for_nul(client.get(reverse("home")))


def test_an_encoded_percent_sign_is_not_a_nul(client):
    # "%2500" is the text "%00": odd, but harmless, and answered as usual.
    response = client.get("/activities/?kind=%2500")

    assert response.status_code == 200


# --- size


class UnreadBody(io.BytesIO):
    """A request body that records whether anyone started reading it."""

    touched = False

    def read(self, *args):
        self.touched = True
        return super().read(*args)

    def readline(self, *args):
        self.touched = True
        return super().readline(*args)


def multipart(**fields) -> bytes:
    return encode_multipart("BoUnDaRy", fields)


def test_a_50_mb_post_to_the_request_form_is_refused_before_it_is_read(client):
    body = UnreadBody(
        multipart(
            first_name="Amina",
            attachment=SimpleUploadedFile("big.bin", b"\x01" * (50 * 1024 * 1024)),
        )
    )

    response = client.post(
        reverse("invitations:request"),
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(len(body.getvalue())),
        **{"wsgi.input": body},
    )

    assert response.status_code == 413
    page = response.content.decode()
    assert "What you sent is larger than this page accepts (at most 2.5\xa0MB)" in page
    assert f'href="{reverse("invitations:request")}"' in page  # the way back to the form
    assert body.touched is False
    assert not InvitationRequest.objects.exists()


def test_a_form_of_ordinary_size_still_goes_through(client):
    response = client.post(
        reverse("invitations:request"),
        {
            "first_name": "Amina",
            "last_name": "Odhiambo",
            "email": "amina@example.org",
            "home_country": "KE",
            "message": "x" * 1500,
        },
    )

    assert response.status_code == 302
    assert InvitationRequest.objects.count() == 1


def roster_of_size(target: int) -> bytes:
    """A valid roster CSV of about `target` bytes: a few people, padded in a column the import
    ignores (a spreadsheet's notes), so that the import itself stays quick."""
    header = b"participant_id,first_name,last_name,email,home_country,notes\n"
    rows = []
    size = len(header)
    n = 0
    while size < target:
        n += 1
        notes = b"n" * min(100_000, max(target - size - 80, 1))
        row = b"P%06d,Amina,Odhiambo,amina.%d@example.org,KE,%s\n" % (n, n, notes)
        rows.append(row)
        size += len(row)
    return header + b"".join(rows)


def test_the_admin_still_takes_a_roster_file_of_20_mb(client):
    adviser = StaffUserFactory()
    adviser.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="members",
            codename__in=["add_participant", "change_participant", "view_participant"],
        )
    )
    client.force_login(adviser)
    data = roster_of_size(20 * 1024 * 1024 - 4096)
    body = multipart(file=SimpleUploadedFile("roster.csv", data, "text/csv"), dry_run="on")
    assert len(body) > 20 * 1024 * 1024 - 4096

    response = client.generic(
        "POST",
        reverse("admin:members_participant_import"),
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
    )

    assert response.status_code == 200
    assert "The file is larger" not in response.content.decode()
    assert response.context["report"] is not None and not response.context["report"].errors


def test_the_admin_refuses_a_body_over_its_own_limit(client, settings):
    settings.ADMIN_REQUEST_MAX_BYTES = 1024 * 1024
    body = UnreadBody(multipart(file=SimpleUploadedFile("r.csv", b"x" * (2 * 1024 * 1024))))

    response = client.post(
        reverse("admin:members_participant_import"),
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(len(body.getvalue())),
        **{"wsgi.input": body},
    )

    assert response.status_code == 413
    assert "at most 1.0\xa0MB" in response.content.decode()
    assert body.touched is False
