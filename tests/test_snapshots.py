"""What the monitor looks like, pixel for pixel (SVG), with every clock frozen so the pictures are stable.

The monitor at the three sizes it is used at, then each state a user meets, at 100×30 (the smallest size the layout
promises). Every picture waits for the same thing first (tests/app_helpers.py ``settle``): the refresh has landed or
failed, the chart is drawn and no toast is on screen.

Regenerate after an intended change with `pytest tests/test_snapshots.py --snapshot-update`, then look at them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from msgspec.structs import replace

from tests.app_helpers import (
    FROZEN,
    BlockingSource,
    FakeSource,
    builder,
    frozen_clock,
    make_app,
    make_snapshot,
    market_data,
    quiet,
    settle,
    settle_then,
    until,
)
from tui.app import StreakwatchApp
from tui.config import Config
from tui.errors import SourceError

SIZE = (120, 40)
STATE_SIZE = (100, 30)
# Friday 20 Nov 2026, 12:30 in New York: the demo's pinned small-cap streak is running and the market is open.
DEMO_OPEN = datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc)


def demo_app() -> StreakwatchApp:
    from tui.data.demo import DemoSource

    clock = frozen_clock(DEMO_OPEN)
    return StreakwatchApp(source=DemoSource(clock), config=Config(), clock=clock)


def replay_app(replay_dir, as_of: date, clock_day: date | None = None):
    """A replay of the real data as of ``as_of``, its clock frozen after the close of ``clock_day`` (default: as_of)."""
    from tui.data.market_clock import after_close
    from tui.data.replay import ReplaySource

    source = ReplaySource(replay_dir, as_of=as_of)
    app = StreakwatchApp(source=source, config=Config(), clock=frozen_clock(after_close(clock_day or as_of)))
    return app, source


# -- the monitor at each size --------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_demo_open_session(snap_compare, size):
    """80×24 is below the promised minimum: whatever the app shows there (the narrow layout) is what is protected."""
    assert snap_compare(demo_app(), terminal_size=size, run_before=settle)


def test_replay_2026_01_15(snap_compare, replay_dir):
    from tui.data.factory import open_source, parse_source

    source, clock = open_source(parse_source(f"replay:{replay_dir}"), as_of=date(2026, 1, 15))
    app = StreakwatchApp(source=source, config=Config(), clock=clock)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_replay_2026_08_21_lagging_data_at_100_by_30(snap_compare, replay_dir):
    """The ETF files end 2026-07-31 and ^VIX 2026-08-20 while the pair runs to 2026-08-21: every sector row dimmed
    with "31 Jul", the VIX dated "20 Aug", HYG/IEF, ^TNX and RSP/SPY unknown with the day their data ends."""
    from tui.data.factory import open_source, parse_source

    source, clock = open_source(parse_source(f"replay:{replay_dir}"), as_of=date(2026, 8, 21))
    app = StreakwatchApp(source=source, config=Config(), clock=clock)
    assert snap_compare(app, terminal_size=(100, 30), run_before=settle)


# -- the states a user meets ---------------------------------------------------------------------------------------
def test_loading_before_any_data(snap_compare):
    """A fetch that hangs: every pane says Loading and the status line says it is fetching."""
    source = BlockingSource()

    async def fetch_in_flight(pilot) -> None:
        await until(source.entered.is_set)
        await pilot.pause()

    try:
        assert snap_compare(make_app(source=source), terminal_size=STATE_SIZE, run_before=fetch_in_flight)
    finally:
        source.release.set()


def test_error_before_any_data(snap_compare):
    """The very first fetch fails: no data to show, the error in words, the retry planned."""

    def refused():
        raise SourceError("connection refused")

    assert snap_compare(make_app(source=FakeSource(refused)), terminal_size=STATE_SIZE, run_before=settle)


def test_stale_after_a_failed_refresh(snap_compare):
    """One good refresh, then twelve minutes later one that fails: the data stays on screen, marked stale."""
    now = [FROZEN]
    fetches = [0]

    def good_then_refused():
        fetches[0] += 1
        if fetches[0] > 1:
            raise SourceError("connection refused")
        return market_data()

    app = make_app(source=FakeSource(good_then_refused), clock=lambda: now[0])

    async def fail_later(pilot) -> None:
        await settle(pilot)
        now[0] = FROZEN + timedelta(minutes=12)
        assert pilot.app.start_refresh(manual=True)
        await until(lambda: not pilot.app.fetching and pilot.app.is_stale(), timeout=30)
        await quiet(pilot)

    assert snap_compare(app, terminal_size=STATE_SIZE, run_before=fail_later)


def test_cached_first_paint(snap_compare, tmp_path):
    """A snapshot saved three hours ago paints at once, marked cached, while the first fetch is still out."""
    from tui.snapshot_cache import SnapshotCache

    cache = SnapshotCache(tmp_path / "k.json")
    three_hours_ago = FROZEN - timedelta(hours=3)
    cache.save(make_snapshot(data=replace(make_snapshot().data, fetched_at=three_hours_ago)), three_hours_ago)
    source = BlockingSource()
    app = StreakwatchApp(
        source=source,
        config=Config(),
        clock=frozen_clock(),
        build=builder(make_snapshot()),
        snapshot_cache=cache,
    )

    async def first_paint(pilot) -> None:
        await until(source.entered.is_set)
        await quiet(pilot, wait_for_workers=False)

    try:
        assert snap_compare(app, terminal_size=STATE_SIZE, run_before=first_paint)
    finally:
        source.release.set()


def test_paused(snap_compare):
    assert snap_compare(demo_app(), terminal_size=STATE_SIZE, run_before=settle_then("p"))


def test_spread_pane_maximized(snap_compare):
    assert snap_compare(demo_app(), terminal_size=STATE_SIZE, run_before=settle_then("2", "m"))


def test_help(snap_compare):
    assert snap_compare(demo_app(), terminal_size=STATE_SIZE, run_before=settle_then("question_mark"))


def test_history_2026_01_22(snap_compare, replay_dir):
    """The history screen on the last day of the small caps' 14-session streak of January 2026."""
    app, _ = replay_app(replay_dir, date(2026, 1, 22))
    assert snap_compare(app, terminal_size=STATE_SIZE, run_before=settle_then("h"))


def test_alert_log_after_the_january_2026_streak_ended(snap_compare, replay_dir):
    """A replay stepped from 20 to 26 Jan 2026 across the end of the 14-session streak (23 Jan), then the log."""
    app, source = replay_app(replay_dir, date(2026, 1, 20), clock_day=date(2026, 1, 27))

    async def step_then_open_the_log(pilot) -> None:
        await settle(pilot)
        for day in (date(2026, 1, 21), date(2026, 1, 22), date(2026, 1, 23), date(2026, 1, 26)):
            source.set_as_of(day)
            assert pilot.app.start_refresh(manual=True)
            await until(lambda day=day: not pilot.app.fetching and pilot.app.snapshot.as_of == day, timeout=30)
        assert any(event.kind == "streak_broke" for event in pilot.app.alert_tracker.log)
        await quiet(pilot)
        await pilot.press("a")
        await quiet(pilot)

    assert snap_compare(app, terminal_size=STATE_SIZE, run_before=step_then_open_the_log)
