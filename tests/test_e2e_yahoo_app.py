"""End to end in the running monitor: StreakwatchApp on a real YahooSource / AutoSource whose yfinance fetches from
the fake Yahoo server on 127.0.0.1 (STREAKWATCH_YAHOO_URL), under every fault of the "Live data you can trust"
issue. What is checked is what the user sees: the status line's label and plain-words reason, the last good
numbers still on screen marked STALE with their age, recovery without a key press when the server heals, and the
requests the server counted.

The backoff is tiny (1 s, capped at 4 s) and the clock runs in real time from a fixed instant after Thursday's
close, so the app's own timers and the source's backoff agree and every wait stays short and bounded.
"""

from __future__ import annotations

import asyncio
import random
import re

import pytest

from tests.app_helpers import pilot_test, ready, screen_text, status_line, until
from tests.e2e_helpers import (
    NEXT_DAY,
    TIMEOUT,
    TRANSPORT,
    TRANSPORT_IDS,
    RunningClock,
    delayed_answers_pending,
    expected_streak,
    seed_universe,
    switch_off,
    switch_on,
    universe,
    write_config,
)
from tests.fake_yahoo import fake_yahoo  # noqa: F401  (fixture)
from tui.app import StreakwatchApp
from tui.config import load_config
from tui.data.auto import AutoSource
from tui.data.backoff import Backoff
from tui.data.cache import BarCache
from tui.data.yahoo import YahooSource
from tui.data.yahoo_session import YahooSession
from tui.widgets.bignum import big

SIZE = (200, 40)  # wide enough for the status line to show the longest reason uncut (see the 120-column test)
WAIT = 15.0  # the bound on any wait for the app (first fetch, a recovery): generous for a loaded CI machine
BACKOFF_CAP = 4.0  # the sources' backoff here: 1 s doubling to 4 s (the monitor's own starts at 15 s)
STALE_MARK = re.compile(r"STALE · \d+ s old")


@pytest.fixture
def served(fake_yahoo):
    return seed_universe(fake_yahoo)


@pytest.fixture
def clock():
    return RunningClock()


@pytest.fixture
def config(tmp_path):
    return load_config(write_config(tmp_path / "streakwatch.toml"))


@pytest.fixture
def sources(tmp_path, clock):
    """Build YahooSource / AutoSource on tmp_path's cache with a short timeout and a tiny backoff."""
    made = []

    def make(kind: str = "yahoo"):
        cls = YahooSource if kind == "yahoo" else AutoSource
        source = cls(
            BarCache(tmp_path / "bars.db"),
            clock,
            session=YahooSession(timeout=TIMEOUT),
            backoff=Backoff(base=1, cap=BACKOFF_CAP, rng=random.Random(0)),
        )
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


def record_notes(app) -> list[str]:
    """Every notification's text, in order (toasts expire; this list does not)."""
    notes: list[str] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        notes.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return notes


def pct(value: float) -> str:
    """As the screen writes a return: one decimal, signed, and never "-0.0%"."""
    return "+0.0%" if round(value * 100, 1) == 0 else f"{value * 100:+.1f}%"


def streak_on_screen(want) -> list[str]:
    """What the streak pane must show for ``want``: the big counter, since when, both sides' returns."""
    start = f"since {want.start:%a} {want.start.day} {want.start:%b %Y}"
    returns = f"RUT {pct(want.small_return)}  SPX {pct(want.large_return)}"
    return [*big(str(want.length)), start, returns]


def assert_shows(text: str, want) -> None:
    for words in streak_on_screen(want):
        assert words in text, words


def assert_snapshot_is(app, want) -> None:
    streak = app.snapshot.streak
    assert app.snapshot.as_of == want.as_of
    assert (streak.leader, streak.length, streak.start, streak.end) == (want.leader, want.length, want.start, want.end)
    assert streak.small_return == pytest.approx(want.small_return, rel=1e-9)
    assert streak.large_return == pytest.approx(want.large_return, rel=1e-9)


async def first_data(pilot) -> None:
    await until(lambda: pilot.app.snapshot is not None, timeout=WAIT)
    await ready(pilot)


async def refresh(pilot) -> None:
    """Press r and wait for that refresh to finish (bounded)."""
    app = pilot.app
    await until(lambda: not app.fetching, timeout=WAIT)
    await pilot.press("r")
    await until(lambda: not app.fetching, timeout=WAIT)
    await pilot.pause()


def assert_healthy(app, label: str = "LIVE") -> str:
    text = screen_text(app)
    status = text.splitlines()[0]
    assert status.startswith(f" {label} "), status
    assert "STALE" not in text and "⚠" not in status and "retrying" not in text
    assert not app.is_stale() and app.snapshot.data.errors == ()
    return text


# -- steady state: what one refresh costs ---------------------------------------------------------------------


@pilot_test
async def test_steady_state_refresh_costs_one_chart_request_per_symbol(served, sources, config, clock):
    app = StreakwatchApp(source=sources("yahoo"), config=config, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        want = expected_streak(served)
        assert_snapshot_is(app, want)
        assert_shows(assert_healthy(app), want)
        assert "as of Thu 15 Jan 2026" in status_line(app)

        served.reset_counts()
        for _ in range(3):
            await refresh(pilot)
        asked = [(s, q) for e, s, q in served.log if e == "chart"]
        assert {s: sum(1 for x, _ in asked if x == s) for s, _ in asked} == {s: 3 for s in universe(served)}
        assert all("range=5d" in q and "period1" not in q for _, q in asked)  # no history again
        assert sum(served.counts.values()) == len(asked)  # no info (once a day), no cookie, no crumb
        assert_healthy(app)


# -- Yahoo down as a whole: the last good data stays, marked; the app heals by itself ---------------------------


@pilot_test
@pytest.mark.parametrize("kind,value,words", TRANSPORT, ids=TRANSPORT_IDS)
async def test_yahoo_down_keeps_the_numbers_marked_stale_and_recovers_by_itself(
    served, sources, config, clock, kind, value, words
):
    app = StreakwatchApp(source=sources("yahoo"), config=config, clock=clock)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        want = expected_streak(served)
        good = app.snapshot
        assert_shows(assert_healthy(app), want)

        switch_on(served, kind, value)
        try:
            await refresh(pilot)
            text = screen_text(app)
            status = text.splitlines()[0]
            assert re.search(re.escape(f"⚠ {words} — retrying in ") + r"\d s", status), status
            assert "STALE" in status and "delisted" not in text
            assert len(STALE_MARK.findall(text)) == 4, text  # every pane, with the data's age
            assert_shows(text, want)  # the last good numbers are still there
            assert app.snapshot.streak == good.streak and app.snapshot.sectors == good.sectors
            assert app.snapshot.data.fetched_at == good.data.fetched_at  # the age of what is shown
            assert all(app.pane(p).state == "data" for p in ("streak", "spread", "sectors", "risks"))
            assert any(n.startswith(words) for n in notes)
            # The next try is the source's backoff away (capped at 4 s), not the 15 min cadence nor the monitor's
            # own 15 s backoff: read off the schedule, not timed, so a loaded machine's slow fetch cannot blur it.
            assert app.refresh_loop.next_in() <= BACKOFF_CAP
        finally:
            healed_at = switch_off(served, kind)
        served.reset_counts()

        # No key press: the refresh the backoff scheduled (≤ 4 s away) finds the server healed.
        await until(lambda: not app.is_stale() and not app.fetching, timeout=WAIT)
        await pilot.pause()
        assert_shows(assert_healthy(app), want)
        assert app.snapshot.data.fetched_at > good.data.fetched_at
        # The healing refresh cost one request per symbol (a delayed request still in flight may add one).
        assert len(universe(served)) <= served.count("chart") <= len(universe(served)) + (kind == "delay")
        await asyncio.sleep(delayed_answers_pending(kind, value, healed_at))


# -- one symbol's answer unusable on a new day: Thursday stays, marked stale; Friday arrives when healed ---------

BAD_ANSWERS = [
    ("malformed", "Yahoo sent a malformed answer for ^GSPC (not JSON)"),
    ("empty", "Yahoo returned no data for ^GSPC"),
    ("null_last", "Yahoo sent an empty bar for ^GSPC on 2026-01-16 (ignored)"),
]


@pilot_test
@pytest.mark.parametrize("kind,words", BAD_ANSWERS, ids=[k for k, _ in BAD_ANSWERS])
async def test_a_bad_answer_never_shows_a_wrong_session_as_current(served, sources, config, clock, kind, words):
    app = StreakwatchApp(source=sources("yahoo"), config=config, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        thursday = expected_streak(served)
        assert_healthy(app)

        seed_universe(served, end=NEXT_DAY, n=261)  # Friday's bars are on the server...
        clock.advance(days=1)  # ...and Friday has closed
        served.fault(kind, symbol="^GSPC")
        await refresh(pilot)
        text = screen_text(app)
        status = text.splitlines()[0]
        assert "as of Thu 15 Jan 2026" in status and "Fri 16 Jan" not in text  # no half-known Friday
        assert re.search(re.escape(f"⚠ {words} — retrying in ") + r"\d s", status), status
        assert len(STALE_MARK.findall(text)) == 4 or len(re.findall(r"STALE · \d+ d old", text)) == 4, text
        assert_snapshot_is(app, thursday)
        assert_shows(text, thursday)

        served.clear_faults()
        await until(lambda: not app.is_stale() and not app.fetching, timeout=WAIT)
        await pilot.pause()
        friday = expected_streak(served)
        assert friday.as_of == NEXT_DAY
        assert_snapshot_is(app, friday)
        text = assert_healthy(app)
        assert "as of Fri 16 Jan 2026" in text.splitlines()[0]
        assert_shows(text, friday)


@pilot_test
async def test_duplicate_and_out_of_order_bars_show_the_right_numbers(served, sources, config, clock):
    served.fault("dupes")  # every chart answer, yfinance's full history included
    app = StreakwatchApp(source=sources("yahoo"), config=config, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        assert_snapshot_is(app, expected_streak(served))
        assert not app.is_stale()

        # Friday's true bar comes after an earlier, 10 % higher copy of itself.
        seed_universe(served, end=NEXT_DAY, n=261)
        clock.advance(days=1)
        await refresh(pilot)
        friday = expected_streak(served)
        assert_snapshot_is(app, friday)
        text = screen_text(app)
        assert_shows(text, friday)
        # (the status line drops the weekday to keep the repair note whole at this width)
        assert "16 Jan 2026" in text.splitlines()[0] and "STALE" not in text


# -- one unknown symbol in the batch -----------------------------------------------------------------------------


@pilot_test
async def test_an_unknown_symbol_is_notified_once_and_waits_on_its_own(served, sources, tmp_path, clock):
    config = load_config(write_config(tmp_path / "nope.toml", extra_sectors=(("NOPE", "Nothing"),)))
    app = StreakwatchApp(source=sources("yahoo"), config=config, clock=clock)
    notes = record_notes(app)
    said = "Yahoo has no data for NOPE (HTTP 404 “No data found”)"
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        assert [n for n in notes if said in n] == [f"{said} — retrying it in 2 min"]
        assert served.count("chart", "NOPE") == 1
        assert not app.is_stale()  # the data is good: the pair and the other symbols refreshed
        assert_snapshot_is(app, expected_streak(served))

        for _ in range(2):
            clock.advance(seconds=30)
            await refresh(pilot)
        assert served.count("chart", "NOPE") == 1  # waiting on its own: the others refresh on time
        assert len([n for n in notes if said in n]) == 1  # said once, though its countdown moves on
        assert re.search(re.escape(f"⚠ {said} — retrying it in ") + r"(1 min|\d+ s)$", status_line(app))
        text = screen_text(app)
        assert "Nothing" in text and "STALE" not in text  # its row stays, with dashes, not made-up numbers


# -- --source auto: OFFLINE from the cache, SIMULATED without one, LIVE again by itself --------------------------


@pilot_test
async def test_auto_goes_offline_on_the_cache_and_back_to_live(served, sources, config, clock):
    app = StreakwatchApp(source=sources("auto"), config=config, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await first_data(pilot)
        want = expected_streak(served)
        assert_healthy(app, "LIVE")
        assert not app.query_one("#banner").display

        served.stop()
        try:
            await refresh(pilot)  # the data is seconds old: still the latest there is, but stale, with the reason
            status = status_line(app)
            assert status.startswith(" LIVE ") and "⚠ cannot reach Yahoo (connection refused)" in status
            assert not app.query_one("#banner").display and app.is_stale()

            clock.advance(minutes=46)  # three closed-market refresh periods without an answer: OFFLINE
            await refresh(pilot)
            text = screen_text(app)
            status = text.splitlines()[0]
            assert status.startswith(" OFFLINE ") and "⚠ cannot reach Yahoo (connection refused)" in status
            assert app.query_one("#banner").display
            assert re.search(
                r"Cannot reach Yahoo \(connection refused\) — showing cached "
                r"data, 46 min old; retrying in \d s",
                text,
            ), text
            assert len(re.findall(r"STALE · 46 min old", text)) == 4
            assert_shows(text, want)
        finally:
            served.start()

        await until(lambda: not app.is_stale() and not app.fetching, timeout=WAIT)
        await pilot.pause()
        assert_shows(assert_healthy(app, "LIVE"), want)
        assert not app.query_one("#banner").display


@pilot_test
async def test_auto_without_a_cache_shows_simulated_data_then_the_real_data(served, sources, config, clock):
    served.stop()
    app = StreakwatchApp(source=sources("auto"), config=config, clock=clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await first_data(pilot)
            text = screen_text(app)
            assert text.splitlines()[0].startswith(" SIMULATED DATA ")
            assert app.snapshot.simulated and app.query_one("#banner").display
            assert re.search(
                r"Cannot reach Yahoo \(connection refused\), and no cached data "
                r"— showing SIMULATED data; retrying in \d s",
                text,
            ), text
            assert "STALE" not in text  # simulated data is labelled SIMULATED, not passed off as old Yahoo data

            served.start()
            await until(lambda: not app.snapshot.simulated and not app.fetching, timeout=WAIT)
            await pilot.pause()
            want = expected_streak(served)
            assert_snapshot_is(app, want)
            text = assert_healthy(app, "LIVE")
            assert_shows(text, want)
            assert "SIMULATED" not in text and not app.query_one("#banner").display
    finally:
        served.start() if served._server is None else None


# -- a pair symbol unusable with nothing cached: the panes say why ----------------------------------------------


@pilot_test
async def test_a_pair_symbol_unusable_without_a_cache_says_why(served, sources, config, clock):
    served.fault("malformed", symbol="^GSPC")
    app = StreakwatchApp(source=sources("yahoo"), config=config, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.pane("streak").state == "error" and not app.fetching, timeout=WAIT)
        await pilot.pause()
        assert "Yahoo sent a malformed answer for ^GSPC" in status_line(app)


# -- the reason must be readable at common terminal widths ------------------------------------------------------


@pilot_test
@pytest.mark.parametrize("width", [100, 120, 140, 160])
async def test_the_status_line_keeps_the_reason_and_the_retry_at_common_widths(served, sources, config, clock, width):
    """At 140 columns the compact status line shows '⚠ Yahoo rate limit (HTTP 429) — retrying in 1 s'; at 160 the
    fit test (which counts at most 40 cells of the error) picks the long form and cuts it to '— retrying …'; at
    100 (the monitor's design size; 120 too) even the compact form leaves no room for the retry."""
    app = StreakwatchApp(source=sources("yahoo"), config=config, clock=clock)
    async with app.run_test(size=(width, 32)) as pilot:
        await first_data(pilot)
        served.fault("status", 429)
        await refresh(pilot)
        status = status_line(app)
        assert "rate limit" in status and re.search(r"retrying in \d s", status), status
