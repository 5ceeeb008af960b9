"""What the monitor looks like, pixel for pixel (SVG), with every clock frozen so the pictures are stable.

Regenerate after an intended change with `pytest tests/test_snapshots.py --snapshot-update`, then look at them.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from tests.app_helpers import frozen_clock, until
from tui.app import StreakwatchApp
from tui.config import Config

SIZE = (120, 40)
# Friday 20 Nov 2026, 12:30 in New York: the demo's pinned small-cap streak is running and the market is open.
DEMO_OPEN = datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc)


async def settle(pilot) -> None:
    """Wait for the first refresh to land and drop its toasts (they time out on their own on screen)."""
    await until(
        lambda: pilot.app.refresh_loop.generation > 0 and not pilot.app.fetching, timeout=30
    )  # starts after frame 1
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


def test_demo_open_session(snap_compare):
    from tui.data.demo import DemoSource

    clock = frozen_clock(DEMO_OPEN)
    app = StreakwatchApp(source=DemoSource(clock), config=Config(), clock=clock)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


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
