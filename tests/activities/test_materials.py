"""Uploaded materials (slides, recordings) in production: served to the members registered for
the activity and to activity staff, to nobody else, and never as plain static files."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.test import Client

from activities import services
from activities.models import Material
from activities.models import Registration
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

SLIDES = b"%PDF-1.7 slides of the webinar"


@pytest.fixture(autouse=True)
def production(settings, tmp_path):
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def activity():
    return ActivityFactory(capacity=1)


@pytest.fixture
def material(activity):
    return Material.objects.create(
        activity=activity, title="Slides", file=ContentFile(SLIDES, name="slides.pdf")
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def download(client, material):
    response = client.get(material.file.url)
    if response.status_code == 200:
        return response, b"".join(response.streaming_content)
    return response, b""


def test_a_member_registered_for_the_activity_gets_the_file(activity, material):
    member = MemberFactory()
    services.activity_register(activity=activity, participant=member)

    response, body = download(client_for(member.user), material)

    assert response.status_code == 200
    assert body == SLIDES
    assert response["Content-Disposition"].startswith("attachment;")
    assert "private" in response["Cache-Control"]
    assert material.href == material.file.url  # the pages link to the checked URL


def test_another_member_is_refused(activity, material):
    other = MemberFactory()

    response, body = download(client_for(other.user), material)

    assert response.status_code == 403
    assert body == b""


def test_the_waitlist_and_cancelled_registrations_are_refused(activity, material):
    gone, seated, waiting = MemberFactory(), MemberFactory(), MemberFactory()
    cancelled = services.activity_register(activity=activity, participant=gone)
    services.registration_cancel(registration=cancelled)
    services.activity_register(activity=activity, participant=seated)  # the one seat
    waitlisted = services.activity_register(activity=activity, participant=waiting)
    assert waitlisted.status == Registration.Status.WAITLISTED

    assert download(client_for(waiting.user), material)[0].status_code == 403
    assert download(client_for(gone.user), material)[0].status_code == 403


def test_a_visitor_is_sent_to_log_in_first(client, material):
    response = client.get(material.file.url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/media/")


def test_activity_staff_get_the_file_and_other_staff_do_not(material):
    activity_staff = StaffUserFactory()
    activity_staff.user_permissions.add(Permission.objects.get(codename="view_material"))
    other_staff = StaffUserFactory()

    assert download(client_for(activity_staff), material)[1] == SLIDES
    assert download(client_for(other_staff), material)[0].status_code == 403


def test_only_files_of_materials_are_served(material, settings, tmp_path):
    member = MemberFactory()
    (tmp_path / "stray.txt").write_bytes(b"not a material")
    client = client_for(member.user)

    assert client.get("/media/stray.txt").status_code == 404
    assert client.get("/media/../norec_network/settings.py").status_code == 404
    assert client.get("/media/activities/materials/none.pdf").status_code == 404


def test_a_material_whose_file_is_gone_is_a_404_not_a_500(activity, material):
    member = MemberFactory()
    services.activity_register(activity=activity, participant=member)
    material.file.storage.delete(material.file.name)

    assert client_for(member.user).get(material.file.url).status_code == 404


def test_the_activity_page_links_the_file_and_says_who_may_have_it(client, activity, material):
    response = client.get(activity.get_absolute_url())

    page = response.content.decode()
    assert f'href="{material.file.url}"' in page
    assert "(for those registered)" in page
