"""The rotation map's analytics on hand-made data: its properties (hypothesis), weeks, quadrants, provisional weeks.

The real-history checks are in tests/test_rotation_real.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.analytics import rotation_map
from tui.model import RotationMap, RotationSeries, jsonable, rotation_from_dict

ABS = 1e-9  # floating-point agreement between two ways of computing the same value


def random_closes(seed: int, weeks: int, symbols=("A", "B")) -> pd.DataFrame:
    """Random-walk closes of each symbol on every weekday for ``weeks`` weeks ending Friday 9 Jan 2026."""
    days = pd.bdate_range(end="2026-01-09", periods=weeks * 5)
    rng = np.random.default_rng(seed)
    walks = {s: 50.0 * np.cumprod(1 + rng.normal(0.0003, 0.012, len(days))) for s in symbols}
    return pd.DataFrame(walks, index=days)


def head(closes: pd.DataFrame, as_of, member=("A", "A", "B"), **kw) -> RotationSeries:
    return rotation_map(closes, [member], pd.Timestamp(as_of).date(), **kw).series[0]


def points(series: RotationSeries) -> dict[date, tuple[float, float]]:
    return {p.date: (p.ratio, p.momentum) for p in series.tail}


# -- properties -----------------------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), period=st.sampled_from(["weekly", "daily"]))
def test_a_benchmark_against_itself_sits_at_the_centre(seed, period):
    closes = random_closes(seed, 160)
    series = head(closes, closes.index[-1], ("B", "B", "B"), period=period, tail=20)
    assert series.tail, "160 weeks are enough history for the formula"
    for p in series.tail:
        assert (p.ratio, p.momentum) == (100.0, 100.0)
    assert series.quadrant is None  # on both axes: in no quadrant


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    price_scale=st.floats(1e-3, 1e3),
    benchmark_scale=st.floats(1e-3, 1e3),
    period=st.sampled_from(["weekly", "daily"]),
)
def test_scaling_a_price_series_changes_nothing(seed, price_scale, benchmark_scale, period):
    closes = random_closes(seed, 160)
    scaled = closes.assign(A=closes["A"] * price_scale, B=closes["B"] * benchmark_scale)
    as_of = closes.index[-1]
    base, moved = head(closes, as_of, period=period, tail=30), head(scaled, as_of, period=period, tail=30)
    assert [p.date for p in base.tail] == [p.date for p in moved.tail]
    for a, b in zip(base.tail, moved.tail):
        assert (a.ratio, a.momentum) == pytest.approx((b.ratio, b.momentum), abs=1e-7)
    assert (base.quadrant, base.periods_in_quadrant) == (moved.quadrant, moved.periods_in_quadrant)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(0, 200), period=st.sampled_from(["weekly", "daily"]))
def test_no_value_depends_on_data_after_its_date(seed, cut, period):
    """The map computed on data truncated at any session has, at every date it shares with the map of the whole
    data, the same point: nothing later was read. (A week cut mid-way ends on an earlier session than the whole
    week, so its point has a date of its own.)"""
    closes = random_closes(seed, 200)
    end = closes.index[-1 - cut]
    whole = points(head(closes, closes.index[-1], period=period, tail=10_000))  # every point
    early = points(head(closes.loc[:end], end, period=period, tail=52))
    shared = sorted(set(whole) & set(early))
    assert len(shared) >= len(early) - 1  # every point but a cut week's
    for day in shared:
        assert early[day] == pytest.approx(whole[day], abs=ABS)


# -- weeks, the week in progress, quadrants ----------------------------------------------------------------------------
def test_weekly_points_are_each_weeks_last_common_close():
    """A holiday Friday (2 Jan 2026 is made one here) ends its week on Thursday; a day the benchmark lacks is not a
    period; the week in progress (as of Wednesday 14 Jan) is a point of its own, provisional."""
    closes = random_closes(3, 150).loc[:"2026-01-09"]
    extra = pd.DataFrame(
        {"A": [51.0, 52.0, 53.0], "B": [50.0, 50.5, np.nan]},
        index=pd.to_datetime(["2026-01-12", "2026-01-13", "2026-01-14"]),
    )
    closes = pd.concat([closes.drop(pd.Timestamp("2026-01-02")), extra])
    series = head(closes, "2026-01-14", tail=4)
    assert [p.date for p in series.tail] == [date(2025, 12, 26), date(2026, 1, 1), date(2026, 1, 9), date(2026, 1, 13)]
    assert series.provisional and series.as_of == date(2026, 1, 13)
    assert series.completed_on == date(2026, 1, 9)
    completed = head(closes, "2026-01-09", tail=4)
    assert not completed.provisional and completed.tail[-1].date == date(2026, 1, 9)


def test_a_friday_closes_the_week_and_daily_has_no_provisional_point():
    closes = random_closes(5, 150)
    friday = head(closes, "2026-01-09")
    assert not friday.provisional and friday.completed_on == date(2026, 1, 9)
    thursday = head(closes.loc[:"2026-01-08"], "2026-01-08")
    assert thursday.provisional and thursday.completed_on == date(2026, 1, 2)
    daily = head(closes.loc[:"2026-01-08"], "2026-01-08", period="daily")
    assert not daily.provisional and daily.completed_on == date(2026, 1, 8)


def expected_quadrant(ratio: float, momentum: float) -> str:
    if ratio > 100:
        return "leading" if momentum > 100 else "weakening"
    return "improving" if momentum > 100 else "lagging"


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_quadrant_and_periods_in_quadrant_follow_the_points(seed):
    closes = random_closes(seed, 300)
    series = head(closes, closes.index[-1], tail=52)
    quadrants = [expected_quadrant(p.ratio, p.momentum) for p in series.tail]
    assert series.quadrant == quadrants[-1]
    assert (series.ratio, series.momentum) == (series.tail[-1].ratio, series.tail[-1].momentum)
    run = next((i for i, q in enumerate(reversed(quadrants)) if q != quadrants[-1]), None)
    if run is not None:  # the run started within the tail: count it there
        assert series.periods_in_quadrant == run
    else:
        assert series.periods_in_quadrant >= len(quadrants)


def test_tail_length_and_too_short_a_history():
    closes = random_closes(7, 150)
    assert len(head(closes, closes.index[-1], tail=5).tail) == 5
    # A momentum needs 52 + 4 + 52 - 1 = 107 weeks of common closes: 100 weeks give none.
    short = head(closes.iloc[-500:], closes.index[-1])
    assert (short.ratio, short.momentum, short.quadrant, short.tail) == (None, None, None, ())
    missing = rotation_map(closes, [("ZZZ", "absent", "B")], date(2026, 1, 9)).series[0]
    assert missing.ratio is None and missing.as_of is None


def test_the_map_reads_back_from_json_equal():
    closes = random_closes(11, 200, symbols=("A", "B", "C"))
    rotation = rotation_map(closes, [("A", "Alpha", "B"), ("C", "Gamma [red]", "B")], date(2026, 1, 8))
    assert isinstance(rotation, RotationMap) and rotation.series[0].provisional
    assert rotation_from_dict(jsonable(rotation)) == rotation
    assert rotation_from_dict(None) is None


def test_unknown_period_is_refused():
    with pytest.raises(ValueError):
        rotation_map(random_closes(1, 10), [("A", "A", "B")], date(2026, 1, 9), period="monthly")


def test_dates_of_points_are_session_dates():
    closes = random_closes(9, 150)
    series = head(closes, closes.index[-1], tail=52)
    sessions = {d.date() for d in closes.index}
    assert all(p.date in sessions for p in series.tail)
    assert all(b.date - a.date >= timedelta(days=1) for a, b in zip(series.tail, series.tail[1:]))
