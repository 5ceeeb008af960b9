"""YahooSource against the fake server: what it fetches, how often, and what it returns."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from tests.fake_yahoo import AFTER_CLOSE, END, PAIR, TRAILING_PE, clock, fake_yahoo, make_source, market, seed_market  # noqa: F401  (fixtures)
from tui.data.base import LABEL_DELAYED, LABEL_LIVE
from tui.data.yahoo_session import make_session, quiet_yfinance, rewrite_url


def assert_same_closes(got: pd.Series, want: pd.Series) -> None:
    assert list(got.index) == list(want.index)
    assert got.tolist() == pytest.approx(want.tolist(), rel=1e-12)


def test_rewrite_url_maps_any_yahoo_host_and_leaves_others():
    base = "http://127.0.0.1:9"
    assert rewrite_url("https://query2.finance.yahoo.com/v8/finance/chart/%5ERUT?range=5d", base) == (
        "http://127.0.0.1:9/query2.finance.yahoo.com/v8/finance/chart/%5ERUT?range=5d"
    )
    assert rewrite_url("https://fc.yahoo.com", base + "/") == "http://127.0.0.1:9/fc.yahoo.com/"
    assert rewrite_url("https://yahoo.com/x", base) == "http://127.0.0.1:9/yahoo.com/x"
    assert rewrite_url("https://notyahoo.com/x", base) == "https://notyahoo.com/x"
    assert rewrite_url("https://query1.finance.yahoo.com/v1/test/getcrumb", None).startswith("https://query1")


def test_shared_session_and_quiet_yfinance():
    assert make_session() is make_session()
    assert make_session().max_timeout == 10.0
    yf = quiet_yfinance()
    log = logging.getLogger("yfinance")
    assert log.propagate is False and any(isinstance(h, logging.NullHandler) for h in log.handlers)
    assert yf.config.debug.hide_exceptions is False


def test_first_fetch_stores_full_history_then_refresh_is_one_request(market, make_source):
    source = make_source()
    data = source.fetch(PAIR)

    assert data.source == "yahoo" and data.label == LABEL_LIVE and not data.stale and data.errors == []
    for symbol in PAIR:
        assert_same_closes(data.closes[symbol], market.sent_closes(symbol))
    assert data.closes.index[-1] == pd.Timestamp(END)
    assert data.fetched_at == AFTER_CLOSE and data.now == AFTER_CLOSE
    assert data.fundamentals == {s: {"trailing_pe": pe} for s, pe in TRAILING_PE.items()}
    # First sight: our own 5-day request plus yfinance's full history (its tz request is saved).
    assert {s: market.count("chart", s) for s in PAIR} == {s: 2 for s in PAIR}
    assert any("period1" in q for e, s, q in market.log if e == "chart" and s == "^RUT")

    market.reset_counts()
    again = source.fetch(PAIR)
    assert {s: market.count("chart", s) for s in PAIR} == {s: 1 for s in PAIR}
    assert all("range=5d" in q for e, s, q in market.log if e == "chart")
    assert market.count("quoteSummary") == market.count("quote") == 0  # info: once a day
    pd.testing.assert_frame_equal(again.closes, data.closes)


def test_adj_close_kept_next_to_raw_close(market, make_source):
    source = make_source()
    source.fetch(["IWM"])
    bars = source.cache.bars("IWM")
    served = market.bars["IWM"]
    assert list(bars["close"].round(4)) == list(served["close"])
    assert list(bars["adj_close"].round(4)) == list(served["adj_close"])


def test_second_instance_on_same_cache_does_not_refetch_history_or_info(market, make_source, tmp_path, clock):
    make_source(tmp_path / "shared.db").fetch(PAIR)
    market.reset_counts()

    second = make_source(tmp_path / "shared.db")
    data = second.fetch(PAIR)
    assert {s: market.count("chart", s) for s in PAIR} == {s: 1 for s in PAIR}
    assert market.count("quoteSummary") == 0
    assert data.fundamentals["IWM"] == {"trailing_pe": TRAILING_PE["IWM"]}

    clock.advance(days=1)  # a new day: info once more, for each fund
    second.fetch(PAIR)
    second.fetch(PAIR)
    assert market.count("quoteSummary", "IWM") == 1 and market.count("quoteSummary", "SPY") == 1


def test_intraday_quote_until_the_session_completes(market, make_source, clock):
    source = make_source()
    source.fetch(PAIR)

    clock.now = datetime(2026, 1, 16, 15, 0, tzinfo=timezone.utc)  # Friday 10:00 ET, market open
    for symbol, price in (("^RUT", 2100.5), ("^GSPC", 6100.25)):
        market.set_intraday(symbol, price, clock.now - timedelta(minutes=1))
    data = source.fetch(PAIR)
    assert data.label == LABEL_LIVE
    assert data.closes.index[-1] == pd.Timestamp(END)  # the partial bar is never a close
    quote = data.quotes["^RUT"]
    assert (quote.price, quote.session) == (2100.5, pd.Timestamp("2026-01-16"))
    assert quote.time == clock.now - timedelta(minutes=1)

    clock.advance(minutes=30)  # Yahoo's quote did not move for 31 minutes while the market is open
    assert source.fetch(PAIR).label == LABEL_DELAYED

    # 16:05 ET: closed, but within the 10-minute grace: still provisional.
    clock.now = datetime(2026, 1, 16, 21, 5, tzinfo=timezone.utc)
    data = source.fetch(PAIR)
    assert data.closes.index[-1] == pd.Timestamp(END) and "^RUT" in data.quotes

    clock.now = datetime(2026, 1, 16, 21, 11, tzinfo=timezone.utc)  # grace over: the bar is final
    data = source.fetch(PAIR)
    assert data.closes.loc["2026-01-16", "^RUT"] == 2100.5
    assert data.quotes == {}


def test_gap_after_days_off_is_covered_by_one_request(market, make_source, clock):
    source = make_source()
    source.fetch(PAIR)
    seed_market(market, end=END + timedelta(days=14), n=270)  # same walk, ten more sessions
    clock.advance(days=14)
    market.reset_counts()

    data = source.fetch(PAIR)
    assert {s: market.count("chart", s) for s in PAIR} == {s: 1 for s in PAIR}
    assert all("period1" in q for e, s, q in market.log if e == "chart")
    new = market.sent_closes("^RUT").loc[pd.Timestamp(END) + timedelta(days=1) :]
    assert len(new) == 10
    assert_same_closes(data.closes.loc[new.index, "^RUT"], new)


def test_a_rebuilt_corrupt_cache_is_reported_once(market, make_source, tmp_path):
    path = tmp_path / "corrupt.db"
    # SQLite's header, then garbage: a cache file torn beyond use (a user's own non-SQLite file is refused instead).
    path.write_bytes(b"SQLite format 3\x00" + b"this is not a database" * 100)
    source = make_source(cache_path=path)
    first = source.fetch(PAIR)
    assert any("corrupt" in e.lower() or "moved aside" in e.lower() for e in first.errors), first.errors
    assert_same_closes(first.closes["^RUT"], market.sent_closes("^RUT"))  # rebuilt and refilled
    assert not any("moved aside" in e.lower() for e in source.fetch(PAIR).errors)


def assert_same_data(got, want) -> None:
    pd.testing.assert_frame_equal(got.closes, want.closes, check_exact=True)
    assert (got.fetched_at, got.fundamentals) == (want.fetched_at, want.fundamentals)  # quotes live in memory only


def test_closes_kept_in_memory_match_a_fresh_read_of_the_cache(market, make_source, tmp_path, clock):
    """The in-memory copy of the cache (merged with each refresh's rows) is what a restart would read."""
    from tui.data.cache import BarCache

    symbols = [*PAIR, "IWM", "SPY"]
    source = make_source()
    source.fetch(symbols)

    def fresh():  # a second instance: reads everything from the SQLite file
        return make_source().cached(symbols, clock.now)

    # Intraday refreshes, then the day completes, then days off with new sessions: all merged in memory.
    clock.now = datetime(2026, 1, 16, 15, 0, tzinfo=timezone.utc)
    for symbol, price in (("^RUT", 2100.5), ("^GSPC", 6100.25)):
        market.set_intraday(symbol, price, clock.now - timedelta(minutes=1))
    assert_same_data(source.fetch(symbols), fresh())
    clock.now = datetime(2026, 1, 16, 21, 11, tzinfo=timezone.utc)
    data = source.fetch(symbols)
    assert data.closes.loc["2026-01-16", "^RUT"] == 2100.5
    assert_same_data(data, fresh())
    seed_market(market, end=END + timedelta(days=14), n=270)
    clock.advance(days=14)
    data = source.fetch(symbols)
    assert data.closes.index[-1] == pd.Timestamp(END + timedelta(days=14))
    assert_same_data(data, fresh())

    # Writes that are not the refresh's own: another connection, and the same cache object used directly.
    day = pd.Timestamp(END + timedelta(days=15))
    later = clock.now + timedelta(hours=1)
    with BarCache(tmp_path / "bars.db") as other:
        other.upsert("IWM", pd.DataFrame({"close": [123.0]}, index=pd.DatetimeIndex([day])), "test", later)
    clock.now = later + timedelta(days=1)
    data = source.cached(symbols, clock.now)
    assert data.closes.loc[day, "IWM"] == 123.0
    assert_same_data(data, fresh())
    source.cache.upsert("SPY", pd.DataFrame({"close": [456.0]}, index=pd.DatetimeIndex([day])), "test", later)
    data = source.cached(symbols, clock.now)
    assert data.closes.loc[day, "SPY"] == 456.0
    assert_same_data(data, fresh())
    # The returned frame is the caller's: changing it does not change the next answer.
    data.closes.iloc[:, :] = -1.0
    assert_same_data(source.cached(symbols, clock.now), fresh())
