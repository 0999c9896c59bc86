"""The one estimate of a campaign's duration (`core.outbound.pace`): with and without a sending
window, at pace 0, for nobody, capped by the batch size; the figures of a progress page; and the
words staff read."""

import datetime as dt
import zoneinfo

import pytest

from core.outbound.pace import HORIZON
from core.outbound.pace import estimate
from core.outbound.pace import progress_pace
from core.outbound.pace import sender_rate
from core.outbound.registry import SendingWindow
from core.templatetags.pace import pace_duration

MAPUTO = "Africa/Maputo"  # UTC+2, no summer time
SAO_PAULO = "America/Sao_Paulo"  # UTC-3, no summer time since 2019
WEEKDAYS = SendingWindow(start=dt.time(9), end=dt.time(17), weekdays=frozenset(range(5)))
# Monday 7 December 2026, 13:04 UTC.
MONDAY = dt.datetime(2026, 12, 7, 13, 4, tzinfo=dt.UTC)


def local(zone: str, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


def test_without_a_window_the_audience_takes_audience_over_pace():
    result = estimate(audience=12_000, rate_per_hour=20_000, start=MONDAY)

    assert result.duration == dt.timedelta(minutes=36)
    assert result.finishes_at == MONDAY + dt.timedelta(minutes=36)
    assert result.first_send_at == MONDAY
    assert not result.waits_for_window


def test_the_issue_s_figures_four_hours_at_the_old_pace_and_36_minutes_at_the_new():
    assert estimate(audience=12_000, rate_per_hour=3_000, start=MONDAY).duration == dt.timedelta(
        hours=4
    )
    assert estimate(
        audience=100_000, rate_per_hour=3_000, start=MONDAY
    ).duration.total_seconds() / 3600 == pytest.approx(33.3, abs=0.1)


def test_nobody_to_send_to_is_done_at_the_start():
    for window in (None, WEEKDAYS):
        result = estimate(audience=0, rate_per_hour=300, start=MONDAY, window=window)
        assert result.audience == 0
        assert result.duration == dt.timedelta(0)
        assert result.first_send_at is None
        assert not result.beyond_horizon
    assert estimate(audience={MAPUTO: 0}, rate_per_hour=300, start=MONDAY).duration == dt.timedelta(
        0
    )


def test_pace_zero_gives_no_duration_but_still_the_window_s_opening():
    result = estimate(audience=500, rate_per_hour=0, start=MONDAY)
    assert result.unthrottled
    assert result.finishes_at is None and result.duration is None
    assert not result.beyond_horizon

    saturday = local(MAPUTO, 2026, 12, 5, 12, 0)
    closed = estimate(audience={MAPUTO: 500}, rate_per_hour=0, start=saturday, window=WEEKDAYS)
    assert closed.finishes_at is None
    assert closed.first_send_at == local(MAPUTO, 2026, 12, 7, 9, 0)


def test_a_window_closed_at_the_start_waits_for_the_recipients_monday_morning():
    saturday = local(MAPUTO, 2026, 12, 5, 12, 0)

    result = estimate(audience={MAPUTO: 100}, rate_per_hour=300, start=saturday, window=WEEKDAYS)

    assert result.waits_for_window
    assert result.first_send_at == local(MAPUTO, 2026, 12, 7, 9, 0)
    assert result.finishes_at == local(MAPUTO, 2026, 12, 7, 9, 20)


def test_work_longer_than_a_day_s_window_goes_on_the_next_open_day():
    friday_morning = local(MAPUTO, 2026, 12, 11, 9, 0)

    # 16 hours of sending at 300 an hour: Friday's 8 hours, then Monday's.
    result = estimate(
        audience={MAPUTO: 4_800}, rate_per_hour=300, start=friday_morning, window=WEEKDAYS
    )

    assert result.finishes_at == local(MAPUTO, 2026, 12, 14, 17, 0)
    assert not result.waits_for_window


def test_zones_share_the_pace_while_both_are_open_and_each_sends_in_its_own_window():
    # Maputo's window is 07:00-15:00 UTC, São Paulo's 12:00-20:00 UTC: both open 12:00-15:00.
    start = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)

    result = estimate(
        audience={MAPUTO: 1_200, SAO_PAULO: 1_200}, rate_per_hour=300, start=start, window=WEEKDAYS
    )

    # 07:00-12:00 Maputo alone sends 1,500 > 1,200: done at 11:00. São Paulo opens at 12:00,
    # takes 4 hours alone: 16:00 UTC.
    assert result.finishes_at == dt.datetime(2026, 12, 7, 16, 0, tzinfo=dt.UTC)

    shared = estimate(
        audience={MAPUTO: 3_000, SAO_PAULO: 600}, rate_per_hour=300, start=start, window=WEEKDAYS
    )
    # Maputo alone until 12:00: 1,500 sent, 1,500 left. 12:00-15:00 both share 900 in proportion
    # to what each has left (1,500 : 600), so Maputo keeps 1,500 - 900 × 15/21; São Paulo's rest
    # goes out that afternoon, and Maputo's waits for Tuesday 07:00 UTC.
    maputo_left = 1_500 - 900 * 1_500 / 2_100
    tuesday = dt.datetime(2026, 12, 8, 7, 0, tzinfo=dt.UTC)
    expected = tuesday + dt.timedelta(hours=maputo_left / 300)
    assert abs(shared.finishes_at - expected) < dt.timedelta(seconds=1)


def test_a_window_over_midnight_opens_as_the_sender_reads_it():
    night = SendingWindow(start=dt.time(22), end=dt.time(6), weekdays=frozenset(range(7)))
    start = local(MAPUTO, 2026, 12, 7, 12, 0)

    result = estimate(audience={MAPUTO: 10}, rate_per_hour=60, start=start, window=night)

    assert result.first_send_at == local(MAPUTO, 2026, 12, 7, 22, 0)
    assert night.is_open(MAPUTO, result.first_send_at)
    assert not night.is_open(MAPUTO, result.first_send_at - dt.timedelta(minutes=1))
    assert result.finishes_at == local(MAPUTO, 2026, 12, 7, 22, 10)


def test_a_window_that_never_opens_gives_no_finish():
    never = SendingWindow(start=dt.time(9), end=dt.time(17), weekdays=frozenset())

    result = estimate(audience={MAPUTO: 10}, rate_per_hour=300, start=MONDAY, window=never)

    assert result.finishes_at is None
    assert result.beyond_horizon


def test_a_pace_too_slow_for_a_year_says_so():
    result = estimate(audience=10_000, rate_per_hour=1, start=MONDAY, window=WEEKDAYS)
    assert result.beyond_horizon
    assert dt.timedelta(days=365) < HORIZON


def test_a_bare_count_with_a_window_is_timed_in_the_portal_s_zone(settings):
    settings.TIME_ZONE = "Europe/Oslo"
    sunday = local("Europe/Oslo", 2026, 12, 6, 20, 0)

    result = estimate(audience=30, rate_per_hour=60, start=sunday, window=WEEKDAYS)

    assert result.first_send_at == local("Europe/Oslo", 2026, 12, 7, 9, 0)


def test_the_batch_size_caps_the_pace_one_batch_per_tick(settings):
    settings.OUTBOUND_TICK_SECONDS = 15
    assert sender_rate(20_000, 50) == 12_000
    assert sender_rate(300, 50) == 300
    assert sender_rate(0, 50) == 0

    result = estimate(audience=12_000, rate_per_hour=20_000, start=MONDAY, batch_size=50)
    assert result.rate_per_hour == 12_000
    assert result.limited_by_batch
    assert result.duration == dt.timedelta(hours=1)
    assert not estimate(
        audience=12_000, rate_per_hour=300, start=MONDAY, batch_size=50
    ).limited_by_batch


def test_progress_uses_the_current_rate_from_the_last_ten_minutes():
    # 50 sent in the last 10 minutes: 300 an hour; 150 left take 30 minutes at that rate.
    pace = progress_pace(sent_recently=50, pending=150, rate_per_hour=20_000, now=MONDAY)

    assert pace.per_hour == 300
    assert pace.per_minute == 5.0
    assert pace.at_current_rate
    assert pace.left.duration == dt.timedelta(minutes=30)


def test_progress_falls_back_on_the_set_pace_when_nothing_went_out_lately():
    pace = progress_pace(sent_recently=0, pending=1_000, rate_per_hour=2_000, now=MONDAY)

    assert pace.per_hour == 0
    assert not pace.at_current_rate
    assert pace.left.duration == dt.timedelta(minutes=30)


def test_progress_waits_for_the_window_of_the_zones_still_waiting():
    saturday = local(MAPUTO, 2026, 12, 5, 12, 0)

    pace = progress_pace(
        sent_recently=0, pending={MAPUTO: 60}, rate_per_hour=60, now=saturday, window=WEEKDAYS
    )

    assert pace.left.waits_for_window
    assert pace.left.first_send_at == local(MAPUTO, 2026, 12, 7, 9, 0)
    assert pace.left.finishes_at == local(MAPUTO, 2026, 12, 7, 10, 0)


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (dt.timedelta(seconds=20), "less than a minute"),
        (dt.timedelta(minutes=1), "about 1 minute"),
        (dt.timedelta(minutes=36), "about 36 minutes"),
        (dt.timedelta(hours=4), "about 4 hours"),
        (dt.timedelta(hours=33, minutes=20), "about 33 hours"),
        (dt.timedelta(days=12, hours=3), "about 12 days"),
        (None, ""),
    ],
)
def test_durations_read_in_words(duration, words):
    assert pace_duration(duration) == words
