"""A live refresh whose daily closes did not change (only the quotes, today's path or the futures moved) reuses the
daily part of the last build (tui.snapshot.build): the snapshot must equal a build from scratch, and anything that
changes the daily part must be computed again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
from msgspec.structs import replace

from tests.app_helpers import frozen_clock
from tui.config import Config
from tui.data.demo import DemoSource
from tui.pipeline import RefreshPipeline
from tui.snapshot import build, build_snapshot

OPEN_CLOCK = datetime(2026, 11, 30, 15, 10, tzinfo=timezone.utc)  # Mon 10:10 ET: the demo's session runs
CONFIG = Config()

# Every field of the snapshot computed from the daily closes (and fundamentals) alone.
DAILY_FIELDS = ("streak", "spread", "sectors", "risks", "runs", "history", "rotation", "pairs")


def fetch(at: datetime):
    return DemoSource(frozen_clock(at)).fetch(CONFIG.symbols())


def test_a_refresh_with_new_quotes_and_the_same_closes_equals_a_build_from_scratch():
    earlier, later = fetch(OPEN_CLOCK), fetch(OPEN_CLOCK + timedelta(minutes=7))
    assert earlier.closes.equals(later.closes)  # the demo's completed bars do not move during the session
    assert earlier.quotes[CONFIG.small] != later.quotes[CONFIG.small]
    previous = build(earlier, CONFIG)
    reused = build(later, CONFIG, previous=previous)
    scratch = build_snapshot(later, CONFIG)
    assert reused.snapshot == scratch
    assert reused.snapshot.provisional != previous.snapshot.provisional  # the live parts really moved ...
    assert reused.snapshot.today != previous.snapshot.today
    assert reused.snapshot.data == scratch.data
    for name in DAILY_FIELDS:  # ... and the daily ones were taken over, not computed again
        assert getattr(reused.snapshot, name) is getattr(previous.snapshot, name), name


def test_a_new_close_a_new_fundamental_or_another_config_builds_from_scratch():
    data = fetch(OPEN_CLOCK)
    previous = build(data, CONFIG)
    closes = data.closes.copy()
    last_session = closes.index.get_loc(pd.Timestamp(previous.snapshot.as_of))
    closes.iloc[last_session, closes.columns.get_loc("KRE")] *= 1.01  # one sector's last completed close moved
    moved = replace(data, closes=closes)
    fundamentals = {**data.fundamentals, "IWM": {**data.fundamentals.get("IWM", {}), "trailing_pe": 99.0}}
    cases = [
        (moved, CONFIG),
        (replace(data, fundamentals=fundamentals), CONFIG),
        (data, CONFIG.with_active_pair(1)),
    ]
    for new_data, config in cases:
        rebuilt = build(new_data, config, previous=previous)
        assert rebuilt.snapshot == build_snapshot(new_data, config)
        assert rebuilt.snapshot.pairs is not previous.snapshot.pairs
    assert build(moved, CONFIG, previous=previous).snapshot.sectors != previous.snapshot.sectors


def test_the_pipeline_reuses_the_daily_part_through_a_session():
    now = [OPEN_CLOCK]
    pipeline = RefreshPipeline(DemoSource(lambda: now[0]), CONFIG, lambda: now[0])
    first = pipeline.run()
    for minutes in (1, 2, 5):
        now[0] = OPEN_CLOCK + timedelta(minutes=minutes)
        snapshot = pipeline.run()
        assert snapshot == build_snapshot(pipeline._last_built.data, CONFIG)
        assert snapshot.rotation is first.rotation and snapshot.pairs is first.pairs
        assert snapshot.provisional != first.provisional


def test_a_new_session_converts_only_the_runs_after_the_ones_the_last_build_shared():
    data = fetch(OPEN_CLOCK)
    yesterday = replace(data, closes=data.closes.iloc[:-1])  # the same history, one completed session shorter
    previous = build(yesterday, CONFIG)
    rebuilt = build(data, CONFIG, previous=previous)
    assert rebuilt.snapshot == build_snapshot(data, CONFIG)
    old, new = previous.snapshot.runs, rebuilt.snapshot.runs
    assert len(old) > 100 and new[: len(old) - 1] == old[:-1]
    assert all(a is b for a, b in zip(new[: len(old) - 1], old[:-1]))  # the same objects: not converted again
