"""Network cost: HTTP requests (and bytes) per market hour of live polling of the default universe, counted on the
fake Yahoo server (tests/fake_yahoo.py) — YahooSource vs the naive approach (re-download every symbol's full
history with ``yf.download(period="max")`` on every refresh).

The fake serves the real replay history where there is a file for a symbol (so response sizes are realistic) and
a generated 20-year walk for the others. A mutable clock stands in a regular session (Fri 2026-01-16, from
10:00 ET) and advances by the open-market cadence (``Refresh.open_seconds``) per refresh while the intraday
quotes move. YahooSource: one cold fetch (empty cache) and then a full market hour of refreshes, counted
separately; once the history is current, each of those is one batched ``v7/finance/quote`` request (the fake
answers it with the same prices as its chart meta). Naive: a few refreshes (each is identical, and slow to
parse), scaled to the hour.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import REPLAY_DIR, Opts, Row, log, median

NAME = "network"
OPEN = datetime(2026, 1, 16, 15, 0, tzinfo=timezone.utc)  # Friday 10:00 ET, market open


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
    for k, symbol in enumerate(symbols):
        last = float(server.bars[symbol]["close"].iloc[-1])
        server.set_intraday(symbol, last * (1 + 0.0005 * ((step + k) % 7 - 3)), now - timedelta(seconds=30))


def totals(server, counter: Counter) -> tuple[int, int]:
    return sum(server.counts.values()), counter.bytes


def by_endpoint(server) -> dict[str, int]:
    out: dict[str, int] = {}
    for (endpoint, _), n in server.counts.items():
        out[endpoint] = out.get(endpoint, 0) + n
    return out


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
    server = make_server(symbols).start()
    saved = {k: os.environ.get(k) for k in ("STREAKWATCH_YAHOO_URL", "XDG_CACHE_HOME")}
    tmp = tempfile.TemporaryDirectory(prefix="streakwatch-bench-")
    try:
        # A host name with "yahoo" in it (curl resolves *.localhost to loopback itself): yfinance keeps its cookie
        # on disk only for a Yahoo-looking domain, and on 127.0.0.1 would fetch fc.yahoo.com again before every
        # request it makes, which real Yahoo never sees.
        os.environ["STREAKWATCH_YAHOO_URL"] = server.url.replace("127.0.0.1", "yahoo.localhost")
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp.name) / "cache")
        reset_yfinance()

        # -- YahooSource: cold fetch, then one market hour ---------------------------------------------------
        clock = MutableClock(OPEN)
        cache = BarCache(Path(tmp.name) / "bars.db")
        source = YahooSource(cache, clock, session=YahooSession(timeout=10.0), backoff=Backoff())
        move_quotes(server, symbols, clock.now, 0)
        t0 = time.perf_counter()
        data = source.fetch(symbols)
        cold_s = time.perf_counter() - t0
        cold_req, cold_bytes = totals(server, counter)
        if data.errors:
            log(opts, f"network: cold fetch notes: {data.errors}")
        fetch_s = []
        cold_endpoints = by_endpoint(server)
        for step in range(1, ours_refreshes + 1):
            clock.advance(seconds=cadence)
            move_quotes(server, symbols, clock.now, step)
            t0 = time.thread_time()  # this thread only: the fake server's threads are not the client's cost
            data = source.fetch(symbols)
            fetch_s.append(time.thread_time() - t0)
        req, nbytes = totals(server, counter)
        scale = per_hour / ours_refreshes
        hour_endpoints = {
            e: round((n - cold_endpoints.get(e, 0)) * scale)
            for e, n in by_endpoint(server).items()
            if n != cold_endpoints.get(e, 0)
        }
        hour_req, hour_bytes = round((req - cold_req) * scale), round((nbytes - cold_bytes) * scale)
        if data.stale or data.errors:
            log(opts, f"network: last fetch stale={data.stale} errors={data.errors}")
        source.close()
        log(
            opts,
            f"network: YahooSource cold {cold_req} req / {cold_bytes / 1e6:.1f} MB in {cold_s:.1f} s; "
            f"hour {hour_req} req {hour_endpoints} / {hour_bytes / 1e6:.2f} MB; "
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
    finally:
        server.stop()
        reset_yfinance()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        tmp.cleanup()

    detail = {
        "symbols": len(symbols),
        "refreshes_per_hour": per_hour,
        "refreshes_run": ours_refreshes,
        "cold_requests": cold_req,
        "hour_requests_by_endpoint": hour_endpoints,
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
    return [
        Row(
            NAME,
            f"requests per market hour ({len(symbols)} symbols, {per_hour} refreshes)",
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
