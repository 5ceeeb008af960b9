"""The race's time axis runs from the open to the session's close as the market calendar gives it: 16:00 ET on a
regular day, 13:00 ET on a half day (the day after Thanksgiving, 27 Nov 2026). The close travels on the race from
the data source (the widget has no calendar), and the ticks end at it.

The half day's hours are the real calendar's (exchange_calendars' XNYS, through tui.data.market_clock); the ticks
expected here are worked out by hand from the rule the widget states (a step from the open, at most 5 ticks, an
inner tick too near the close gives way to it)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tests.app_helpers import frozen_clock, settle
from tui.analytics.today import today_race
from tui.app import StreakwatchApp
from tui.config import Config
from tui.data.base import IntradayPath
from tui.data.demo import DemoSource
from tui.data.market_clock import GRACE, session_final_at
from tui.model import Today
from tui.widgets.chart import plot_ansi
from tui.widgets.palette import Palette
from tui.widgets.race import draw_race, session_minutes, session_ticks

NY = ZoneInfo("America/New_York")
HALF_DAY = date(2026, 11, 27)  # Friday after Thanksgiving: the NYSE closes at 13:00 ET
REGULAR_DAY = date(2026, 11, 30)
COLOURS = Palette("#4ebf71", "#ba3c5b", "#ffa62b", "#ffa62b", "#4ebf71", "#0178d4", "#7a7a7a")
CONFIG = Config()


def et(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY).astimezone(timezone.utc)


def test_the_calendar_closes_the_day_after_thanksgiving_at_one():
    # The fact everything below rests on, from the exchange calendar itself.
    assert session_final_at(HALF_DAY) - GRACE == et(HALF_DAY, 13, 0)
    assert session_final_at(REGULAR_DAY) - GRACE == et(REGULAR_DAY, 16, 0)


@pytest.mark.parametrize(
    ("at", "close"),
    [
        (et(HALF_DAY, 11, 45), et(HALF_DAY, 13, 0)),  # the half day running
        (et(HALF_DAY, 14, 0), et(HALF_DAY, 13, 0)),  # after its early close: the whole day, complete
        (et(REGULAR_DAY, 8, 10), et(HALF_DAY, 13, 0)),  # Monday's pre-market: still Friday's race
        (et(REGULAR_DAY, 10, 10), et(REGULAR_DAY, 16, 0)),
    ],
    ids=["half-day-open", "half-day-closed", "next-pre-market", "regular-day"],
)
def test_the_demo_carries_the_sessions_close_onto_the_race(at, close):
    data = DemoSource(frozen_clock(at)).fetch(CONFIG.symbols())
    paths = [data.intraday[CONFIG.small], data.intraday[CONFIG.large]]
    assert [p.session_close for p in paths] == [close, close]
    race = today_race(*paths)
    assert race is not None and race.session_close == close
    assert session_minutes(race) == (close - close.astimezone(NY).replace(hour=9, minute=30)).seconds // 60
    if race.complete:  # a closed half day's path runs to 13:00, the end of the axis
        assert race.times[-1] == close


def path(symbol: str, day: date, prices: list[float], close: datetime | None) -> IntradayPath:
    times = tuple(et(day, 9, 30) + timedelta(minutes=5 * k) for k in range(len(prices)))
    return IntradayPath(symbol, pd.Timestamp(day), 100.0, times, tuple(prices), complete=True, session_close=close)


def half_day_race(close: datetime | None) -> Today:
    """A whole half day (09:30 to 13:00: 43 five-minute points), small caps up a point, large caps flat."""
    n = 210 // 5 + 1
    small = [100.0 + k / (n - 1) for k in range(n)]
    race = today_race(path("^RUT", HALF_DAY, small, close), path("^GSPC", HALF_DAY, [100.0] * n, close))
    assert race is not None
    return race


def test_ticks_by_hand():
    # A regular day: every 90 minutes from 9:30, 15:30 too near 16:00 (half a step): 9:30 11:00 12:30 14:00 16:00.
    assert session_ticks(390, 58) == [0, 90, 180, 270, 390]
    assert session_ticks(390, 150) == [0, 90, 180, 270, 390]
    # A half day, 210 minutes: every 30 gives 8 ticks, every 60 gives 9:30 10:30 11:30 12:30 13:00 — with 12:30
    # kept only where 30 minutes are at least a label's 8 cells wide: 8 * 210 / 30 = 56 cells of plot (+ 8 of axis).
    assert session_ticks(210, 63) == [0, 60, 120, 210]
    assert session_ticks(210, 64) == [0, 60, 120, 180, 210]
    assert session_ticks(210, 150) == [0, 60, 120, 180, 210]


def chart_text(race: Today, width: int = 60, height: int = 14) -> list[str]:
    from textual_plotext.plot import Plot

    ansi = plot_ansi(Plot(), lambda plt, w: draw_race(plt, race, COLOURS, w), width, height, "clear")
    return [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in ansi.rstrip("\n").split("\n")]


def test_a_half_days_chart_ends_at_its_close_and_its_lines_reach_the_right_edge():
    lines = chart_text(half_day_race(et(HALF_DAY, 13, 0)))
    labels = lines[-1].split()
    assert labels == ["9:30", "10:30", "11:30", "13:00"], lines[-1]
    # The plot area lies between the frame's corners; the last points (13:00) are drawn in its last column.
    top = next(line for line in lines if "┌" in line)
    left, right = top.index("┌"), top.index("┐")
    rows = [line for line in lines if len(line) > right and line[right] in "│┤"]
    assert any(row[right - 1].strip() for row in rows), "\n".join(lines)

    # Without the close (what the axis was before: 16:00 for every day) the same path stops two thirds across.
    lines = chart_text(half_day_race(None))
    assert lines[-1].split()[-1] == "16:00"
    rows = [line for line in lines if len(line) > right and line[right] in "│┤"]
    empty = [all(not row[c].strip() or row[c] in "─" for row in rows) for c in range(left + 1, right)]
    assert sum(empty) >= (right - left - 1) // 4, "the last third of a 16:00 axis holds nothing on a half day"


@pytest.mark.parametrize("size", [(100, 30), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_half_day_race_snapshot(snap_compare, size):
    """The demo at 12:30 ET on the half day: the axis ends at 13:00, the line half an hour short of it."""
    clock = frozen_clock(et(HALF_DAY, 12, 30))
    app = StreakwatchApp(source=DemoSource(clock), config=Config(), clock=clock)
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_regular_axis_is_unchanged_without_a_close():
    """A race from a source that says nothing of its close (an older snapshot cache) keeps the regular axis."""
    race = Today(session=REGULAR_DAY, session_close=None)
    assert session_minutes(race) == 390
    assert time(16, 0) == (et(REGULAR_DAY, 9, 30) + timedelta(minutes=session_minutes(race))).astimezone(NY).time()
