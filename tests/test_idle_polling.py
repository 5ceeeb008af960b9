"""No polling while nothing can change (issue 11, item 6): a closed market whose last close is on hand is checked
every refresh.idle_seconds (6 h) until a session day's pre-market (04:00 ET), which is polled every
refresh.closed_seconds so the futures' read moves (issue 13, item 3); the end-of-day refresh still fetches the
final bars (and retries until it has them), the live label stays LIVE through a healthy weekend or holiday, and
the status line says when the market reopens and counts its countdowns down.

The expected instants and counts are worked out by hand from the NYSE calendar (16:00 ET close, +10 min grace
before a bar is final, +1 s wake-up; 13:00 on the day after Thanksgiving) and the default cadences (60 s open,
900 s while a close is owed or in a pre-market, 6 h idle)."""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest
from msgspec.structs import replace

from tests.app_helpers import FakeSource, builder, make_app, make_snapshot, pilot_test, ready, status_line
from tests.fake_yahoo import fake_yahoo  # noqa: F401  (fixture)
from tui.config import Config
from tui.data.freshness import judge_now
from tui.data.market_clock import market_status, refresh_period
from tui.fmt import retry_countdown
from tui.refresh_loop import next_delay
from tui.status_view import market_text
from tui.widgets import fmt
from tui.widgets.palette import Palette
from tui.widgets.status import StatusInfo, fitted_status

ET = ZoneInfo("America/New_York")
UTC = timezone.utc
CONFIG = Config()


def et(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(day, dtime(hh, mm, ss), ET).astimezone(UTC)


def schedule(start: datetime, until: datetime, final_bar_from: datetime | None = None) -> list[datetime]:
    """The refresh instants the monitor schedules from ``start`` (a refresh) until ``until`` (exclusive), when
    every refresh succeeds and Yahoo has a completed session's final bar from ``final_bar_from`` on (default: as
    soon as the session completes)."""
    instants, now = [], start
    while now < until:
        instants.append(now)
        status = market_status(now)
        have = status.last_completed
        if final_bar_from is not None and now < final_bar_from and have == final_bar_from.astimezone(ET).date():
            have = have - timedelta(days=1)  # the close is still owed (no session lies between in these spans)
        now = now + timedelta(seconds=next_delay(status, CONFIG, have))
    return instants


def hours(first: datetime, n: int, step: float = 6.0) -> list[datetime]:
    return [first + timedelta(hours=step * k) for k in range(n)]


def pre_market(day: date) -> list[datetime]:
    """A session day's pre-market refreshes: 04:00 ET, then every 15 min (the futures' read) to 09:15, 22 of them."""
    return hours(et(day, 4), 22, step=0.25)


# -- the schedule --------------------------------------------------------------------------------------------------

FRI, SAT, SUN, MON = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)


def test_a_weekend_is_the_final_bars_then_a_check_every_6_hours_then_the_pre_market_then_the_bell():
    got = schedule(et(FRI, 16, 0, 30), et(MON, 9, 31, 30))
    final = et(FRI, 16, 10, 1)
    assert got == [et(FRI, 16, 0, 30), *hours(final, 10), *pre_market(MON), et(MON, 9, 30), et(MON, 9, 31)]
    assert got[10] == et(SUN, 22, 10, 1)  # the last idle check: 6 h later would pass Monday's pre-market


def test_thanksgiving_is_a_holiday_of_idle_checks_and_the_half_day_after_ends_at_13_10():
    wed, thu, fri, mon = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)
    assert market_status(et(thu, 12)).holiday_name == "Thanksgiving"
    got = schedule(et(wed, 16, 0, 30), et(fri, 9, 30, 30))
    # No pre-market on the holiday itself: idle through Thursday, then Friday's pre-market.
    assert got == [et(wed, 16, 0, 30), *hours(et(wed, 16, 10, 1), 6), *pre_market(fri), et(fri, 9, 30)]
    # The day after: the half day closes at 13:00, its bar is final at 13:10, then the weekend is idle.
    got = schedule(et(fri, 12, 59, 30), et(mon, 9, 30, 30))
    assert got[:3] == [et(fri, 12, 59, 30), et(fri, 13, 0, 30), et(fri, 13, 10, 1)]
    assert got[3:] == [*hours(et(fri, 19, 10, 1), 10), *pre_market(mon), et(mon, 9, 30)]  # idle to Mon 01:10:01


def test_good_friday_long_weekend():
    thu, mon = date(2026, 4, 2), date(2026, 4, 6)
    assert market_status(et(date(2026, 4, 3), 12)).holiday_name == "Good Friday"
    got = schedule(et(thu, 16, 0, 30), et(mon, 9, 30, 30))
    # Thu 16:10:01 to Sun 22:10:01 is 78 h: 14 checks 6 h apart, then Monday's pre-market, then the bell.
    assert got == [et(thu, 16, 0, 30), *hours(et(thu, 16, 10, 1), 14), *pre_market(mon), et(mon, 9, 30)]


def test_a_late_final_bar_is_asked_for_every_15_minutes_until_it_comes():
    got = schedule(et(FRI, 16, 10, 1), et(SAT, 6), final_bar_from=et(FRI, 16, 40))
    assert got == [et(FRI, 16, 10, 1), et(FRI, 16, 25, 1), et(FRI, 16, 40, 1), et(FRI, 22, 40, 1), et(SAT, 4, 40, 1)]


def test_a_failed_refresh_keeps_its_backoff_even_when_idle():
    sunday = market_status(et(SUN, 12))
    assert next_delay(sunday, CONFIG, FRI) == 6 * 3600
    assert next_delay(sunday, CONFIG, FRI, retry_in=75.0) == 75.0  # the source retries Yahoo in 75 s: so do we
    assert next_delay(market_status(et(FRI, 16, 10, 1)), CONFIG, date(2026, 11, 19), retry_in=60.0) == 60.0


# -- freshness follows the cadence actually used ---------------------------------------------------------------


def judged(now: datetime, received_at: datetime, bars_through: date):
    return judge_now(now, received_at=received_at, quote_time=None, bars_through=bars_through, refresh=CONFIG.refresh)


SPANS = [  # (last session, next open day): a weekend, a holiday, a long weekend, the weekend after a half day
    (FRI, MON),
    (date(2026, 11, 25), date(2026, 11, 27)),
    (date(2026, 4, 2), date(2026, 4, 6)),
    (date(2026, 11, 27), date(2026, 11, 30)),
]


@pytest.mark.parametrize("last, reopens", SPANS, ids=[f"{a}" for a, _ in SPANS])
def test_a_healthy_closed_span_stays_live_and_current_through_the_open(last, reopens):
    """Minute by minute from the last session's bell to ten minutes after the next open, each refresh answered
    two seconds after it starts: never OFFLINE, never stale, and the open's first minutes included."""
    start = market_status(et(last, 12)).close - timedelta(seconds=30)
    instants = schedule(start, et(reopens, 9, 40))
    answered = [(t + timedelta(seconds=2), market_status(t).last_completed) for t in instants]
    now, k = start + timedelta(seconds=3), 0
    while now < et(reopens, 9, 40):
        while k + 1 < len(answered) and answered[k + 1][0] <= now:
            k += 1
        received_at, through = answered[k]
        verdict = judged(now, received_at, through)
        assert (verdict.label, verdict.stale) == ("LIVE", False), (now.astimezone(ET), received_at.astimezone(ET))
        now += timedelta(seconds=30)


def test_silence_while_idle_is_measured_in_idle_periods_and_after_the_bell_in_open_ones():
    last_check = et(SAT, 4, 10, 1)
    assert refresh_period(market_status(et(SUN, 12)), CONFIG.refresh, FRI) == 6 * 3600
    assert judged(et(SAT, 22, 10), last_check, FRI).label == "LIVE"  # 18 h: three idle periods, not more
    gone = judged(et(SAT, 22, 11), last_check, FRI)
    assert (gone.label, gone.stale) == ("OFFLINE", True) and "since 04:10 ET" in gone.reason
    # Monday: the idle check at 04:10 covers the pre-market; from the bell, three minutes of silence is OFFLINE.
    monday_check = et(MON, 4, 10, 1)
    assert judged(et(MON, 9, 32, 59), monday_check, FRI).label == "LIVE"
    assert judged(et(MON, 9, 33, 1), monday_check, FRI).label == "OFFLINE"


def test_while_a_failure_is_retried_silence_is_measured_in_the_retries():
    # The backoff retries at least every closed_seconds (its cap): 45 min of failed retries on a Saturday is
    # OFFLINE, where 45 min between two healthy idle checks is not.
    sunday = market_status(et(SUN, 12))
    assert refresh_period(sunday, CONFIG.refresh, FRI, retrying=True) == 900
    last_answer = et(SAT, 10, 10, 1)
    for retrying, label in ((False, "LIVE"), (True, "OFFLINE")):
        verdict = judge_now(
            et(SAT, 10, 56),
            received_at=last_answer,
            quote_time=None,
            bars_through=FRI,
            refresh=CONFIG.refresh,
            retrying=retrying,
        )
        assert verdict.label == label, retrying


def test_an_owed_close_is_measured_in_the_closed_cadence_and_said_when_it_stays_missing():
    thursday = date(2026, 11, 19)
    assert refresh_period(market_status(et(FRI, 17)), CONFIG.refresh, thursday) == 900
    late = judged(et(FRI, 16, 41), et(FRI, 16, 40, 1), thursday)  # Yahoo answers, without Friday's bar
    assert late.stale and "20 Nov close" in late.reason
    assert judged(et(FRI, 16, 56, 2), et(FRI, 16, 10, 1), thursday).label == "OFFLINE"  # 45 min of silence


# -- on the fake Yahoo, with an accelerated clock ---------------------------------------------------------------


@pytest.fixture
def counted(fake_yahoo, tmp_path, monkeypatch):
    """count(last_session, faults=None) -> (requests, by endpoint, refreshes) from the close to the next open."""
    from bench.closed_market import count_span, serve_through
    from tui.data.backoff import Backoff
    from tui.data.cache import BarCache
    from tui.data.yahoo import YahooSource
    from tui.data.yahoo_session import YahooSession

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # A Yahoo-looking host, as in bench/network.py: on 127.0.0.1 yfinance would fetch a cookie before each request.
    monkeypatch.setenv("STREAKWATCH_YAHOO_URL", fake_yahoo.url.replace("127.0.0.1", "yahoo.localhost"))

    def count(last_session: date):
        serve_through(fake_yahoo, CONFIG.symbols(), last_session)

        def source_for(clock):
            return YahooSource(
                BarCache(tmp_path / f"{last_session}.db"),
                clock,
                session=YahooSession(timeout=5.0),
                backoff=Backoff(rng=random.Random(0)),
                refresh=CONFIG.refresh,
            )

        return count_span(fake_yahoo, source_for, CONFIG, last_session)

    return count


def test_a_weekend_costs_276_requests_on_the_fake(counted):
    requests, by_endpoint, refreshes = counted(FRI)
    # 10 idle refreshes (Fri 16:10:01, then every 6 h to Sun 22:10:01) x 24 symbols' charts (20, plus the board of
    # pairs' IWN, IWO, IJH and QQQ), and at the first of them the final seed of Friday's race (one 5-minute chart per
    # index; this fake has no minute bars to give, and a failed final seed is not asked again). Then Monday's
    # pre-market: 22 refreshes (04:00 to 09:15, every 15 min) of one batched quote each (every symbol's bars are
    # current; the futures ride along). The funds' P/E once per New York day (Sat, Sun, Mon) for 2 funds, each one
    # quoteSummary and one quote request.
    assert len(CONFIG.symbols()) == 24 and refreshes == 10 + 22
    assert by_endpoint == {"chart": 240, "intraday": 2, "quoteSummary": 6, "quote": 22 + 6}
    assert requests == 276


def test_thanksgiving_costs_176_requests_on_the_fake(counted):
    requests, by_endpoint, refreshes = counted(date(2026, 11, 25))
    # Wed 16:10:01 then every 6 h to Thu 22:10:01: 6 idle refreshes x 24 charts (the holiday has no pre-market),
    # then Friday's 22 pre-market refreshes; the final seed of Wednesday's race; P/E on Thu and Fri.
    assert refreshes == 6 + 22
    assert by_endpoint == {"chart": 144, "intraday": 2, "quoteSummary": 4, "quote": 22 + 4}
    assert requests == 176


def test_a_failed_end_of_day_refresh_retries_until_the_final_bars_arrive(fake_yahoo, tmp_path, monkeypatch):
    from bench.closed_market import serve_through, walk
    from tests.fake_yahoo import MutableClock
    from tui.data.backoff import Backoff
    from tui.data.cache import BarCache
    from tui.data.yahoo import YahooSource
    from tui.data.yahoo_session import YahooSession

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    serve_through(fake_yahoo, CONFIG.symbols(), FRI)
    clock = MutableClock(et(FRI, 16, 0, 30))
    source = YahooSource(
        BarCache(tmp_path / "bars.db"),
        clock,
        session=YahooSession(timeout=5.0),
        backoff=Backoff(base=60, cap=900, jitter=0.0),
        refresh=CONFIG.refresh,
    )
    try:
        source.fetch(CONFIG.symbols())  # at the bell: histories through Thursday
        clock.now = et(FRI, 16, 10, 1)
        fake_yahoo.fault("status", 503)  # Yahoo fails the end-of-day refresh...
        failing = walk(source, CONFIG, clock, et(FRI, 16, 17))
        fake_yahoo.clear_faults()  # ...and is back at 16:17
        healed = walk(source, CONFIG, clock, et(SAT, 5))
    finally:
        source.close()
    # Backoff 60, 120, 240 s: 16:10:01, 16:11:01, 16:13:01, 16:17:01 (healed: Friday's bars), then idle.
    assert [t for t, _ in failing] == [et(FRI, 16, 10, 1), et(FRI, 16, 11, 1), et(FRI, 16, 13, 1)]
    assert all(through == date(2026, 11, 19) for _, through in failing)
    assert healed == [(et(FRI, 16, 17, 1), FRI), (et(FRI, 22, 17, 1), FRI), (et(SAT, 4, 17, 1), FRI)]


# -- what the status line says -----------------------------------------------------------------------------------

COLOURS = Palette(*["#ffffff"] * 7)


@pytest.mark.parametrize(
    "instant, says",
    [
        (et(SAT, 12), "WEEKEND · opens Mon 09:30 ET"),
        (et(date(2026, 11, 26), 12), "HOLIDAY · Thanksgiving · opens Fri 09:30 ET"),
        (et(date(2026, 4, 3), 12), "HOLIDAY · Good Friday · opens Mon 09:30 ET"),
        (et(FRI, 17), "AFTER-HOURS · opens Mon 09:30 ET"),
        (et(date(2026, 11, 27), 10), "OPEN · until 13:00 ET (half day)"),
    ],
)
def test_the_market_says_when_it_reopens(instant, says):
    assert market_text(market_status(instant)) == says


@pytest.mark.parametrize("error", [None, "Yahoo rate limit (HTTP 429) — retrying in 4 min"])
@pytest.mark.parametrize("width", [100, 120, 140, 160, 200])
def test_the_reopening_shows_on_weekends_and_holidays_at_common_widths(width, error):
    for instant, as_of in ((et(SAT, 12), FRI), (et(date(2026, 11, 26), 12), date(2026, 11, 25))):
        info = StatusInfo(
            label="LIVE",
            source="yahoo",
            market=market_text(market_status(instant)),
            as_of=as_of,
            updated=instant - timedelta(hours=2),
            age="2 h",
            stale=error is not None,
            next_in=4 * 3600 - 60,
            error=error,
        )
        line = fitted_status(info, COLOURS, width).plain
        assert len(line) <= width, (width, line)
        if error:  # at 100 columns the reason comes before the reopening
            assert width == 100 or "opens " in line, (width, line)
            assert "rate limit" in line and line.endswith("retrying in 4 min"), (width, line)
        else:
            assert "opens " in line and "09:30 ET" in line and "next ~4 h" in line, (width, line)


def test_countdowns_read_in_the_unit_that_matters():
    assert [fmt.countdown(s) for s in (4, 59, 60, 89 * 60, 90 * 60, 5 * 3600 + 1, 6 * 3600)] == [
        "~10 s",
        "~60 s",
        "~1 min",
        "~89 min",
        "~2 h",
        "~6 h",
        "~6 h",
    ]
    said = "Yahoo rate limit (HTTP 429) — retrying in 1 min"
    assert retry_countdown(said, 41.2) == "Yahoo rate limit (HTTP 429) — retrying in 42 s"
    assert retry_countdown(said, 0.0) == "Yahoo rate limit (HTTP 429) — retrying in 1 s"  # due: never "0 s"
    assert retry_countdown(said, 300) == "Yahoo rate limit (HTTP 429) — retrying in 5 min"
    assert (
        retry_countdown("x — showing SIMULATED data; retrying in 3 s", 2)
        == "x — showing SIMULATED data; retrying in 2 s"
    )
    assert retry_countdown("no retry here", 5) == "no retry here"


@pilot_test
async def test_the_retry_and_the_next_refresh_count_down_on_the_tick():
    first = make_snapshot()
    failing = replace(
        first,
        data=replace(
            first.data, stale=True, retry_in=300.0, errors=("Yahoo rate limit (HTTP 429) — retrying in 5 min",)
        ),
    )
    app = make_app(source=FakeSource(), build=builder(failing))
    async with app.run_test(size=(200, 40)) as pilot:
        await ready(pilot)
        assert "retrying in 5 min" in status_line(app) and "next ~5 min" in status_line(app)
        # Two and a half minutes on: what the line says follows the monotonic clock the timers run on.
        app.refresh_loop.retry_at = app.refresh_loop.next_due = time.monotonic() + 150
        app._on_tick()
        await pilot.pause()
        line = status_line(app)
        # A moment under 150 s: 2 min to the nearest minute, in both places (one rounding for every countdown).
        assert "retrying in 2 min" in line and "next ~2 min" in line and "5 min" not in line, line
        app.refresh_loop.retry_at = app.refresh_loop.next_due = time.monotonic() + 25
        app._on_tick()
        await pilot.pause()
        assert "retrying in 25 s" in status_line(app) and "next ~30 s" in status_line(app)
