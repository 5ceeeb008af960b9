"""Today's race in the running monitor, from the fake Yahoo playing a 5-minute session (issue 13, "how it is
checked"): the seed, then quotes extending it, then a gap and a re-seed, then the close folding the day into the
streak. StreakwatchApp on a real YahooSource whose yfinance talks to the fake on 127.0.0.1.

The lead changes and the shares of the session each side led are computed here from the bars the fake served,
by the rules the README states (a lead change is a change of sign of small − large, level points skipped; each
point's leader holds until the next point), never read back from the code under test."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.app_helpers import pilot_test, quiet, refresh_now, screen_text, until
from tests.e2e_helpers import seed_universe, write_config
from tests.fake_yahoo import END, PAIR, MutableClock, fake_yahoo  # noqa: F401  (fixture)
from tests.race_helpers import FRIDAY, MINUTES, et, play_friday, served_race, yahoo_source
from tui.app import StreakwatchApp
from tui.config import load_config

SIZE = (160, 48)
WAIT = 20.0


@pytest.fixture
def served(fake_yahoo):
    server = seed_universe(fake_yahoo)
    # Both indices trade all Friday, a walk drawn so that the lead changes hands several times in the morning.
    play_friday(server, PAIR, seed=11)
    return server


@pytest.fixture
def clock():
    return MutableClock()  # Thursday after the close: the history is fetched and stored first


@pytest.fixture
def app(served, clock, tmp_path):
    config = load_config(write_config(tmp_path / "streakwatch.toml"))
    source = yahoo_source(clock, tmp_path)
    yield StreakwatchApp(source, config, clock)
    source.close()


def assert_race_is_served(app, server) -> dict:
    expected = served_race(server, *PAIR)
    today = app.snapshot.today
    assert today is not None and today.session == FRIDAY
    assert len(today.times) == len(expected["times"]) and today.times[-1] == expected["times"][-1]
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
        clock.now = et(FRIDAY, 10, 40)
        served.at(clock.now)
        served.reset_counts()
        await refresh_now(pilot, WAIT)
        assert served.take_requests().get("intraday") == 2
        first = assert_race_is_served(app, served)
        assert len(first["times"]) == 15  # 09:30 … 10:40
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
        clock.now = et(FRIDAY, 16, 10, 1)
        served.at(clock.now)
        await refresh_now(pilot, WAIT)
        final = assert_race_is_served(app, served)
        assert len(final["times"]) == MINUTES // 5 and app.snapshot.today.complete
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
