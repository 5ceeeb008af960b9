"""A fake Yahoo Finance server on 127.0.0.1 for tests, with request counters and switchable faults.

It answers what ``STREAKWATCH_YAHOO_URL`` makes the app (and yfinance) send: ``/<host>/<path>?<query>``.

* ``fc.yahoo.com/`` cookie, ``/v1/test/getcrumb`` crumb,
* ``/v8/finance/chart/<SYM>`` daily bars (``range=Nd|max`` or ``period1``/``period2``) from :attr:`bars`,
  plus an optional session in progress (:meth:`set_intraday`),
* ``/v10/finance/quoteSummary/<SYM>``, ``/v7/finance/quote``, ``/ws/fundamentals-timeseries/…`` for ``info``;
  ``/v7/finance/quote?symbols=A,B,…`` also carries each symbol's current price and time (the same as the chart
  meta's), which is what the monitor's batched intraday quotes read.

Faults (:meth:`fault`) apply per endpoint and per symbol (``"*"`` = any; ``after=N`` spares the next N requests): ``status`` (HTTP code), ``delay``
(seconds before answering), ``close`` (drop the connection), ``malformed`` (not JSON), ``empty`` (no result),
``bad_symbol`` (404 + chart.error), ``null_last`` (last bar all null), ``dupes`` (duplicate and out-of-order
timestamps, where the *latest* bar of each day is the true one). A batched quote request is hit by a fault on
any symbol it names; on it, a symbol's own ``empty`` fault leaves just that symbol out of the result and its own
``null_last`` fault gives it a null price. :meth:`stop` makes the port refuse connections; :meth:`start` brings
it back on the same port.
"""

from __future__ import annotations

import json
import random
import re
import socket
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, time as dtime, timedelta, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

NY = ZoneInfo("America/New_York")
BAD_SYMBOL = {"code": "Not Found", "description": "No data found, symbol may be delisted"}


def make_bars(end: date, n: int = 260, start_price: float = 100.0, seed: int = 0) -> pd.DataFrame:
    """``n`` weekday sessions ending at ``end``: a reproducible random walk with consistent OHLC."""
    days = pd.bdate_range(end=pd.Timestamp(end), periods=n, name="Date")
    rng = np.random.default_rng(seed)
    close = start_price * np.cumprod(1 + rng.normal(0.0003, 0.01, n))
    open_ = np.concatenate([[start_price], close[:-1]])
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.004,
            "low": np.minimum(open_, close) * 0.996,
            "close": close.round(4),
            "adj_close": (close * 0.98).round(4),
            "volume": rng.integers(1_000_000, 5_000_000, n).astype(float),
        },
        index=days,
    )


def load_replay(path: Path) -> pd.DataFrame:
    """A replay CSV (Date, Close at least) as server bars."""
    df = pd.read_csv(path)
    df.columns = [c.strip().lower().replace(" ", "_") for c in df.columns]
    df["date"] = pd.to_datetime(df["date"])
    return df.set_index("date").rename_axis("Date")


def _epoch(day: date, at: dtime) -> int:
    return int(datetime.combine(day, at, NY).timestamp())


class FakeYahoo:
    def __init__(self) -> None:
        self.bars: dict[str, pd.DataFrame] = {}
        self.info: dict[str, dict[str, Any]] = {}
        self.intraday: dict[str, tuple[float, datetime]] = {}
        self.counts: Counter[tuple[str, str]] = Counter()
        self.log: list[tuple[str, str, str]] = []  # (endpoint, symbol, query) in arrival order
        self._faults: dict[tuple[str, str], tuple[str, Any]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.server_errors: list[str] = []  # unexpected errors inside the fake itself (see _QuietServer)
        self._thread: threading.Thread | None = None
        self._conns: set = set()  # open keep-alive sockets, cut on stop() so "refused" really means it
        self.port = 0

    # -- control ----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeYahoo:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _QuietServer(("127.0.0.1", self.port), handler)
        self._server.fake = self
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections to the port are refused until :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with self._lock:
                for conn in self._conns:
                    try:
                        conn.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                self._conns.clear()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def fault(self, kind: str, value: Any = None, *, endpoint: str = "chart", symbol: str = "*", after: int = 0) -> None:
        """Switch a fault on; ``after`` lets that many matching requests through first (e.g. hit only the
        full-history request that follows the app's own 5-day request)."""
        with self._lock:
            self._faults[(endpoint, symbol)] = (kind, value, after)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_intraday(self, symbol: str, price: float, when: datetime) -> None:
        """A session in progress: a partial daily bar for ``when``'s date, and the quote in the chart meta."""
        self.intraday[symbol] = (price, when)

    def count(self, endpoint: str, symbol: str | None = None) -> int:
        return sum(n for (e, s), n in self.counts.items() if e == endpoint and (symbol is None or s == symbol))

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()

    # -- answers ------------------------------------------------------------------------------------------

    def _fault_for(self, endpoint: str, symbol: str) -> tuple[str, Any] | None:
        names = _listed(endpoint, symbol)
        keys = dict.fromkeys([(endpoint, symbol), *((endpoint, s) for s in names), (endpoint, "*"),
                              ("*", symbol), *(("*", s) for s in names), ("*", "*")])
        with self._lock:
            for key in keys:
                if key in self._faults:
                    kind, value, after = self._faults[key]
                    if after > 0:
                        self._faults[key] = (kind, value, after - 1)
                        return None
                    return kind, value
        return None

    def _own_fault(self, endpoint: str, symbol: str) -> str | None:
        """The kind of fault set for exactly this symbol (not ``"*"``), without using up its ``after``."""
        with self._lock:
            for key in ((endpoint, symbol), ("*", symbol)):
                if key in self._faults and self._faults[key][2] == 0:
                    return self._faults[key][0]
        return None

    def market_quote(self, symbol: str, rows: list[dict[str, Any]] | None = None) -> tuple[float, int]:
        """(regularMarketPrice, regularMarketTime) as Yahoo reports them: the session in progress, else the
        last bar's close at 16:00 ET of its day."""
        if symbol in self.intraday:
            price, when = self.intraday[symbol]
            return price, int(when.timestamp())
        last = (rows or self._rows(symbol))[-1]
        return last["close"], _epoch(datetime.fromtimestamp(last["ts"], NY).date(), dtime(16, 0))

    def quotes(self, symbols: list[str], fault: tuple[str, Any] | None) -> dict[str, Any]:
        """The ``/v7/finance/quote`` answer: info fields plus price and time per known symbol; unknown ones
        are left out, as Yahoo does."""
        if fault and fault[0] == "empty" and not any(self._own_fault("quote", s) for s in symbols):
            return {"quoteResponse": {"result": [], "error": None}}
        result = []
        for symbol in symbols:
            info, own = self._info(symbol), self._own_fault("quote", symbol)
            if info is None or own == "empty":
                continue
            if symbol in self.bars:
                price, market_time = self.market_quote(symbol)
                info = {**info, "regularMarketPrice": None if own == "null_last" else price,
                        "regularMarketTime": market_time}
            result.append(info)
        return {"quoteResponse": {"result": result, "error": None}}

    def _rows(self, symbol: str) -> list[dict[str, Any]]:
        """Every bar as chart rows (timestamp at the 9:30 open, like Yahoo), the session in progress last."""
        df = self.bars[symbol]
        rows = [
            {"ts": _epoch(d.date(), dtime(9, 30)), **{k: (None if pd.isna(v) else float(v)) for k, v in r.items()}}
            for d, r in zip(df.index, df.to_dict("records"))
        ]
        if symbol in self.intraday:
            price, when = self.intraday[symbol]
            day = when.astimezone(NY).date()
            rows = [r for r in rows if r["ts"] < _epoch(day, dtime(0, 0))]
            prev = rows[-1]["close"] if rows else price
            rows.append({"ts": _epoch(day, dtime(9, 30)), "open": prev, "high": max(prev, price),
                         "low": min(prev, price), "close": price, "adj_close": price, "volume": 1000.0})
        return rows

    def chart(self, symbol: str, query: dict[str, str], fault: tuple[str, Any] | None) -> tuple[int, Any]:
        if symbol not in self.bars:
            return 404, {"chart": {"result": None, "error": BAD_SYMBOL}}
        rows = self._rows(symbol)
        if "period1" in query or "period2" in query:
            p1, p2 = int(query.get("period1", 0)), int(query.get("period2", 2**40))
            window = [r for r in rows if p1 <= r["ts"] < p2]
            rng = None
        else:
            rng = query.get("range", "1mo")
            m = re.fullmatch(r"(\d+)(d|wk|mo|y)", rng)
            n = len(rows) if rng in ("max", "ytd") or not m else int(m[1]) * {"d": 1, "wk": 5, "mo": 21, "y": 252}[m[2]]
            window = rows[-n:]
        prev_close = rows[len(rows) - len(window) - 1]["close"] if len(window) < len(rows) else None
        price, market_time = self.market_quote(symbol, rows)
        kind = fault[0] if fault else None
        if kind == "null_last" and window:
            window[-1] = {"ts": window[-1]["ts"], **{k: None for k in window[-1] if k != "ts"}}
        if kind == "dupes" and len(window) >= 4:
            last = window[-1]
            stale_copy = {**last, "ts": last["ts"] - 3600, "close": last["close"] * 1.1}  # same day, earlier
            window = window[:-3] + [window[-2], window[-3], window[-2], stale_copy, last]
        if kind == "empty":
            return 200, {"chart": {"result": [], "error": None}}
        today = datetime.fromtimestamp(market_time, NY).date()
        meta = {
            "currency": "USD", "symbol": symbol, "exchangeName": "SNP" if symbol.startswith("^") else "PCX",
            "instrumentType": "INDEX" if symbol.startswith("^") else "ETF",
            "exchangeTimezoneName": "America/New_York", "timezone": "EST", "gmtoffset": -18000,
            "regularMarketPrice": price, "regularMarketTime": market_time, "chartPreviousClose": prev_close,
            "firstTradeDate": rows[0]["ts"], "dataGranularity": "1d", "range": rng or "",
            "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
            "currentTradingPeriod": {
                name: {"timezone": "EST", "gmtoffset": -18000, "start": _epoch(today, a), "end": _epoch(today, b)}
                for name, a, b in (("pre", dtime(4), dtime(9, 30)), ("regular", dtime(9, 30), dtime(16)),
                                   ("post", dtime(16), dtime(20)))
            },
        }
        col = lambda k: [r.get(k) for r in window]  # noqa: E731
        result = {
            "meta": meta,
            "timestamp": col("ts"),
            "indicators": {
                "quote": [{k: col(k) for k in ("open", "high", "low", "close", "volume")}],
                "adjclose": [{"adjclose": col("adj_close") if "adj_close" in self.bars[symbol] else col("close")}],
            },
        }
        return 200, {"chart": {"result": [result], "error": None}}

    def _info(self, symbol: str) -> dict[str, Any] | None:
        if symbol not in self.bars and symbol not in self.info:
            return None
        return {"symbol": symbol, "quoteType": "ETF", **self.info.get(symbol, {})}

    def answer(self, endpoint: str, symbol: str, query: dict[str, str], fault) -> tuple[int, Any]:
        if endpoint == "cookie":
            return 200, "ok"
        if endpoint == "crumb":
            return 200, "fake-crumb"
        if endpoint == "chart":
            return self.chart(symbol, query, fault)
        if endpoint == "quote":
            return 200, self.quotes(_listed(endpoint, symbol), fault)
        info = self._info(symbol)
        if endpoint == "quoteSummary":
            if info is None:
                return 404, {"quoteSummary": {"result": None, "error": BAD_SYMBOL}}
            return 200, {"quoteSummary": {"result": [{"summaryDetail": info, "quoteType": {"symbol": symbol}}],
                                          "error": None}}
        if endpoint == "timeseries":
            return 200, {"timeseries": {"result": [], "error": None}}
        return 404, "<html>not here</html>"


def _listed(endpoint: str, symbol: str) -> list[str]:
    """The symbols one request names: a quote request may name several (``symbols=A,B``)."""
    return [s for s in symbol.split(",") if s] if endpoint == "quote" else [symbol]


def classify(host: str, path: str, query: dict[str, str]) -> tuple[str, str]:
    """(endpoint, symbol) for a rewritten request."""
    if host.startswith("fc."):
        return "cookie", ""
    if path.endswith("/v1/test/getcrumb"):
        return "crumb", ""
    for endpoint, pattern in (("chart", "/v8/finance/chart/"), ("quoteSummary", "/v10/finance/quoteSummary/")):
        if pattern in path:
            return endpoint, unquote(path.split(pattern, 1)[1]).strip("/")
    if "/v7/finance/quote" in path:
        return "quote", query.get("symbols", "")
    if "/fundamentals-timeseries/" in path:
        return "timeseries", query.get("symbol", unquote(path.rstrip("/").rsplit("/", 1)[-1]))
    return "other", ""


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (timeout faults) makes the late answer a broken pipe: expected, not worth a
    traceback on some later test's stderr. Any other server-side error is kept in ``fake.server_errors``."""

    fake: "FakeYahoo"

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            self.fake.server_errors.append(repr(error))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeYahoo
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes: without this, Nagle + delayed ACK cost 40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.fake._lock:
            self.fake._conns.add(self.connection)

    def finish(self) -> None:
        with self.fake._lock:
            self.fake._conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_POST(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        host, _, path = parts.path.lstrip("/").partition("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        endpoint, symbol = classify(host, "/" + path, query)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        with fake._lock:
            fake.counts[(endpoint, symbol)] += 1
            fake.log.append((endpoint, symbol, parts.query))
        fault = fake._fault_for(endpoint, symbol)
        kind, value = fault if fault else (None, None)
        if kind == "delay":
            time.sleep(value)
        if kind == "close":
            self.close_connection = True
            return
        if kind == "status":
            return self._send(value, "<html>Too Many Requests</html>" if value == 429 else "<html>error</html>")
        if kind == "malformed":
            return self._send(200, '{"chart": {"result": [{"meta": ', ctype="application/json")
        if kind == "bad_symbol":
            return self._send(404, {"chart": {"result": None, "error": BAD_SYMBOL}})
        status, body = fake.answer(endpoint, symbol, query, fault)
        self._send(status, body)

    def _send(self, status: int, body: Any, ctype: str | None = None) -> None:
        if isinstance(body, (dict, list)):
            data, ctype = json.dumps(body).encode(), "application/json"
        else:
            data = str(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype or "text/plain")
        self.send_header("Content-Length", str(len(data)))
        if status == 200 and self.path.lstrip("/").startswith("fc."):
            # Like Yahoo's A3 cookie, valid for a year: yfinance keeps such a cookie on disk and stops asking for
            # one, but only when its domain looks like Yahoo's (not for 127.0.0.1: see bench/network.py).
            expires = formatdate(time.time() + 365 * 86400, usegmt=True)
            self.send_header("Set-Cookie", f"A3=fake; Path=/; Expires={expires}")
        self.end_headers()
        self.wfile.write(data)


# A fixed market for the tests: bars end on Thursday 2026-01-15 (before the real date, so yfinance's own
# "period2 = now" never cuts them), and the clock stands after that day's close unless a test moves it.
END = date(2026, 1, 15)
AFTER_CLOSE = datetime(2026, 1, 15, 22, 0, tzinfo=timezone.utc)  # 17:00 ET
PAIR = ("^RUT", "^GSPC")
TRAILING_PE = {"IWM": 17.5, "SPY": 26.25}


class MutableClock:
    def __init__(self, now: datetime = AFTER_CLOSE) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def seed_market(server: FakeYahoo, end: date = END, n: int = 260) -> FakeYahoo:
    for i, (symbol, price) in enumerate({"^RUT": 2000.0, "^GSPC": 6000.0, "IWM": 200.0, "SPY": 600.0}.items()):
        server.bars[symbol] = make_bars(end, n=n, start_price=price, seed=i + 1)
    for symbol, pe in TRAILING_PE.items():
        server.info[symbol] = {"trailingPE": pe}
    return server


def reset_yfinance() -> None:
    """Forget yfinance's process-wide state (session singleton, response LRU, tz/cookie DBs) between tests."""
    import yfinance.base
    import yfinance.cache as yc
    import yfinance.data as yd

    import tui.data.yahoo_session as ys

    yd.SingletonMeta._instances.clear()
    yd.YfData.cache_get.cache_clear()
    yc._TzDBManager.close_db()
    yc._TzDBManager._db = None
    yc._TzCacheManager._tz_cache = None
    yc._CookieDBManager.close_db()
    yc._CookieDBManager._db = None
    yc._CookieCacheManager._Cookie_cache = None
    yfinance.base._tz_info_fetch_ctr = 0
    ys._tz_dir = None  # quiet_yfinance() re-points the caches at this test's user cache dir
    ys._shared = None


@pytest.fixture
def fake_yahoo(monkeypatch):
    server = FakeYahoo().start()
    monkeypatch.setenv("STREAKWATCH_YAHOO_URL", server.url)
    reset_yfinance()
    try:
        yield server
    finally:
        server.stop()
        reset_yfinance()
    assert not server.server_errors, f"the fake Yahoo server itself failed: {server.server_errors}"


@pytest.fixture
def market(fake_yahoo):
    """The fake server with the standard four symbols and their P/E."""
    return seed_market(fake_yahoo)


@pytest.fixture
def clock():
    return MutableClock()


@pytest.fixture
def make_source(tmp_path, clock):
    """Build YahooSources on a cache file in tmp_path, with a 2 s timeout and a 1-second backoff base."""
    from tui.data.backoff import Backoff
    from tui.data.cache import BarCache
    from tui.data.yahoo import YahooSource
    from tui.data.yahoo_session import YahooSession

    made = []

    def make(cache_path=None, timeout=2.0, **kwargs):  # generous: a loaded CI machine must not time out healthy answers
        kwargs.setdefault("backoff", Backoff(base=1, cap=8, rng=random.Random(0)))
        cache = BarCache(cache_path or tmp_path / "bars.db")
        source = YahooSource(cache, clock, session=YahooSession(timeout=timeout), **kwargs)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()
