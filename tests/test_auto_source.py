"""AutoSource: Yahoo when it answers, the cache (OFFLINE) when not, SIMULATED data when there is no cache."""

from __future__ import annotations

import random

import pytest

from tests.fake_yahoo import PAIR, clock, fake_yahoo, market  # noqa: F401  (fixtures)
from tui.data.auto import AutoSource
from tui.data.backoff import Backoff
from tui.data.base import LABEL_LIVE, LABEL_OFFLINE, LABEL_SIMULATED
from tui.data.cache import BarCache
from tui.data.yahoo_session import YahooSession


@pytest.fixture
def auto(tmp_path, clock):
    source = AutoSource(
        BarCache(tmp_path / "bars.db"),
        clock,
        session=YahooSession(timeout=2.0),
        backoff=Backoff(base=60, cap=900, rng=random.Random(0)),
    )
    yield source
    source.close()


def test_healthy_yahoo_is_live(market, auto):
    data = auto.fetch(PAIR)
    assert (data.source, data.label, data.stale, data.banner) == ("yahoo", LABEL_LIVE, False, None)


def test_down_with_cache_is_offline_with_age_then_live_again(market, auto, clock):
    live = auto.fetch(PAIR)
    market.stop()
    clock.advance(hours=3)

    data = auto.fetch(PAIR)
    assert (data.source, data.label, data.stale) == ("cache", LABEL_OFFLINE, True)
    assert data.closes.equals(live.closes) and data.fetched_at == live.fetched_at
    assert data.banner == ("Cannot reach Yahoo (connection refused) — showing cached data, 3 h old; retrying in 1 min")
    assert data.retry_in == pytest.approx(60, rel=0.2)

    market.start()
    clock.advance(seconds=30)  # still backing off: stays offline without asking
    market.reset_counts()
    assert auto.fetch(PAIR).label == LABEL_OFFLINE and market.count("chart") == 0

    clock.advance(minutes=2)
    data = auto.fetch(PAIR)
    assert (data.source, data.label, data.stale, data.banner) == ("yahoo", LABEL_LIVE, False, None)


def test_rate_limited_with_cache_is_offline_once_the_data_is_old(market, auto, clock):
    auto.fetch(PAIR)
    market.fault("status", 429)
    clock.advance(minutes=1)
    data = auto.fetch(PAIR)  # a minute-old answer after the close is the latest there is: still LIVE, but stale
    assert (data.source, data.label, data.stale, data.banner) == ("yahoo", LABEL_LIVE, True, None)
    assert data.errors[-1].startswith("Yahoo rate limit (HTTP 429)")
    clock.advance(minutes=45)  # three closed-market refresh periods without an answer
    data = auto.fetch(PAIR)
    assert (data.source, data.label) == ("cache", LABEL_OFFLINE)
    assert data.banner.startswith("Yahoo rate limit (HTTP 429) — showing cached data, 46 min old")


def test_partial_failure_stays_live_with_errors(market, auto, clock):
    auto.fetch(PAIR)
    market.fault("malformed", symbol="^GSPC")
    clock.advance(minutes=1)
    data = auto.fetch(PAIR)
    assert (data.source, data.label, data.stale) == ("yahoo", LABEL_LIVE, True) and data.banner is None
    assert data.errors[-1].startswith("Yahoo sent a malformed answer for ^GSPC")


def test_down_without_cache_is_simulated_then_live_when_yahoo_returns(market, auto, clock):
    market.stop()
    data = auto.fetch(PAIR)
    assert (data.source, data.label) == ("demo", LABEL_SIMULATED) and data.simulated
    assert data.banner == (
        "Cannot reach Yahoo (connection refused), and no cached data — showing SIMULATED data; retrying in 1 min"
    )
    assert data.errors[-1] == "cannot reach Yahoo (connection refused)"
    assert data.retry_in == pytest.approx(60, rel=0.2)
    assert not data.closes.empty  # the monitor still has something to show
    assert auto.cache.symbols() == []  # simulated data never enters the cache

    market.start()
    clock.advance(seconds=30)
    market.reset_counts()
    assert auto.fetch(PAIR).label == LABEL_SIMULATED and market.count("chart") == 0  # respects backoff

    clock.advance(minutes=2)
    data = auto.fetch(PAIR)
    assert (data.source, data.label, data.banner) == ("yahoo", LABEL_LIVE, None)
    assert set(auto.cache.symbols()) == set(PAIR)
