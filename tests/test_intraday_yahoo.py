"""Today's race from Yahoo (issue 13, items 2 and 3): the pair's paths seeded from 5-minute bars, extended by the
quotes each refresh already makes, seeded again after a gap and once after the close, kept in the cache across a
restart; Yahoo's 422 and empty answers in plain words, with the rest of the monitor unaffected; the futures read
before the open. Through real yfinance against the fake Yahoo on 127.0.0.1, which plays a 5-minute session.

Every expected path is what the fake served (its bars at that instant), and every request count is read from the
fake's own log: nothing here is typed in from the code under test."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from tests.fake_yahoo import END, PAIR, clock, fake_yahoo, make_bars, make_source, market  # noqa: F401  (fixtures)
from tui.data.base import LABEL_LIVE

NY = ZoneInfo("America/New_York")
FRIDAY = date(2026, 1, 16)  # the session after END (Thursday)
MINUTES = 390  # 09:30 to 16:00


def et(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=NY).astimezone(timezone.utc)


def play(market, day: date = FRIDAY, seed: int = 7) -> None:
    """Both indices trade all of ``day``: a reproducible walk a minute from the close before it."""
    rng = np.random.default_rng(seed)
    for symbol in PAIR:
        last = float(market.bars[symbol]["close"].loc[: pd.Timestamp(day) - pd.Timedelta(days=1)].iloc[-1])
        market.play_session(symbol, day, list(last * np.cumprod(1 + rng.normal(0, 0.0004, MINUTES))))


def served(market, symbol: str) -> tuple[tuple[datetime, ...], tuple[float, ...]]:
    """The 5-minute bars the fake serves for ``symbol`` now: (starts, closes)."""
    bars = market.session_bars(symbol)
    return tuple(datetime.fromtimestamp(b["ts"], timezone.utc) for b in bars), tuple(b["close"] for b in bars)


def assert_path_is_served(data, market, symbols=PAIR) -> None:
    for symbol in symbols:
        path = data.intraday[symbol]
        assert (path.times, path.prices) == served(market, symbol), symbol
        assert path.session == pd.Timestamp(FRIDAY)
        # The race is measured from Thursday's close, as the chart sent it (float32) and the cache stored it.
        assert path.previous_close == market.sent_closes(symbol).iloc[-1]


@pytest.fixture
def playing(market, make_source, clock):
    """A source whose daily bars are stored through Thursday, at Friday's open + 30 min, the session playing."""
    play(market)
    source = make_source()
    source.fetch(list(PAIR))  # Thursday evening: history stored (and Thursday's race, which is not ours here)
    clock.now = et(FRIDAY, 10, 0)
    source.fundamentals(clock.now)  # the new day's P/E: once a day, not part of the rounds counted below
    market.at(clock.now)
    market.reset_counts()
    return source


def test_the_session_is_seeded_once_then_extended_by_the_quotes_alone(playing, market, clock):
    data = playing.fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1, "intraday": 2}  # one batched quote, one seed per index
    assert data.label == LABEL_LIVE and not data.stale and data.errors == [] and data.intraday_note is None
    assert_path_is_served(data, market)
    assert len(data.intraday["^RUT"].times) == 7  # 09:30 to 10:00, every 5 minutes

    for minute in range(1, 21):  # twenty refreshes a minute apart: 10:01 to 10:20, across four bar boundaries
        clock.advance(minutes=1)
        market.at(clock.now)
        data = playing.fetch(list(PAIR))
        assert market.take_requests() == {"quote": 1}, minute
        assert_path_is_served(data, market)
        assert not any(path.complete for path in data.intraday.values())
    assert data.intraday["^GSPC"].times[-1] == et(FRIDAY, 10, 20)


def test_a_gap_of_more_than_15_minutes_is_filled_by_a_new_seed(playing, market, clock):
    playing.fetch(list(PAIR))
    market.take_requests()
    clock.advance(minutes=15)  # exactly the gap allowed: the quote still extends the path
    market.at(clock.now)
    playing.fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1}
    clock.advance(minutes=15)
    market.at(clock.now)
    data = playing.fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1}
    # The quote alone left the bars between holes: 10:00, 10:15, 10:30 and nothing in between.
    assert data.intraday["^RUT"].times[-3:] == (et(FRIDAY, 10, 0), et(FRIDAY, 10, 15), et(FRIDAY, 10, 30))
    assert len(data.intraday["^RUT"].times) < len(served(market, "^RUT")[0])

    clock.advance(minutes=16)  # the laptop slept: nothing observed for 16 minutes
    market.at(clock.now)
    data = playing.fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1, "intraday": 2}
    assert_path_is_served(data, market)


def test_the_close_replaces_the_path_with_yahoos_bars_and_completes_it(playing, market, clock):
    playing.fetch(list(PAIR))
    clock.now = et(FRIDAY, 15, 58)
    market.at(clock.now)
    playing.fetch(list(PAIR))  # a gap: seeded again
    market.take_requests()
    clock.now = et(FRIDAY, 16, 10, 1)  # the session's bar is final: the end-of-day refresh
    market.at(clock.now)
    data = playing.fetch(list(PAIR))
    # The final daily bar of each index (its chart), and the final seed of each path.
    assert market.take_requests() == {"chart": 2, "intraday": 2}
    assert_path_is_served(data, market)
    assert all(path.complete for path in data.intraday.values())
    assert len(data.intraday["^RUT"].times) == MINUTES // 5  # 09:30 to 15:55
    for symbol in PAIR:  # the day's final bar closes where its path ends
        assert data.closes[symbol].iloc[-1] == data.intraday[symbol].prices[-1]
        assert data.closes.index[-1] == pd.Timestamp(FRIDAY)

    clock.now = et(FRIDAY, 22, 10, 1)  # an idle check later that evening: the path stays, asked no more
    data = playing.fetch(list(PAIR))
    assert market.take_requests().get("intraday", 0) == 0
    assert all(path.complete for path in data.intraday.values())
    clock.now = et(date(2026, 1, 17), 12)  # and through the weekend, until the next session opens
    assert playing.fetch(list(PAIR)).intraday["^RUT"].complete


def test_a_restart_mid_session_shows_the_whole_day_from_the_cache_with_no_seed(
    playing, market, clock, make_source, tmp_path
):
    for _ in range(6):
        clock.advance(minutes=1)
        market.at(clock.now)
        before = playing.fetch(list(PAIR))
    playing.close()
    market.take_requests()

    clock.advance(minutes=2)  # restarted two minutes later
    market.at(clock.now)
    data = make_source(tmp_path / "bars.db").fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1}  # no seed: the cached path was observed 2 minutes ago
    assert_path_is_served(data, market)
    assert data.intraday["^RUT"].times[: len(before.intraday["^RUT"].times)] == before.intraday["^RUT"].times


def test_a_restart_after_a_long_sleep_seeds_again(playing, market, clock, make_source, tmp_path):
    playing.fetch(list(PAIR))
    playing.close()
    clock.advance(minutes=40)
    market.at(clock.now)
    market.take_requests()
    data = make_source(tmp_path / "bars.db").fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1, "intraday": 2}
    assert_path_is_served(data, market)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("not_available", "Yahoo has no 5-minute bars for ^RUT (Unprocessable Entity: 5m data not available."),
        ("no_session", "Yahoo has no 5-minute bars for ^RUT yet (its answer held no session)"),
        ("empty", "Yahoo returned no intraday data for ^RUT"),
    ],
)
def test_an_intraday_failure_is_said_plainly_and_nothing_else_changes(playing, market, clock, fault, words):
    market.fault(fault, endpoint="intraday", symbol="^RUT")  # ("not_available": Yahoo's recorded 422 body)
    data = playing.fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1, "intraday": 2}
    assert data.intraday_note is not None and data.intraday_note.startswith(words)
    assert "startTime" not in data.intraday_note  # Yahoo's epochs say nothing to a reader
    assert set(data.intraday) == {"^GSPC"}  # the other index has its path
    # The rest is as if nothing happened: live, current, no error, nobody blamed, no retry scheduled.
    assert data.label == LABEL_LIVE and not data.stale and data.errors == [] and data.retry_in is None
    assert data.dropped == () and playing._health().waiting(clock.now) == {}
    assert set(data.quotes) == set(PAIR)

    clock.advance(minutes=1)  # asked again only after a while, not on every refresh
    market.at(clock.now)
    data = playing.fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1} and data.intraday_note.startswith(words)
    market.clear_faults()
    clock.advance(minutes=15)
    market.at(clock.now)
    data = playing.fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1, "intraday": 1} and data.intraday_note is None
    assert_path_is_served(data, market, ["^RUT"])  # (^GSPC's quotes came 15 minutes apart: no gap, no seed)


def test_yahoo_down_for_the_intraday_bars_leaves_the_round_alone(playing, market, clock):
    market.fault("status", 503, endpoint="intraday")
    data = playing.fetch(list(PAIR))
    assert data.intraday == {} and "today's race not updated: Yahoo server error (HTTP 503" in data.intraday_note
    assert market.take_requests() == {"quote": 1, "intraday": 1}  # the second index is not asked into a 503
    assert data.label == LABEL_LIVE and not data.stale and data.errors == [] and data.retry_in is None


# -- the pre-market read ----------------------------------------------------------------------------------------

FUTURES = ("RTY=F", "ES=F")


@pytest.fixture
def before_open(market, make_source, clock):
    """Thursday's bars (and race) on hand, Friday 08:00 ET; the futures trade since the evening (last trade
    07:59)."""
    for i, symbol in enumerate(FUTURES):
        market.bars[symbol] = make_bars(END, n=30, start_price=(2000.0, 6000.0)[i], seed=40 + i)
    play(market, END)
    market.at(clock.now)
    source = make_source()
    source.fetch(list(PAIR))
    clock.now = et(FRIDAY, 8, 0)
    market.at(clock.now)
    source.fundamentals(clock.now)
    for symbol in FUTURES:
        thursday = float(market.bars[symbol]["close"].iloc[-1])
        market.set_intraday(symbol, round(thursday * 1.004, 2), et(FRIDAY, 7, 59))
    market.reset_counts()
    return source


def test_the_futures_ride_in_the_batched_quote_before_the_open(before_open, market, clock):
    data = before_open.fetch(list(PAIR))
    assert market.take_requests() == {"quote": 1}  # the pair's bars are current: one quote request serves all
    for symbol in FUTURES:
        read = data.futures[symbol]
        price, when = market.intraday[symbol]
        assert (read.price, read.time) == (price, when)
        assert read.previous_close == float(market.bars[symbol]["close"].iloc[-1])  # Thursday's settlement
    assert data.futures_note is None
    assert list(data.closes.columns) == list(PAIR)  # never a close, never in the streak
    # Thursday's race stays on screen until Friday's session opens.
    assert all(path.session == pd.Timestamp(END) and path.complete for path in data.intraday.values())


def test_a_future_yahoo_has_nothing_for_is_said_and_blames_nobody(before_open, market, clock):
    del market.bars["ES=F"]  # Yahoo leaves an unknown symbol out of a quote answer
    data = before_open.fetch(list(PAIR))
    assert set(data.futures) == {"RTY=F"} and data.futures_note == "Yahoo has no futures quote for ES=F"
    assert data.errors == [] and data.dropped == () and "ES=F" not in before_open._health().to_json()


def test_the_futures_come_from_their_charts_while_the_quote_endpoint_refuses(before_open, market, clock):
    market.fault("unauthorized", endpoint="quote")  # Yahoo's recorded 401 "Invalid Crumb"-style refusal
    data = before_open.fetch(list(PAIR))
    for symbol in FUTURES:
        read = data.futures[symbol]
        assert (read.price, read.time) == market.intraday[symbol]
        assert read.previous_close == float(market.bars[symbol]["close"].iloc[-1])
    assert market.count("intraday", "RTY=F") == market.count("intraday", "ES=F") == 1


def test_no_futures_read_once_the_session_opens(before_open, market, clock):
    clock.now = et(FRIDAY, 9, 31)
    data = before_open.fetch(list(PAIR))
    assert data.futures == {} and data.futures_note is None
    assert not any("=F" in symbol for _, symbol, _ in market.log)


def test_a_failed_final_seed_is_not_asked_again_even_after_a_restart(playing, market, clock, make_source, tmp_path):
    playing.fetch(list(PAIR))
    market.fault("not_available", endpoint="intraday")
    clock.now = et(FRIDAY, 16, 10, 1)
    market.at(clock.now)
    market.take_requests()
    data = playing.fetch(list(PAIR))
    assert market.take_requests() == {"chart": 2, "intraday": 2}
    assert "Yahoo has no 5-minute bars for ^RUT" in data.intraday_note
    # The path the quotes built stays on screen, not complete: Yahoo's own bars never came.
    assert data.intraday["^RUT"].times[0] == et(FRIDAY, 9, 30) and not data.intraday["^RUT"].complete
    playing.close()
    clock.advance(hours=6)
    data = make_source(tmp_path / "bars.db").fetch(list(PAIR))
    assert market.take_requests() == {"chart": 2}  # the idle check's charts; the race is not asked for again
    assert "Yahoo has no 5-minute bars for ^RUT" in data.intraday_note
