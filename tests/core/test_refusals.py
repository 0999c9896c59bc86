"""A service's "no" is one exception type per app (`core.refusals.Refused`), with a
message for whoever asked, and members and staff see it the same way: a message on the page."""

import importlib
import inspect
import pkgutil
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from core.refusals import Refused
from invitations import services as invitation_services
from members import services as member_services
from newsletters import services as newsletter_services
from tests.activities.factories import ActivityFactory
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

APPS = {
    "members": member_services.ParticipantRefused,
    "invitations": invitation_services.InvitationRefused,
    "activities": activity_services.ActivityRefused,
    "newsletters": newsletter_services.NewsletterRefused,
}


def exceptions_defined_in(app: str) -> set[type]:
    package = importlib.import_module(app)
    found = set()
    for module_info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
        if ".migrations" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Exception) and value.__module__ == module.__name__:
                found.add(value)
    return found


@pytest.mark.parametrize(("app", "refused"), APPS.items())
def test_each_app_has_one_exception_for_what_its_services_refuse(app, refused):
    assert exceptions_defined_in(app) == {refused}
    assert issubclass(refused, Refused)


def test_a_refusal_reads_as_its_message():
    error = activity_services.ActivityRefused("Registration has closed.", code="closed")
    assert str(error) == error.message == "Registration has closed."
    assert error.code == "closed"


def page_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_a_member_sees_a_refusal_as_a_message_on_the_next_page(client):
    activity = ActivityFactory(registration_closes_at=timezone.now() - timedelta(hours=1))
    client.force_login(MemberFactory().user)

    response = client.post(reverse("activities:register", args=[activity.pk]))

    assert response.status_code == 302
    assert page_messages(response) == [("error", "Registration has closed.")]


@pytest.mark.django_db
def test_staff_see_a_refusal_the_same_way(client):
    make_participants(1, with_exchange=False)
    wave = make_wave()
    launch(wave)  # no longer a draft
    client.force_login(StaffUserFactory(is_superuser=True))

    response = client.post(reverse("admin:invitations_wave_launch", args=[wave.pk]))

    assert response.status_code == 302
    assert page_messages(response) == [
        ("error", "Only a draft wave can be launched; this one is sending.")
    ]
