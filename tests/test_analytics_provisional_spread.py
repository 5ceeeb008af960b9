"""The provisional race and the spread view."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from tui.analytics import current_streak, pair_sessions, provisional_race, spread_view, streak_runs
from tui.data.base import Quote

S, L = "SMALL", "LARGE"
DATES = pd.bdate_range("2024-03-04", periods=8)  # Mon 4th .. Wed 13th
T0 = datetime(2024, 3, 14, 15, 0, tzinfo=timezone.utc)
T1 = datetime(2024, 3, 14, 15, 1, tzinfo=timezone.utc)


def frame(small, large, dates=DATES) -> pd.DataFrame:
    return pd.DataFrame({S: small, L: large}, index=dates[: len(small)], dtype="float64")


# small wins the last three sessions
SMALL = [100, 99, 98, 99, 98, 99, 100, 101]
LARGE = [100, 100, 100, 100, 100, 100, 100, 100]


def setup(small=SMALL, large=LARGE):
    sessions = pair_sessions(frame(small, large), S, L)
    return sessions, streak_runs(sessions)


def quote(symbol, price, day="2024-03-14", time=T0) -> Quote:
    return Quote(symbol, price, time, pd.Timestamp(day))


# --- provisional ----------------------------------------------------------------------------------------------


def test_same_leader_extends_the_streak():
    sessions, runs = setup()
    race = provisional_race(sessions, runs, quote(S, 102.01), quote(L, 100.5, time=T1))
    assert race.session.isoformat() == "2024-03-14"
    assert race.small_change == pytest.approx(0.01)
    assert race.large_change == pytest.approx(0.005)
    assert (race.leader, race.streak_leader, race.streak_length) == ("small", "small", 4)
    assert race.quote_time == T0  # the older of the two prices


def test_other_leader_starts_a_new_streak():
    sessions, runs = setup()
    race = provisional_race(sessions, runs, quote(S, 100.0), quote(L, 100.0))
    assert (race.leader, race.streak_leader, race.streak_length) == ("large", "large", 1)


def test_tie_right_now():
    sessions, runs = setup()
    race = provisional_race(sessions, runs, quote(S, 101 * 1.01), quote(L, 100 * 1.01))
    assert (race.leader, race.streak_leader, race.streak_length) == ("none", "none", 0)


def test_after_a_completed_tie_a_leader_starts_at_one():
    sessions, runs = setup(SMALL[:-1] + [100], LARGE)
    assert current_streak(sessions, runs).leader == "none"
    race = provisional_race(sessions, runs, quote(S, 101.0), quote(L, 100.0))
    assert (race.streak_leader, race.streak_length) == ("small", 1)


@pytest.mark.parametrize(
    "small_quote, large_quote",
    [
        (None, quote(L, 100.0)),
        (quote(S, 101.0), None),
        (quote(S, 101.0, day="2024-03-13"), quote(L, 100.0, day="2024-03-13")),  # the completed session itself
        (quote(S, 101.0, day="2024-03-12"), quote(L, 100.0, day="2024-03-12")),
        (quote(S, 101.0), quote(L, 100.0, day="2024-03-15")),  # different sessions
        (quote(S, float("nan")), quote(L, 100.0)),
        (quote(S, 0.0), quote(L, 100.0)),
    ],
)
def test_no_race(small_quote, large_quote):
    sessions, runs = setup()
    assert provisional_race(sessions, runs, small_quote, large_quote) is None


def test_no_race_without_history():
    sessions = pair_sessions(frame([], []), S, L)
    assert provisional_race(sessions, streak_runs(sessions), quote(S, 1.0), quote(L, 1.0)) is None


def test_one_row_history_still_races():
    sessions = pair_sessions(frame([100], [100]), S, L)
    race = provisional_race(sessions, streak_runs(sessions), quote(S, 101.0), quote(L, 100.0))
    assert (race.streak_leader, race.streak_length) == ("small", 1)


# --- spread ---------------------------------------------------------------------------------------------------


def test_spread_window_daily_and_relative():
    sessions, runs = setup()
    streak = current_streak(sessions, runs)
    view = spread_view(sessions, 3, streak)
    assert view.window == 3
    assert [d.isoformat() for d in view.dates] == ["2024-03-11", "2024-03-12", "2024-03-13"]
    assert view.daily == pytest.approx([99 / 98 - 1, 100 / 99 - 1, 101 / 100 - 1])
    # Cumulative from the close before the window (98 on the 8th); large is flat, so relative = small's return.
    assert view.relative == pytest.approx([99 / 98 - 1, 100 / 98 - 1, 101 / 98 - 1])
    assert view.rs_5d == pytest.approx(101 / 98)  # (1 + r5_small) / (1 + 0)
    assert view.streak_start == streak.start


def test_spread_relative_with_both_sides_moving():
    small = [100, 110, 121]
    large = [100, 105, 100]
    view = spread_view(pair_sessions(frame(small, large), S, L), 60, None)
    assert len(view.dates) == 2  # the window shrinks to the history there is
    assert view.relative == pytest.approx([(1.10 / 1.05) - 1, (1.21 / 1.00) - 1])
    assert view.daily == pytest.approx([0.10 - 0.05, 0.10 - (100 / 105 - 1)])
    assert view.rs_5d is None  # fewer than six closes
    assert view.streak_start is None


def test_rs_5d_needs_six_closes():
    assert spread_view(pair_sessions(frame(SMALL[:5], LARGE[:5]), S, L), 10).rs_5d is None
    assert spread_view(pair_sessions(frame(SMALL[:6], LARGE[:6]), S, L), 10).rs_5d == pytest.approx(99 / 100)


@pytest.mark.parametrize("n", [0, 1])
def test_spread_on_empty_and_one_row(n):
    view = spread_view(pair_sessions(frame(SMALL[:n], LARGE[:n]), S, L), 60)
    assert view.dates == () and view.daily == () and view.relative == () and view.rs_5d is None


def test_spread_window_must_be_positive():
    sessions, _ = setup()
    with pytest.raises(ValueError):
        spread_view(sessions, 0)


def test_spread_values_are_plain_floats():
    sessions, _ = setup()
    view = spread_view(sessions, 5)
    assert all(type(x) is float for x in view.daily + view.relative)
    assert not np.isnan(view.relative).any()
