"""A wave's pace in the back office: the pace field's refusals, the estimate on the draft's
preview (each invitee's zone through the sending window, the batch size's cap), the current rate,
the time left and the wait for the window on its progress and on the dashboard."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from invitations import selectors
from invitations.models import Invitation
from invitations.models import Wave
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.test_admin import ADVISER_PERMISSIONS
from tests.invitations.test_admin import grant
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")  # Kenya's zone, where the invitees live


@pytest.fixture
def adviser_client(client):
    client.force_login(grant(StaffUserFactory(), *ADVISER_PERMISSIONS))
    return client


def page(client, wave) -> str:
    response = client.get(reverse("admin:invitations_wave_change", args=[wave.pk]))
    assert response.status_code == 200
    return response.content.decode()


def closed_now_window():
    """A window, every day, that opens two hours from now in Nairobi: closed at this moment
    whatever the time (over midnight it reads as two spans, still closed now)."""
    local = timezone.now().astimezone(NAIROBI)
    opens = (local + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    fields = {
        "window_start": opens.time(),
        "window_end": (opens + dt.timedelta(hours=1)).time(),
        "window_weekdays": list(range(7)),
    }
    return fields, opens


def wave_form(**fields):
    return {
        "name": "Kenya 2027",
        "home_countries": ["KE"],
        "starts_at_0": "2026-12-01",
        "starts_at_1": "09:00",
        "rate_per_hour": "300",
        "batch_size": "50",
        "window_start": "09:00",
        "window_end": "17:00",
        "window_weekdays": ["0"],
        "expiry_days": "30",
        "reminder_days": "10",
        **fields,
    }


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "The pace cannot be negative"),
        ("2000000", "1000000 messages an hour is the most the portal accepts"),
    ],
)
def test_a_bad_wave_pace_is_refused_beside_the_field(adviser_client, typed, message):
    response = adviser_client.post(
        reverse("admin:invitations_wave_add"), wave_form(rate_per_hour=typed)
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert f'name="rate_per_hour" value="{typed}"' in content
    assert not Wave.objects.exists()


def test_the_draft_preview_estimates_the_wave_at_its_pace(adviser_client):
    make_participants(3)
    wave = make_wave(rate_per_hour=60)

    content = page(adviser_client, wave)

    assert "At 60 messages an hour, 3 messages take about 3 minutes: they finish around" in content
    assert "The sending window is closed" not in content


def test_the_preview_says_when_the_window_lets_the_first_invitation_go(adviser_client):
    make_participants(2)
    window, opens = closed_now_window()
    wave = make_wave(rate_per_hour=60, **window)

    content = page(adviser_client, wave)

    assert "The sending window is closed at the start: the first message goes around" in content
    assert timezone.localtime(opens).strftime("%H:%M") in content
    finish = timezone.localtime(opens + dt.timedelta(minutes=2)).strftime("%H:%M")
    assert "2 messages take about" in content and finish in content


def test_the_preview_says_when_the_batch_size_holds_the_pace_back(adviser_client, settings):
    settings.OUTBOUND_TICK_SECONDS = 15
    make_participants(2)
    wave = make_wave(rate_per_hour=20_000, batch_size=50)

    content = page(adviser_client, wave)

    assert "At 12,000 messages an hour" in content
    assert "The batch size holds the pace to 12,000 an hour" in content


def launched(**fields) -> Wave:
    make_participants(10)
    wave = make_wave(**fields)
    launch(wave)
    return wave


def mark_sent(wave, count, minutes_ago):
    ids = wave.invitations.filter(status="pending").order_by("pk").values_list("pk", flat=True)
    Invitation.objects.filter(pk__in=list(ids[:count])).update(
        status="sent", sent_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


def test_the_pending_invitations_are_counted_per_zone():
    wave = launched()
    mark_sent(wave, 4, minutes_ago=1)

    assert selectors.waves_pending_zones(wave_ids=[wave.pk]) == {wave.pk: {"Africa/Nairobi": 6}}


def test_the_progress_shows_the_current_rate_and_the_time_left(adviser_client):
    wave = launched(rate_per_hour=300)
    mark_sent(wave, 4, minutes_ago=3)
    mark_sent(wave, 2, minutes_ago=30)

    content = page(adviser_client, wave)

    # 4 in 10 minutes is 24 an hour; 4 left take 10 minutes at that rate.
    assert "Now: 24 messages an hour (0.4 a minute), over the last 10 minutes." in content
    assert "4 messages left: about 10 minutes at the current rate" in content


def test_the_progress_says_it_waits_for_the_window(adviser_client):
    window, opens = closed_now_window()
    wave = launched(rate_per_hour=60, **window)

    content = page(adviser_client, wave)

    assert "Nothing went out in the last 10 minutes." in content
    assert "Waiting for the sending window until" in content
    assert timezone.localtime(opens).strftime("%H:%M") in content
    # The time left counts from now: two hours of waiting, then 10 minutes of sending.
    assert "10 messages left: about 2 hours at the set pace of 60 an hour" in content
    assert timezone.localtime(opens + dt.timedelta(minutes=10)).strftime("%H:%M") in content


def test_a_paused_wave_says_so(adviser_client):
    wave = launched(rate_per_hour=60)
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.PAUSED)

    content = page(adviser_client, wave)

    assert "Paused: nothing more goes out until it is resumed." in content
    assert "messages left" not in content


def test_a_completed_wave_shows_no_pace(adviser_client):
    wave = launched()
    mark_sent(wave, 10, minutes_ago=1)
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.COMPLETED)

    content = page(adviser_client, wave)

    assert "pace-progress" not in content


def test_the_dashboard_shows_a_sending_wave_s_rate(client):
    wave = launched(rate_per_hour=300)
    mark_sent(wave, 4, minutes_ago=3)
    client.force_login(StaffUserFactory(is_superuser=True))

    content = client.get(reverse("admin:index")).content.decode()

    assert "Now: 24 messages an hour" in content
    assert "6 messages left: about 15 minutes at the current rate" in content
