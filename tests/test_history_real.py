"""The history screen's figures on the real Russell 2000 / S&P 500 history in ../shared (skipped without it)."""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from msgspec.structs import replace

from tui.config import Config, HistorySettings
from tui.data.replay import ReplaySource
from tui.model import Snapshot
from tui.snapshot import build_snapshot

AS_OF = date(2026, 1, 22)


@functools.lru_cache(maxsize=4)
def snapshot_at(directory: Path, as_of: date, min_length: int) -> Snapshot:
    config = replace(Config(), history=HistorySettings(min_length=min_length))
    source = ReplaySource(directory, as_of=as_of)
    return build_snapshot(source.fetch(config.symbols()), config)


@functools.lru_cache(maxsize=1)
def pair_closes(directory: Path) -> pd.DataFrame:
    """The closes straight from the CSVs, on the dates both have: the independent check on the analytics."""

    def close(symbol: str) -> pd.Series:
        frame = pd.read_csv(directory / f"{symbol}.csv", parse_dates=["Date"]).set_index("Date")
        return frame["Close"].dropna()

    return pd.concat({"small": close("^RUT"), "large": close("^GSPC")}, axis=1, join="inner").sort_index()


def test_eight_small_cap_streaks_of_ten_or_more_longest_sixteen(replay_dir):
    history = snapshot_at(replay_dir, AS_OF, 10).history
    assert history is not None and history.min_length == 10
    small = [e for e in history.streaks if e.leader == "small"]
    assert len(small) == 8
    assert all(e.length >= 10 for e in history.streaks)
    longest = max(small, key=lambda e: e.length)
    assert (longest.length, longest.end) == (16, date(1996, 5, 7))
    # The current 14-session streak is among them, second only to 1996.
    snapshot = snapshot_at(replay_dir, AS_OF, 10)
    assert (snapshot.streak.leader, snapshot.streak.length) == ("small", 14)
    assert history.current_rank == 2


@pytest.mark.parametrize("end", [date(2008, 6, 6), date(1996, 5, 7)])
def test_forward_returns_agree_with_the_closes(replay_dir, end):
    history = snapshot_at(replay_dir, AS_OF, 10).history
    entry = next(e for e in history.streaks if e.end == end)
    closes = pair_closes(replay_dir)
    t = closes.index.get_loc(pd.Timestamp(end))
    rut, spx = closes["small"].to_numpy(), closes["large"].to_numpy()
    for h, got in zip(history.horizons, entry.forward):
        expected = (rut[t + h] / rut[t]) / (spx[t + h] / spx[t]) - 1
        assert got == pytest.approx(expected, abs=1e-9)
    start = closes.index.get_loc(pd.Timestamp(entry.start))
    assert entry.small_return == pytest.approx(rut[t] / rut[start - 1] - 1, abs=1e-9)
    assert entry.large_return == pytest.approx(spx[t] / spx[start - 1] - 1, abs=1e-9)


def test_forward_statistics_follow_the_entries(replay_dir):
    history = snapshot_at(replay_dir, AS_OF, 10).history
    for leader in ("small", "large"):
        for j, stat in enumerate(history.forward[leader]):
            outcomes = [e.forward[j] for e in history.streaks if e.leader == leader and e.forward[j] is not None]
            assert stat.count == len(outcomes)
            if outcomes:
                assert stat.median == pytest.approx(float(pd.Series(outcomes).median()), abs=1e-12)
                assert stat.share_positive == pytest.approx(sum(v > 0 for v in outcomes) / len(outcomes))
    # Seven completed small-cap outcomes (the current streak has none yet); only three for large caps: thin.
    assert [s.count for s in history.forward["small"]] == [7, 7, 7]
    assert history.note and history.note.startswith("not enough history") and "large after 20" in history.note


def test_json_history_has_the_contract_keys(replay_dir):
    out = json.loads(json.dumps(snapshot_at(replay_dir, AS_OF, 10).to_json(), allow_nan=False))
    history = out["history"]
    assert history["min_length"] == 10
    assert {"min_length", "streaks", "forward"} <= set(history)
    assert len(history["streaks"]) == len(snapshot_at(replay_dir, AS_OF, 10).history.streaks)
    for row in history["streaks"]:
        assert {"leader", "start", "end", "length", "small_return", "large_return"} <= set(row)
    assert set(history["forward"]) == {"small", "large"}
    assert {"horizon", "count", "median", "share_positive"} <= set(history["forward"]["small"][0])
