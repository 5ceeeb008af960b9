"""Today's race in the running monitor, from the fake Yahoo playing a 5-minute session (issue 13, "how it is
checked"): the seed, then quotes extending it, then a gap and a re-seed, then the close folding the day into the
streak. StreakwatchApp on a real YahooSource whose yfinance talks to the fake on 127.0.0.1.

The lead changes and the shares of the session each side led are computed here from the bars the fake served,
by the rules the README states (a lead change is a change of sign of small − large, level points skipped; each
point's leader holds until the next point), never read back from the code under test."""

from __future__ import annotations

import random
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest

from tests.app_helpers import pilot_test, quiet, refresh_now, screen_text, until
from tests.e2e_helpers import seed_universe, write_config
from tests.fake_yahoo import END, PAIR, MutableClock, fake_yahoo  # noqa: F401  (fixture)
from tui.app import StreakwatchApp
from tui.config import load_config
from tui.data.backoff import Backoff
from tui.data.cache import BarCache
from tui.data.yahoo import YahooSource
from tui.data.yahoo_session import YahooSession

SIZE = (160, 48)
WAIT = 20.0
FRIDAY = date(2026, 1, 16)  # the session after END (Thursday 15 Jan)
assert END == date(2026, 1, 15)
MINUTES = 390


def et(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(2026, 1, 16, hh, mm, ss, tzinfo=ZoneInfo("America/New_York")).astimezone(timezone.utc)


def play(server) -> None:
    """Both indices trade all Friday: a reproducible walk a minute, from Thursday's close, drawn so that the lead
    changes hands several times in the morning."""
    rng = np.random.default_rng(11)
    for symbol in PAIR:
        last = float(server.bars[symbol]["close"].loc[: pd.Timestamp(END)].iloc[-1])
        server.play_session(symbol, FRIDAY, list(last * np.cumprod(1 + rng.normal(0, 0.0005, MINUTES))))


def served_race(server) -> dict:
    """The race by hand from the served 5-minute bars and Thursday's closes as sent."""
    small, large = PAIR
    bars = {s: server.session_bars(s) for s in PAIR}
    assert [b["ts"] for b in bars[small]] == [b["ts"] for b in bars[large]]  # one grid for both
    times = [b["ts"] for b in bars[small]]
    base = {s: float(server.sent_closes(s).iloc[-1]) for s in PAIR}
    diff = [
        round((a["close"] / base[small] - 1) - (b["close"] / base[large] - 1), 12)
        for a, b in zip(bars[small], bars[large])
    ]
    signs = [(d > 0) - (d < 0) for d in diff]
    nonzero = [s for s in signs if s]
    changes = sum(1 for a, b in zip(nonzero, nonzero[1:]) if a != b)
    led = {1: 0, -1: 0, 0: 0}
    for i in range(len(times) - 1):
        led[signs[i]] += times[i + 1] - times[i]
    span = times[-1] - times[0]
    return {
        "points": len(times),
        "changes": changes,
        "share_small": led[1] / span if span else None,
        "share_large": led[-1] / span if span else None,
        "last": datetime.fromtimestamp(times[-1], timezone.utc),
        "leader": "small" if signs[-1] > 0 else "large" if signs[-1] < 0 else "none",
    }


@pytest.fixture
def served(fake_yahoo):
    server = seed_universe(fake_yahoo)
    play(server)
    return server


@pytest.fixture
def clock():
    return MutableClock()  # Thursday after the close: the history is fetched and stored first


@pytest.fixture
def app(served, clock, tmp_path):
    config = load_config(write_config(tmp_path / "streakwatch.toml"))
    source = YahooSource(
        BarCache(tmp_path / "bars.db"),
        clock,
        session=YahooSession(timeout=3.0),
        backoff=Backoff(base=1, cap=4, rng=random.Random(0)),
    )
    yield StreakwatchApp(source, config, clock)
    source.close()


def assert_race_is_served(app, server) -> dict:
    expected = served_race(server)
    today = app.snapshot.today
    assert today is not None and today.session == FRIDAY
    assert len(today.times) == expected["points"] and today.times[-1] == expected["last"]
    assert len(today.lead_changes) == expected["changes"]
    assert today.share_small == pytest.approx(expected["share_small"], abs=1e-12)
    assert today.share_large == pytest.approx(expected["share_large"], abs=1e-12)
    assert today.leader == expected["leader"]
    changes = expected["changes"]
    assert f"{changes} lead change{'' if changes == 1 else 's'}" in screen_text(app)
    small_pct, large_pct = f"{expected['share_small']:.0%}", f"{expected['share_large']:.0%}"
    assert f"led RUT {small_pct} SPX {large_pct}" in screen_text(app)
    return expected


@pilot_test
async def test_the_race_is_seeded_extended_reseeded_and_folded_into_the_streak_at_the_close(app, served, clock):
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.snapshot is not None and not app.fetching, timeout=WAIT)
        thursday = app.snapshot
        assert thursday.as_of == END

        # 10:40: the first refresh of the session seeds both paths (one 5-minute chart each) beside the quote.
        clock.now = et(10, 40)
        served.at(clock.now)
        served.reset_counts()
        await refresh_now(pilot, WAIT)
        assert served.take_requests().get("intraday") == 2
        first = assert_race_is_served(app, served)
        assert first["points"] == 15  # 09:30 … 10:40
        assert first["changes"] >= 2, "the walk is drawn to change hands in the morning"
        assert "Today's race" in app.pane("spread").title_plain

        # Quotes extend it, a refresh a minute, no more seeds.
        for _ in range(12):
            clock.advance(minutes=1)
            served.at(clock.now)
            await refresh_now(pilot, WAIT)
            assert "intraday" not in served.take_requests()
        assert_race_is_served(app, served)  # 10:52: the 10:50 bar is the newest point

        # The laptop sleeps 40 minutes: the quote alone would leave a hole, so the path is seeded again.
        clock.advance(minutes=40)
        served.at(clock.now)
        await refresh_now(pilot, WAIT)
        assert served.take_requests().get("intraday") == 2
        assert_race_is_served(app, served)

        # 16:10:01, the session's bar is final: Friday becomes a completed session, the race is Yahoo's own bars.
        clock.now = et(16, 10, 1)
        served.at(clock.now)
        await refresh_now(pilot, WAIT)
        final = assert_race_is_served(app, served)
        assert final["points"] == MINUTES // 5 and app.snapshot.today.complete
        snapshot = app.snapshot
        assert snapshot.as_of == FRIDAY
        assert app.pane("spread").title_plain.startswith("2 Spread · Race · closed")
        # The day's result is the streak's: Friday's winner by its closes, which end where the paths end.
        closes = {s: served.session_bars(s)[-1]["close"] for s in PAIR}  # the last minute's price: the close
        thursdays = {s: float(served.sent_closes(s).loc[pd.Timestamp(END)]) for s in PAIR}
        winner = "small" if closes["^RUT"] / thursdays["^RUT"] > closes["^GSPC"] / thursdays["^GSPC"] else "large"
        assert winner == final["leader"]  # the race's last point is the close
        before = thursday.streak
        expected_length = before.length + 1 if before.leader == winner else 1
        assert (snapshot.streak.leader, snapshot.streak.length) == (winner, expected_length)
