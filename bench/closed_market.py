"""Requests while the market is closed: a whole weekend and a holiday, from the close to the next open, counted on
the fake Yahoo server (tests/fake_yahoo.py) under an accelerated clock.

Each span starts just after a session's closing bell (16:00:30 ET, inside the grace period) with a warm cache: a
cold fetch there is not counted. From then on the monitor's own scheduling (``tui.refresh_loop.next_delay``: the market
clock's delay, or sooner when the source retries a failure) decides when the next refresh happens, and the clock
jumps straight to it; the count stops at the next regular open. The fake serves each symbol's bars through the
span's last session (a generated walk: the count does not depend on prices).

Before / after: the cadence before idle checks polled a closed market every ``closed_seconds`` whatever it had
on hand; that is exactly ``idle_seconds = closed_seconds``, run through the same loop.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from msgspec.structs import replace

from bench.common import Opts, Row, log

NAME = "closed_market"
ET = ZoneInfo("America/New_York")
#: (what, the last session before the closed span). Each span runs to the next regular open.
SPANS = (
    ("weekend", date(2026, 11, 20)),  # Fri close -> Mon 23 Nov open
    ("Thanksgiving", date(2026, 11, 25)),  # Wed close -> (Thu holiday) -> Fri 27 Nov open
    ("Good Friday", date(2026, 4, 2)),  # Thu close -> (Good Friday, weekend) -> Mon 6 Apr open
)


def span_start(last_session: date) -> datetime:
    """Just after ``last_session``'s bell, before its bar is final (the end-of-day refresh is still to come)."""
    return datetime.combine(last_session, dtime(16, 0, 30), ET)


def serve_through(server, symbols: list[str], last_session: date) -> None:
    """Give the fake every symbol's daily bars through ``last_session`` (and the funds' P/E)."""
    from tests.fake_yahoo import TRAILING_PE, make_bars

    for i, symbol in enumerate(symbols):
        server.bars[symbol] = make_bars(last_session, n=260, start_price=100.0 + 10 * i, seed=100 + i)
    for symbol, pe in TRAILING_PE.items():
        server.info[symbol] = {"trailingPE": pe}


def walk(source, config, clock, until: datetime) -> list[tuple[datetime, date | None]]:
    """Refresh as the monitor schedules it from ``clock.now`` until ``until`` (exclusive), jumping the clock to
    each refresh; returns each refresh's instant and the pair's last session it brought (as the snapshot's)."""
    from tui.data.market_clock import market_status
    from tui.refresh_loop import next_delay
    from tui.snapshot import build_snapshot

    done: list[tuple[datetime, date | None]] = []
    while clock.now < until:
        data = source.fetch(config.symbols())
        as_of = build_snapshot(data, config).as_of
        done.append((clock.now, as_of))
        clock.advance(seconds=next_delay(market_status(clock.now), config, as_of, data.retry_in))
    return done


def count_span(server, source_for, config, last_session: date) -> tuple[int, dict[str, int], int]:
    """(requests, requests by endpoint, refreshes) after ``last_session``'s close to the next open: a cold fetch
    at the bell (full histories, not counted), then every refresh the monitor schedules."""
    from tests.fake_yahoo import MutableClock
    from tui.data.market_clock import market_status
    from tui.refresh_loop import next_delay
    from tui.snapshot import build_snapshot

    clock = MutableClock(span_start(last_session))
    source = source_for(clock)
    try:
        data = source.fetch(config.symbols())
        as_of = build_snapshot(data, config).as_of
        clock.advance(seconds=next_delay(market_status(clock.now), config, as_of, data.retry_in))
        server.reset_counts()
        until = market_status(clock.now).next_open
        refreshes = walk(source, config, clock, until)
    finally:
        source.close()
    by_endpoint: dict[str, int] = {}
    for (endpoint, _), n in server.counts.items():
        by_endpoint[endpoint] = by_endpoint.get(endpoint, 0) + n
    return sum(by_endpoint.values()), by_endpoint, len(refreshes)


def run(opts: Opts) -> list[Row]:
    from bench.network import fast_fake, yahoo_at
    from tests.fake_yahoo import reset_yfinance
    from tui.config import Config
    from tui.data.backoff import Backoff
    from tui.data.cache import BarCache
    from tui.data.yahoo import YahooSource
    from tui.data.yahoo_session import YahooSession

    after = Config()
    before = replace(after, refresh=replace(after.refresh, idle_seconds=after.refresh.closed_seconds))
    symbols = after.symbols()
    server = fast_fake()
    results: dict[tuple[str, str], tuple[int, dict[str, int], int]] = {}
    t0 = time.perf_counter()
    with yahoo_at(server) as tmp:  # a Yahoo-looking host, so yfinance keeps its cookie instead of asking each time
        for what, last_session in SPANS[:1] if opts.quick else SPANS:
            serve_through(server, symbols, last_session)
            for cadence, config in (("before", before), ("after", after)):
                reset_yfinance()
                db = tmp / f"{what}-{cadence}.db"

                def source_for(clock, db=db, config=config):
                    return YahooSource(
                        BarCache(db),
                        clock,
                        session=YahooSession(timeout=10.0),
                        backoff=Backoff(),
                        refresh=config.refresh,
                    )

                results[(what, cadence)] = count_span(server, source_for, config, last_session)
                req, endpoints, n = results[(what, cadence)]
                log(opts, f"closed_market: {what} {cadence}: {req} requests {endpoints} in {n} refreshes")
    log(opts, f"closed_market: {time.perf_counter() - t0:.0f} s")

    rows = []
    for i, (what, last_session) in enumerate(SPANS[:1] if opts.quick else SPANS):
        (old, old_by, old_n), (new, new_by, new_n) = results[(what, "before")], results[(what, "after")]
        opens = span_start(last_session)
        detail = {
            "from": opens.isoformat(),
            "symbols": len(symbols),
            "before_by_endpoint": old_by,
            "after_by_endpoint": new_by,
            "before_refreshes": old_n,
            "after_refreshes": new_n,
        }
        metric = (
            f"requests, {what} ({last_session:%a %-d %b} close → next open, {len(symbols)} symbols)"
            if i == 0
            else f"  {what} ({last_session:%a %-d %b} close → next open)"
        )
        rows.append(
            Row(
                NAME,
                metric,
                f"{new} in {new_n} refreshes vs {old} in {old_n} before (÷{old / max(new, 1):.0f})",
                "fewer than before",
                new < old,
                new,
                "req",
                old,
                detail,
            )
        )
    return rows
