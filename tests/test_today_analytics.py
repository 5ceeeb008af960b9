"""Today's race and the pre-market read as pure functions: hand-made paths, figures worked out here by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from tui.analytics import premarket_read, today_race
from tui.data.base import FuturesQuote, IntradayPath
from tui.model import Streak, Today

OPEN = datetime(2026, 11, 30, 14, 30, tzinfo=timezone.utc)  # 09:30 ET
SESSION = pd.Timestamp("2026-11-30")


def at(minutes: int) -> datetime:
    return OPEN + timedelta(minutes=minutes)


def path(symbol: str, points: dict[int, float], previous_close: float = 100.0, complete: bool = False):
    minutes = sorted(points)
    return IntradayPath(
        symbol, SESSION, previous_close, tuple(at(m) for m in minutes), tuple(points[m] for m in minutes), complete
    )


def test_both_sides_on_one_grid_carrying_the_last_price_forward():
    small = path("^RUT", {0: 101.0, 5: 102.0, 10: 100.5})
    large = path("^GSPC", {0: 200.0, 10: 203.0}, previous_close=200.0)
    race = today_race(small, large)
    assert race is not None
    assert race.times == (at(0), at(5), at(10))
    assert race.small == pytest.approx((0.01, 0.02, 0.005))
    assert race.large == pytest.approx((0.0, 0.0, 0.015))  # 09:35: large's 09:30 price, carried
    assert race.difference == pytest.approx((0.01, 0.02, -0.01))
    assert race.leader == "large"
    assert race.session == date(2026, 11, 30) and race.note is None and not race.complete


def test_the_grid_starts_when_both_sides_have_a_price_and_ends_at_the_last_point():
    small = path("^RUT", {0: 101.0, 5: 101.0, 10: 101.0, 15: 99.0})
    large = path("^GSPC", {5: 100.5, 10: 100.0})
    race = today_race(small, large)
    assert race is not None
    assert race.times == (at(5), at(10), at(15))  # nothing before large's first price; 15: large carried, not made up
    assert race.large[-1] == pytest.approx(0.0)


def test_lead_changes_skip_level_points():
    # differences in pp: +1, 0, -1, -2, 0, +1, +1  ->  small, level, large, large, level, small, small
    small = path("^RUT", {m: p for m, p in zip(range(0, 35, 5), (101, 100, 99, 98, 100, 101, 101))})
    large = path("^GSPC", {m: 100.0 for m in range(0, 35, 5)})
    race = today_race(small, large)
    assert race is not None
    assert [(c.time, c.leader) for c in race.lead_changes] == [(at(10), "large"), (at(25), "small")]
    assert race.leader == "small"


def test_shares_are_time_weighted_and_the_last_point_has_no_weight_yet():
    # small leads 09:30-09:40 (10 min), level 09:40-09:41 (1 min), large 09:41-10:00 (19 min); 10:00 weighs nothing.
    small = path("^RUT", {0: 101.0, 10: 100.0, 11: 99.0, 30: 102.0})
    large = path("^GSPC", {0: 100.0, 10: 100.0, 11: 100.0, 30: 100.0})
    race = today_race(small, large)
    assert race is not None
    assert race.share_small == pytest.approx(10 / 30)
    assert race.share_level == pytest.approx(1 / 30)
    assert race.share_large == pytest.approx(19 / 30)


def test_widest_gaps_both_ways_first_time_reached():
    small = path("^RUT", {0: 100.5, 5: 101.0, 10: 99.0, 15: 101.0, 20: 99.0})
    large = path("^GSPC", {m: 100.0 for m in (0, 5, 10, 15, 20)})
    race = today_race(small, large)
    assert race is not None and race.widest_small is not None and race.widest_large is not None
    assert (race.widest_small.value, race.widest_small.time) == (pytest.approx(0.01), at(5))
    assert (race.widest_large.value, race.widest_large.time) == (pytest.approx(-0.01), at(10))


def test_a_side_that_never_led_has_no_widest_gap():
    race = today_race(path("^RUT", {0: 101.0, 5: 102.0}), path("^GSPC", {0: 100.0, 5: 100.0}))
    assert race is not None and race.widest_large is None and race.lead_changes == ()
    assert race.share_small == 1.0 and race.share_large == 0.0


def test_complete_only_when_both_paths_ran_to_the_close():
    small = path("^RUT", {0: 101.0, 5: 102.0}, complete=True)
    large = path("^GSPC", {0: 100.0, 5: 100.0}, complete=True)
    assert today_race(small, large).complete  # type: ignore[union-attr]
    assert not today_race(small, replace(large, complete=False)).complete  # type: ignore[union-attr]


def test_no_path_keeps_the_sources_reason():
    assert today_race(None, None) is None
    note = "the replay folder holds daily closes only: no intraday path"
    assert today_race(None, None, note) == Today(session=None, note=note)
    one = today_race(path("^RUT", {0: 101.0}), None)
    assert one is not None and one.times == () and "^RUT" in (one.note or "")


def test_paths_of_different_sessions_are_not_raced():
    small = path("^RUT", {0: 101.0})
    large = replace(path("^GSPC", {0: 100.0}), session=pd.Timestamp("2026-11-27"))
    race = today_race(small, large)
    assert race is not None and race.times == () and "different sessions" in (race.note or "")


def test_one_point_has_no_share_yet():
    race = today_race(path("^RUT", {0: 101.0}), path("^GSPC", {0: 100.0}))
    assert race is not None and race.leader == "small"
    assert race.share_small is None and race.share_large is None and race.share_level is None


# -- properties -------------------------------------------------------------------------------------------------
prices = st.lists(st.sampled_from([99.0, 99.5, 100.0, 100.5, 101.0]), min_size=1, max_size=40)
steps = st.lists(st.integers(min_value=1, max_value=10), min_size=40, max_size=40)


def _paths(small_prices, large_prices, small_steps, large_steps):
    def build(symbol, values, gaps):
        minutes, t = [], 0
        for g in gaps[: len(values)]:
            minutes.append(t)
            t += g
        return path(symbol, dict(zip(minutes, values)))

    return build("^RUT", small_prices, small_steps), build("^GSPC", large_prices, large_steps)


MIRROR = {"small": "large", "large": "small", "none": "none"}


@settings(max_examples=150, deadline=None)
@given(prices, prices, steps, steps)
def test_swapping_the_sides_mirrors_everything(a, b, ga, gb):
    small, large = _paths(a, b, ga, gb)
    race, swapped = today_race(small, large), today_race(large, small)
    assert race is not None and swapped is not None
    assert swapped.times == race.times
    assert swapped.small == race.large and swapped.large == race.small
    assert swapped.difference == pytest.approx(tuple(-d for d in race.difference))
    assert swapped.leader == MIRROR[race.leader]
    assert [(c.time, MIRROR[c.leader]) for c in race.lead_changes] == [(c.time, c.leader) for c in swapped.lead_changes]
    assert (swapped.share_small, swapped.share_large, swapped.share_level) == (
        race.share_large,
        race.share_small,
        race.share_level,
    )
    for mine, theirs in ((race.widest_small, swapped.widest_large), (race.widest_large, swapped.widest_small)):
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            assert theirs.value == pytest.approx(-mine.value) and theirs.time == mine.time


@settings(max_examples=150, deadline=None)
@given(prices, prices, steps, steps)
def test_shares_sum_to_one_and_lead_changes_are_sign_changes(a, b, ga, gb):
    small, large = _paths(a, b, ga, gb)
    race = today_race(small, large)
    assert race is not None
    if len(race.times) > 1:
        assert race.share_small + race.share_large + race.share_level == pytest.approx(1.0)  # type: ignore[operator]
    # Counted here from the prices on the grid: signs of small's change less large's, level points left out.
    signs = []
    for small_change, large_change in zip(race.small, race.large):
        gap = round((small_change - large_change) * 1e6)  # prices in 0.5 steps: no doubt at 1e-6
        if gap:
            signs.append(gap > 0)
    expected = sum(1 for x, y in zip(signs, signs[1:]) if x != y)
    assert len(race.lead_changes) == expected


# -- the pre-market read -----------------------------------------------------------------------------------------
T = datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc)


def streak(leader, length) -> Streak:
    return Streak(leader, length, None, None, None, None, None, None)


def futures(rty: float, es: float) -> dict[str, FuturesQuote]:
    return {"RTY=F": FuturesQuote("RTY=F", rty, 2000.0, T), "ES=F": FuturesQuote("ES=F", es, 6000.0, T)}


def test_premarket_same_leader_extends_the_streak():
    read = premarket_read("RTY=F", "ES=F", futures(2010.0, 6012.0), streak("small", 12))
    assert read.small is not None and read.large is not None
    assert read.small.change == pytest.approx(0.005) and read.large.change == pytest.approx(0.002)
    assert (read.leader, read.streak_leader, read.streak_length, read.note) == ("small", "small", 13, None)


def test_premarket_other_leader_starts_at_one_and_a_tie_ends_it():
    assert premarket_read("RTY=F", "ES=F", futures(1990.0, 6000.0), streak("small", 12)).streak_length == 1
    level = premarket_read("RTY=F", "ES=F", futures(2010.0, 6030.0), streak("small", 12))
    assert (level.leader, level.streak_leader, level.streak_length) == ("none", "none", 0)


def test_premarket_unknown_with_the_reason():
    read = premarket_read("RTY=F", "ES=F", {"ES=F": futures(1.0, 6010.0)["ES=F"]}, streak("small", 3), "HTTP 404")
    assert read.leader is None and read.streak_length is None and read.small is None and read.large is not None
    assert read.note == "no futures quote for RTY=F: HTTP 404"
    nothing = premarket_read("RTY=F", "ES=F", {}, streak("small", 3))
    assert nothing.note == "no futures quote for RTY=F and ES=F"
