"""Batched intraday quotes: while the market is open and the stored bars owe nothing, one ``v7/finance/quote``
request stands for every symbol's chart request. Through real yfinance against the fake server."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from tests.fake_yahoo import END, PAIR, TRAILING_PE, as_sent, clock, fake_yahoo, make_source, market, seed_market  # noqa: F401  (fixtures)
from tests.test_yahoo_faults import ONE_S, TRANSPORT_FAULTS, switch_off, switch_on
from tui.data.backoff import Backoff
from tui.data.base import LABEL_LIVE
from tui.data.yahoo_parse import parse_batch_quotes

FRIDAY_OPEN = datetime(2026, 1, 16, 15, 0, tzinfo=timezone.utc)  # 10:00 ET, the session after END
FRIDAY_FINAL = datetime(2026, 1, 16, 21, 11, tzinfo=timezone.utc)  # 16:11 ET: close + grace passed
TUESDAY_OPEN = datetime(2026, 1, 20, 15, 0, tzinfo=timezone.utc)  # 10:00 ET; Monday 19th is a holiday (MLK)


def move_quotes(market, symbols, now, step=0) -> dict[str, tuple[float, datetime]]:
    """A session in progress for each symbol; returns what the fake serves: {symbol: (price, time)}."""
    served = {}
    for k, symbol in enumerate(symbols):
        price = round(float(market.bars[symbol]["close"].iloc[-1]) * (1 + 0.001 * (step + k + 1)), 4)
        when = now - timedelta(seconds=30)
        market.set_intraday(symbol, price, when)
        served[symbol] = (price, when)
    return served


def requests_by_endpoint(market) -> dict[str, int]:
    return {e: market.count(e) for e in ("chart", "quote")}


def assert_quotes_served(data, served) -> None:
    assert {s: (q.price, q.time) for s, q in data.quotes.items()} == served
    assert all(q.session == pd.Timestamp(served[s][1].date()) for s, q in data.quotes.items())


@pytest.fixture
def current(market, make_source, clock):
    """A source whose bars are stored through END (fetched after that day's close), at the next open. Its quote
    endpoint backs off by exactly 5 min, doubling (no jitter: the waits said can be checked)."""
    source = make_source(quote_backoff=Backoff(base=300.0, cap=3600.0, jitter=0.0))
    source.fetch([*PAIR, "IWM"])
    clock.now = FRIDAY_OPEN
    source.fundamentals(clock.now)  # the new day's info (also v7/finance/quote, once a day): not counted below
    market.reset_counts()
    return source


def test_open_session_refresh_is_one_quote_request_and_no_chart(market, current, clock):
    symbols = [*PAIR, "IWM"]
    before = current.cached(symbols, clock.now).closes
    for step in range(3):
        clock.advance(seconds=60)
        served = move_quotes(market, symbols, clock.now, step)
        market.reset_counts()
        data = current.fetch(symbols)
        assert requests_by_endpoint(market) == {"chart": 0, "quote": 1}
        assert [s for e, s, q in market.log if e == "quote"] == [",".join(symbols)]  # one request names all
        assert not data.stale and data.errors == [] and data.label == LABEL_LIVE
        assert_quotes_served(data, served)
        pd.testing.assert_frame_equal(data.closes, before)  # a quote is never a close
        assert data.fetched_at == clock.now  # the bars were confirmed current just now


def test_after_the_close_the_days_bar_comes_by_chart(market, current, clock):
    served = move_quotes(market, PAIR, clock.now)
    assert_quotes_served(current.fetch(PAIR), served)
    assert requests_by_endpoint(market) == {"chart": 0, "quote": 1}

    clock.now = FRIDAY_FINAL  # the session is complete: its bar is owed, and only a chart carries it
    market.reset_counts()
    data = current.fetch(PAIR)
    assert {s: market.count("chart", s) for s in PAIR} == {s: 1 for s in PAIR} and market.count("quote") == 0
    # The day's bar as the chart sends it: the last quote's price as a float32 value.
    assert {s: data.closes.loc["2026-01-16", s] for s in PAIR} == {s: as_sent(served[s][0]) for s in PAIR}
    assert data.quotes == {}


def test_a_new_completed_day_switches_back_to_charts_then_to_the_batch(market, current, clock):
    seed_market(market, end=END + timedelta(days=1), n=261)  # Friday's bar, not seen while the monitor was off
    clock.now = TUESDAY_OPEN
    current.fundamentals(clock.now)  # a new day's info, out of the way
    market.reset_counts()
    move_quotes(market, PAIR, clock.now)
    data = current.fetch(PAIR)
    assert {s: market.count("chart", s) for s in PAIR} == {s: 1 for s in PAIR} and market.count("quote") == 0
    assert data.closes.index[-1] == pd.Timestamp("2026-01-16")

    clock.advance(seconds=60)
    served = move_quotes(market, PAIR, clock.now, step=1)
    market.reset_counts()
    data = current.fetch(PAIR)
    assert requests_by_endpoint(market) == {"chart": 0, "quote": 1}
    assert_quotes_served(data, served)


def test_a_symbol_that_owes_a_bar_goes_by_chart_while_the_others_ride_the_batch(market, make_source, clock):
    symbols = [*PAIR, "IWM"]
    market.bars["IWM"] = market.bars["IWM"].iloc[:-1]  # like ^TNX on a bond holiday: no bar for the last session
    source = make_source()
    source.fetch(symbols)
    clock.now = FRIDAY_OPEN
    source.fundamentals(clock.now)  # info, out of the way
    for step in range(2):  # the bar stays owed, so every refresh: the batch for two, a chart for IWM
        clock.advance(seconds=60)
        served = move_quotes(market, symbols, clock.now, step)
        market.reset_counts()
        data = source.fetch(symbols)
        assert [s for e, s, q in market.log if e == "quote"] == [",".join(PAIR)]
        assert {s: market.count("chart", s) for s in symbols} == {"^RUT": 0, "^GSPC": 0, "IWM": 1}
        assert not data.stale
        assert_quotes_served(data, served)


def test_no_batch_on_first_sight(market, make_source, clock):
    clock.now = FRIDAY_OPEN
    served = move_quotes(market, PAIR, clock.now)
    source = make_source()
    source.fundamentals(clock.now)  # info, out of the way
    market.reset_counts()
    data = source.fetch(PAIR)
    assert market.count("quote") == 0 and {s: market.count("chart", s) for s in PAIR} == {s: 2 for s in PAIR}
    assert_quotes_served(data, served)


@pytest.mark.parametrize("kind", ["empty", "null_last"])
def test_a_symbol_without_a_usable_batch_quote_falls_back_to_its_chart(market, current, clock, kind):
    symbols = [*PAIR, "IWM"]
    served = move_quotes(market, symbols, clock.now)
    market.fault(kind, endpoint="quote", symbol="IWM")  # left out of the answer, or sent with a null price
    data = current.fetch(symbols)
    assert market.count("quote") == 1
    assert {s: market.count("chart", s) for s in symbols} == {"^RUT": 0, "^GSPC": 0, "IWM": 1}
    assert not data.stale and data.errors == []
    assert_quotes_served(data, served)


def test_an_unknown_symbol_left_out_of_the_batch_backs_off_on_its_own(market, current, clock):
    symbols = [*PAIR, "IWM"]
    del market.bars["IWM"]  # Yahoo no longer knows it: the batch leaves it out, its chart says 404
    move_quotes(market, PAIR, clock.now)
    data = current.fetch(symbols)
    assert market.count("chart", "IWM") == 1 and market.count("chart") == 1
    assert data.errors == ["Yahoo has no data for IWM (HTTP 404 “No data found”) — retrying it in 2 min"]
    assert not data.stale

    market.reset_counts()
    clock.advance(seconds=60)
    current.fetch(symbols)
    assert requests_by_endpoint(market) == {"chart": 0, "quote": 1}  # IWM waits; the pair rides the batch
    assert [s for e, s, q in market.log if e == "quote"] == [",".join(PAIR)]


#: What the quote endpoint may refuse while the chart endpoint serves (the crumb is the quote endpoint's alone).
QUOTE_REFUSALS = [
    ("status", 401, "Yahoo refused the request (HTTP 401 Unauthorized)"),
    ("status", 403, "Yahoo refused the request (HTTP 403 Forbidden)"),
    ("status", 429, "Yahoo rate limit (HTTP 429)"),
    ("status", 503, "Yahoo server error (HTTP 503)"),
    ("malformed", None, "Yahoo sent a malformed quote answer"),
]


@pytest.mark.parametrize("kind,value,words", QUOTE_REFUSALS, ids=[f"{k}-{v}" for k, v, _ in QUOTE_REFUSALS])
def test_a_refused_batch_falls_back_to_charts_in_the_same_round(market, current, clock, kind, value, words, capfd):
    good = current.fetch(PAIR)  # the batch: history current, quotes in memory
    assert market.count("quote") == 1
    market.fault(kind, value, endpoint="quote")
    served = move_quotes(market, PAIR, clock.now + timedelta(minutes=1))
    market.reset_counts()
    clock.advance(minutes=1)

    data = current.fetch(PAIR)
    # The charts answered: live, fresh, current quotes; what Yahoo refused is said once, in plain words.
    assert (data.label, data.stale, data.retry_in) == (LABEL_LIVE, False, None)
    assert data.errors == [
        f"{words} on the batched quote request; asking for each symbol's chart instead (quotes tried again in 5 min)"
    ]
    assert {s: market.count("chart", s) for s in PAIR} == {s: 1 for s in PAIR}
    assert_quotes_served(data, served)
    pd.testing.assert_frame_equal(data.closes, good.closes)

    # While the quote endpoint backs off, the charts carry the monitor, and nothing is said again.
    market.reset_counts()
    clock.advance(minutes=1)
    data = current.fetch(PAIR)
    assert requests_by_endpoint(market) == {"chart": 2, "quote": 0} and data.errors == [] and not data.stale

    market.clear_faults()
    clock.advance(minutes=5)
    served = move_quotes(market, PAIR, clock.now)
    market.reset_counts()
    data = current.fetch(PAIR)
    assert requests_by_endpoint(market) == {"chart": 0, "quote": 1} and data.errors == []
    assert_quotes_served(data, served)
    assert capfd.readouterr() == ("", "")  # yfinance's cookie/crumb complaints never reach the terminal


NO_ANSWER = TRANSPORT_FAULTS[3:]  # timeout, dropped connection, refused connection


@pytest.mark.parametrize("kind,value,words", NO_ANSWER, ids=[f"{k}-{v}" for k, v, _ in NO_ANSWER])
def test_no_answer_to_the_batch_stops_the_round_and_backs_off(market, current, clock, kind, value, words, capfd):
    """No answer at all: the charts would get none either, so none is sent."""
    good = current.fetch(PAIR)
    switch_on(market, kind, value, endpoint="quote")
    market.reset_counts()
    clock.advance(minutes=1)

    data = current.fetch(PAIR)
    assert data.stale and data.retry_in is not None and 0.8 <= data.retry_in <= 1.2
    assert len(data.errors) == 1 and re.fullmatch(re.escape(words) + ONE_S, data.errors[0])
    pd.testing.assert_frame_equal(data.closes, good.closes)
    assert data.quotes == good.quotes  # the last good quotes stay
    assert market.count("chart") == 0

    market.reset_counts()
    data = current.fetch(PAIR)  # backing off: no request at all
    assert data.stale and sum(market.counts.values()) == 0 and data.errors[0].startswith(words)

    switch_off(market, kind)
    clock.advance(seconds=2)
    served = move_quotes(market, PAIR, clock.now)
    market.reset_counts()
    data = current.fetch(PAIR)
    assert not data.stale and data.errors == [] and data.label == LABEL_LIVE
    assert requests_by_endpoint(market) == {"chart": 0, "quote": 1}
    assert_quotes_served(data, served)
    assert capfd.readouterr() == ("", "")


def test_info_and_fundamentals_still_work_next_to_the_batch(market, current, clock):
    from tui.data.yahoo_session import quiet_yfinance

    served = move_quotes(market, ["SPY"], clock.now)
    current.fetch(PAIR)
    clock.advance(days=1, minutes=5)  # Saturday: info is due again, and there is no session
    assert current.fundamentals(clock.now) == {s: {"trailing_pe": pe} for s, pe in TRAILING_PE.items()}
    info = quiet_yfinance().Ticker("SPY", session=current.transport.session).info
    assert info["trailingPE"] == TRAILING_PE["SPY"] and info["regularMarketPrice"] == served["SPY"][0]


def test_parse_batch_quotes_keeps_usable_quotes_only():
    ok = {"symbol": "^RUT", "regularMarketPrice": 2402.4, "regularMarketTime": 1795208400}
    answer = {
        "quoteResponse": {
            "error": None,
            "result": [
                ok,
                {"symbol": "A", "regularMarketPrice": math.nan, "regularMarketTime": 1795208400},
                {"symbol": "B", "regularMarketPrice": 1.0},
                {"symbol": "C", "regularMarketPrice": True, "regularMarketTime": 1795208400},
                {"symbol": "D", "regularMarketPrice": "1.0", "regularMarketTime": 1795208400},
                {"symbol": "E", "regularMarketPrice": 1, "regularMarketTime": math.inf},
            ],
        }
    }
    assert parse_batch_quotes(answer) == {"^RUT": (2402.4, 1795208400.0)}
    assert parse_batch_quotes({"quoteResponse": {"result": [], "error": None}}) == {}
    for malformed in (
        None,
        [],
        {"chart": {}},
        {"quoteResponse": None},
        {"quoteResponse": {"result": None}},
        {"quoteResponse": {"result": [1]}},
        {"quoteResponse": {"result": [{"price": 1}]}},
    ):
        assert parse_batch_quotes(malformed) is None
