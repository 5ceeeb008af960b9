"""Issue 10, "Live data that never lies": each of its checks, end to end through real yfinance against the fake Yahoo
on 127.0.0.1, in the running monitor (Pilot) and in ``--once --json``.

The clocks here do not run by themselves: each test moves them, so every backoff and every "retrying in" is exact
(the backoffs have no jitter) and the requests the server counts between two steps are exactly those of one round.
Expected figures come from the bars the fake serves and from the clock, worked out in the comments.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pandas as pd
import pytest

from tests import recordings
from tests.app_helpers import pilot_test, screen_text, status_line, until
from tests.e2e_helpers import (  # noqa: F401  (fixtures)
    NEXT_DAY,
    TIMEOUT,
    cli_clock,
    close_on,
    et,
    expected_streak,
    health_record,
    quote_the_session,
    seed_universe,
    served,
    universe,
    write_config,
)
from tests.fake_yahoo import (
    AFTER_CLOSE,
    END,
    NY,
    fake_yahoo,  # noqa: F401  (fixture)
)
from tests.test_e2e_yahoo_app import assert_healthy, assert_snapshot_is, first_data, record_notes
from tui.app import StreakwatchApp
from tui.cli import main
from tui.config import load_config
from tui.data.backoff import Backoff
from tui.data.cache import BarCache
from tui.data.yahoo import YahooSource
from tui.data.yahoo_session import YahooSession

SIZE = (200, 40)
SYMBOLS = 12  # seed_universe: the pair, IWM, SPY, two sectors and six more risk symbols
FRIDAY = NEXT_DAY  # the session after END (Thursday 15 Jan 2026), in progress in the open-market tests
FRIDAY_10 = et(FRIDAY, 10)  # 10:00 ET, half an hour into Friday's session
# The pair is asked first; when both its symbols fail the same way with nothing served, the round stops there.
NO_DATA = "Yahoo-wide failure: \u201cNo data found\u201d (HTTP 404) for 2 of 2 symbols asked (^RUT, ^GSPC)"
STALE_FOR = r"STALE · {} old"
ONCE_RETRY = r"(\d+ s|1 min|2 min)"  # a --once run's source: the default backoff, 60 s ± 20 %, rounded up


@pytest.fixture
def clock(cli_clock):
    """One clock for the monitor, its source and the --once runs (factory.utc_now); it moves only when told."""
    return cli_clock


@pytest.fixture
def config_path(tmp_path):
    return write_config(tmp_path / "streakwatch.toml")


@pytest.fixture
def cache_path(tmp_path):
    return tmp_path / "bars.db"


@pytest.fixture
def monitor(clock, config_path, cache_path):
    """The monitor on a YahooSource whose backoffs have no jitter: the source's 60 s doubling (its default base),
    the batched quote's own 300 s (its default base)."""
    made = []

    def make(source=None) -> StreakwatchApp:
        source = source or YahooSource(
            BarCache(cache_path),
            clock,
            session=YahooSession(timeout=TIMEOUT),
            backoff=Backoff(base=60, cap=900, jitter=0),
            quote_backoff=Backoff(base=300, cap=3600, jitter=0),
        )
        made.append(source)
        app = StreakwatchApp(source=source, config=load_config(config_path), clock=clock)
        # Its refresh loop's monotonic clock stands still too, so the status line's countdown is what the source
        # said when it answered ("retrying in 1 min" for 60 s): on the real one it reads "59 s" once the slow tick
        # redraws it a second later, which a loaded machine may let happen before the screen is read.
        app.refresh_loop.monotonic = lambda: 0.0
        return app

    yield make
    for source in made:
        source.close()


def once(capsys, config_path, cache_path) -> tuple[int, dict | None, str]:
    """``streakwatch --source yahoo --once --json`` in this process: (exit code, the JSON, stderr)."""
    capsys.readouterr()
    rc = main(["--source", "yahoo", "--config", str(config_path), "--cache", str(cache_path), "--once", "--json"])
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if out else None), err


async def next_round(pilot) -> None:
    """One refresh, started as the monitor's own timer starts it (the ``r`` key also lets one round through a
    backoff, by design: these tests count what the monitor asks by itself), and its outcome on screen."""
    app = pilot.app
    await until(lambda: not app.fetching, timeout=15)
    assert app.start_refresh()
    await until(lambda: not app.fetching, timeout=15)
    await pilot.pause()


def stale_marks(text: str, age: str) -> int:
    return len(re.findall(STALE_FOR.format(re.escape(age)), text))


def chart_counts(server) -> dict[str, int]:
    return {s: server.count("chart", s) for s in universe(server) if server.count("chart", s)}


def no_one_blamed(cache_path) -> bool:
    return health_record(cache_path) in (None, {})


# == 1. A Yahoo-wide 404 round, then recovery ======================================================================

FAILING_404 = {"every symbol": ("*",), "the pair alone": ("^RUT", "^GSPC")}


def said_404(text: str, retry: str) -> bool:
    """``text`` (a status line, a note, a JSON error) ends with the one Yahoo-wide reason and its retry (a regex)."""
    return re.search(re.escape(NO_DATA) + r"[^⚠]* — retrying in " + retry + "$", text) is not None


def fail_with_no_data(server, where: tuple[str, ...]) -> None:
    for symbol in where:
        server.fault("no_data", symbol=symbol)


@pilot_test
@pytest.mark.parametrize("where", FAILING_404.values(), ids=FAILING_404.keys())
async def test_a_yahoo_wide_404_blames_no_symbol_backs_off_and_recovers(served, clock, monitor, cache_path, where):
    app = monitor()
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        want = expected_streak(served)
        good = app.snapshot
        assert_healthy(app)

        fail_with_no_data(served, where)
        served.reset_counts()
        clock.advance(minutes=1)  # 17:01 ET
        await next_round(pilot)
        # The pair answers first, both "No data found": Yahoo, not the pair; the round stops there.
        assert chart_counts(served) == {"^RUT": 1, "^GSPC": 1}
        text = screen_text(app)
        status = text.splitlines()[0]
        assert said_404(status, "1 min"), status  # the source's backoff: 60 s
        assert status.startswith(" LIVE ") and stale_marks(text, "1 min") == 4, text  # the data's age, 17:00
        assert app.snapshot.data.fetched_at == good.data.fetched_at == AFTER_CLOSE
        assert app.snapshot.streak == good.streak and app.snapshot.data.dropped == ()
        assert no_one_blamed(cache_path)
        assert [said_404(n, "1 min") for n in notes if "404" in n] == [True]  # one reason, said once
        assert "Yahoo has no data for" not in " ".join(notes)  # no line per symbol

        served.reset_counts()
        clock.advance(seconds=30)  # still backing off: no request at all, the same reason, its countdown
        await next_round(pilot)
        assert sum(served.counts.values()) == 0
        assert said_404(status_line(app), "30 s")
        assert app.is_stale() and len([n for n in notes if "404" in n]) == 1

        served.clear_faults()  # Yahoo heals; the first refresh after the backoff brings the data back
        served.reset_counts()
        clock.advance(seconds=30)  # 17:02 ET: the backoff (60 s from 17:01) is over
        await next_round(pilot)
        assert sum(served.counts.values()) == served.count("chart") == SYMBOLS
        assert chart_counts(served) == {s: 1 for s in universe(served)}
        assert_healthy(app)
        assert app.snapshot.data.fetched_at == clock.now and app.snapshot.data.dropped == ()
        assert no_one_blamed(cache_path)
        assert app.snapshot.streak.length == want.length


@pytest.mark.parametrize("where", FAILING_404.values(), ids=FAILING_404.keys())
def test_a_yahoo_wide_404_in_once_json(served, clock, capsys, config_path, cache_path, where):
    rc, good, err = once(capsys, config_path, cache_path)
    assert (rc, err) == (0, "") and good["data"]["errors"] == []

    fail_with_no_data(served, where)
    served.reset_counts()
    clock.advance(minutes=5)
    rc, doc, err = once(capsys, config_path, cache_path)
    assert (rc, err) == (0, "")
    assert chart_counts(served) == {"^RUT": 1, "^GSPC": 1}
    data = doc["data"]
    assert data["stale"] is True and doc["label"] == "LIVE"  # Yahoo answered 5 min ago: not offline, not current
    assert len(data["errors"]) == 1 and said_404(data["errors"][0], ONCE_RETRY)
    assert data["fetched_at"] == AFTER_CLOSE.isoformat()  # the age of what is shown: 17:00 ET
    assert data["dropped"] == [] and no_one_blamed(cache_path)
    for key in ("as_of", "streak", "sectors", "risks"):
        assert doc[key] == good[key], key

    served.clear_faults()
    served.reset_counts()
    clock.advance(minutes=2)
    rc, doc, err = once(capsys, config_path, cache_path)
    assert (rc, err) == (0, "")
    assert chart_counts(served) == {s: 1 for s in universe(served)}
    assert (doc["label"], doc["data"]["stale"], doc["data"]["errors"]) == ("LIVE", False, [])
    assert doc["data"]["fetched_at"] == clock.now.isoformat() and doc["data"]["dropped"] == []
    assert no_one_blamed(cache_path)


# == 2. A 401 and a consent page on the batched quote endpoint while the market is open =============================

# (fault, the plain words, how many batched quote requests one refused attempt costs: on a 401, yfinance itself asks
# once more with a crumb got its other way; the consent page is followed through its redirects, asked once)
QUOTE_REFUSALS = {
    "401": (
        "unauthorized",
        "Yahoo refused the request (HTTP 401: Unauthorized: User is unable to access this feature)",
        2,
    ),
    "consent": ("consent", "Yahoo answered with its cookie-consent page instead of data", 1),
}


def batched_quotes(server) -> int:
    """The batched quote requests the server counted (``info`` also asks the quote endpoint, for one fund)."""
    return sum(1 for endpoint, symbols, _ in server.log if endpoint == "quote" and "," in symbols)


def open_friday(server, clock) -> None:
    """Friday 10:00 ET: the cache holds every symbol through Thursday, the last completed session, so one batched
    quote could serve them all; each symbol trades 1 % above Thursday's close at 10:00."""
    clock.now = FRIDAY_10
    quote_the_session(server, clock.now)


@pilot_test
@pytest.mark.parametrize("kind,words,asks", QUOTE_REFUSALS.values(), ids=QUOTE_REFUSALS.keys())
async def test_a_refused_quote_endpoint_falls_back_to_charts_in_the_same_round(
    served, clock, monitor, kind, words, asks
):
    app = monitor()
    notes = record_notes(app)
    refusal = f"{words} on the batched quote request; asking for each symbol's chart instead"
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)  # Thursday 17:00 ET: the full histories
        open_friday(served, clock)
        served.fault(kind, endpoint="quote")
        served.reset_counts()
        await next_round(pilot)
        # The quote request was refused, and every symbol's chart was asked in the same round.
        assert batched_quotes(served) == asks
        assert chart_counts(served) == {s: 1 for s in universe(served)}
        status = status_line(app)
        assert status.startswith(" LIVE ") and "OFFLINE" not in status, status
        assert not app.is_stale() and "STALE" not in screen_text(app)
        assert app.snapshot.data.fetched_at == FRIDAY_10  # fresh: every symbol's chart answered at 10:00
        assert app.snapshot.provisional is not None  # Friday's race, from the charts' quotes
        assert app.snapshot.data.errors == (f"{refusal} (quotes tried again in 5 min)",)

        # The quote endpoint waits out its own backoff (300 s); the charts carry every refresh meanwhile.
        for minute in range(1, 5):
            served.reset_counts()
            clock.advance(minutes=1)
            quote_the_session(served, clock.now)
            await next_round(pilot)
            assert batched_quotes(served) == 0, minute
            assert chart_counts(served) == {s: 1 for s in universe(served)}, minute
            assert not app.is_stale() and status_line(app).startswith(" LIVE ")
            assert app.snapshot.data.fetched_at == clock.now
        assert [n for n in notes if words in n] == [f"{refusal} (quotes tried again in 5 min)"]  # said once

        # 10:05: its backoff is over. Yahoo serves quotes again: one batched request serves all twelve.
        served.clear_faults()
        served.reset_counts()
        clock.advance(minutes=1)
        quote_the_session(served, clock.now)
        await next_round(pilot)
        assert batched_quotes(served) == 1 and served.count("chart") == 0
        assert_healthy(app)
        assert app.snapshot.data.fetched_at == clock.now


@pytest.mark.parametrize("kind,words,asks", QUOTE_REFUSALS.values(), ids=QUOTE_REFUSALS.keys())
def test_a_refused_quote_endpoint_in_once_json(served, clock, capsys, config_path, cache_path, kind, words, asks):
    rc, _, err = once(capsys, config_path, cache_path)
    assert (rc, err) == (0, "")
    open_friday(served, clock)
    served.fault(kind, endpoint="quote")
    served.reset_counts()
    rc, doc, err = once(capsys, config_path, cache_path)
    assert (rc, err) == (0, "")
    assert batched_quotes(served) == asks and chart_counts(served) == {s: 1 for s in universe(served)}
    assert (doc["label"], doc["data"]["stale"]) == ("LIVE", False)
    assert doc["data"]["fetched_at"] == FRIDAY_10.isoformat()
    [said] = doc["data"]["errors"]
    assert re.fullmatch(
        re.escape(f"{words} on the batched quote request; asking for each symbol's chart instead ")
        + r"\(quotes tried again in [4-6] min\)",
        said,
    )  # the default 300 s ± 20 %
    # Friday's race, on the quotes the charts' meta carried: each symbol 1 % above Thursday's close, quoted at 10:00.
    race = doc["provisional"]
    assert (race["session"], race["quote_time"], race["delayed"]) == (FRIDAY.isoformat(), FRIDAY_10.isoformat(), False)
    for side, symbol in (("small", "^RUT"), ("large", "^GSPC")):
        quoted = round(float(served.bars[symbol]["close"].iloc[-1]) * 1.01, 4)
        assert race[f"{side}_change"] == pytest.approx(quoted / close_on(served, symbol, END) - 1, abs=1e-12)


# == 3. One symbol empty for an hour while the others refresh on time ==============================================

WEDNESDAY = END - timedelta(days=1)
# Its own backoff (symbol_health): 2 min after the 1st failure, then 4, 8, 16, and at most 30: asked at 10:00, 10:02,
# 10:06, 10:14 and 10:30; after 10:30 its next try is 11:00, past the hour. Never dropped: that takes 6 hours.
SICK_ASKED_AT = [0, 2, 6, 14, 30]
# The sick symbol, and the screen line that shows its figure next to one that must not be dated: a sector's row, or
# the credit measure of the risk checklist (HYG/IEF) next to breadth (RSP/SPY).
SICK_ONES = {"sector": ("KRE", " KRE ", " PSCI "), "risk": ("HYG", "HYG/IEF", "RSP/SPY")}


def batch_symbols(server) -> list[set[str]]:
    """The symbols each batched quote request named, in order."""
    from urllib.parse import parse_qs

    return [
        set(parse_qs(query)["symbols"][0].split(","))
        for endpoint, symbols, query in server.log
        if endpoint == "quote" and "," in symbols
    ]


@pilot_test
@pytest.mark.parametrize("sick,its_line,current_line", SICK_ONES.values(), ids=SICK_ONES.keys())
async def test_one_symbol_empty_for_an_hour_while_the_others_refresh_on_time(
    served, clock, monitor, cache_path, sick, its_line, current_line
):
    # Four months of bars (YTD and every 20-session window fit): sixty rounds stay quick.
    seed_universe(served, end=WEDNESDAY, n=80)
    clock.now = AFTER_CLOSE - timedelta(days=1)  # Wednesday 17:00 ET: the cache gets everything through Wednesday
    app = monitor()
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        seed_universe(served, end=END, n=81)  # Thursday's bars, the same walk one bar longer...
        served.fault("empty", symbol=sick)  # ...but the sick symbol's answers come back empty from now on
        others = set(universe(served)) - {sick}
        asked = []
        for minute in range(60):  # Friday 10:00 to 10:59 ET, a refresh every minute
            clock.now = FRIDAY_10 + timedelta(minutes=minute)
            quote_the_session(served, clock.now)
            served.reset_counts()
            assert app.start_refresh()  # as the monitor's own one-minute timer does
            await until(lambda: not app.fetching, timeout=15)
            if served.count("chart", sick):
                asked.append(minute)
            if minute == 0:  # the others owe Thursday's bar: a chart each (no quote can carry a bar)
                assert chart_counts(served) == {s: 1 for s in universe(served)}
                assert batch_symbols(served) == []
            else:  # then one batched quote a minute serves all eleven; the sick one never holds them up
                assert batch_symbols(served) == [others], minute
                assert chart_counts(served) in ({}, {sick: 1}), minute
            data = app.snapshot.data
            assert not app.is_stale() and data.dropped == (), minute
            assert app.freshness().label == "LIVE" and data.fetched_at == clock.now, minute
            assert data.received_at == clock.now and data.quote_time == clock.now, minute  # current every minute
            if minute in (*SICK_ASKED_AT, 59):  # (the screen, read at a few minutes: rendering it costs time)
                await pilot.pause()
                status = status_line(app)  # LIVE, updated this minute: not the sick symbol's Wednesday fetch
                assert status.startswith(" LIVE ") and f"updated {clock.now.astimezone(NY):%H:%M} ET " in status
        assert asked == SICK_ASKED_AT

        health = health_record(cache_path)
        assert list(health) == [sick] and health[sick]["failures"] == len(SICK_ASKED_AT)
        assert health[sick]["dropped_at"] is None
        # The pair's figures are Thursday's (the last completed session); the sick symbol's are Wednesday's, dated.
        assert_snapshot_is(app, expected_streak(served))  # Thursday's streak, from the served closes
        dated = {row.symbol: row.as_of for row in app.snapshot.sectors}
        dated.update(
            {
                "HYG": next(r.as_of for r in app.snapshot.risks if r.id == "economic"),
                "RSP": next(r.as_of for r in app.snapshot.risks if r.id == "breadth"),
            }
        )
        assert dated[sick] == WEDNESDAY
        assert {s: d for s, d in dated.items() if s != sick} == {s: END for s in dated if s != sick}
        _, *lines = screen_text(app).splitlines()
        assert "14 Jan" in next(line for line in lines if its_line in line)
        assert "14 Jan" not in next(line for line in lines if current_line in line)


# == 4. A lagging ETF: dated, and measured against the index on the same dates =====================================

LAGGING = "KRE"
LAGS_TO = END - timedelta(days=2)  # Tuesday 13 Jan: its bars on the server end two sessions before the pair's
FIVE_BACK = END - timedelta(days=7)  # Thursday 8 Jan: five ^RUT sessions before 15 Jan (14, 13, 12, 9, 8)


def lag(server) -> None:
    server.bars[LAGGING] = server.bars[LAGGING].loc[: pd.Timestamp(LAGS_TO)]


def lagging_row_by_hand(server) -> dict[str, float]:
    """KRE's 5-day figures to its own last close, and ^RUT's over exactly the same dates (8 Jan -> 13 Jan)."""
    kre = close_on(server, LAGGING, LAGS_TO) / close_on(server, LAGGING, FIVE_BACK)
    rut = close_on(server, "^RUT", LAGS_TO) / close_on(server, "^RUT", FIVE_BACK)
    return {"return_5d": kre - 1, "vs_small_5d": kre / rut - 1}


def test_a_lagging_etf_is_dated_and_compared_on_the_same_dates_in_once_json(
    served, clock, capsys, config_path, cache_path
):
    lag(served)
    rc, doc, err = once(capsys, config_path, cache_path)
    assert (rc, err) == (0, "")
    assert doc["as_of"] == END.isoformat() and doc["data"]["stale"] is False  # the pair is current
    rows = {row["symbol"]: row for row in doc["sectors"]}
    kre, psci = rows[LAGGING], rows["PSCI"]
    assert kre["as_of"] == LAGS_TO.isoformat() and psci["as_of"] == END.isoformat()
    # 1D: the index's previous session (14 Jan) is after KRE's last close: nothing to measure on the same dates.
    assert kre["return_1d"] is None and kre["vs_small_1d"] is None
    by_hand = lagging_row_by_hand(served)
    assert kre["return_5d"] == pytest.approx(by_hand["return_5d"], abs=1e-12)
    assert kre["vs_small_5d"] == pytest.approx(by_hand["vs_small_5d"], abs=1e-12)
    # Not the mixed windows of the bug: KRE to 13 Jan against ^RUT to 15 Jan.
    mixed = (close_on(served, LAGGING, LAGS_TO) / close_on(served, LAGGING, FIVE_BACK)) / (
        close_on(served, "^RUT", END) / close_on(served, "^RUT", END - timedelta(days=7))
    ) - 1
    assert kre["vs_small_5d"] != pytest.approx(mixed, abs=1e-6)


@pilot_test
async def test_a_lagging_etf_is_shown_with_its_date_on_screen(served, monitor):
    lag(served)
    app = monitor()
    async with app.run_test(size=(100, 30)) as pilot:  # the monitor's design size
        await first_data(pilot)
        assert not app.is_stale() and app.snapshot.as_of == END
        rows = {row.symbol: row for row in app.snapshot.sectors}
        assert rows[LAGGING].as_of == LAGS_TO
        assert rows[LAGGING].vs_small_5d == pytest.approx(lagging_row_by_hand(served)["vs_small_5d"], abs=1e-12)
        _, *lines = screen_text(app).splitlines()
        assert "13 Jan" in next(line for line in lines if f" {LAGGING} " in line)
        assert not any("Jan" in line for line in lines if " PSCI " in line)


# == 5. Nothing new from Yahoo for minutes of open market: stale, with the reason ==================================

REFUSED = "cannot reach Yahoo (connection refused)"
# The source's backoff after each refused attempt: 60 s, then 120, 240, 480. From the first failure at 10:01 it
# tries at 10:02, 10:04 and 10:08; the next try after that is 10:16.
TRIES = {1: "1 min", 2: "2 min", 4: "4 min", 8: "8 min"}


async def live_at_ten(pilot, served, clock) -> None:
    """The cache filled on Thursday evening, then one healthy refresh at Friday 10:00 ET."""
    await first_data(pilot)
    open_friday(served, clock)
    await next_round(pilot)
    assert_healthy(pilot.app)
    assert pilot.app.snapshot.data.received_at == FRIDAY_10


@pilot_test
async def test_the_server_stopping_turns_offline_after_three_refresh_periods(served, clock, monitor):
    app = monitor()
    async with app.run_test(size=SIZE) as pilot:
        await live_at_ten(pilot, served, clock)
        served.stop()
        try:
            wait = None
            for minute in range(1, 11):  # 10:01 to 10:10, a refresh every minute
                clock.now = FRIDAY_10 + timedelta(minutes=minute)
                await next_round(pilot)
                wait = TRIES.get(minute) or wait
                text = screen_text(app)
                status = text.splitlines()[0]
                # Three open-market refresh periods (3 x 60 s) without new data: OFFLINE from 10:04 on.
                assert status.startswith(" OFFLINE " if minute > 3 else " LIVE "), (minute, status)
                assert f"⚠ {REFUSED} — retrying in " in status, (minute, status)
                assert stale_marks(text, f"{minute} min") == 4, (minute, text)  # the data's age: since 10:00
                assert app.snapshot.data.received_at == FRIDAY_10
                silence = ("no new data from Yahoo since 10:00 ET",) if minute > 3 else ()
                assert app.snapshot.data.errors[:-1] == silence, minute
                if minute in TRIES:  # a real attempt this minute: its backoff starts now, in full
                    assert status.endswith(f"retrying in {TRIES[minute]}"), (minute, status)
        finally:
            served.start()

        # Yahoo is back; the next try (10:16) brings the data and the label back by itself.
        clock.now = FRIDAY_10 + timedelta(minutes=16)
        quote_the_session(served, clock.now)
        await next_round(pilot)
        assert_healthy(app)
        assert app.snapshot.data.received_at == clock.now


def test_the_server_stopping_turns_offline_in_once_json(served, clock, capsys, config_path, cache_path):
    assert once(capsys, config_path, cache_path)[0] == 0  # Thursday 17:00 ET: the full histories
    open_friday(served, clock)
    rc, doc, err = once(capsys, config_path, cache_path)
    assert (rc, err, doc["label"], doc["data"]["errors"]) == (0, "", "LIVE", [])
    served.stop()
    try:
        clock.now = FRIDAY_10 + timedelta(minutes=4)  # more than three refresh periods since 10:00
        rc, doc, err = once(capsys, config_path, cache_path)
    finally:
        served.start()
    assert (rc, err) == (0, "")
    assert (doc["label"], doc["data"]["stale"]) == ("OFFLINE", True)
    assert doc["data"]["errors"][:-1] == ["no new data from Yahoo since 10:00 ET"]
    assert re.fullmatch(re.escape(REFUSED) + " — retrying in " + ONCE_RETRY, doc["data"]["errors"][-1])
    assert doc["data"]["received_at"] == doc["data"]["fetched_at"] == FRIDAY_10.isoformat()


class Hanging:
    """A source whose fetch, once ``hang`` is set, does not return until ``release``: no answer, and no exception
    either (a fetch stuck below any timeout the source knows of)."""

    def __init__(self, source) -> None:
        self.source = source
        self.name = source.name
        self.hang = threading.Event()
        self.release = threading.Event()
        self.waiting = threading.Event()  # a fetch is stuck now

    def fetch(self, symbols):
        if self.hang.is_set():
            self.waiting.set()
            self.release.wait(timeout=60)
        return self.source.fetch(symbols)

    def retry_dropped(self) -> bool:
        return self.source.retry_dropped()

    def close(self) -> None:
        self.release.set()
        self.source.close()


@pilot_test
async def test_a_fetch_that_never_returns_turns_the_status_line_stale_by_the_tick_alone(
    served, clock, monitor, cache_path
):
    source = Hanging(YahooSource(BarCache(cache_path), clock, session=YahooSession(timeout=TIMEOUT)))
    app = monitor(source)
    async with app.run_test(size=SIZE) as pilot:
        await live_at_ten(pilot, served, clock)
        source.hang.set()
        clock.now = FRIDAY_10 + timedelta(minutes=1)
        await pilot.press("r")  # the refresh that will never come back
        await until(source.waiting.is_set, timeout=5)
        try:
            served.reset_counts()
            clock.now = FRIDAY_10 + timedelta(minutes=3)  # three periods exactly: not yet more than three
            app._on_tick()
            await pilot.pause()
            text = screen_text(app)
            assert text.startswith(" LIVE ") and "STALE" not in text and not app.is_stale()

            clock.now = FRIDAY_10 + timedelta(minutes=3, seconds=30)  # no refresh ended, nothing was raised...
            app._on_tick()  # ...the slow tick alone re-judges the data's age
            await pilot.pause()
            text = screen_text(app)
            status = text.splitlines()[0]
            assert app.fetching and app.is_stale()
            assert status.startswith(" OFFLINE ") and "⚠ no new data from Yahoo since 10:00 ET" in status, status
            assert stale_marks(text, "3 min") == 4, text
            assert sum(served.counts.values()) == 0
        finally:
            clock.now = FRIDAY_10 + timedelta(minutes=4)
            quote_the_session(served, clock.now)
            source.release.set()
        # The stuck fetch finally answers: fresh data, LIVE again.
        await until(lambda: not app.fetching, timeout=15)
        await pilot.pause()
        assert_healthy(app)
        assert app.snapshot.data.received_at == clock.now


# == Yahoo's recorded refusals on the chart endpoint, for every symbol: one plain reason ===========================

CHART_REFUSALS = {  # fault: (value, the one reason)
    "429": ("status", 429, "Yahoo rate limit (HTTP 429)"),  # the recorded "Edge: Too Many Requests" body
    "422": (
        "not_available",
        None,
        "Yahoo refused the request (HTTP 422: Unprocessable Entity: 5m data not "
        "available for startTime=1728136756 and endTime=1791208756. The requested range must be within the "
        "last 60 days.)",
    ),  # Yahoo's own words, from the recorded body
    "consent": ("consent", None, "Yahoo answered with its cookie-consent page instead of data"),
    "html": ("html", None, "Yahoo answered with a web page instead of data (HTTP 200)"),
}


@pytest.mark.parametrize("kind,value,words", CHART_REFUSALS.values(), ids=CHART_REFUSALS.keys())
def test_a_recorded_refusal_of_every_chart_is_one_plain_reason(
    served, clock, capsys, config_path, cache_path, kind, value, words
):
    if kind == "status":
        recordings.require(recordings.BODY_429)  # the fake serves the recorded body only when it is there
    rc, good, err = once(capsys, config_path, cache_path)
    assert (rc, err) == (0, "")
    served.fault(kind, value)  # every chart request, every symbol
    served.reset_counts()
    clock.advance(minutes=5)
    rc, doc, err = once(capsys, config_path, cache_path)
    assert (rc, err) == (0, "")
    assert served.count("chart") == 1  # Yahoo as a whole refused: the round ends at the first symbol
    [said] = doc["data"]["errors"]
    assert re.fullmatch(re.escape(words) + " — retrying in " + ONCE_RETRY, said), said
    assert doc["data"]["stale"] is True and doc["data"]["dropped"] == [] and no_one_blamed(cache_path)
    assert doc["data"]["fetched_at"] == good["data"]["fetched_at"] and doc["streak"] == good["streak"]


@pilot_test
async def test_a_consent_page_for_every_chart_is_said_once_in_the_monitor(served, clock, monitor, cache_path):
    app = monitor()
    notes = record_notes(app)
    words = CHART_REFUSALS["consent"][2]
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        served.fault("consent")
        for minute, retry in ((1, "1 min"), (2, "2 min")):  # the 2nd attempt is the first after its 60 s backoff
            served.reset_counts()
            clock.now = AFTER_CLOSE + timedelta(minutes=minute)
            await next_round(pilot)
            assert served.count("chart") == 1, minute
            assert app.snapshot.data.errors == (f"{words} — retrying in {retry}",)
            assert status_line(app).endswith(f"⚠ {words} — retrying in {retry}")
        assert [n for n in notes if "consent" in n] == [f"{words} — retrying in 1 min"]  # said once
        assert app.snapshot.data.dropped == () and no_one_blamed(cache_path)
