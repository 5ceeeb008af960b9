"""The rotation map on the real history (../shared/data/market/replay), against a plain-pandas computation of the
formula written here from the CSV closes (resample to weeks, ewm, rolling std), not with the module's helpers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tui.analytics import rotation_map
from tui.config import DEFAULT_SECTORS

SMALL, LARGE = "^RUT", "^GSPC"
STREAK_SESSIONS = pd.bdate_range("2026-01-02", "2026-01-15")  # the 10-session streak (no holiday inside)


def read_close(replay_dir: Path, symbol: str) -> pd.Series:
    return pd.read_csv(replay_dir / f"{symbol}.csv", index_col="Date", parse_dates=True)["Close"]


@pytest.fixture(scope="module")
def closes() -> pd.DataFrame:
    from tests.conftest import REPLAY_DIR

    if not REPLAY_DIR.is_dir():
        pytest.skip(f"real market history not found at {REPLAY_DIR}")
    symbols = (SMALL, LARGE, *(s.symbol for s in DEFAULT_SECTORS))
    return pd.DataFrame({s: read_close(REPLAY_DIR, s) for s in symbols}).sort_index()


def reference(closes: pd.DataFrame, symbol: str, benchmark: str, as_of: str) -> pd.DataFrame:
    """The documented formula, step by step in pandas: weekly (W-FRI) last common close, RS = 100·P/B,
    R = 100·EMA10/EMA30, ratio = 100 + (R−100)/SD52(R−100), M = 100·ratio/ratio 4 weeks back, momentum the same
    normalisation of M. Indexed by the date of each week's last close."""
    both = closes[[symbol, benchmark]].loc[:as_of].dropna()
    rs = 100 * both[symbol] / both[benchmark]
    weeks = rs.index.to_period("W-FRI")
    weekly = pd.Series(rs.groupby(weeks).last().to_numpy(), index=rs.index.to_series().groupby(weeks).last())
    r = 100 * weekly.ewm(span=10, adjust=False).mean() / weekly.ewm(span=30, adjust=False).mean()
    ratio = 100 + (r - 100) / (r - 100).rolling(52).std()
    m = 100 * ratio / ratio.shift(4)
    momentum = 100 + (m - 100) / (m - 100).rolling(52).std()
    return pd.DataFrame({"ratio": ratio, "momentum": momentum}).dropna()


def quadrant(ratio: float, momentum: float) -> str:
    if ratio > 100:
        return "leading" if momentum > 100 else "weakening"
    return "improving" if momentum > 100 else "lagging"


@pytest.mark.parametrize("as_of", ["2026-01-15", "2020-03-20", "2024-07-31"])
def test_the_map_matches_the_formula_computed_in_pandas(closes, as_of):
    members = [(SMALL, "Russell 2000", LARGE), *((s.symbol, s.name, SMALL) for s in DEFAULT_SECTORS)]
    rotation = rotation_map(closes, members, date.fromisoformat(as_of), tail=12)
    for series in rotation.series:
        expected = reference(closes, series.symbol, series.benchmark, as_of).iloc[-12:]
        assert [p.date for p in series.tail] == [d.date() for d in expected.index], series.symbol
        for point, (ratio, momentum) in zip(series.tail, expected.itertuples(index=False)):
            assert (point.ratio, point.momentum) == pytest.approx((ratio, momentum), abs=1e-6), series.symbol
        assert series.quadrant == quadrant(*expected.iloc[-1])


def test_small_against_large_rotates_mostly_clockwise(closes):
    """Measured on the data (^RUT vs ^GSPC, weekly, 1989-09-22 to 2026-08-21, 1,927 points): 268 changes of
    quadrant, 182 clockwise (67.9 %), 81 counter-clockwise, 5 across the centre. The counts come from the pandas
    reference and the module alike."""
    last = closes[[SMALL, LARGE]].dropna().index[-1]
    expected = reference(closes, SMALL, LARGE, str(last.date()))
    series = rotation_map(closes, [(SMALL, "", LARGE)], last.date(), tail=100_000).series[0]
    assert len(series.tail) == len(expected)
    order = ["leading", "weakening", "lagging", "improving"]  # clockwise on the map

    def turns(quadrants: list[str]) -> tuple[int, int, int]:
        steps = [(order.index(b) - order.index(a)) % 4 for a, b in zip(quadrants, quadrants[1:]) if a != b]
        return steps.count(1), steps.count(3), steps.count(2)

    ours = turns([quadrant(p.ratio, p.momentum) for p in series.tail])
    assert ours == turns([quadrant(*row) for row in expected.itertuples(index=False)])
    clockwise, counter, across = ours
    share = clockwise / (clockwise + counter + across)
    assert share > 0.6, f"clockwise {clockwise}, counter-clockwise {counter}, across {across}"
    assert (clockwise, counter, across) == (182, 81, 5)


def test_the_january_2026_streak_is_in_leading(closes):
    """On every session of the Russell 2000's 10-session streak (2 to 15 Jan 2026), as of that session, ^RUT vs ^GSPC
    is Leading, the week in progress included; and so are the completed weeks to 2 and 9 Jan."""
    for session in STREAK_SESSIONS:
        series = rotation_map(closes, [(SMALL, "", LARGE)], session.date(), tail=3).series[0]
        assert series.quadrant == "leading", session.date()
        assert series.provisional == (session.weekday() < 4)
    final = rotation_map(closes, [(SMALL, "", LARGE)], date(2026, 1, 15), tail=3).series[0]
    assert [p.date for p in final.tail] == [date(2026, 1, 2), date(2026, 1, 9), date(2026, 1, 15)]
    assert [quadrant(p.ratio, p.momentum) for p in final.tail] == ["leading"] * 3
    assert final.completed == "leading" and final.completed_on == date(2026, 1, 9)
