"""Network cost: HTTP requests (and bytes) per market hour of live polling of the default universe, counted on the
fake Yahoo server (tests/fake_yahoo.py) — YahooSource vs the naive approach (re-download every symbol's full
history with ``yf.download(period="max")`` on every refresh).

The fake serves the real replay history where there is a file for a symbol (so response sizes are realistic) and
a generated 20-year walk for the others. YahooSource: one cold fetch (empty cache) the evening before (Thu
2026-01-15, 17:00 ET), counted on its own; then an hour of Friday's pre-market (08:00 to 09:00 ET, the closed
cadence, the index futures quoted); then the first market hour from the open (09:30 ET), the clock advancing by
the open-market cadence (``Refresh.open_seconds``) per refresh. The pair plays a whole 5-minute session (the
fake's ``play_session``), so the first refresh of the session seeds today's race (one ``range=1d&interval=5m``
chart per index) and the quotes extend it; the other symbols' quotes move too. Once the history is current, each
refresh is one batched ``v7/finance/quote`` request (the fake answers it with the same prices as its chart meta).
Last, the end-of-day refresh (16:10:01 ET): the final bars and the final seed of the race. Naive: a few refreshes
(each is identical, and slow to parse), scaled to the hour.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.common import REPLAY_DIR, Opts, Row, log, median

NAME = "network"
EVENING = datetime(2026, 1, 15, 22, 0, tzinfo=timezone.utc)  # Thursday 17:00 ET: the cold fetch
PRE_MARKET = datetime(2026, 1, 16, 13, 0, tzinfo=timezone.utc)  # Friday 08:00 ET
OPEN = datetime(2026, 1, 16, 14, 30, tzinfo=timezone.utc)  # Friday 09:30 ET, the bell
FINAL = datetime(2026, 1, 16, 21, 10, 1, tzinfo=timezone.utc)  # 16:10:01 ET: the session's bar is final


class Counter:
    def __init__(self) -> None:
        self.bytes = 0


def patch_byte_counter(counter: Counter) -> None:
    """Count response bytes: wrap the handler's ``_send`` so its writes go through a counting proxy."""
    import tests.fake_yahoo as fy

    if getattr(fy._Handler, "_bench_counted", False):
        fy._Handler._bench_counter = counter
        return
    original = fy._Handler._send

    class CountingWriter:
        def __init__(self, inner) -> None:
            self.inner = inner

        def write(self, data) -> int:
            fy._Handler._bench_counter.bytes += len(data)
            return self.inner.write(data)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    def _send(self, status, body, ctype=None):
        inner = self.wfile
        self.wfile = CountingWriter(inner)
        try:
            return original(self, status, body, ctype)
        finally:
            self.wfile = inner

    fy._Handler._send = _send
    fy._Handler._bench_counted = True
    fy._Handler._bench_counter = counter


@contextmanager
def yahoo_at(server: Any) -> Iterator[Path]:
    """yfinance talks to ``server`` (started here, stopped on the way out) with a cache folder of its own; the
    environment is given back afterwards. Yields a scratch folder for the bench's bar caches.

    The URL's host has "yahoo" in it (curl resolves *.localhost to loopback itself): yfinance keeps its cookie on
    disk only for a Yahoo-looking domain, and on 127.0.0.1 would fetch fc.yahoo.com again before every request it
    makes, which real Yahoo never sees."""
    from tests.fake_yahoo import reset_yfinance

    server.start()
    saved = {k: os.environ.get(k) for k in ("STREAKWATCH_YAHOO_URL", "XDG_CACHE_HOME")}
    with tempfile.TemporaryDirectory(prefix="streakwatch-bench-") as tmp:
        try:
            os.environ["STREAKWATCH_YAHOO_URL"] = server.url.replace("127.0.0.1", "yahoo.localhost")
            os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
            reset_yfinance()
            yield Path(tmp)
        finally:
            server.close()
            reset_yfinance()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def fast_fake():
    """The test server, with each symbol's history rows built once instead of on every request (it answers the
    same; the benchmark just does not spend minutes inside the fake)."""
    import tests.fake_yahoo as fy

    class FastFakeYahoo(fy.FakeYahoo):
        def _history_rows(self, symbol):
            df = self.bars[symbol]
            memo = self.__dict__.setdefault("_bench_rows", {})
            if memo.get(symbol, (None,))[0] is not df:
                memo[symbol] = (df, super()._history_rows(symbol))
            return memo[symbol][1]  # (_with_session copies before it adds the session in progress)

    return FastFakeYahoo()


def make_server(symbols: list[str]):
    from tests.fake_yahoo import END, TRAILING_PE, load_replay, make_bars

    server = fast_fake()
    for i, symbol in enumerate(symbols):
        path = REPLAY_DIR / f"{symbol}.csv"
        if path.is_file():
            bars = load_replay(path)
            bars = bars[bars.index <= str(END)]
        else:
            bars = make_bars(END, n=20 * 252, start_price=100.0 + 10 * i, seed=100 + i)
        server.bars[symbol] = bars
    for symbol, pe in TRAILING_PE.items():
        server.info[symbol] = {"trailingPE": pe}
    return server


def move_quotes(server, symbols: list[str], now: datetime, step: int) -> None:
    """Every symbol's quote moves; the ones playing a whole session (the pair) move along it."""
    server.at(now)
    for k, symbol in enumerate(symbols):
        if symbol in server.sessions:
            continue
        last = float(server.bars[symbol]["close"].iloc[-1])
        server.set_intraday(symbol, last * (1 + 0.0005 * ((step + k) % 7 - 3)), now - timedelta(seconds=30))


def play_the_pair(server, pair: list[str]) -> None:
    """The pair trades all of Friday: a reproducible walk a minute from Thursday's close (390 minutes)."""
    import numpy as np

    from tests.fake_yahoo import END

    friday = END + timedelta(days=1)
    rng = np.random.default_rng(16)
    for symbol in pair:
        last = float(server.bars[symbol]["close"].iloc[-1])
        server.play_session(symbol, friday, list(last * np.cumprod(1 + rng.normal(0, 0.0004, 390))))


def quote_the_futures(server, futures: list[str], now: datetime) -> None:
    """The index futures trade overnight: history through Thursday and a last trade a minute ago."""
    from tests.fake_yahoo import END, make_bars

    for i, symbol in enumerate(futures):
        if symbol not in server.bars:
            server.bars[symbol] = make_bars(END, n=60, start_price=2000.0 + 4000.0 * i, seed=60 + i)
        last = float(server.bars[symbol]["close"].iloc[-1])
        server.set_intraday(symbol, round(last * (1.002 + 0.0001 * now.minute), 2), now - timedelta(minutes=1))


def totals(server, counter: Counter) -> tuple[int, int]:
    return sum(server.counts.values()), counter.bytes


def by_endpoint(server) -> dict[str, int]:
    out: dict[str, int] = {}
    for (endpoint, _), n in server.counts.items():
        out[endpoint] = out.get(endpoint, 0) + n
    return out


def since(server, before: dict[str, int]) -> dict[str, int]:
    """Requests by endpoint since ``before`` (a :func:`by_endpoint`)."""
    now = by_endpoint(server)
    return {e: n - before.get(e, 0) for e, n in now.items() if n != before.get(e, 0)}


def run(opts: Opts) -> list[Row]:
    from tests.fake_yahoo import MutableClock, reset_yfinance
    from tui.config import Config
    from tui.data.backoff import Backoff
    from tui.data.cache import BarCache
    from tui.data.yahoo import YahooSource
    from tui.data.yahoo_session import YahooSession, quiet_yfinance

    config = Config()
    symbols = config.symbols()
    cadence = config.refresh.open_seconds
    per_hour = int(round(3600 / cadence))
    naive_refreshes = opts.repeats(4, 2)
    ours_refreshes = opts.repeats(per_hour, 15)  # --quick: a quarter hour, scaled
    counter = Counter()
    patch_byte_counter(counter)
    server = make_server(symbols)
    with yahoo_at(server) as tmp:
        # -- YahooSource: cold fetch, a pre-market hour, the first market hour, the end of the day ------------
        clock = MutableClock(EVENING)
        cache = BarCache(tmp / "bars.db")
        source = YahooSource(
            cache, clock, session=YahooSession(timeout=10.0), backoff=Backoff(), premarket=config.premarket
        )
        pair, futures = symbols[:2], [config.premarket.small, config.premarket.large]
        play_the_pair(server, pair)
        move_quotes(server, symbols, clock.now, 0)
        t0 = time.perf_counter()
        data = source.fetch(symbols)
        cold_s = time.perf_counter() - t0
        cold_req, cold_bytes = totals(server, counter)
        if data.errors:
            log(opts, f"network: cold fetch notes: {data.errors}")

        # The pre-market: a refresh every closed period (the futures' read), one hour of them.
        clock.now = PRE_MARKET
        source.fundamentals(clock.now)  # the new day's P/E (once a day): not a pre-market cost
        before = by_endpoint(server)
        pre_rounds = int(round(3600 / config.refresh.closed_seconds))
        for _ in range(pre_rounds):
            quote_the_futures(server, futures, clock.now)
            data = source.fetch(symbols)
            clock.advance(seconds=config.refresh.closed_seconds)
        pre_endpoints = since(server, before)
        if data.futures_note or len(data.futures) != len(futures):
            log(opts, f"network: pre-market futures {sorted(data.futures)} note={data.futures_note}")

        # The first market hour: the first refresh seeds today's race (counted as it is), the others scale.
        clock.now = OPEN
        before = by_endpoint(server)
        bytes_before = counter.bytes
        fetch_s = []
        first_endpoints: dict[str, int] = {}
        for step in range(ours_refreshes):
            move_quotes(server, symbols, clock.now, step + 1)
            t0 = time.thread_time()  # this thread only: the fake server's threads are not the client's cost
            data = source.fetch(symbols)
            fetch_s.append(time.thread_time() - t0)
            if step == 0:
                first_endpoints = since(server, before)
                first_bytes = counter.bytes - bytes_before
            clock.advance(seconds=cadence)
        rest = ours_refreshes - 1
        scale = (per_hour - 1) / rest if rest else 0.0
        rest_endpoints = {e: n - first_endpoints.get(e, 0) for e, n in since(server, before).items()}
        hour_endpoints = {
            e: first_endpoints.get(e, 0) + round(rest_endpoints.get(e, 0) * scale)
            for e in {*first_endpoints, *rest_endpoints}
        }
        hour_endpoints = {e: n for e, n in hour_endpoints.items() if n}
        hour_req = sum(hour_endpoints.values())
        hour_bytes = first_bytes + round((counter.bytes - bytes_before - first_bytes) * scale)
        race_points = {s: len(p.times) for s, p in data.intraday.items()}
        if data.stale or data.errors or data.intraday_note:
            log(opts, f"network: last fetch stale={data.stale} errors={data.errors} race={data.intraday_note}")

        # The end of the day: the final bars and the race's final seed.
        clock.now = FINAL
        move_quotes(server, symbols, clock.now, 0)
        before = by_endpoint(server)
        data = source.fetch(symbols)
        close_endpoints = since(server, before)
        complete = all(p.complete for p in data.intraday.values()) and len(data.intraday) == 2
        source.close()
        log(
            opts,
            f"network: YahooSource cold {cold_req} req / {cold_bytes / 1e6:.1f} MB in {cold_s:.1f} s; "
            f"pre-market hour {pre_endpoints}; first market hour {hour_req} req {hour_endpoints} "
            f"(first refresh {first_endpoints}) / {hour_bytes / 1e6:.2f} MB, race points {race_points}; "
            f"end of day {close_endpoints} (race complete: {complete}); "
            f"client CPU per fetch {median(fetch_s) * 1000:.0f} ms",
        )

        # -- naive: full history of every symbol on every refresh ------------------------------------------
        reset_yfinance()
        yf = quiet_yfinance()
        session = YahooSession(timeout=30.0)
        base_req, base_bytes = totals(server, counter)
        per_refresh_req, per_refresh_bytes, naive_s = [], [], []
        for step in range(naive_refreshes + 1):  # the first one also learns timezones: not counted
            clock.advance(seconds=cadence)
            move_quotes(server, symbols, clock.now, step)
            t0 = time.thread_time()
            yf.download(
                symbols, period="max", interval="1d", session=session, progress=False, threads=False, auto_adjust=False
            )
            elapsed = time.thread_time() - t0
            r, b = totals(server, counter)
            if step:
                per_refresh_req.append(r - base_req)
                per_refresh_bytes.append(b - base_bytes)
                naive_s.append(elapsed)
            base_req, base_bytes = r, b
        naive_endpoints = dict(server.counts)
        naive_req = median(per_refresh_req) * per_hour
        naive_bytes = median(per_refresh_bytes) * per_hour
        log(
            opts,
            f"network: naive {median(per_refresh_req):.0f} req / {median(per_refresh_bytes) / 1e6:.2f} MB "
            f"per refresh, {median(naive_s):.1f} s CPU each",
        )

    detail = {
        "symbols": len(symbols),
        "refreshes_per_hour": per_hour,
        "refreshes_run": ours_refreshes,
        "cold_requests": cold_req,
        "hour_requests_by_endpoint": hour_endpoints,
        "first_refresh_by_endpoint": first_endpoints,
        "pre_market_hour_by_endpoint": pre_endpoints,
        "end_of_day_by_endpoint": close_endpoints,
        "race_points_after_the_hour": race_points,
        "race_complete_after_the_close": complete,
        "cold_bytes": cold_bytes,
        "cold_fetch_s": cold_s,
        "hour_requests": hour_req,
        "hour_bytes": hour_bytes,
        "fetch_median_s": median(fetch_s),
        "naive_requests_per_refresh": per_refresh_req,
        "naive_bytes_per_refresh": per_refresh_bytes,
        "naive_refresh_s": naive_s,
        "naive_requests_per_hour": naive_req,
        "counts_by_endpoint_symbol": {f"{e} {sym}": n for (e, sym), n in naive_endpoints.items()},
        "naive_bytes_per_hour": naive_bytes,
    }
    pre_req = sum(pre_endpoints.values())
    return [
        Row(
            NAME,
            f"requests per market hour ({len(symbols)} symbols, {per_hour} refreshes, today's race seeded)",
            f"{hour_req} vs naive {naive_req:.0f} (×{naive_req / max(hour_req, 1):.2f})",
            "fewer than naive",
            hour_req < naive_req,
            hour_req,
            "req/h",
            naive_req,
            detail,
        ),
        Row(
            NAME,
            "  of which today's race (seed at the first refresh)",
            f"{hour_endpoints.get('intraday', 0)} (then extended by the quotes), + "
            f"{close_endpoints.get('intraday', 0)} at the close",
            "at most a few",
            hour_endpoints.get("intraday", 0) <= 4,
            hour_endpoints.get("intraday", 0),
            "req/h",
        ),
        Row(
            NAME,
            f"  requests per pre-market hour ({pre_rounds} refreshes, futures read)",
            f"{pre_req} {pre_endpoints}",
            value=pre_req,
            unit="req/h",
        ),
        Row(
            NAME,
            "  bytes per market hour",
            f"{hour_bytes / 1e6:.2f} MB vs naive {naive_bytes / 1e6:.0f} MB (×{naive_bytes / max(hour_bytes, 1):.0f})",
            value=hour_bytes / 1e6,
            unit="MB/h",
        ),
        Row(
            NAME,
            "  cold start (empty cache), once",
            f"{cold_req} requests, {cold_bytes / 1e6:.1f} MB, {cold_s:.1f} s",
            value=cold_req,
            unit="req",
        ),
        Row(
            NAME,
            "  client CPU per refresh (fetch only)",
            f"{median(fetch_s) * 1000:.0f} ms; naive {median(naive_s) * 1000:.0f} ms",
            value=median(fetch_s) * 1000,
            unit="ms",
        ),
    ]
