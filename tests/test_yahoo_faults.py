"""Every Yahoo failure the monitor must survive: stale last-good data, a plain-words reason, a backoff."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from tests.fake_yahoo import END, PAIR, make_bars, seed_market
from tests.fake_yahoo import clock, fake_yahoo, make_source, market  # noqa: F401  (fixtures)
from tui.data.backoff import Backoff
from tui.errors import SourceError

TIMEOUT = 2.0  # the make_source fixture's session timeout

# (fault kind, value, words the user must see)
TRANSPORT_FAULTS = [
    ("status", 429, "Yahoo rate limit (HTTP 429)"),
    ("status", 500, "Yahoo server error (HTTP 500)"),
    ("status", 503, "Yahoo server error (HTTP 503)"),
    ("delay", TIMEOUT + 1.0, "Yahoo did not answer within 2 s (timeout)"),
    ("close", None, "cannot reach Yahoo (connection closed)"),
    ("refuse", None, "cannot reach Yahoo (connection refused)"),
]


def switch_on(server, kind, value, **where):
    if kind == "refuse":
        server.stop()
    else:
        server.fault(kind, value, **where)


def switch_off(server, kind):
    if kind == "refuse":
        server.start()
    server.clear_faults()


def chart_requests(server) -> int:
    return server.count("chart")


@pytest.mark.parametrize("kind,value,words", TRANSPORT_FAULTS, ids=[f"{k}-{v}" for k, v, _ in TRANSPORT_FAULTS])
def test_transport_fault_keeps_last_good_data_then_recovers(market, make_source, clock, kind, value, words):
    source = make_source()
    good = source.fetch(PAIR)
    switch_on(market, kind, value)
    market.reset_counts()
    clock.advance(minutes=1)

    data = source.fetch(PAIR)
    assert data.stale and data.retry_in is not None and 0.8 <= data.retry_in <= 1.2
    assert data.errors == [f"{words} — retrying in 1 s"]
    assert "delisted" not in " ".join(data.errors)
    pd.testing.assert_frame_equal(data.closes, good.closes)
    assert data.fetched_at == good.fetched_at  # the age of what is shown, not of the failed attempt
    assert source.offline_reason == words
    assert market.count("chart", "^GSPC") == 0  # the first failure stops the round: no hammering

    # Backing off: no request at all until the delay has passed.
    market.reset_counts()
    data = source.fetch(PAIR)
    assert data.stale and chart_requests(market) == 0 and data.errors[0].startswith(words)

    switch_off(market, kind)
    clock.advance(seconds=2)
    data = source.fetch(PAIR)
    assert not data.stale and data.errors == [] and data.retry_in is None and source.offline_reason is None
    assert data.fetched_at == clock.now


@pytest.mark.parametrize("kind,value,words", TRANSPORT_FAULTS, ids=[f"{k}-{v}" for k, v, _ in TRANSPORT_FAULTS])
def test_transport_fault_with_nothing_cached_raises(market, make_source, kind, value, words):
    source = make_source()
    switch_on(market, kind, value)
    with pytest.raises(SourceError) as err:
        source.fetch(PAIR)
    assert str(err.value) == words
    assert err.value.retry_after == pytest.approx(1.0, abs=0.2)
    switch_off(market, kind)


def test_fault_in_yfinance_full_history_is_explained(market, make_source):
    """The own 5-day request passes, yfinance's full-history request meets the 503."""
    source = make_source()
    market.fault("status", 503, symbol="^RUT", after=1)
    with pytest.raises(SourceError, match=r"^Yahoo server error \(HTTP 503\)"):
        source.fetch(["^RUT"])


@pytest.mark.parametrize(
    "kind,words",
    [("malformed", "Yahoo sent a malformed answer for ^GSPC"), ("empty", "Yahoo returned no data for ^GSPC")],
)
def test_bad_answer_for_one_symbol_keeps_the_others_fresh(market, make_source, clock, kind, words):
    source = make_source()
    good = source.fetch(PAIR)
    market.fault(kind, symbol="^GSPC")
    seed_market(market, end=END + timedelta(days=1), n=261)  # Friday's bar is now there
    clock.advance(days=1)

    data = source.fetch(PAIR)
    assert data.stale and data.retry_in == pytest.approx(1.0, abs=0.2)
    assert len(data.errors) == 1 and data.errors[0].startswith(words) and data.errors[0].endswith("retrying in 1 s")
    assert data.closes.loc["2026-01-16", "^RUT"] == market.sent_closes("^RUT").iloc[-1]  # fresh
    assert pd.isna(data.closes.loc["2026-01-16", "^GSPC"])  # missing, not made up
    pd.testing.assert_series_equal(data.closes["^GSPC"].dropna(), good.closes["^GSPC"])
    assert source.offline_reason is None  # Yahoo answered: not offline

    market.clear_faults()
    clock.advance(seconds=2)
    data = source.fetch(PAIR)
    assert not data.stale and data.closes.loc["2026-01-16", "^GSPC"] == market.sent_closes("^GSPC").iloc[-1]


def test_bad_symbol_reported_once_and_dropped(market, make_source, clock):
    source = make_source()
    data = source.fetch(["^RUT", "NOPE"])
    assert data.errors == ["Yahoo does not know symbol NOPE; dropped from polling"]
    assert not data.stale and data.retry_in is None
    assert data.closes["NOPE"].isna().all() and data.closes["^RUT"].notna().all()
    assert market.count("chart", "NOPE") == 1  # one 404, no yfinance detour (tz, info) for it

    clock.advance(minutes=1)
    data = source.fetch(["^RUT", "NOPE"])
    assert data.errors == [] and market.count("chart", "NOPE") == 1

    # Remembered in the cache: a new run does not ask again either.
    again = make_source()  # same cache file
    assert again.fetch(["^RUT", "NOPE"]).errors == [] and market.count("chart", "NOPE") == 1

    # Unless a week has passed: then it gets one more chance.
    clock.advance(days=8)
    source.fetch(["^RUT", "NOPE"])
    assert market.count("chart", "NOPE") == 2


def test_chart_error_fault_on_known_symbol(market, make_source):
    source = make_source()
    market.fault("bad_symbol", symbol="^GSPC")
    data = source.fetch(PAIR)
    assert data.errors == ["Yahoo does not know symbol ^GSPC; dropped from polling"]
    assert data.closes["^RUT"].notna().all()


def test_only_unknown_symbols_raises(market, make_source):
    with pytest.raises(SourceError, match="Yahoo does not know symbol NOPE"):
        make_source().fetch(["NOPE"])


def test_null_last_bar_never_becomes_a_close(market, make_source, clock):
    source = make_source()
    source.fetch(PAIR)
    seed_market(market, end=END + timedelta(days=1), n=261)
    market.fault("null_last", symbol="^RUT")
    clock.advance(days=1)

    data = source.fetch(PAIR)
    assert data.stale
    assert data.errors[0].startswith("Yahoo sent an empty bar for ^RUT on 2026-01-16 (ignored)")
    assert "2026-01-16" not in source.cache.bars("^RUT").index.strftime("%Y-%m-%d")
    assert pd.isna(data.closes.loc["2026-01-16", "^RUT"])
    assert data.closes.loc["2026-01-15", "^RUT"] == market.sent_closes("^RUT").loc["2026-01-15"]


def test_null_bar_of_session_in_progress_is_just_no_trade_yet(market, make_source, clock):
    source = make_source()
    source.fetch(PAIR)
    clock.now = datetime(2026, 1, 16, 14, 35, tzinfo=timezone.utc)  # 9:35 ET
    market.set_intraday("^RUT", 2001.0, clock.now - timedelta(minutes=1))
    market.fault("null_last", symbol="^RUT")
    data = source.fetch(PAIR)
    assert not data.stale and data.errors == []
    assert data.quotes["^RUT"].price == 2001.0


def test_duplicate_and_out_of_order_bars_keep_the_right_close(market, make_source, clock):
    market.fault("dupes")  # also during the full-history fetch through yfinance
    source = make_source()
    data = source.fetch(PAIR)
    for symbol in PAIR:
        want = market.sent_closes(symbol)
        assert data.closes[symbol].tolist() == pytest.approx(want.tolist(), rel=1e-12)
    assert data.closes.index.is_monotonic_increasing and data.closes.index.is_unique
    assert not data.stale
    assert "Yahoo sent duplicate or out-of-order bars for ^RUT, ^GSPC (kept the latest bar per day)" in data.errors


def test_backoff_grows_with_jitter_and_is_capped(market, make_source, clock):
    source = make_source(backoff=Backoff(base=1, cap=8, jitter=0.2, rng=random.Random(3)))
    source.fetch(PAIR)
    market.fault("status", 429)
    delays = []
    for _ in range(6):
        clock.advance(seconds=20)  # always past the previous delay
        delays.append(source.fetch(PAIR).retry_in)
    for n, delay in enumerate(delays[:3]):
        assert 2**n * 0.8 <= delay <= 2**n * 1.2
    assert all(6.4 <= d <= 8 for d in delays[3:])  # capped, jittered below the cap
    assert len(set(delays)) == len(delays)  # jittered, not lockstep
    market.clear_faults()
    clock.advance(seconds=20)
    assert source.fetch(PAIR).retry_in is None and source.backoff.failures == 0


def test_backoff_unit():
    rng = random.Random(1)
    b = Backoff(base=60, cap=900, rng=rng)
    now = datetime(2026, 1, 15, tzinfo=timezone.utc)
    assert b.ready(now) and b.delay == 0
    seen = [b.failure(now) for _ in range(8)]
    assert 48 <= seen[0] <= 72 and 96 <= seen[1] <= 144 and max(seen) <= 900 and seen[-1] >= 720
    assert not b.ready(now) and b.ready(now + timedelta(seconds=seen[-1]))
    b.success()
    assert b.ready(now) and b.failures == 0 and b.delay == 0
    with pytest.raises(ValueError):
        Backoff(base=10, cap=5)


def test_nothing_printed_under_faults(market, make_source, clock, capfd):
    market.bars["^VIX"] = make_bars(END, seed=9)
    source = make_source()
    market.fault("status", 503, symbol="^VIX", after=1)  # yfinance's full history fails (its logger talks)
    market.fault("status", 500, endpoint="quoteSummary")  # info fails: non-fatal
    market.fault("dupes", symbol="^GSPC")
    data = source.fetch([*PAIR, "NOPE", "^VIX"])
    assert data.stale and data.fundamentals == {}
    market.clear_faults()
    market.stop()
    clock.advance(seconds=30)
    with pytest.raises(SourceError):
        make_source().fetch(["NEW"])  # nothing cached for it, Yahoo down
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_null_last_bar_on_first_sight_is_missing_not_wrong(market, make_source):
    market.fault("null_last", symbol="^RUT")  # hits our 5-day request and yfinance's full history alike
    data = make_source().fetch(PAIR)
    assert data.stale and data.errors[0].startswith("Yahoo sent an empty bar for ^RUT on 2026-01-15")
    assert pd.isna(data.closes.loc["2026-01-15", "^RUT"])
    want = market.sent_closes("^RUT").iloc[:-1]
    assert data.closes["^RUT"].dropna().tolist() == pytest.approx(want.tolist(), rel=1e-12)
    assert data.closes.loc["2026-01-15", "^GSPC"] == market.sent_closes("^GSPC").iloc[-1]
