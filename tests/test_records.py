"""The records (tui/records.py): msgspec Structs that are the same values frozen dataclasses were.

A snapshot is handed from the fetch thread to the UI without a lock because it cannot change; the panes redraw
only what compares unequal; the snapshot cache gives back a snapshot equal to the one written. These are the
properties the rest of the suite leans on, checked here where they are defined.
"""

from __future__ import annotations

import inspect
import math
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from msgspec import Struct
from msgspec.structs import replace

import tui.config
import tui.data.base
import tui.model
from tests.app_helpers import make_snapshot
from tui.config import Config, Pair
from tui.data.market_clock import MarketStatus

NOW = datetime(2026, 1, 15, 21, 30, tzinfo=UTC)


def market(now: datetime = NOW) -> MarketStatus:
    return MarketStatus(
        now=now,
        phase="after-hours",
        session=date(2026, 1, 15),
        open=datetime(2026, 1, 15, 14, 30, tzinfo=UTC),
        close=datetime(2026, 1, 15, 21, 0, tzinfo=UTC),
        half_day=False,
        last_completed=date(2026, 1, 15),
        next_open=datetime(2026, 1, 16, 14, 30, tzinfo=UTC),
        holiday_name=None,
    )


def records_of(module) -> list[type[Struct]]:
    return [c for _, c in inspect.getmembers(module, inspect.isclass) if issubclass(c, Struct) and c is not Struct]


@pytest.mark.parametrize("module", [tui.model, tui.config, tui.data.base])
def test_every_record_a_snapshot_or_config_is_made_of_is_frozen(module):
    """Only MarketData (the fetch's own working record, filled in by the source) may change after it is made."""
    mutable = {c.__name__ for c in records_of(module) if not c.__struct_config__.frozen}
    assert mutable == ({"MarketData"} if module is tui.data.base else set())
    with pytest.raises(AttributeError):
        make_snapshot().streak.length = 11  # type: ignore[misc]


def test_a_snapshot_is_its_data_whatever_clock_the_pipeline_attached():
    snapshot = make_snapshot()
    with_clock = replace(snapshot, market=market())
    assert with_clock == snapshot and hash(with_clock) == hash(snapshot)
    assert replace(with_clock, market=market(datetime(2026, 1, 15, 22, 0, tzinfo=UTC))) == snapshot
    changed = replace(snapshot, streak=replace(snapshot.streak, length=11))
    assert changed != snapshot and replace(changed, market=market()) != with_clock
    assert snapshot != (snapshot,) and snapshot.__eq__("a snapshot") is NotImplemented


def test_a_config_is_its_settings_wherever_it_was_read_from():
    config = Config()
    read = replace(config, path=Path("/home/user/.config/streakwatch/config.toml"))
    assert read == config and hash(read) == hash(config)
    assert replace(read, pair=Pair("IWM", "SPY", "etf")) != config


def test_a_nan_is_equal_to_itself_as_in_a_tuple_and_only_then():
    """A tuple compares items by identity first, so a record holding the very same NaN equals itself (the cache
    and the panes would otherwise see a change in every snapshot with a missing figure); two NaNs computed apart
    are different objects and compare unequal, as two frozen dataclasses did."""
    snapshot = make_snapshot()
    nan = math.nan
    spread = replace(snapshot.spread, rs_5d=nan)
    assert replace(snapshot, spread=spread) == replace(snapshot, spread=spread, market=market())
    assert replace(snapshot.spread, rs_5d=float("nan")) != replace(snapshot.spread, rs_5d=float("nan"))
