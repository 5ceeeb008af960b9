"""Today's race and the pre-market read, pixel for pixel (SVG), with the demo source at frozen clocks: the open
session at the smallest promised size and a roomy one, before the open, after the close, and the sessions view.

Regenerate after an intended change with `pytest tests/test_today_snapshots.py --snapshot-update`, then look.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.app_helpers import frozen_clock, settle, settle_then
from tui.app import StreakwatchApp
from tui.config import Config

OPEN = datetime(2026, 11, 30, 15, 10, tzinfo=timezone.utc)  # Mon 30 Nov 2026, 10:10 ET
PRE_MARKET = datetime(2026, 11, 30, 13, 10, tzinfo=timezone.utc)  # 08:10 ET
AFTER_CLOSE = datetime(2026, 11, 30, 22, 0, tzinfo=timezone.utc)  # 17:00 ET


def demo_app(at: datetime) -> StreakwatchApp:
    from tui.data.demo import DemoSource

    clock = frozen_clock(at)
    return StreakwatchApp(source=DemoSource(clock), config=Config(), clock=clock)


@pytest.mark.parametrize("size", [(100, 30), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_race_during_the_session(snap_compare, size):
    assert snap_compare(demo_app(OPEN), terminal_size=size, run_before=settle)


def test_pre_market_read_with_the_last_sessions_race(snap_compare):
    assert snap_compare(demo_app(PRE_MARKET), terminal_size=(100, 30), run_before=settle)


def test_race_closed_after_the_close(snap_compare):
    assert snap_compare(demo_app(AFTER_CLOSE), terminal_size=(100, 30), run_before=settle)


def test_sessions_view_after_t(snap_compare):
    assert snap_compare(demo_app(OPEN), terminal_size=(100, 30), run_before=settle_then("2", "t"))


def test_race_maximized_at_80_by_24(snap_compare):
    assert snap_compare(demo_app(OPEN), terminal_size=(80, 24), run_before=settle_then("2", "m"))
