"""Pair sessions, streak runs and the current streak on tiny hand-made frames, plus property tests."""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.analytics import current_streak, pair_sessions, runs_as_model, streak_runs
from tui.model import LongestSince, StreakRun

S, L = "SMALL", "LARGE"


def closes(dates, small, large) -> pd.DataFrame:
    return pd.DataFrame({S: small, L: large}, index=pd.DatetimeIndex(pd.to_datetime(dates)), dtype="float64")


def days(n: int, start: str = "2024-01-01") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n)


def from_winners(winners: list[int]) -> pd.DataFrame:
    """Closes whose sessions are won as given: 1 small, -1 large, 0 tie (both flat)."""
    small, large = [100.0], [100.0]
    for w in winners:
        small.append(small[-1] * (1.01 if w == 1 else 0.99 if w == -1 else 1.0))
        large.append(large[-1])
    return closes(days(len(winners) + 1), small, large)


def analyse(frame: pd.DataFrame):
    sessions = pair_sessions(frame, S, L)
    runs = streak_runs(sessions)
    return sessions, runs, current_streak(sessions, runs)


# --- sessions -------------------------------------------------------------------------------------------------


def test_sessions_returns_spread_and_winner():
    sessions = pair_sessions(closes(days(4), [100, 102, 101, 101], [50, 50.5, 50.5, 50.5]), S, L)
    assert list(sessions.columns) == ["small_close", "large_close", "small_return", "large_return", "spread", "winner"]
    assert np.isnan(sessions["small_return"].iat[0]) and sessions["winner"].isna().iat[0]
    assert sessions["small_return"].iat[1] == pytest.approx(0.02)
    assert sessions["large_return"].iat[1] == pytest.approx(0.01)
    assert sessions["spread"].iat[1] == pytest.approx(0.01)
    assert sessions["winner"].iloc[1:].tolist() == [1, -1, 0]


def test_tie_uses_rounding_to_12_decimals():
    # Both +10 % through different float paths: the raw difference is ~2e-16, a tie after rounding.
    frame = closes(days(3), [0.3, 0.33, 0.33], [3.0, 3.3, 3.3 * (1 + 2e-12)])
    sessions = pair_sessions(frame, S, L)
    assert sessions["small_return"].iat[1] != sessions["large_return"].iat[1]
    assert sessions["winner"].iat[1] == 0
    assert sessions["winner"].iat[2] == -1  # a real difference of 2e-12 is not a tie


def test_symbol_missing_a_day_is_not_a_session_and_next_return_spans_the_gap():
    dates = days(4)
    frame = closes(dates, [100, 110, np.nan, 121], [100, 100, 105, 102])
    sessions = pair_sessions(frame, S, L)
    assert list(sessions.index) == [dates[0], dates[1], dates[3]]
    assert sessions["small_return"].iat[2] == pytest.approx(121 / 110 - 1)
    assert sessions["large_return"].iat[2] == pytest.approx(102 / 100 - 1)


def test_nan_rows_zero_and_negative_prices_are_dropped():
    frame = closes(days(5), [100, np.nan, 0.0, -1, 101], [100, np.nan, 100, 100, 100])
    sessions = pair_sessions(frame, S, L)
    assert len(sessions) == 2
    assert sessions["winner"].iat[1] == 1


def test_holiday_gap_does_not_matter():
    dates = ["2024-07-03", "2024-07-05", "2024-07-08"]  # July 4th missing from both
    sessions = pair_sessions(closes(dates, [100, 101, 102], [100, 100.5, 101]), S, L)
    assert len(sessions) == 3
    runs = streak_runs(sessions)
    assert runs["length"].tolist() == [2]


@pytest.mark.parametrize(
    "frame",
    [
        closes([], [], []),
        closes(["2024-01-02"], [100], [200]),
        closes(["2024-01-02", "2024-01-03"], [np.nan, 100], [200, np.nan]),
        pd.DataFrame({S: [1.0, 2.0]}, index=days(2)),  # large absent entirely
        pd.DataFrame(),
    ],
)
def test_empty_and_one_row_histories(frame):
    sessions, runs, streak = analyse(frame)
    assert len(sessions) <= 1
    assert runs.empty
    assert streak.leader == "none" and streak.length == 0 and streak.start is None
    assert streak.longest_since is None and streak.record_length is None
    assert runs_as_model(runs) == ()


def test_two_rows_one_session():
    _, runs, streak = analyse(closes(days(2), [100, 99], [100, 100]))
    assert len(runs) == 1
    assert (streak.leader, streak.length, streak.record_length, streak.longest_since) == ("large", 1, 1, None)
    assert streak.percentile is None  # no earlier runs to compare with


# --- runs and the current streak ------------------------------------------------------------------------------


def test_runs_and_their_returns_come_from_the_closes():
    frame = from_winners([1, 1, -1, 0, 0, 1, 1, 1])
    sessions, runs, _ = analyse(frame)
    assert runs["leader"].tolist() == ["small", "large", "none", "small"]
    assert runs["length"].tolist() == [2, 1, 2, 3]
    d = frame.index
    assert runs["start"].tolist() == [d[1], d[3], d[4], d[6]]
    assert runs["end"].tolist() == [d[2], d[3], d[5], d[8]]
    small = frame[S]
    assert runs["small_return"].iat[3] == pytest.approx(small.iat[8] / small.iat[5] - 1, abs=1e-12)
    assert runs["large_return"].iat[3] == pytest.approx(0.0, abs=1e-12)
    model = runs_as_model(runs)
    assert model[0] == StreakRun("small", d[1].date(), d[2].date(), 2, pytest.approx(0.01 * 2.01), pytest.approx(0.0))
    assert all(isinstance(r.start, date) and not isinstance(r.start, pd.Timestamp) for r in model)


def test_tie_ends_the_streak_and_gives_length_zero():
    _, runs, streak = analyse(from_winners([1, 1, 1, 0]))
    assert streak.leader == "none" and streak.length == 0
    assert streak.start is None and streak.end is None and streak.small_return is None
    assert runs["leader"].tolist() == ["small", "none"]


def test_after_a_tie_the_streak_restarts():
    _, _, streak = analyse(from_winners([1, 1, 1, 0, 1]))
    assert (streak.leader, streak.length) == ("small", 1)
    assert streak.longest_since == LongestSince(end=from_winners([0] * 3).index[3].date(), length=3)


def test_longest_since_record_and_percentile():
    winners = [1] * 5 + [-1] + [1] * 2 + [-1] * 4 + [1] * 3 + [-1] + [1] * 3
    frame = from_winners(winners)
    _, runs, streak = analyse(frame)
    assert (streak.leader, streak.length) == ("small", 3)
    # Most recent earlier small run with length >= 3 is the 3-run ending just before the last large session.
    assert streak.longest_since == LongestSince(end=frame.index[15].date(), length=3)
    assert streak.record_length == 5
    assert streak.percentile == pytest.approx(1 / 3)  # earlier small runs 5, 2, 3: only 2 is shorter
    assert streak.start == frame.index[17].date() and streak.end == frame.index[19].date()


def test_current_streak_is_the_longest_on_record():
    _, _, streak = analyse(from_winners([1, -1, -1, -1, 1, -1, -1, -1, -1]))
    assert (streak.leader, streak.length) == ("large", 4)
    assert streak.longest_since is None
    assert streak.record_length == 4
    assert streak.percentile == 1.0


def test_streak_runs_is_fast_on_a_long_history():
    rng = np.random.default_rng(7)
    n = 9_800
    frame = closes(
        days(n, "1987-01-01"),
        100 * np.cumprod(1 + rng.normal(0, 0.01, n)),
        100 * np.cumprod(1 + rng.normal(0, 0.01, n)),
    )
    sessions = pair_sessions(frame, S, L)
    streak_runs(sessions)  # warm-up
    best = min(_timed(lambda: streak_runs(sessions)) for _ in range(5))
    assert best < 0.010, f"streak_runs took {best * 1000:.1f} ms"


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# --- properties -----------------------------------------------------------------------------------------------

prices = st.one_of(
    st.floats(min_value=0.5, max_value=2.0, allow_nan=False),
    st.just(1.0),  # flat days make ties likely
    st.just(float("nan")),  # a missing close
)


@st.composite
def histories(draw):
    n = draw(st.integers(min_value=0, max_value=60))
    small = [100.0]
    large = [100.0]
    raw_small, raw_large = [], []
    for _ in range(n):
        fs, fl = draw(prices), draw(prices)
        small.append(small[-1] * (1.0 if np.isnan(fs) else fs))
        large.append(large[-1] * (1.0 if np.isnan(fl) else fl))
        raw_small.append(np.nan if np.isnan(fs) else small[-1])
        raw_large.append(np.nan if np.isnan(fl) else large[-1])
    return closes(days(n + 1), [100.0] + raw_small, [100.0] + raw_large)


@settings(max_examples=150, deadline=None)
@given(histories())
def test_streak_properties(frame):
    sessions, runs, streak = analyse(frame)
    won = sessions["winner"].iloc[1:].to_numpy(dtype="int8")
    code = {"small": 1, "large": -1, "none": 0}
    for leader, start, end in zip(runs["leader"], runs["start"], runs["end"]):
        inside = sessions["winner"].loc[start:end].to_numpy(dtype="int8")
        assert (inside == code[leader]).all()  # a run never spans a session its leader did not win
    for side in ("small", "large"):
        assert runs.loc[runs["leader"] == side, "length"].sum() == (won == code[side]).sum()
    assert runs["length"].sum() == len(won)
    if len(won) and won[-1] == 0:
        assert streak.length == 0 and streak.leader == "none"
    if streak.length:
        assert streak.leader == {1: "small", -1: "large"}[int(won[-1])]
        assert streak.record_length >= streak.length
        if streak.longest_since is not None:
            assert streak.longest_since.end < streak.start
            assert streak.longest_since.length >= streak.length
        # The streak's returns agree with the closes.
        before = sessions.index.get_loc(pd.Timestamp(streak.start)) - 1
        expected = sessions["small_close"].iat[-1] / sessions["small_close"].iat[before] - 1
        assert streak.small_return == pytest.approx(expected, rel=1e-9, abs=1e-12)


def _runs_as_model_reference(runs: pd.DataFrame) -> tuple[StreakRun, ...]:
    """The plain conversion (pandas .dt.date, nothing remembered), to check the remembering one against."""
    return tuple(
        StreakRun(
            leader=leader, start=start, end=end, length=int(length), small_return=float(sr), large_return=float(lr)
        )
        for leader, start, end, length, sr, lr in zip(
            runs["leader"].tolist(),
            runs["start"].dt.date.tolist(),
            runs["end"].dt.date.tolist(),
            runs["length"].tolist(),
            runs["small_return"].tolist(),
            runs["large_return"].tolist(),
        )
    )


def test_runs_as_model_reuses_the_common_prefix_and_stays_exact(replay_dir):
    """Growing, shrinking and jumping histories (a live day appended, a replayed day stepped back, a new file), each
    converted with the one before it:
    every answer equals the plain conversion, and unchanged runs are the very same objects."""
    from tui.data.replay import ReplaySource

    closes = ReplaySource(replay_dir).fetch(["^RUT", "^GSPC"]).closes
    sessions = pair_sessions(closes, "^RUT", "^GSPC")
    previous = None
    for n in [len(sessions), len(sessions) - 1, len(sessions) - 1, len(sessions), 3000, 2, 3, 2999, 5000, 40]:
        runs = streak_runs(sessions.iloc[:n])
        got = runs_as_model(runs, previous)
        assert got == _runs_as_model_reference(runs)
        assert runs_as_model(runs) == got  # with or without the earlier conversion: the same answer
        assert all(type(r.start) is date and type(r.length) is int and type(r.small_return) is float for r in got)
        if previous is not None and len(got) > 2 and len(previous[1]) > 2 and got[0] == previous[1][0]:
            assert got[0] is previous[1][0]
        previous = (runs, got)
    assert runs_as_model(streak_runs(sessions.iloc[:1])) == ()
