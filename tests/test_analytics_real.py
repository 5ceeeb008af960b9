"""The analytics against real Russell 2000 / S&P 500 history (../shared/data/market/replay).

Dates and lengths below were checked by hand against the data; every return expectation is computed here from
the CSV closes, never taken from the code under test.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tui.analytics import current_streak, pair_sessions, sector_table, spread_view, streak_history, streak_runs
from tui.config import DEFAULT_SECTORS

SMALL, LARGE = "^RUT", "^GSPC"


def read_close(replay_dir: Path, symbol: str) -> pd.Series:
    return pd.read_csv(replay_dir / f"{symbol}.csv", index_col="Date", parse_dates=True)["Close"]


@pytest.fixture
def closes(replay_dir) -> pd.DataFrame:
    return pd.DataFrame({s: read_close(replay_dir, s) for s in (SMALL, LARGE)}).sort_index()


def analyse(closes: pd.DataFrame, as_of: str):
    sessions = pair_sessions(closes.loc[:as_of], SMALL, LARGE)
    runs = streak_runs(sessions)
    return sessions, runs, current_streak(sessions, runs)


def close_on(closes: pd.DataFrame, symbol: str, day) -> float:
    return float(closes.at[pd.Timestamp(day), symbol])


def close_before(closes: pd.DataFrame, day) -> pd.Timestamp:
    """The last date before ``day`` on which both indexes closed, straight from the CSVs."""
    both = closes.dropna()
    return both.index[both.index < pd.Timestamp(day)][-1]


def test_streak_as_of_2026_01_15(closes):
    _, _, streak = analyse(closes, "2026-01-15")
    assert (streak.leader, streak.length) == ("small", 10)
    assert (streak.start, streak.end) == (date(2026, 1, 2), date(2026, 1, 15))
    assert (streak.longest_since.end, streak.longest_since.length) == (date(2008, 6, 6), 13)
    assert streak.record_length == 16
    base = close_before(closes, streak.start)
    for symbol, got in ((SMALL, streak.small_return), (LARGE, streak.large_return)):
        expected = close_on(closes, symbol, "2026-01-15") / close_on(closes, symbol, base) - 1
        assert got == pytest.approx(expected, abs=1e-6)


def test_streak_as_of_2026_01_22_and_record(closes):
    sessions, runs, streak = analyse(closes, "2026-01-22")
    assert (streak.leader, streak.length, streak.start) == ("small", 14, date(2026, 1, 2))
    assert (streak.longest_since.end, streak.longest_since.length) == (date(1996, 5, 7), 16)
    assert streak.record_length == 16
    small_runs = runs[runs["leader"] == "small"]
    record = small_runs.loc[small_runs["length"].idxmax()]
    assert (record["length"], record["end"].date()) == (16, date(1996, 5, 7))
    close_before_start = close_on(closes, SMALL, close_before(closes, record["start"]))
    expected = close_on(closes, SMALL, "1996-05-07") / close_before_start - 1
    assert record["small_return"] == pytest.approx(expected, abs=1e-6)


def test_every_run_return_agrees_with_the_closes(closes):
    sessions, runs, _ = analyse(closes, "2026-01-22")
    both = closes.dropna()
    both = both[(both > 0).all(axis=1)]
    position = pd.Series(range(len(both)), index=both.index)
    sample = runs.iloc[:: max(1, len(runs) // 200)]
    for _, run in sample.iterrows():
        base = both.index[position[run["start"]] - 1]
        for symbol, column in ((SMALL, "small_return"), (LARGE, "large_return")):
            expected = both.at[run["end"], symbol] / both.at[base, symbol] - 1
            assert run[column] == pytest.approx(expected, abs=1e-6)


def test_history_of_long_streaks_as_of_2026_01_22(closes):
    sessions, runs, streak = analyse(closes, "2026-01-22")
    history = streak_history(sessions, runs, streak, 10, (20, 60, 120))
    small = [e for e in history.streaks if e.leader == "small"]
    assert len(small) == 8
    assert max(e.length for e in small) == 16
    assert history.current_rank == 2
    both = closes.loc[:"2026-01-22"].dropna()
    for entry in history.streaks:
        end = both.index.get_loc(pd.Timestamp(entry.end))
        for h, got in zip(history.horizons, entry.forward):
            if end + h >= len(both):
                assert got is None
                continue
            later = both.index[end + h]
            expected = (close_on(both, SMALL, later) / close_on(both, SMALL, entry.end)) / (
                close_on(both, LARGE, later) / close_on(both, LARGE, entry.end)
            ) - 1
            assert got == pytest.approx(expected, abs=1e-9)


def test_spread_and_sectors_on_real_data(closes, replay_dir):
    sessions, _, streak = analyse(closes, "2026-01-15")
    view = spread_view(sessions, 60, streak)
    assert len(view.dates) == 60 and view.dates[-1] == date(2026, 1, 15)
    assert view.streak_start == date(2026, 1, 2)
    kre = read_close(replay_dir, "KRE")
    frame = closes.join(kre.rename("KRE"), how="outer").loc[:"2026-01-15"]
    row = sector_table(frame, [s for s in DEFAULT_SECTORS if s.symbol == "KRE"], SMALL, streak)[0]
    base = close_before(closes, streak.start)
    expected = kre.loc[:"2026-01-15"].iat[-1] / kre.loc[:base].iat[-1] - 1
    assert row.return_streak == pytest.approx(expected, abs=1e-9)
