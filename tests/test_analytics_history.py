"""Streak history on hand-made sessions: selection, order, forward outcomes, statistics, rank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.analytics import current_streak, pair_sessions, streak_history, streak_runs

S, L = "SMALL", "LARGE"


def build(winners: list[int], seed: int = 1):
    """Closes whose sessions are won as given, with varied moves so forward outcomes are not trivial."""
    rng = np.random.default_rng(seed)
    small, large = [100.0], [100.0]
    for w in winners:
        base = rng.normal(0, 0.01)
        gap = abs(rng.normal(0.002, 0.001)) * w
        small.append(small[-1] * (1 + base + gap))
        large.append(large[-1] * (1 + base))
    closes = pd.DataFrame({S: small, L: large}, index=pd.bdate_range("2020-01-01", periods=len(small)))
    sessions = pair_sessions(closes, S, L)
    runs = streak_runs(sessions)
    return closes, sessions, runs, current_streak(sessions, runs)


WINNERS = [1] * 3 + [-1] * 4 + [1] + [0] * 3 + [-1] + [1] * 5 + [-1] * 2 + [1] * 3


def test_selection_order_and_forward_outcomes():
    closes, sessions, runs, streak = build(WINNERS)
    history = streak_history(sessions, runs, streak, 3, (1, 2, 50))
    assert [(e.leader, e.length) for e in history.streaks] == [("small", 3), ("small", 5), ("large", 4), ("small", 3)]
    assert all(a.end > b.end for a, b in zip(history.streaks, history.streaks[1:]))  # newest first
    rel = closes[S] / closes[L]
    for entry in history.streaks[1:]:
        e = closes.index.get_loc(pd.Timestamp(entry.end))
        assert entry.forward[0] == pytest.approx(rel.iat[e + 1] / rel.iat[e] - 1, rel=1e-12)
        assert entry.forward[1] == pytest.approx(rel.iat[e + 2] / rel.iat[e] - 1, rel=1e-12)
        assert entry.forward[2] is None  # not enough sessions follow
        start = closes.index.get_loc(pd.Timestamp(entry.start))
        assert entry.small_return == pytest.approx(closes[S].iat[e] / closes[S].iat[start - 1] - 1, rel=1e-12)
    assert history.streaks[0].forward == (None, None, None)  # the current streak


def test_forward_statistics_and_note():
    _, sessions, runs, streak = build(WINNERS)
    history = streak_history(sessions, runs, streak, 3, (1, 2, 50))
    small = {s.horizon: s for s in history.forward["small"]}
    outcomes = [e.forward[0] for e in history.streaks if e.leader == "small" and e.forward[0] is not None]
    assert small[1].count == 2
    assert small[1].median == pytest.approx(float(np.median(outcomes)))
    assert small[1].share_positive == pytest.approx(np.mean([x > 0 for x in outcomes]))
    assert small[50].count == 0 and small[50].median is None and small[50].share_positive is None
    assert {s.count for s in history.forward["large"]} == {1, 0}
    assert history.note and history.note.startswith("not enough history")


def test_rank_and_percentile_of_the_current_streak():
    _, sessions, runs, streak = build(WINNERS)
    history = streak_history(sessions, runs, streak, 3, (1,))
    # small runs: 3, 1, 5, 3 (current): one longer, so rank 2; earlier runs shorter than 3: just the 1.
    assert history.current_rank == 2
    assert history.current_percentile == pytest.approx(1 / 3)
    _, sessions, runs, streak = build([1, 1, -1, 1, 1])
    assert streak_history(sessions, runs, streak, 1, (1,)).current_rank == 1  # ties share the better rank


def test_ties_are_not_streaks_and_no_rank_after_a_tie():
    _, sessions, runs, streak = build([0] * 6 + [1] * 2 + [0])
    history = streak_history(sessions, runs, streak, 1, (1,))
    assert [e.leader for e in history.streaks] == ["small"]
    assert history.current_rank is None and history.current_percentile is None


def test_enough_outcomes_gives_no_note():
    winners = ([1] * 3 + [-1] * 3) * 12
    _, sessions, runs, streak = build(winners)
    history = streak_history(sessions, runs, streak, 3, (2,))
    assert history.forward["small"][0].count >= 5 and history.forward["large"][0].count >= 5
    assert history.note is None


@pytest.mark.parametrize("winners", [[], [1]])
def test_empty_and_tiny(winners):
    _, sessions, runs, streak = build(winners)
    history = streak_history(sessions, runs, streak, 7, (20, 60))
    assert history.horizons == (20, 60)
    assert set(history.forward) == {"small", "large"}
    assert history.note and "not enough history" in history.note
    if not winners:
        assert history.streaks == () and history.current_rank is None


def test_no_qualifying_streaks():
    _, sessions, runs, streak = build([1, -1] * 5)
    history = streak_history(sessions, runs, streak, 3, (1,))
    assert history.streaks == ()
    assert history.note == "not enough history: no streaks of 3+ sessions"


# Outcomes are x / y - 1.0, never -0.0 (whose place among equal zeros sort and partition may order differently).
@given(st.lists(st.floats(-2.0, 2.0).map(lambda x: x + 0.0), min_size=1, max_size=80))
def test_median_and_share_positive_are_numpys_exactly(values):
    """The statistics skip np.median's overhead: the result must be np.median's to the last bit."""
    from tui.analytics.history import _median, _stats

    values = np.array(values)
    want = float(np.median(values))
    assert repr(_median(values)) == repr(want)
    (stat,) = _stats((20,), {20: np.r_[values, np.nan]})
    assert stat.count == len(values) and repr(stat.median) == repr(want)
    assert stat.share_positive == float((values > 0).mean()) and type(stat.share_positive) is float
