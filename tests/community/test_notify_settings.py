"""The community email settings page: the digest's frequency and the immediate mails."""

import pytest
from django.test import Client
from django.urls import reverse

from community.models import CommunityMember
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_a_member_changes_both_settings(client, amina):
    client.force_login(amina.user)
    url = reverse("community:settings")
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"digest": "daily"}, follow=True)
    assert "Your community email settings are saved." in response.content.decode()
    member = CommunityMember.objects.get(participant=amina)
    assert (member.digest, member.notify_replies) == ("daily", False)
    client.post(url, {"digest": "never", "notify_replies": "on"})
    member.refresh_from_db()
    assert (member.digest, member.notify_replies) == ("never", True)
    assert member.digest_unsubscribed_at is not None


def test_a_wrong_choice_is_refused_without_saving(client, amina):
    client.force_login(amina.user)
    response = client.post(reverse("community:settings"), {"digest": "hourly"})
    assert response.status_code == 200
    assert CommunityMember.objects.get(participant=amina).digest == "weekly"


def test_the_settings_need_csrf(amina):
    client = Client(enforce_csrf_checks=True)
    client.force_login(amina.user)
    response = client.post(reverse("community:settings"), {"digest": "never"})
    assert response.status_code == 403
    assert CommunityMember.objects.get(participant=amina).digest == "weekly"


def test_the_settings_need_a_login_and_a_member(client, network):
    response = client.get(reverse("community:settings"))
    assert response.status_code == 302
    client.force_login(StaffUserFactory())
    assert client.get(reverse("community:settings")).status_code == 404
