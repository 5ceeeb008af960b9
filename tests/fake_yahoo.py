"""A fake Yahoo Finance server on 127.0.0.1 for tests, with request counters and switchable faults.

It answers what ``STREAKWATCH_YAHOO_URL`` makes the app (and yfinance) send: ``/<host>/<path>?<query>``.

* ``fc.yahoo.com/`` cookie, ``/v1/test/getcrumb`` crumb,
* ``/v8/finance/chart/<SYM>`` daily bars (``range=Nd|max`` or ``period1``/``period2``) from :attr:`bars`,
  plus an optional session in progress (:meth:`set_intraday`; it is also the only minute bar an intraday
  ``interval`` gets, unless the symbol plays a whole session);
* a whole session minute by minute (:meth:`play_session`, moved along by :meth:`at`): an intraday ``interval``
  (``5m``) then gets that session's bars up to the fake's clock, in the recorded ``range=1d`` shape (meta
  ``previousClose``, ``scale``, ``tradingPeriods``, ``dataGranularity``; float32 prices), and the chart meta and
  the v7 quote follow the same path, so bars seeded at one instant and quotes read later agree. Chart requests
  with a minute ``interval`` are counted, logged and faulted as the endpoint ``"intraday"``;
* ``/v10/finance/quoteSummary/<SYM>``, ``/v7/finance/quote``, ``/ws/fundamentals-timeseries/…`` for ``info``;
  ``/v7/finance/quote?symbols=A,B,…`` also carries each symbol's current price and time (the same as the chart
  meta's), which is what the monitor's batched intraday quotes read.

The answers have the shape of the real ones recorded in ``../shared/data/yahoo`` (``tests/recordings.py``), written
here as code so that the fake works without them:

* the chart ``meta`` has Yahoo's key set (29 keys for daily bars: exchange names, the day's high, low and volume,
  the 52-week range, names, ``priceHint``, ``currentTradingPeriod`` in the exchange's own time…); ``range`` is ""
  for a ``period1``/``period2`` request; ``previousClose``, ``scale`` and ``tradingPeriods`` come only with an
  intraday ``interval`` (as recorded: Yahoo's ``range=1d&interval=1d`` answers have none of them);
* prices in the bar arrays are float32 values (4.745 goes out as 4.744999885559082, :func:`as_sent`), while the
  meta and the v7 quote carry the plain values; volumes are integers. A client stores the float32 value, so tests
  compare what it stored with :meth:`FakeYahoo.sent_closes`, not with :attr:`FakeYahoo.bars`;
* each symbol has a listing (:data:`LISTINGS`, or :attr:`FakeYahoo.listings` per test): ``^TNX`` is an INDEX on
  "CGI" in America/Chicago, so its bars are stamped at its 7:20 CT open and its trading periods are in Chicago time;
* a window with no session has no ``timestamp`` key and ``indicators.quote == [{}]``;
* ``events.dividends`` for the symbols in :attr:`FakeYahoo.dividends`, when the request asks ``events=div``;
* v7 quote items carry the recorded field set (names, exchange, day range, 52-week and moving-average figures…)
  and the answer ``error: null``.

Faults (:meth:`fault`) apply per endpoint and per symbol (``"*"`` = any; ``after=N`` spares the next N requests):

* transport: ``status`` (HTTP code; a 429 carries Yahoo's recorded "Edge: Too Many Requests" body when the
  recordings are there), ``delay`` (seconds before answering), ``close`` (drop the connection);
* bad answers: ``malformed`` (not JSON), ``empty`` (no result), ``bad_symbol`` (404 + chart.error), ``null_last``
  (last bar all null), ``dupes`` (duplicate and out-of-order timestamps, where the *latest* bar of each day is the
  true one), ``no_session`` (200, a window with no session: no ``timestamp`` key);
* Yahoo's recorded answers (the test is skipped when ``../shared`` is absent): ``no_data`` (chart 404 "No data
  found, symbol may be delisted", a body that names no symbol: what Yahoo said for every valid symbol for hours
  in Feb 2025), ``unauthorized`` (v7 quote 401), ``not_available`` (chart 422), ``html`` (200 with the consent
  page's HTML instead of JSON) and ``consent`` (the EU cookie-consent flow: 307 to ``guce.yahoo.com``, 302 to
  ``consent.yahoo.com``, 200 with its 90 KB HTML form; every ``Location`` points back at this server, and those
  two pages exist only while a ``consent`` fault is on).

A batched quote request is hit by a fault on any symbol it names; on it, a symbol's own ``empty`` fault leaves just
that symbol out of the result and its own ``null_last`` fault gives it a null price. :meth:`stop` makes the port
refuse connections; :meth:`start` brings it back on the same port.
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
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from tests import recordings

NY = ZoneInfo("America/New_York")
BAD_SYMBOL = {"code": "Not Found", "description": "No data found, symbol may be delisted"}
JSON_TYPE = "application/json;charset=utf-8"  # as Yahoo labels its JSON
VALID_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
INTRADAY_INTERVAL = re.compile(r"\d+[mh]")  # 1m, 5m, 60m, 1h…: minute bars, not daily ones
YEAR = timedelta(days=365)

# The recordings each recorded-body fault serves (all must be there to switch it on).
RECORDED_FAULTS = {
    "no_data": (recordings.CHART_404,),
    "unauthorized": (recordings.QUOTE_401,),
    "not_available": (recordings.CHART_422,),
    "html": (recordings.CONSENT_PAGE,),
    "consent": (recordings.CONSENT_REDIRECT, recordings.GUCE_REDIRECT, recordings.CONSENT_PAGE),
}
RECORDED_STATUS = {"no_data": 404, "unauthorized": 401, "not_available": 422, "html": 200}


def as_sent(price: float | None) -> float | None:
    """A price as Yahoo's chart arrays carry it: the nearest float32 (4.745 arrives as 4.744999885559082)."""
    return None if price is None else float(np.float32(price))


class Listing(NamedTuple):
    """Where and when a symbol trades, as its chart meta and v7 quote say."""

    instrument_type: str  # INDEX | ETF | EQUITY
    exchange: str  # meta exchangeName, quote exchange
    full_exchange: str
    timezone: str  # exchangeTimezoneName
    opens: dtime  # the regular session in exchange time; daily bars are stamped at the open
    closes: dtime
    extended: tuple[dtime, dtime] | None  # pre-market start, post-market end; None: both periods empty (^TNX)
    pre_post_data: bool  # hasPrePostMarketData
    price_hint: int
    first_trade: int | None  # firstTradeDate; None: the first bar's stamp
    name: str  # longName and shortName; "" for the symbol itself


NEW_YORK_INDEX = Listing(
    "INDEX", "SNP", "SNP", "America/New_York", dtime(9, 30), dtime(16), (dtime(4), dtime(20)), False, 2, None, ""
)
ARCA_ETF = Listing(
    "ETF", "PCX", "NYSEArca", "America/New_York", dtime(9, 30), dtime(16), (dtime(4), dtime(20)), True, 2, None, ""
)
#: An index future (``ES=F``, ``RTY=F``): CME, quoted nearly around the clock, timed in New York.
CME_FUTURE = Listing(
    "FUTURE", "CME", "CME", "America/New_York", dtime(9, 30), dtime(16), (dtime(4), dtime(20)), True, 2, None, ""
)
#: Listings as the recordings show them (^SOX, ^TNX), and the pair's names; any other "^" symbol is a New York
#: index, an "=F" symbol a CME future, and anything else an NYSE Arca ETF.
LISTINGS = {
    "^GSPC": NEW_YORK_INDEX._replace(name="S&P 500"),
    "^RUT": NEW_YORK_INDEX._replace(name="Russell 2000"),
    "^SOX": NEW_YORK_INDEX._replace(
        exchange="NIM", full_exchange="Nasdaq GIDS", first_trade=768058200, name="PHLX Semiconductor"
    ),
    "^TNX": Listing(
        "INDEX",
        "CGI",
        "Cboe Indices",
        "America/Chicago",
        dtime(7, 20),
        dtime(14),
        None,
        False,
        4,
        -252326400,
        "CBOE Interest Rate 10 Year T No",
    ),
}


def make_bars(end: date, n: int = 260, start_price: float = 100.0, seed: int = 0) -> pd.DataFrame:
    """``n`` weekday sessions ending at ``end``: a reproducible random walk with consistent OHLC (4 decimals)."""
    days = pd.bdate_range(end=pd.Timestamp(end), periods=n, name="Date")
    rng = np.random.default_rng(seed)
    close = start_price * np.cumprod(1 + rng.normal(0.0003, 0.01, n))
    open_ = np.concatenate([[start_price], close[:-1]])
    return pd.DataFrame(
        {
            "open": open_.round(4),
            "high": (np.maximum(open_, close) * 1.004).round(4),
            "low": (np.minimum(open_, close) * 0.996).round(4),
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


def _epoch(day: date, at: dtime, zone: ZoneInfo = NY) -> int:
    return int(datetime.combine(day, at, zone).timestamp())


def _zone_fields(day: date, at: dtime, zone: ZoneInfo) -> tuple[str, int]:
    """(abbreviation, offset in seconds) of ``zone`` on ``day``: ("CST", -21600)."""
    moment = datetime.combine(day, at, zone)
    return moment.tzname(), int(moment.utcoffset().total_seconds())


def _period(day: date, start: dtime, end: dtime, zone: ZoneInfo) -> dict[str, Any]:
    name, offset = _zone_fields(day, start, zone)
    return {"timezone": name, "start": _epoch(day, start, zone), "end": _epoch(day, end, zone), "gmtoffset": offset}


def _volume(value: Any) -> int | None:
    return None if value is None else int(value)


class Figures(NamedTuple):
    """One symbol's current figures, shared by its chart meta and its v7 quote."""

    price: float
    time: int  # epoch seconds
    previous_close: float  # the close of the session before the quote's
    day_open: float | None
    day_high: float | None
    day_low: float | None
    day_volume: int | None
    year_high: float
    year_low: float
    fifty_day: float
    two_hundred_day: float


class FakeYahoo:
    def __init__(self) -> None:
        self.bars: dict[str, pd.DataFrame] = {}
        self.info: dict[str, dict[str, Any]] = {}
        self.intraday: dict[str, tuple[float, datetime]] = {}
        #: {symbol: {session: minute prices from the open}} (see play_session) and the fake's clock for them.
        self.sessions: dict[str, dict[date, list[float]]] = {}
        self.market_now: datetime | None = None
        self.listings: dict[str, Listing] = {}  # per-test listings, before LISTINGS and the defaults
        self.dividends: dict[str, dict[date, float]] = {}  # {symbol: {ex-date: amount}}
        self.counts: Counter[tuple[str, str]] = Counter()
        self.log: list[tuple[str, str, str]] = []  # (endpoint, symbol, query) in arrival order
        self._faults: dict[tuple[str, str], tuple[str, Any]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.server_errors: list[str] = []  # unexpected errors inside the fake itself (see _QuietServer)
        self._thread: threading.Thread | None = None
        self._conns: set = set()  # open keep-alive sockets, cut on stop() so "refused" really means it
        self._held: socket.socket | None = None  # the port, bound but not listening, between stop() and start()
        self.port = 0

    # -- control ----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeYahoo:
        self._let_go_of_port()
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _QuietServer(("127.0.0.1", self.port), handler)
        self._server.fake = self
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections to the port are refused until :meth:`start`. Meanwhile the port stays bound,
        not listening: a port let go of could be handed by the kernel to the other xdist worker's fake (which would
        answer in this one's place) or to an outgoing connection (which would keep :meth:`start` from binding it)."""
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
            self._hold_port()

    def close(self) -> None:
        """Stop for good, the port let go of."""
        self.stop()
        self._let_go_of_port()

    def _hold_port(self) -> None:
        held = socket.socket()
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # beside this server's closing connections
        try:
            held.bind(("127.0.0.1", self.port))
        except OSError:  # taken in the instant since the server closed: nothing to hold
            held.close()
            return
        self._held = held

    def _let_go_of_port(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    def fault(
        self, kind: str, value: Any = None, *, endpoint: str = "chart", symbol: str = "*", after: int = 0
    ) -> None:
        """Switch a fault on; ``after`` lets that many matching requests through first (e.g. hit only the
        full-history request that follows the app's own 5-day request). A fault that serves a recorded answer
        skips the calling test when the recordings are absent."""
        for name in RECORDED_FAULTS.get(kind, ()):
            recordings.require(name)
        with self._lock:
            self._faults[(endpoint, symbol)] = (kind, value, after)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_intraday(self, symbol: str, price: float, when: datetime) -> None:
        """A session in progress: a partial daily bar for ``when``'s date, and the quote in the chart meta."""
        self.intraday[symbol] = (price, when)

    def play_session(self, symbol: str, day: date, minute_prices: list[float]) -> None:
        """``symbol`` trades through session ``day``: ``minute_prices[i]`` is its last price in the ``i``-th minute
        after the open (float32 values, as Yahoo's bars carry them; a full session is 390 minutes). Nothing shows
        before :meth:`at` puts the fake's clock in or after it."""
        self.sessions.setdefault(symbol, {})[day] = [as_sent(p) for p in minute_prices]

    def at(self, now: datetime) -> None:
        """Move the fake's clock: each playing symbol's quote (chart meta and v7) becomes its price in the
        latest minute begun by ``now`` of its latest session opened by then, stamped at that minute's start."""
        self.market_now = now
        for symbol in self.sessions:
            played = self._played(symbol)
            if played is not None:
                day, minutes = played
                opens = _epoch(day, self.listing(symbol).opens, ZoneInfo(self.listing(symbol).timezone))
                self.intraday[symbol] = (
                    minutes[-1],
                    datetime.fromtimestamp(opens + 60 * (len(minutes) - 1), timezone.utc),
                )

    def _played(self, symbol: str) -> tuple[date, list[float]] | None:
        """(session, its minute prices traded by the fake's clock) of ``symbol``'s latest session opened by then."""
        if self.market_now is None:
            return None
        listing = self.listing(symbol)
        zone = ZoneInfo(listing.timezone)
        now = int(self.market_now.timestamp())
        for day in sorted(self.sessions.get(symbol, {}), reverse=True):
            opens = _epoch(day, listing.opens, zone)
            if opens <= now:
                minutes = self.sessions[symbol][day]
                return day, minutes[: min(len(minutes), (now - opens) // 60 + 1)]
        return None

    def session_bars(self, symbol: str, step: int = 300) -> list[dict[str, Any]]:
        """The ``step``-second bars of ``symbol``'s played session up to the fake's clock, as chart rows: each
        stamped at its start, its close the last minute price within it so far."""
        played = self._played(symbol)
        if played is None:
            return []
        day, minutes = played
        listing = self.listing(symbol)
        opens = _epoch(day, listing.opens, ZoneInfo(listing.timezone))
        per = step // 60
        rows = []
        for k in range(0, len(minutes), per):
            chunk = minutes[k : k + per]
            rows.append(
                {"ts": opens + 60 * k, "open": chunk[0], "high": max(chunk), "low": min(chunk), "close": chunk[-1]}
                | {"volume": 0.0}
            )
        return rows

    def count(self, endpoint: str, symbol: str | None = None) -> int:
        return sum(n for (e, s), n in self.counts.items() if e == endpoint and (symbol is None or s == symbol))

    def take_requests(self) -> dict[str, int]:
        """The requests since the last reset, by endpoint (yfinance's cookie fetch not counted), and reset."""
        out: dict[str, int] = {}
        for endpoint, _, _ in self.log:
            if endpoint != "cookie":
                out[endpoint] = out.get(endpoint, 0) + 1
        self.reset_counts()
        return out

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()

    def sent_closes(self, symbol: str) -> pd.Series:
        """``symbol``'s closes as its chart answers carry them (float32 values): what a client stores."""
        return self.bars[symbol]["close"].map(as_sent, na_action="ignore")

    def listing(self, symbol: str) -> Listing:
        known = self.listings.get(symbol) or LISTINGS.get(symbol)
        if known is None:
            known = NEW_YORK_INDEX if symbol.startswith("^") else CME_FUTURE if symbol.endswith("=F") else ARCA_ETF
        return known if known.name else known._replace(name=symbol)

    # -- answers ------------------------------------------------------------------------------------------

    def _fault_for(self, endpoint: str, symbol: str) -> tuple[str, Any] | None:
        names = _listed(endpoint, symbol)
        keys = dict.fromkeys(
            [
                (endpoint, symbol),
                *((endpoint, s) for s in names),
                (endpoint, "*"),
                ("*", symbol),
                *(("*", s) for s in names),
                ("*", "*"),
            ]
        )
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

    def consent_on(self) -> bool:
        """Whether some ``consent`` fault is on (the consent pages exist only then)."""
        with self._lock:
            return any(kind == "consent" for kind, _, _ in self._faults.values())

    def market_quote(self, symbol: str, rows: list[dict[str, Any]] | None = None) -> tuple[float, int]:
        """(regularMarketPrice, regularMarketTime) as Yahoo reports them: the session in progress, else the
        last bar's close at the close of its day (exchange time)."""
        if symbol in self.intraday:
            price, when = self.intraday[symbol]
            return price, int(when.timestamp())
        listing = self.listing(symbol)
        zone = ZoneInfo(listing.timezone)
        last = (rows or self._rows(symbol))[-1]
        return last["close"], _epoch(datetime.fromtimestamp(last["ts"], zone).date(), listing.closes, zone)

    def figures(self, symbol: str, rows: list[dict[str, Any]] | None = None) -> Figures:
        rows = rows or self._rows(symbol)
        price, market_time = self.market_quote(symbol, rows)
        last = rows[-1]
        previous = rows[-2]["close"] if len(rows) > 1 else None
        year = [r for r in rows if r["ts"] > market_time - YEAR.total_seconds()] or [last]
        highs = [v for v in (r.get("high", r["close"]) for r in year) if v is not None]
        lows = [v for v in (r.get("low", r["close"]) for r in year) if v is not None]
        closes = [r["close"] for r in rows if r["close"] is not None]
        return Figures(
            price=price,
            time=market_time,
            previous_close=price if previous is None else previous,
            day_open=last.get("open"),
            day_high=last.get("high", last["close"]),
            day_low=last.get("low", last["close"]),
            day_volume=_volume(last.get("volume")),
            year_high=max(highs, default=price),
            year_low=min(lows, default=price),
            fifty_day=float(np.mean(closes[-50:])) if closes else price,
            two_hundred_day=float(np.mean(closes[-200:])) if closes else price,
        )

    def quotes(self, symbols: list[str], fault: tuple[str, Any] | None) -> dict[str, Any]:
        """The ``/v7/finance/quote`` answer: one item per known symbol in the recorded field set (price and time
        the same as the chart meta's, plus the test's :attr:`info`); unknown ones are left out, as Yahoo does."""
        if fault and fault[0] == "empty" and not any(self._own_fault("quote", s) for s in symbols):
            return {"quoteResponse": {"result": [], "error": None}}
        result = []
        for symbol in symbols:
            own = self._own_fault("quote", symbol)
            if self._info(symbol) is None or own == "empty":
                continue
            item = self._quote_item(symbol)
            if own == "null_last" and "regularMarketPrice" in item:
                item["regularMarketPrice"] = None
            result.append(item)
        return {"quoteResponse": {"result": result, "error": None}}

    def _quote_item(self, symbol: str) -> dict[str, Any]:
        listing = self.listing(symbol)
        zone = ZoneInfo(listing.timezone)
        item: dict[str, Any] = {
            "language": "en-US",
            "region": "US",
            "quoteType": listing.instrument_type,
            "typeDisp": {"ETF": "ETF", "EQUITY": "Equity", "INDEX": "Index", "FUTURE": "Futures"}.get(
                listing.instrument_type, ""
            ),
            "triggerable": listing.instrument_type != "INDEX",
            "customPriceAlertConfidence": "HIGH",
            "currency": "USD",
            "shortName": listing.name,
            "longName": listing.name,
            "marketState": "REGULAR" if symbol in self.intraday else "CLOSED",
        }
        if symbol in self.bars:
            f = self.figures(symbol)
            change = f.price - f.previous_close
            item.update(
                {
                    "regularMarketChangePercent": round(100 * change / f.previous_close, 7)
                    if f.previous_close
                    else 0.0,
                    "regularMarketPrice": f.price,
                    "regularMarketTime": f.time,
                    "regularMarketChange": round(change, 7),
                    "regularMarketDayHigh": f.day_high,
                    "regularMarketDayRange": f"{f.day_low} - {f.day_high}",
                    "regularMarketDayLow": f.day_low,
                    "regularMarketVolume": f.day_volume,
                    "regularMarketPreviousClose": f.previous_close,
                    "regularMarketOpen": f.day_open,
                    "fiftyTwoWeekLowChange": round(f.price - f.year_low, 6),
                    "fiftyTwoWeekLowChangePercent": round((f.price - f.year_low) / f.year_low, 8)
                    if f.year_low
                    else 0.0,
                    "fiftyTwoWeekRange": f"{f.year_low} - {f.year_high}",
                    "fiftyTwoWeekHighChange": round(f.price - f.year_high, 6),
                    "fiftyTwoWeekHighChangePercent": round((f.price - f.year_high) / f.year_high, 8)
                    if f.year_high
                    else 0.0,
                    "fiftyTwoWeekLow": f.year_low,
                    "fiftyTwoWeekHigh": f.year_high,
                    "fiftyDayAverage": round(f.fifty_day, 4),
                    "fiftyDayAverageChange": round(f.price - f.fifty_day, 6),
                    "fiftyDayAverageChangePercent": round((f.price - f.fifty_day) / f.fifty_day, 8),
                    "twoHundredDayAverage": round(f.two_hundred_day, 4),
                    "twoHundredDayAverageChange": round(f.price - f.two_hundred_day, 6),
                    "twoHundredDayAverageChangePercent": round((f.price - f.two_hundred_day) / f.two_hundred_day, 8),
                }
            )
        now = datetime.fromtimestamp(item.get("regularMarketTime", 0), zone)
        zone_name, offset = _zone_fields(now.date(), now.time(), zone)
        item.update(
            {
                "fullExchangeName": listing.full_exchange,
                "exchange": listing.exchange,
                "exchangeTimezoneName": listing.timezone,
                "exchangeTimezoneShortName": zone_name,
                "gmtOffSetMilliseconds": offset * 1000,
                "market": "us_market",
                "esgPopulated": False,
                "sourceInterval": 15,
                "exchangeDataDelayedBy": 0,
                "tradeable": False,
                "cryptoTradeable": False,
                "hasPrePostMarketData": listing.pre_post_data,
                "priceHint": listing.price_hint,
            }
        )
        item.update(self.info.get(symbol, {}))  # what the test gave (trailingPE…) wins
        item["symbol"] = symbol
        return item

    def _rows(self, symbol: str) -> list[dict[str, Any]]:
        """Every bar as chart rows (timestamp at the regular open in exchange time, like Yahoo), the session in
        progress last."""
        return self._with_session(symbol, self._history_rows(symbol))

    def _history_rows(self, symbol: str) -> list[dict[str, Any]]:
        """The stored daily bars as chart rows (a fresh list; the bench keeps one per symbol, see bench/network)."""
        listing = self.listing(symbol)
        zone = ZoneInfo(listing.timezone)
        df = self.bars[symbol]
        return [
            {
                "ts": _epoch(d.date(), listing.opens, zone),
                **{k: (None if pd.isna(v) else float(v)) for k, v in r.items()},
            }
            for d, r in zip(df.index, df.to_dict("records"))
        ]

    def _with_session(self, symbol: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` with the session in progress (:meth:`set_intraday`) as their last bar, if there is one."""
        if symbol not in self.intraday:
            return list(rows)
        listing = self.listing(symbol)
        zone = ZoneInfo(listing.timezone)
        price, when = self.intraday[symbol]
        day = when.astimezone(zone).date()
        rows = [r for r in rows if r["ts"] < _epoch(day, dtime(0, 0), zone)]
        prev = rows[-1]["close"] if rows else price
        rows.append(
            {
                "ts": _epoch(day, listing.opens, zone),
                "open": prev,
                "high": max(prev, price),
                "low": min(prev, price),
                "close": price,
                "adj_close": price,
                "volume": 1000.0,
            }
        )
        return rows

    def chart(self, symbol: str, query: dict[str, str], fault: tuple[str, Any] | None) -> tuple[int, Any]:
        if symbol not in self.bars:
            return 404, {"chart": {"result": None, "error": BAD_SYMBOL}}
        kind = fault[0] if fault else None
        if kind == "empty":
            return 200, {"chart": {"result": [], "error": None}}
        listing = self.listing(symbol)
        zone = ZoneInfo(listing.timezone)
        rows = self._rows(symbol)
        interval = query.get("interval", "1d")
        intraday = bool(INTRADAY_INTERVAL.fullmatch(interval))
        figures = self.figures(symbol, rows)
        if "period1" in query or "period2" in query:
            p1, p2 = int(query.get("period1", 0)), int(query.get("period2", 2**40))
            rng = ""  # as Yahoo answers a period request
            window = [r for r in rows if p1 <= r["ts"] < p2]
        else:
            rng, p1, p2 = query.get("range", "1mo"), 0, 2**40
            m = re.fullmatch(r"(\d+)(d|wk|mo|y)", rng)
            n = len(rows) if rng in ("max", "ytd") or not m else int(m[1]) * {"d": 1, "wk": 5, "mo": 21, "y": 252}[m[2]]
            window = rows[-n:]
        if intraday and self._played(symbol) is not None:  # a played session: its bars so far
            step = int(re.match(r"\d+", interval)[0]) * (3600 if interval.endswith("h") else 60)
            window = [r for r in self.session_bars(symbol, step) if p1 <= r["ts"] < p2]
        elif intraday:  # the only minute bar the fake knows is the session in progress, at its last trade
            window = []
            if symbol in self.intraday:
                step = int(re.match(r"\d+", interval)[0]) * (3600 if interval.endswith("h") else 60)
                stamp = figures.time - figures.time % step
                if p1 <= stamp < p2:
                    price = figures.price
                    window = [{"ts": stamp, "open": price, "high": price, "low": price, "close": price, "volume": 0.0}]
        # chartPreviousClose: the close before the window; before the window's day for minute bars.
        cut = window[0]["ts"] if window else p1 or rows[-1]["ts"] + 1
        if intraday:
            cut = _epoch(datetime.fromtimestamp(cut, zone).date(), dtime(0, 0), zone)
        before = [r for r in rows if r["ts"] < cut]
        chart_previous_close = before[-1]["close"] if before else None
        if kind == "null_last" and window:
            window[-1] = {"ts": window[-1]["ts"], **{k: None for k in window[-1] if k != "ts"}}
        if kind == "dupes" and len(window) >= 4:
            last = window[-1]
            stale_copy = {**last, "ts": last["ts"] - 3600, "close": last["close"] * 1.1}  # same day, earlier
            window = window[:-3] + [window[-2], window[-3], window[-2], stale_copy, last]
        if kind == "no_session":
            window = []

        today = datetime.fromtimestamp(figures.time, zone).date()
        zone_name, offset = _zone_fields(today, listing.opens, zone)
        change = figures.price - figures.previous_close
        change_percent = round(100 * change / figures.previous_close, 3) if figures.previous_close else 0.0
        extended = listing.extended or (listing.opens, listing.closes)
        meta: dict[str, Any] = {
            "currency": "USD",
            "symbol": symbol,
            "exchangeName": listing.exchange,
            "fullExchangeName": listing.full_exchange,
            "instrumentType": listing.instrument_type,
            "firstTradeDate": rows[0]["ts"] if listing.first_trade is None else listing.first_trade,
            "regularMarketTime": figures.time,
            "hasPrePostMarketData": listing.pre_post_data,
            "gmtoffset": offset,
            "timezone": zone_name,
            "exchangeTimezoneName": listing.timezone,
            "regularMarketPrice": figures.price,
            "regularMarketChangePercent": change_percent,
            "fulldayPrice": figures.price,
            "fulldayChange": round(change, 3),
            "fulldayChangePercent": change_percent,
            "fiftyTwoWeekHigh": figures.year_high,
            "fiftyTwoWeekLow": figures.year_low,
            "regularMarketDayHigh": figures.day_high,
            "regularMarketDayLow": figures.day_low,
            "regularMarketVolume": figures.day_volume,
            "longName": listing.name,
            "shortName": listing.name,
            "chartPreviousClose": chart_previous_close,
        }
        if intraday:
            meta.update(previousClose=figures.previous_close, scale=3)
        meta["priceHint"] = listing.price_hint
        meta["currentTradingPeriod"] = {
            "pre": _period(today, extended[0], listing.opens, zone),
            "regular": _period(today, listing.opens, listing.closes, zone),
            "post": _period(today, listing.closes, extended[1], zone),
        }
        if intraday and window:
            meta["tradingPeriods"] = [[_period(today, listing.opens, listing.closes, zone)]]
        meta.update(dataGranularity=interval, range=rng, validRanges=list(VALID_RANGES))

        result: dict[str, Any] = {"meta": meta}
        if not window:  # as recorded for a window with no session
            result["indicators"] = {"quote": [{}]}
            return 200, {"chart": {"result": [result], "error": None}}
        result["timestamp"] = [r["ts"] for r in window]
        if re.search(r"(^|[,|])div", query.get("events", "")) and self.dividends.get(symbol):
            first, last = window[0]["ts"], window[-1]["ts"]
            paid = {_epoch(day, listing.opens, zone): amount for day, amount in sorted(self.dividends[symbol].items())}
            in_window = {str(ts): {"amount": amount, "date": ts} for ts, amount in paid.items() if first <= ts <= last}
            if in_window:
                result["events"] = {"dividends": in_window}
        prices = lambda k: [as_sent(r.get(k)) for r in window]  # noqa: E731
        result["indicators"] = {
            "quote": [
                {
                    "open": prices("open"),
                    "high": prices("high"),
                    "low": prices("low"),
                    "close": prices("close"),
                    "volume": [_volume(r.get("volume")) for r in window],
                }
            ],
        }
        if not intraday:
            result["indicators"]["adjclose"] = [
                {"adjclose": prices("adj_close") if "adj_close" in self.bars[symbol] else prices("close")}
            ]
        return 200, {"chart": {"result": [result], "error": None}}

    def _info(self, symbol: str) -> dict[str, Any] | None:
        if symbol not in self.bars and symbol not in self.info:
            return None
        return {"symbol": symbol, "quoteType": self.listing(symbol).instrument_type, **self.info.get(symbol, {})}

    def answer(self, endpoint: str, symbol: str, query: dict[str, str], fault) -> tuple[int, Any]:
        if endpoint == "cookie":
            return 200, "ok"
        if endpoint == "crumb":
            return 200, "fake-crumb"
        if endpoint in ("chart", "intraday"):
            return self.chart(symbol, query, fault)
        if endpoint == "quote":
            return 200, self.quotes(_listed(endpoint, symbol), fault)
        info = self._info(symbol)
        if endpoint == "quoteSummary":
            if info is None:
                return 404, {"quoteSummary": {"result": None, "error": BAD_SYMBOL}}
            return 200, {
                "quoteSummary": {"result": [{"summaryDetail": info, "quoteType": {"symbol": symbol}}], "error": None}
            }
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
    if host.startswith("guce."):
        return "guce", ""
    if host.startswith("consent.") and path.startswith("/v2/collectConsent"):
        return "collectConsent", ""
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


def _back_here(fake: FakeYahoo, url: str, **query: str) -> str:
    """A recorded ``https://HOST/PATH?QUERY`` Location pointed back at the fake (``query`` replaces parameters)."""
    parts = urlsplit(url)
    params = {**dict(parse_qsl(parts.query, keep_blank_values=True)), **query}
    return f"{fake.url}/{parts.netloc}{parts.path}" + (f"?{urlencode(params)}" if params else "")


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (timeout faults) makes the late answer a broken pipe: expected, not worth a
    traceback on some later test's stderr. Any other server-side error is kept in ``fake.server_errors``."""

    fake: FakeYahoo

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
        if endpoint == "chart" and INTRADAY_INTERVAL.fullmatch(query.get("interval", "1d")):
            endpoint = "intraday"  # minute bars: counted, logged and faulted apart from the daily charts
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        with fake._lock:
            fake.counts[(endpoint, symbol)] += 1
            fake.log.append((endpoint, symbol, parts.query))
        if endpoint in ("guce", "collectConsent"):  # the consent flow's own pages: never faulted themselves
            return self._consent_page(endpoint)
        fault = fake._fault_for(endpoint, symbol)
        kind, value = fault if fault else (None, None)
        if kind == "delay":
            time.sleep(value)
        if kind == "close":
            self.close_connection = True
            return
        if kind == "status":
            if value == 429 and recordings.available(recordings.BODY_429):
                return self._send(429, recordings.recorded(recordings.BODY_429).text, "text/plain;charset=utf-8")
            return self._send(value, "<html>Too Many Requests</html>" if value == 429 else "<html>error</html>")
        if kind == "malformed":
            return self._send(200, '{"chart": {"result": [{"meta": ', ctype="application/json")
        if kind == "bad_symbol":
            return self._send(404, {"chart": {"result": None, "error": BAD_SYMBOL}})
        if kind == "consent":
            return self._consent_redirect(f"https://{host}/{path}" + (f"?{parts.query}" if parts.query else ""))
        if kind in RECORDED_STATUS:
            answer = recordings.recorded(RECORDED_FAULTS[kind][0])
            return self._send(RECORDED_STATUS[kind], answer.text, answer.headers.get("content-type", JSON_TYPE))
        status, body = fake.answer(endpoint, symbol, query, fault)
        self._send(status, body)

    def _consent_redirect(self, asked: str) -> None:
        """Yahoo's answer to an EU visitor: 307 to guce.yahoo.com, which is to send it back to ``asked``."""
        answer = recordings.recorded(recordings.CONSENT_REDIRECT)
        headers = [("Location", _back_here(self.fake, answer.headers["location"], done=asked))]
        headers += [("Set-Cookie", cookie) for cookie in answer.headers.get("set-cookie", [])]
        self._send(answer.status, "", answer.headers.get("content-type"), headers=headers)

    def _consent_page(self, endpoint: str) -> None:
        """guce.yahoo.com's 302 to consent.yahoo.com, and that page's HTML form, as recorded."""
        if not self.fake.consent_on():
            return self._send(404, "<html>not here</html>")
        if endpoint == "guce":
            answer = recordings.recorded(recordings.GUCE_REDIRECT)
            return self._send(
                answer.status,
                "",
                "text/html",
                headers=[("Location", _back_here(self.fake, answer.headers["location"]))],
            )
        answer = recordings.recorded(recordings.CONSENT_PAGE)
        self._send(answer.status, answer.text, answer.headers.get("content-type"))

    def _send(self, status: int, body: Any, ctype: str | None = None, headers: list[tuple[str, str]] = ()) -> None:
        if isinstance(body, (dict, list)):
            data, ctype = json.dumps(body).encode(), JSON_TYPE
        else:
            data = str(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype or "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
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
        server.close()
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
