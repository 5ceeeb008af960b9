"""The market clock at fixed instants: phases, half days, holidays, DST switches, completion and cadence."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from tui.config import Refresh
from tui.data.market_clock import (
    GRACE,
    Phase,
    is_session_complete,
    last_completed_session,
    market_status,
    refresh_delay,
    refresh_period,
    session_dates,
    sessions_complete,
)

UTC = timezone.utc
REFRESH = Refresh(open_seconds=60, closed_seconds=900)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Friday 2026-11-20, a normal day in EST (UTC-5): open 14:30 UTC, close 21:00 UTC.
@pytest.mark.parametrize(
    "instant, phase, last_completed",
    [
        ("2026-11-20T08:59", Phase.CLOSED, date(2026, 11, 19)),  # 03:59 ET, before pre-market
        ("2026-11-20T09:00", Phase.PRE_MARKET, date(2026, 11, 19)),  # 04:00 ET
        ("2026-11-20T14:29", Phase.PRE_MARKET, date(2026, 11, 19)),
        ("2026-11-20T14:30", Phase.OPEN, date(2026, 11, 19)),  # the bell
        ("2026-11-20T20:59", Phase.OPEN, date(2026, 11, 19)),
        ("2026-11-20T21:00", Phase.AFTER_HOURS, date(2026, 11, 19)),  # closed, not yet final
        ("2026-11-20T21:09:59", Phase.AFTER_HOURS, date(2026, 11, 19)),
        ("2026-11-20T21:10", Phase.AFTER_HOURS, date(2026, 11, 20)),  # close + grace
        ("2026-11-21T00:59", Phase.AFTER_HOURS, date(2026, 11, 20)),  # 19:59 ET, still Friday in New York
        ("2026-11-21T01:00", Phase.CLOSED, date(2026, 11, 20)),  # 20:00 ET, late evening
    ],
)
def test_normal_day_phases(instant, phase, last_completed):
    status = market_status(utc(instant))
    assert status.phase is phase
    assert status.last_completed == last_completed
    assert status.session == date(2026, 11, 20)
    assert status.open == utc("2026-11-20T14:30")
    assert status.close == utc("2026-11-20T21:00")
    assert not status.half_day
    assert status.holiday_name is None
    assert status.now.tzinfo is not None


def test_next_open_is_today_before_the_bell_and_next_session_after():
    assert market_status(utc("2026-11-20T10:00")).next_open == utc("2026-11-20T14:30")
    assert market_status(utc("2026-11-20T15:00")).next_open == utc("2026-11-23T14:30")  # Friday -> Monday
    assert market_status(utc("2026-11-21T02:00")).next_open == utc("2026-11-23T14:30")


def test_half_day_after_thanksgiving():
    # 2025-11-28 closes at 13:00 ET (18:00 UTC); complete at 13:10 ET.
    status = market_status(utc("2025-11-28T17:59"))
    assert status.phase is Phase.OPEN and status.half_day
    assert status.close == utc("2025-11-28T18:00")
    assert status.last_completed == date(2025, 11, 26)  # Thanksgiving (27th) is a holiday
    assert market_status(utc("2025-11-28T18:05")).phase is Phase.AFTER_HOURS
    assert last_completed_session(utc("2025-11-28T18:09:59")) == date(2025, 11, 26)
    assert last_completed_session(utc("2025-11-28T18:10")) == date(2025, 11, 28)
    assert not is_session_complete(date(2025, 11, 28), utc("2025-11-28T18:09"))
    assert is_session_complete(date(2025, 11, 28), utc("2025-11-28T18:10"))


@pytest.mark.parametrize(
    "instant, last_completed, next_open, name_part",
    [
        ("2025-12-25T16:00", date(2025, 12, 24), "2025-12-26T14:30", "Christmas"),
        ("2026-01-19T16:00", date(2026, 1, 16), "2026-01-20T14:30", "King"),
        ("2025-11-27T16:00", date(2025, 11, 26), "2025-11-28T14:30", "Thanksgiving"),
    ],
)
def test_holidays(instant, last_completed, next_open, name_part):
    status = market_status(utc(instant))
    assert status.phase is Phase.HOLIDAY
    assert status.session is None and status.open is None and status.close is None
    assert status.last_completed == last_completed
    assert status.next_open == utc(next_open)
    assert name_part in (status.holiday_name or "")


def test_christmas_eve_is_a_half_day():
    status = market_status(utc("2025-12-24T15:00"))
    assert status.half_day and status.close == utc("2025-12-24T18:00")


def test_weekend():
    status = market_status(utc("2026-11-22T15:00"))  # Sunday
    assert status.phase is Phase.WEEKEND
    assert status.session is None and not status.half_day and status.holiday_name is None
    assert status.last_completed == date(2026, 11, 20)
    assert status.next_open == utc("2026-11-23T14:30")


def test_spring_forward():
    # Friday before (EST): 14:30 UTC. Sunday 2026-03-08 clocks go forward. Monday (EDT): 13:30 UTC.
    assert market_status(utc("2026-03-06T15:00")).open == utc("2026-03-06T14:30")
    sunday = market_status(utc("2026-03-08T12:00"))
    assert sunday.phase is Phase.WEEKEND and sunday.next_open == utc("2026-03-09T13:30")
    monday = market_status(utc("2026-03-09T13:30"))
    assert monday.phase is Phase.OPEN
    assert monday.open == utc("2026-03-09T13:30") and monday.close == utc("2026-03-09T20:00")
    assert market_status(utc("2026-03-09T13:29")).phase is Phase.PRE_MARKET
    assert market_status(utc("2026-03-09T08:00")).phase is Phase.PRE_MARKET  # 04:00 EDT


def test_fall_back():
    # Friday before (EDT): 13:30 UTC. Sunday 2026-11-01 clocks go back. Monday (EST): 14:30 UTC.
    friday = market_status(utc("2026-10-30T20:05"))
    assert friday.open == utc("2026-10-30T13:30") and friday.close == utc("2026-10-30T20:00")
    assert friday.phase is Phase.AFTER_HOURS
    assert friday.last_completed == date(2026, 10, 29)
    assert last_completed_session(utc("2026-10-30T20:10")) == date(2026, 10, 30)
    sunday = market_status(utc("2026-11-01T12:00"))
    assert sunday.phase is Phase.WEEKEND and sunday.next_open == utc("2026-11-02T14:30")
    monday = market_status(utc("2026-11-02T14:30"))
    assert monday.phase is Phase.OPEN and monday.open == utc("2026-11-02T14:30")
    assert market_status(utc("2026-11-02T13:30")).phase is Phase.PRE_MARKET


def test_is_session_complete():
    now = utc("2026-11-20T18:00")
    assert is_session_complete(date(2026, 11, 19), now)
    assert not is_session_complete(date(2026, 11, 20), now)
    assert not is_session_complete(date(2026, 11, 23), now)
    assert is_session_complete(pd.Timestamp("2026-11-20"), utc("2026-11-20T21:10"))
    # Today in New York, not in UTC: 01:00 UTC Saturday is still Friday evening there.
    assert is_session_complete(date(2026, 11, 20), utc("2026-11-21T01:00"))


def test_naive_instant_is_taken_as_utc():
    assert market_status(datetime(2026, 11, 20, 15, 0)).phase is Phase.OPEN


def test_refresh_delay_open():
    assert refresh_delay(market_status(utc("2026-11-20T15:00")), REFRESH, date(2026, 11, 19)) == 60
    # A slow configured cadence still wakes when the session completes (16:10 ET + 1 s), not past it.
    hourly = Refresh(open_seconds=3600, closed_seconds=3600)
    assert refresh_delay(market_status(utc("2026-11-20T20:30")), hourly, date(2026, 11, 19)) == 40 * 60 + 1


def test_refresh_delay_grace_window_wakes_once_when_the_session_completes():
    status = market_status(utc("2026-11-20T21:03"))
    assert refresh_delay(status, REFRESH, date(2026, 11, 19)) == pytest.approx(7 * 60 + 1)
    half = market_status(utc("2025-11-28T18:00"))
    assert refresh_delay(half, REFRESH, date(2025, 11, 26)) == pytest.approx(GRACE.total_seconds() + 1)
    # The refresh it schedules lands after completion.
    woke = half.now + timedelta(seconds=refresh_delay(half, REFRESH, date(2025, 11, 26)))
    assert last_completed_session(woke) == date(2025, 11, 28)


# (instant, last completed session at that instant, seconds to the next open when under the period)
CLOSED_INSTANTS = [
    ("2026-11-20T22:00", date(2026, 11, 20), None),  # Fri 17:00 ET, after-hours
    ("2026-11-21T03:00", date(2026, 11, 20), None),  # Fri 22:00 ET, closed
    ("2026-11-22T15:00", date(2026, 11, 20), None),  # Sunday
    ("2025-12-25T15:00", date(2025, 12, 24), None),  # Christmas, after a half day
    ("2026-11-20T14:25", date(2026, 11, 19), 300),  # pre-market, 5 min to the open
    ("2026-11-23T14:29:30", date(2026, 11, 20), 30),
    ("2026-03-09T13:20", date(2026, 3, 6), 600),  # ten minutes before the first EDT open: no overshoot
]


@pytest.mark.parametrize("instant, completed, to_open", CLOSED_INSTANTS, ids=[i for i, _, _ in CLOSED_INSTANTS])
def test_refresh_delay_closed_is_slow_while_a_close_is_owed_but_never_past_the_bell(instant, completed, to_open):
    status = market_status(utc(instant))
    assert status.last_completed == completed
    owed = completed - timedelta(days=1)
    assert refresh_delay(status, REFRESH, owed) == (to_open or 900)
    assert refresh_delay(status, REFRESH, None) == (to_open or 900)  # nothing on hand yet: owed too


@pytest.mark.parametrize("instant, completed, to_open", CLOSED_INSTANTS, ids=[i for i, _, _ in CLOSED_INSTANTS])
def test_refresh_delay_closed_with_the_last_session_on_hand_is_idle_but_never_past_the_bell(
    instant, completed, to_open
):
    status = market_status(utc(instant))
    assert refresh_delay(status, REFRESH, completed) == (to_open or 6 * 3600)


def test_refresh_delay_idle_wakes_at_the_pre_market_then_polls_at_the_closed_cadence():
    friday = date(2026, 11, 20)
    # Sunday 23:00 ET, Friday's bars on hand: idle, but the next refresh is Monday's pre-market, 5 h away.
    assert refresh_delay(market_status(utc("2026-11-23T04:00")), REFRESH, friday) == 5 * 3600
    # Monday 05:00 ET (pre-market): every 15 minutes, so that the futures' read moves; the same while it is owed.
    assert refresh_delay(market_status(utc("2026-11-23T10:00")), REFRESH, friday) == 900
    assert refresh_period(market_status(utc("2026-11-23T10:00")), REFRESH, friday) == 900
    # Thanksgiving (no session) at 01:00 ET: no pre-market that day, idle until Friday's (6 h cadence first).
    assert refresh_delay(market_status(utc("2026-11-26T06:00")), REFRESH, date(2026, 11, 25)) == 6 * 3600


def test_refresh_period_follows_the_phase_and_what_is_owed():
    sunday = market_status(utc("2026-11-22T15:00"))
    assert refresh_period(sunday, REFRESH, date(2026, 11, 20)) == 6 * 3600
    assert refresh_period(sunday, REFRESH, date(2026, 11, 19)) == 900
    assert refresh_period(market_status(utc("2026-11-20T15:00")), REFRESH, date(2026, 11, 19)) == 60
    # A closed cadence configured slower than the idle one: idle is never the faster of the two.
    slow = Refresh(open_seconds=60, closed_seconds=86_400, idle_seconds=21_600)
    assert refresh_period(sunday, slow, date(2026, 11, 20)) == 86_400


def test_session_dates():
    days = session_dates(date(2025, 12, 22), date(2026, 1, 5))
    assert days.tz is None
    assert [d.date().isoformat() for d in days] == [
        "2025-12-22", "2025-12-23", "2025-12-24", "2025-12-26", "2025-12-29",
        "2025-12-30", "2025-12-31", "2026-01-02", "2026-01-05",
    ]  # fmt: skip
    assert len(session_dates(date(2026, 1, 5), date(2026, 1, 1))) == 0


def test_range_covers_1990_to_2027():
    early = session_dates(date(1990, 1, 1), date(1990, 1, 5))
    assert early[0] == pd.Timestamp("1990-01-02")
    assert market_status(utc("1990-01-02T15:00")).phase is Phase.OPEN
    assert market_status(utc("2027-12-31T15:00")).session == date(2027, 12, 31)
    # Beyond the built range the calendar is widened instead of failing.
    assert market_status(utc("2032-06-01T15:00")).phase is Phase.OPEN


def test_import_does_not_load_exchange_calendars():
    code = "import sys, tui.data.market_clock; print(any(m in sys.modules for m in ('exchange_calendars', 'pandas')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_warm_up_builds_the_calendar_once_from_any_thread():
    code = """
import sys, threading
import tui.data.market_clock as mc
threads = [threading.Thread(target=mc.warm_up) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
built = mc._schedule
assert built is not None and 'exchange_calendars' in sys.modules
mc.warm_up()
assert mc._schedule is built  # idempotent: not rebuilt
from datetime import datetime, timezone
assert mc.market_status(datetime(2026, 11, 20, 15, tzinfo=timezone.utc)).phase is mc.Phase.OPEN
assert mc._schedule is built
"""
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


@pytest.mark.parametrize(
    "instant",
    [
        "2026-11-20T18:00",
        "2026-11-20T21:09:59",
        "2026-11-20T21:10",
        "2026-11-21T01:00",
        "2026-11-22T15:00",
        "2025-12-25T15:00",
        "2025-11-28T18:00",
        "2025-11-28T18:15",
    ],
)
def test_sessions_complete_matches_is_session_complete_date_by_date(instant):
    now = utc(instant)
    days = pd.date_range("2025-11-01", "2026-12-31", freq="D")
    expected = [is_session_complete(d.date(), now) for d in days]
    assert sessions_complete(days, now).tolist() == expected
    assert sessions_complete(days.to_numpy(), now).tolist() == expected
    assert sessions_complete(days[:0], now).tolist() == []
