"""Every Yahoo failure the monitor must survive: stale last-good data, a plain-words reason, a backoff."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from msgspec.structs import replace

from tests.fake_yahoo import AFTER_CLOSE, END, PAIR, clock, fake_yahoo, make_bars, make_source, market, seed_market  # noqa: F401  (fixtures)
from tui.data.backoff import Backoff
from tui.data.base import LABEL_LIVE, LABEL_OFFLINE
from tui.errors import SourceError

TIMEOUT = 2.0  # the make_source fixture's session timeout
#: The make_source fixture's backoff waits 1 s ± 20 % first; said rounded up, that is "1 s" or "2 s".
ONE_S = r" — retrying in [12] s"

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
    assert len(data.errors) == 1 and re.fullmatch(re.escape(words) + ONE_S, data.errors[0])
    assert "delisted" not in " ".join(data.errors)
    pd.testing.assert_frame_equal(data.closes, good.closes)
    assert data.fetched_at == good.fetched_at  # the age of what is shown, not of the failed attempt
    # The label comes from the data's age: a minute-old answer after the close is still the latest there is.
    assert data.label == LABEL_LIVE and data.received_at == good.received_at
    assert market.count("chart", "^GSPC") == 0  # the first failure stops the round: no hammering

    # Backing off: no request at all until the delay has passed.
    market.reset_counts()
    data = source.fetch(PAIR)
    assert data.stale and chart_requests(market) == 0 and data.errors[0].startswith(words)

    # Nothing from Yahoo for three closed-market refresh periods (3 x 15 min): OFFLINE, with the reason.
    clock.advance(minutes=45)
    data = source.fetch(PAIR)
    assert (data.label, data.stale) == (LABEL_OFFLINE, True) and data.errors[-1].startswith(words)
    assert data.errors[0] == "no new data from Yahoo since 17:00 ET"

    switch_off(market, kind)
    clock.advance(minutes=20)  # past any backoff (capped at 8 s here)
    data = source.fetch(PAIR)
    assert not data.stale and data.errors == [] and data.retry_in is None and data.label == LABEL_LIVE
    assert data.fetched_at == data.received_at == clock.now


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
    # A pair symbol's own problem: the headline is not current (stale), and the source retries it soon.
    assert data.stale and data.retry_in == pytest.approx(1.0, abs=0.2) and data.label == LABEL_LIVE
    assert re.fullmatch(re.escape(words) + r".*" + ONE_S, data.errors[-1])
    assert data.errors[0] == "Yahoo has not sent the 16 Jan close yet"
    assert data.closes.loc["2026-01-16", "^RUT"] == market.sent_closes("^RUT").iloc[-1]  # fresh
    assert pd.isna(data.closes.loc["2026-01-16", "^GSPC"])  # missing, not made up
    pd.testing.assert_series_equal(data.closes["^GSPC"].dropna(), good.closes["^GSPC"])

    market.clear_faults()
    clock.advance(seconds=2)
    data = source.fetch(PAIR)
    assert not data.stale and data.closes.loc["2026-01-16", "^GSPC"] == market.sent_closes("^GSPC").iloc[-1]


NOPE_404 = "Yahoo has no data for NOPE (HTTP 404 \u201cNo data found\u201d)"
WATCHED = [*PAIR, "NOPE"]


def test_an_unknown_symbol_backs_off_on_its_own_and_is_dropped_only_after_hours(market, make_source, clock):
    source = make_source()
    data = source.fetch(WATCHED)
    assert data.errors == [f"{NOPE_404} — retrying it in 2 min"]
    assert not data.stale and data.retry_in is None and data.dropped == ()
    assert data.closes["NOPE"].isna().all() and data.closes["^RUT"].notna().all()
    assert market.count("chart", "NOPE") == 1  # one 404, no yfinance detour (tz, info) for it

    # Waiting on its own: the pair is asked every round, NOPE only when its wait is over (2, 4, 8 … 30 min).
    clock.advance(minutes=1)
    market.reset_counts()
    data = source.fetch(WATCHED)
    assert data.errors == [f"{NOPE_404} — retrying it in 1 min"] and market.count("chart", "NOPE") == 0
    assert market.count("chart", "^RUT") == market.count("chart", "^GSPC") == 1

    # Remembered in the cache: a new run does not ask again before the wait is over either.
    again = make_source()  # same cache file
    again.fetch(WATCHED)
    assert market.count("chart", "NOPE") == 0

    # Asked again and again while the pair is served: dropped after 6 hours and at least 5 failures, not before.
    asked = []
    for _ in range(6 * 60):
        clock.advance(minutes=1)
        before = market.count("chart", "NOPE")
        data = source.fetch(WATCHED)
        asked.append(market.count("chart", "NOPE") - before)
        if data.dropped:
            break
    assert [d.symbol for d in data.dropped] == ["NOPE"] and data.dropped[0].reason == NOPE_404
    assert data.dropped[0].since == clock.now and clock.now - AFTER_CLOSE >= timedelta(hours=6)
    assert 5 <= sum(asked) + 1 <= 20  # a few requests an hour, not one a minute
    assert not data.stale and data.retry_in is None

    # Dropped: not asked at all, until a week has passed ...
    market.reset_counts()
    clock.advance(days=1)
    source.fetch(WATCHED)
    assert market.count("chart", "NOPE") == 0
    clock.advance(days=7)
    source.fetch(WATCHED)
    assert market.count("chart", "NOPE") == 1


def test_a_dropped_symbol_is_asked_again_when_the_user_says_so(market, make_source, clock):
    from tui.data.symbol_health import SymbolHealth

    source = make_source()
    source.fetch(WATCHED)
    health = SymbolHealth.from_json(source.cache.get_meta("yahoo.symbol_health")[0])
    health.troubles["NOPE"] = replace(health.troubles["NOPE"], dropped_at=clock.now)
    source.cache.set_meta("yahoo.symbol_health", health.to_json(), clock.now)
    market.bars["NOPE"] = market.bars["IWM"]  # Yahoo knows it now
    clock.advance(minutes=1)
    assert [d.symbol for d in source.fetch(WATCHED).dropped] == ["NOPE"]
    market.reset_counts()
    source.retry_dropped()
    data = source.fetch(WATCHED)
    # First sight of its bars: its own 5-day request and the full history through yfinance.
    assert market.count("chart", "NOPE") == 2 and data.dropped == () and data.closes["NOPE"].notna().any()


def test_the_pair_is_never_dropped(market, make_source, clock):
    source = make_source()
    source.fetch(PAIR)
    market.fault("bad_symbol", symbol="^GSPC")
    for _ in range(8 * 60 // 5):
        clock.advance(minutes=5)
        data = source.fetch(PAIR)
    assert data.dropped == () and market.count("chart", "^GSPC") >= 8 * 60 // 5
    assert data.stale and data.errors[-1].startswith("Yahoo has no data for ^GSPC (HTTP 404 \u201cNo data found\u201d)")


def test_only_unknown_symbols_raises(market, make_source):
    with pytest.raises(SourceError, match="Yahoo has no data for NOPE"):
        make_source().fetch(["NOPE"])


def test_null_last_bar_never_becomes_a_close(market, make_source, clock):
    source = make_source()
    source.fetch(PAIR)
    seed_market(market, end=END + timedelta(days=1), n=261)
    market.fault("null_last", symbol="^RUT")
    clock.advance(days=1)

    data = source.fetch(PAIR)
    assert data.stale
    assert data.errors[-1].startswith("Yahoo sent an empty bar for ^RUT on 2026-01-16 (ignored)")
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
    assert data.stale and data.errors[-1].startswith("Yahoo sent an empty bar for ^RUT on 2026-01-15")
    assert pd.isna(data.closes.loc["2026-01-15", "^RUT"])
    want = market.sent_closes("^RUT").iloc[:-1]
    assert data.closes["^RUT"].dropna().tolist() == pytest.approx(want.tolist(), rel=1e-12)
    assert data.closes.loc["2026-01-15", "^GSPC"] == market.sent_closes("^GSPC").iloc[-1]


def test_a_refresh_the_user_asks_for_goes_out_during_a_backoff_once(market, make_source, clock):
    source = make_source(backoff=Backoff(base=60, cap=900, rng=random.Random(0)))
    source.fetch(PAIR)
    market.fault("status", 503)
    clock.advance(minutes=1)
    assert source.fetch(PAIR).retry_in == pytest.approx(60, rel=0.2)
    market.clear_faults()
    market.reset_counts()
    clock.advance(seconds=10)
    assert source.fetch(PAIR).stale and chart_requests(market) == 0  # backing off: nothing sent
    source.retry_now()
    data = source.fetch(PAIR)
    assert not data.stale and chart_requests(market) == 2  # Yahoo healed: the user's refresh finds it at once
    market.fault("status", 503)
    market.reset_counts()
    source.retry_now()
    source.fetch(PAIR)  # fails: the backoff starts again ...
    clock.advance(seconds=10)
    source.fetch(PAIR)  # ... and holds the next automatic round
    assert chart_requests(market) == 1
