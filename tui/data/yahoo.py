"""Live data from Yahoo (SPEC §2): full daily history once, then small requests per refresh.

Request budget, per symbol:

* first sight (nothing cached): one ``range=5d`` chart request of our own (validates the symbol, gives the
  quote and the exchange timezone) and one full-history fetch through yfinance (``period="max"``; yfinance's
  own timezone request is saved by seeding its tz cache from the first answer);
* every refresh after that: ONE chart request (``range=5d``, or ``period1`` from the last cached date when
  the monitor was off for longer) that serves both the latest daily bars and the intraday quote;
* except while the market is open, for the symbols whose bars are stored up to the last completed session: their
  bars owe nothing and only the quotes move, so ONE batched ``v7/finance/quote`` request serves them all (a
  symbol it leaves out, or one that still owes a bar, gets its chart request in the same round);
* ``info`` (trailing P/E for the valuation rule): at most once a day per fund, remembered in the cache.

Failures never lose data: the last good bars stay in the cache and come back marked stale, with the reason in
plain words and the backoff delay. Only when there is nothing at all to show does ``fetch`` raise.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple, Sequence

import numpy as np
import pandas as pd

from tui.data.backoff import Backoff
from tui.config import Refresh
from tui.data.base import DroppedSymbol, MarketData, Quote
from tui.data.freshness import Freshness, judge_now
from tui.data.symbol_health import SymbolHealth
from tui.data.market_clock import ET
from tui.errors import SourceError

CHART_URL = "https://query2.finance.yahoo.com/v8/finance/chart/{symbol}"
QUOTE_URL = "https://query1.finance.yahoo.com/v7/finance/quote"  # crumb-protected: asked through yfinance
BAR_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume"]
INFO_EVERY_FAILED = timedelta(hours=1)  # after a failed info fetch, wait this long before trying again
#: {symbol: its run of failures of its own} (see symbol_health). It replaces "yahoo.dropped", a one-strike drop
#: that one Yahoo-wide "No data found" round turned into a week without data: that old record is ignored.
META_HEALTH = "yahoo.symbol_health"
#: A round in which at least this share of the symbols asked fail the same way (and at least WIDE_MIN of them),
#: or in which both symbols of the pair do, is Yahoo failing: no symbol is blamed.
WIDE_SHARE = 0.5
WIDE_MIN = 3
META_INFO = "yahoo.info.{symbol}"
#: {symbol: instant} when a batched quote last found the symbol's stored bars current: the bars are as fresh as
#: that, though no chart request rewrote them (it is what ``fetched_at`` reports).
META_CURRENT = "yahoo.current_at"


class YahooDown(Exception):
    """Yahoo as a whole cannot serve us now (network, rate limit, server error, consent page): stop and back off."""


class SymbolProblem(Exception):
    """This one symbol's answer is unusable; the others may still be fine.

    ``kind`` names the way it failed ("empty", "malformed", "no_data" …): when most symbols of a round fail the
    same way, it is Yahoo failing, not the symbols (see ``YahooSource._judge_round``)."""

    def __init__(self, message: str, kind: str = "unusable") -> None:
        super().__init__(message)
        self.kind = kind


class UnknownSymbol(SymbolProblem):
    """Yahoo says it has no data for the symbol (HTTP 404 "No data found, symbol may be delisted").

    A typo'd symbol gets this answer, and so, in Feb 2025, did every valid symbol for hours: on its own it proves
    nothing about the symbol."""

    def __init__(self, symbol: str, description: str = "No data found") -> None:
        # Yahoo's own words go on "symbol may be delisted", which misleads when it says so of every symbol.
        super().__init__(f"Yahoo has no data for {symbol} (HTTP 404 \u201cNo data found\u201d)", kind="no_data")
        self.symbol = symbol
        self.description = description


class QuoteRefused(Exception):
    """The batched quote endpoint gave nothing usable; the chart endpoint may still serve every symbol."""


def format_delay(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"


def _ny_date(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).astimezone(ET).date()


def _transport_reason(exc: Exception, timeout: float | None) -> str:
    """Plain words for a curl_cffi transport error (never yfinance's 'possibly delisted')."""
    from curl_cffi.requests import exceptions as cx

    if isinstance(exc, cx.Timeout):
        return f"Yahoo did not answer within {timeout:g} s (timeout)" if timeout else "Yahoo timed out"
    if isinstance(exc, cx.DNSError):
        return "cannot reach Yahoo (DNS lookup failed)"
    code = int(getattr(exc, "code", 0) or 0)
    if code == 7:  # CURLE_COULDNT_CONNECT
        return "cannot reach Yahoo (connection refused)"
    if code in (52, 56):  # CURLE_GOT_NOTHING, CURLE_RECV_ERROR
        return "cannot reach Yahoo (connection closed)"
    if isinstance(exc, cx.SSLError):
        return "cannot reach Yahoo (TLS error)"
    return f"cannot reach Yahoo ({type(exc).__name__})"


def _http_reason(status: int, detail: str | None = None) -> str:
    """Plain words for an HTTP error status, with Yahoo's own error text when its body carried one."""
    said = f": {detail}" if detail else ""
    if status == 429:
        return f"Yahoo rate limit (HTTP 429{said})"
    if status >= 500:
        return f"Yahoo server error (HTTP {status}{said})"
    if status in (401, 403) and not detail:
        said = " Unauthorized" if status == 401 else " Forbidden"
    return f"Yahoo refused the request (HTTP {status}{said})"


def yahoo_error_text(payload: Any) -> str | None:
    """Yahoo's own words from an error body (``{"chart"|"finance"|…: {"error": {"code", "description"}}}``):
    "Unauthorized: User is unable to access this feature"; None when the body carries none. The feedback URL Yahoo
    appends is left out: it is no reason."""
    if not isinstance(payload, dict):
        return None
    for part in payload.values():
        error = part.get("error") if isinstance(part, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or "").strip()
            description = str(error.get("description") or "").split(" - http")[0].strip()
            text = ": ".join(t for t in (code, description) if t)
            return text[:160] or None
    return None


def web_page_reason(url: str, content: bytes, status: int) -> str | None:
    """Why an answer is a web page rather than data: Yahoo's cookie-consent flow (EU visitors are redirected to
    consent.yahoo.com), or any other HTML; None for anything else. A web page is never one symbol's problem: every
    request of the round would get it."""
    if "consent.yahoo.com" in url or "guce.yahoo.com" in url:
        return "Yahoo answered with its cookie-consent page instead of data"
    if status >= 400:  # an error status says more than the page that came with it
        return None
    head = content[:256].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        return f"Yahoo answered with a web page instead of data (HTTP {status})"
    return None


def name_some(symbols: Sequence[str], shown: int = 4) -> str:
    """"A, B" or "A, B, C, D and 8 more": a status line has room for a few names, not twenty."""
    names = ", ".join(symbols[:shown])
    return f"{names} and {len(symbols) - shown} more" if len(symbols) > shown else names


def usable_quote(price: Any, stamp: Any) -> bool:
    """Yahoo's regularMarketPrice/regularMarketTime pair is a real quote (both present and finite numbers)."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (price, stamp))


def parse_batch_quotes(payload: Any) -> dict[str, tuple[float, float]] | None:
    """A ``v7/finance/quote`` answer as {symbol: (price, epoch seconds)}, usable quotes only; None if the answer
    is not the expected shape (the caller then asks the chart endpoint instead)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("quoteResponse"), dict):
        return None
    result = payload["quoteResponse"].get("result")
    if not isinstance(result, list):
        return None
    quotes = {}
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
            return None
        price, stamp = item.get("regularMarketPrice"), item.get("regularMarketTime")
        if usable_quote(price, stamp):
            quotes[item["symbol"]] = (float(price), float(stamp))
    return quotes


def _without_zero_prices(frame: pd.DataFrame) -> pd.DataFrame:
    """Prices that are not above zero as missing: Yahoo fills a price it does not have with 0 (recorded: KOSPI-25's
    open, high and low), and a zero is no price."""
    prices = [c for c in ("open", "high", "low", "close", "adj_close") if c in frame]
    frame[prices] = frame[prices].where(frame[prices] > 0)
    return frame


class Chart(NamedTuple):
    bars: pd.DataFrame  # clean daily bars indexed by New York exchange date (tz-naive midnight)
    meta: dict
    reordered: bool  # Yahoo sent the same day twice or days out of order (repaired: the latest bar per day kept)
    null_days: list[date]  # days whose bar had no close and was dropped


def parse_chart(payload: Any, symbol: str) -> Chart:
    """A chart answer, cleaned.

    Yahoo sometimes sends all-null bars, the same day twice, or days out of order. Bars are sorted by time and
    the latest one per day is kept; bars without a close are dropped (``null_days`` says which), so a bad bar
    can leave a day missing but never gives it a wrong close.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("chart"), dict):
        raise SymbolProblem(f"Yahoo sent a malformed answer for {symbol}", "malformed")
    chart = payload["chart"]
    error = chart.get("error")
    if error:
        desc = str(error.get("description") or error.get("code") or error) if isinstance(error, dict) else str(error)
        code = str(error.get("code", "")) if isinstance(error, dict) else ""
        if code.lower() == "not found" or "no data found" in desc.lower() or "delisted" in desc.lower():
            raise UnknownSymbol(symbol, desc)
        raise SymbolProblem(f"Yahoo reported an error for {symbol}: {desc}", "error")
    result = chart.get("result")
    if not result:
        raise SymbolProblem(f"Yahoo returned no data for {symbol}", "empty")
    try:
        res = result[0]
        meta = res.get("meta") or {}
        stamps = res.get("timestamp") or []
        quote = (res.get("indicators", {}).get("quote") or [{}])[0] or {}
        adj = ((res.get("indicators", {}).get("adjclose") or [{}])[0] or {}).get("adjclose")
        cols = {"open": quote.get("open"), "high": quote.get("high"), "low": quote.get("low"),
                "close": quote.get("close"), "volume": quote.get("volume"), "adj_close": adj}
        frame = pd.DataFrame(
            {k: pd.to_numeric(pd.Series(v, dtype="object"), errors="coerce").astype(float)
             for k, v in cols.items() if v is not None},
        )
        if len(stamps) and len(frame) != len(stamps):
            raise ValueError("bar arrays and timestamps differ in length")
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise SymbolProblem(f"Yahoo sent a malformed answer for {symbol} ({exc})", "malformed") from None
    if not len(stamps):
        return Chart(pd.DataFrame(columns=["close"], index=pd.DatetimeIndex([], name="Date")), meta, False, [])
    if "close" not in frame:
        raise SymbolProblem(f"Yahoo sent bars without closes for {symbol}", "malformed")
    frame = _without_zero_prices(frame)  # a zero close makes the day a null day, like a null close
    frame["ts"] = pd.to_numeric(pd.Series(stamps), errors="coerce")
    frame = frame.dropna(subset=["ts"])
    frame["Date"] = [pd.Timestamp(_ny_date(t)) for t in frame["ts"]]
    disordered = not frame["ts"].is_monotonic_increasing
    frame = frame.sort_values("ts", kind="stable")
    duplicated = frame["Date"].duplicated(keep="last")
    reordered = disordered or bool(duplicated.any())
    frame = frame[~duplicated]
    empty = ~np.isfinite(frame["close"].to_numpy())
    null_days = [d.date() for d in frame.loc[empty, "Date"]]
    return Chart(frame[~empty].set_index("Date").drop(columns="ts"), meta, reordered, null_days)


def history_to_bars(df: pd.DataFrame) -> pd.DataFrame:
    """yfinance ``history`` frame (tz-aware index, 'Adj Close') -> cache bars (New York dates, snake-case columns)."""
    if df is None or df.empty:
        return pd.DataFrame(columns=["close"], index=pd.DatetimeIndex([], name="Date"))
    out = df.rename(columns=lambda c: str(c).strip().lower().replace(" ", "_"))
    out = _without_zero_prices(out[[c for c in BAR_COLUMNS if c in out.columns]].astype(float))
    idx = out.index
    if getattr(idx, "tz", None) is not None:
        idx = idx.tz_convert(ET).tz_localize(None)
    out.index = pd.DatetimeIndex(idx.normalize(), name="Date")
    out = out[~out.index.duplicated(keep="last")].sort_index()
    return out[out["close"].notna()]


class _CacheView:
    """The cache's closes and fetch times for some symbols, kept in memory between refreshes.

    The SQLite cache stays the source of truth (and what a restart reads); this is a copy of it that a refresh
    brings up to date with the few rows it just wrote, instead of reading every symbol's history again.
    ``version`` is :meth:`BarCache.version` as of the copy: any other write (another connection, or a caller
    writing through the same cache object) changes it, and then the view is read again in full.
    """

    def __init__(self, asked: tuple[str, ...], stored: frozenset[str], known: tuple[str, ...],
                 closes: pd.DataFrame, fetched: dict[str, datetime], version: tuple[int, int]) -> None:
        self.asked = asked  # the symbols cached() was asked for
        self.stored = stored  # every symbol with bars in the cache (BarCache.symbols())
        self.known = known  # the asked symbols that have bars, in the order asked (the columns of ``closes``)
        self.closes = closes  # as BarCache.closes(known): never handed out, callers get a copy
        self.fetched = fetched  # as BarCache.fetched_at_by_symbol(known)
        self.version = version

    def merge(self, symbol: str, new: pd.Series, fetched_at: datetime) -> None:
        """Fold in ``symbol``'s rows just stored (``new``: BarCache.closes_since)."""
        self.fetched[symbol] = max(self.fetched.get(symbol, fetched_at), fetched_at)
        new = new.dropna()
        if new.empty:
            return
        closes = self.closes
        column = closes.columns.get_loc(symbol)
        at = closes.index.get_indexer(new.index)
        values = new.to_numpy(dtype="float64")
        if (at >= 0).all():
            if np.array_equal(closes.iloc[:, column].to_numpy()[at], values):
                return  # the usual refresh: the last few days written again, unchanged
        else:
            closes = closes.reindex(pd.DatetimeIndex(closes.index.union(new.index), name="Date", freq=None))
            at = closes.index.get_indexer(new.index)
        closes.iloc[at, column] = values
        self.closes = closes


class YahooSource:
    """See the module docstring. ``fetch`` runs in a worker thread; nothing here prints or logs."""

    name = "yahoo"

    def __init__(
        self,
        cache,
        clock,
        session=None,
        *,
        backoff: Backoff | None = None,
        quote_backoff: Backoff | None = None,
        refresh: Refresh | None = None,
        fundamentals_symbols: Sequence[str] = ("IWM", "SPY"),
    ) -> None:
        self.cache = cache
        self.clock = clock
        self._session = session
        self.backoff = backoff or Backoff()
        self.fundamentals_symbols = tuple(fundamentals_symbols)
        self._quotes: dict[str, Quote] = {}
        self._info_failed_at: datetime | None = None
        #: The batched quote endpoint's own backoff: while it refuses (a broken crumb can last hours), the chart
        #: endpoint serves every symbol, and the quotes are asked again only now and then.
        self.quote_backoff = quote_backoff or Backoff(base=300.0, cap=3600.0)
        self.refresh = refresh or Refresh()
        self._last_reason: str | None = None  # why the last failed attempt failed (for the backoff message)
        self._retry_dropped = False  # the user asked to try the dropped symbols again (next round)
        self._recovery_told = False
        self._view: _CacheView | None = None

    # -- plumbing -------------------------------------------------------------------------------------------

    @property
    def session(self):
        if self._session is None:
            from tui.data.yahoo_session import make_session

            self._session = make_session()
        return self._session

    @property
    def timeout(self) -> float | None:
        return getattr(self.session, "max_timeout", None)

    def close(self) -> None:
        """The session is shared and stays open; the cache was handed to us (see ``factory.open_source``)."""
        self.cache.close()

    def _symbol_times(self, key: str) -> dict[str, str]:
        """A {symbol: ISO instant} map kept in the cache's meta under ``key``; empty when absent or unreadable."""
        meta = self.cache.get_meta(key)
        try:
            value = json.loads(meta[0]) if meta else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _health(self) -> SymbolHealth:
        meta = self.cache.get_meta(META_HEALTH)
        return SymbolHealth.from_json(meta[0] if meta else None)

    def _save_health(self, health: SymbolHealth, now: datetime) -> None:
        self.cache.set_meta(META_HEALTH, health.to_json(), now)

    def retry_dropped(self) -> None:
        """Ask every dropped or backing-off symbol again on the next round (the user's "retry symbols" key).
        Thread-safe: it only sets a flag that the fetch thread acts on."""
        self._retry_dropped = True

    # -- requests -------------------------------------------------------------------------------------------

    def _chart(self, symbol: str, params: dict[str, str]) -> Any:
        from curl_cffi.requests import exceptions as cx

        try:
            resp = self.session.get(CHART_URL.format(symbol=symbol), params=params)
        except cx.RequestException as exc:
            raise YahooDown(_transport_reason(exc, self.timeout)) from None
        status = resp.status_code
        page = web_page_reason(str(resp.url), resp.content, status)
        if page:
            raise YahooDown(page)
        try:
            payload = json.loads(resp.content)
        except ValueError:
            payload = None
        if status == 404 and isinstance(payload, dict):
            return payload  # chart.error says whether Yahoo has data for the symbol
        if status >= 400:
            raise YahooDown(_http_reason(status, yahoo_error_text(payload)))
        if payload is None:
            raise SymbolProblem(f"Yahoo sent a malformed answer for {symbol} (not JSON)", "malformed")
        return payload

    def _full_history(self, symbol: str, tz: str | None) -> pd.DataFrame:
        """All daily bars through yfinance, once per symbol; failures explained from the session's view."""
        from curl_cffi.requests import exceptions as cx

        from tui.data.yahoo_session import quiet_yfinance

        yf = quiet_yfinance()
        if tz:
            try:  # yfinance would otherwise spend a chart request on learning the timezone
                yf.cache.get_tz_cache().store(symbol, tz)
            except Exception:  # an optimisation only; yfinance fetches it itself if this fails
                pass
        try:
            df = yf.Ticker(symbol, session=self.session).history(
                period="max", interval="1d", auto_adjust=False, actions=False, timeout=self.timeout
            )
        except cx.RequestException as exc:
            raise YahooDown(_transport_reason(exc, self.timeout)) from None
        except Exception as exc:
            status = getattr(self.session, "last_status", None)
            if type(exc).__name__ == "YFRateLimitError" or (status is not None and status >= 400 and status != 404):
                raise YahooDown(_http_reason(status if status and status >= 400 else 429)) from None
            raise SymbolProblem(f"Yahoo's full history for {symbol} was unusable", "malformed") from None
        bars = history_to_bars(df)
        if bars.empty:
            raise SymbolProblem(f"Yahoo returned no history for {symbol}", "empty")
        return bars

    def _batch_quotes(self, symbols: Sequence[str]) -> dict[str, tuple[float, float]]:
        """{symbol: (price, epoch)} from one batched quote request, through yfinance (the endpoint wants a cookie
        and a crumb, which are yfinance's business). Raises QuoteRefused, in plain words, for any answer that is
        not a usable quote list: the caller then asks the chart endpoint, which needs no crumb."""
        from curl_cffi.requests import exceptions as cx

        from tui.data.yahoo_session import quiet_yfinance

        quiet_yfinance()  # silent, its caches in our folder: before any use of its data layer
        from yfinance.data import YfData
        from yfinance.exceptions import YFRateLimitError

        try:
            resp = YfData(session=self.session).get(
                QUOTE_URL, params={"symbols": ",".join(symbols)}, timeout=self.timeout or 30)
        except cx.RequestException as exc:  # no answer at all: the charts would get none either
            raise YahooDown(_transport_reason(exc, self.timeout)) from None
        except YFRateLimitError:  # yfinance raises it after its own retry was answered 429 again
            raise QuoteRefused(_http_reason(429)) from None
        except Exception as exc:  # yfinance's cookie and crumb dance failed in a way of its own
            raise QuoteRefused(f"yfinance could not get a crumb from Yahoo ({type(exc).__name__})") from None
        page = web_page_reason(str(resp.url), resp.content, resp.status_code)
        if page:
            raise QuoteRefused(page)
        try:
            payload = json.loads(resp.content)
        except ValueError:
            payload = None
        if resp.status_code >= 400:
            raise QuoteRefused(_http_reason(resp.status_code, yahoo_error_text(payload)))
        quotes = parse_batch_quotes(payload)
        if quotes is None:
            raise QuoteRefused("Yahoo sent a malformed quote answer")
        return quotes

    def _batch_eligible(self, symbols: Sequence[str], now: datetime) -> list[str]:
        """The symbols one quote request can stand for: while the market is open, those whose stored bars owe no
        completed session. The others (first sight, a new day, a gap, a bond holiday's missing ^TNX bar) need
        the bars only charts carry, and get their chart requests as before. None while the quote endpoint is
        backing off after a refusal."""
        from tui.data.market_clock import Phase, market_status

        status = market_status(now)
        if status.phase != Phase.OPEN or not self.quote_backoff.ready(now):
            return []
        current = []
        for symbol in symbols:
            last = self.cache.last_date(symbol)
            if last is not None and last >= status.last_completed:
                current.append(symbol)
        return current

    def _refresh_by_batch(self, symbols: Sequence[str], now: datetime) -> tuple[set[str], str | None]:
        """The symbols brought up to date by one batched quote request, and what Yahoo refused if it did.

        Empty when no symbol is eligible or the request failed: the chart requests then do the job in the same
        round. A refusal (401 "Invalid Crumb" is Yahoo's most common breakage, but also 403, 429, 5xx, the consent
        page, a malformed answer) backs the quote endpoint off on its own, so the charts carry the monitor until
        it is asked again; it is said once, in plain words, when it happens."""
        eligible = self._batch_eligible(symbols, now)
        if not eligible:
            return set(), None  # (a transport error below raises YahooDown: nothing would answer the charts)
        try:
            quotes = self._batch_quotes(eligible)
        except QuoteRefused as exc:
            wait = self.quote_backoff.failure(now)
            return set(), (f"{exc} on the batched quote request; asking for each symbol's chart instead "
                           f"(quotes tried again in {format_delay(wait)})")
        self.quote_backoff.success()
        done = {symbol for symbol in eligible if symbol in quotes}
        for symbol in done:
            self._take_quote(symbol, *quotes[symbol], now)
        if done:
            current = self._symbol_times(META_CURRENT)
            current.update({symbol: now.isoformat() for symbol in done})
            self.cache.set_meta(META_CURRENT, json.dumps(current, sort_keys=True), now)
        return done, None

    def _take_quote(self, symbol: str, price: float, stamp: float, now: datetime) -> None:
        """Remember Yahoo's intraday quote, or forget it once its session is complete (its close is a bar then)."""
        from tui.data.market_clock import is_session_complete

        session = _ny_date(stamp)
        if is_session_complete(session, now):
            self._quotes.pop(symbol, None)
        else:
            when = datetime.fromtimestamp(stamp, timezone.utc)
            self._quotes[symbol] = Quote(symbol, float(price), when, pd.Timestamp(session))

    # -- one symbol -----------------------------------------------------------------------------------------

    def _refresh(self, symbol: str, now: datetime, repaired: list[str]) -> None:
        """Fetch and store one symbol; raises when it could not be brought up to date. A symbol whose bars had
        to be put in order is added to ``repaired``."""
        from tui.data.market_clock import is_session_complete, sessions_complete

        last = self.cache.last_date(symbol)
        today = now.astimezone(ET).date()
        if last is None or (today - last).days <= 4:
            params = {"range": "5d", "interval": "1d"}
        else:  # the monitor was off for a while: one request still covers the gap
            start = datetime.combine(last - timedelta(days=3), datetime.min.time(), ET)
            params = {"period1": str(int(start.timestamp())), "period2": str(int(now.timestamp())), "interval": "1d"}
        params.update(includePrePost="false", events="div,splits")
        chart = parse_chart(self._chart(symbol, params), symbol)
        bars, meta = chart.bars, chart.meta
        if chart.reordered:
            repaired.append(symbol)
        if last is None:
            full = self._full_history(symbol, meta.get("exchangeTimezoneName"))
            bars = pd.concat([full[~full.index.isin(bars.index)], bars]).sort_index()

        complete = bars.loc[sessions_complete(bars.index, now)] if len(bars.index) else bars
        if not complete.empty:
            self._store(symbol, complete, now)
        stored = self.cache.last_date(symbol)
        missing = [d.isoformat() for d in chart.null_days
                   if is_session_complete(d, now) and (stored is None or d > stored)]

        price, stamp = meta.get("regularMarketPrice"), meta.get("regularMarketTime")
        if usable_quote(price, stamp):
            self._take_quote(symbol, price, stamp, now)
        if missing:  # its good bars are stored, but the latest session is still owed
            raise SymbolProblem(f"Yahoo sent an empty bar for {symbol} on {', '.join(missing)} (ignored)", "null_bar")
        if bars.empty and not chart.null_days:
            raise SymbolProblem(f"Yahoo returned no data for {symbol}", "empty")

    def _store(self, symbol: str, complete: pd.DataFrame, now: datetime) -> None:
        """Upsert into the cache, and bring the in-memory view up to date with exactly what was stored."""
        from tui.data.cache import stored_instant

        view = self._view
        before = self.cache.version() if view is not None else None
        written = self.cache.upsert(symbol, complete, source="yahoo", fetched_at=now)
        if view is None or before is None:
            return
        after = self.cache.version()
        if before != view.version or after != (before[0] + (1 if written else 0), before[1]) or (
            written and symbol not in view.stored
        ):
            self._view = None  # another write than ours, or a new symbol: read it all again when asked
            return
        if written and symbol in view.known:
            since = pd.Timestamp(complete.index.min()).date()
            view.merge(symbol, self.cache.closes_since(symbol, since), stored_instant(now))
        view.version = after

    def _cache_view(self, symbols: Sequence[str]) -> _CacheView:
        """The view for ``symbols``, read from the cache again only when the cache changed under it."""
        view = self._view
        version = self.cache.version()
        if view is None or view.version != version or view.asked != tuple(symbols):
            stored = frozenset(self.cache.symbols())
            known = [s for s in symbols if s in stored]
            closes = self.cache.closes(known) if known else pd.DataFrame()
            fetched = self.cache.fetched_at_by_symbol(known)
            view = self._view = _CacheView(tuple(symbols), stored, tuple(known), closes, fetched, version)
        return view

    # -- fundamentals ---------------------------------------------------------------------------------------

    def _stored_info(self, symbol: str) -> tuple[dict[str, float], datetime] | None:
        meta = self.cache.get_meta(META_INFO.format(symbol=symbol))
        if not meta:
            return None
        try:
            return json.loads(meta[0]), meta[1]
        except ValueError:
            return None

    def fundamentals(self, now: datetime, *, network: bool = True) -> dict[str, dict[str, float]]:
        """Trailing P/E per fund, from yfinance ``info`` at most once per New York day; failures leave it absent."""
        out: dict[str, dict[str, float]] = {}
        today = now.astimezone(ET).date()
        for symbol in self.fundamentals_symbols:
            stored = self._stored_info(symbol)
            due = stored is None or stored[1].astimezone(ET).date() != today
            cooling = self._info_failed_at is not None and now - self._info_failed_at < INFO_EVERY_FAILED
            if due and network and not cooling:
                try:
                    from tui.data.yahoo_session import quiet_yfinance

                    info = quiet_yfinance().Ticker(symbol, session=self.session).info or {}
                    pe = info.get("trailingPE")
                    value = {"trailing_pe": float(pe)} if isinstance(pe, (int, float)) and math.isfinite(pe) else {}
                    self.cache.set_meta(META_INFO.format(symbol=symbol), json.dumps(value), now)
                    stored = (value, now)
                except Exception:  # non-fatal by design: the valuation rule shows 'unknown'
                    self._info_failed_at = now
            if stored and stored[0]:
                out[symbol] = stored[0]
        return out

    # -- the DataSource API ---------------------------------------------------------------------------------

    def cached(self, symbols: Sequence[str], now: datetime, fundamentals: dict | None = None) -> MarketData:
        """What the cache holds for ``symbols`` (completed sessions only, pair first), labelled by its age."""
        from tui.data.market_clock import is_session_complete, sessions_complete

        view = self._cache_view(symbols)
        known = list(view.known)
        closes = view.closes if known else pd.DataFrame()
        closes = closes.reindex(columns=list(symbols)).astype(float)
        if len(closes.index):
            done = sessions_complete(closes.index, now)
            if not done.all():
                closes = closes.loc[done]
        quotes = {s: q for s, q in self._quotes.items()
                  if s in symbols and not is_session_complete(q.session.date(), now)}
        fetched = self._fetched_by_symbol(view)
        data = MarketData(
            source="yahoo",
            label="",
            closes=closes,
            quotes=quotes,
            fundamentals=self.fundamentals(now, network=False) if fundamentals is None else fundamentals,
            fetched_at=min(fetched.values()) if fetched else None,
            now=now,
            received_at=max(fetched.values()) if fetched else None,  # the newest data actually received
        )
        freshness = self.freshness(data, symbols[:2], now)
        data.label, data.stale = freshness.label, freshness.stale
        if freshness.reason:
            data.errors.append(freshness.reason)
        return data

    def freshness(self, data: MarketData, pair: Sequence[str], now: datetime) -> Freshness:
        """The label and staleness that the ages of ``data`` give at ``now`` (see tui.data.freshness)."""
        through = None
        if len(pair) == 2 and all(s in data.closes.columns for s in pair) and len(data.closes.index):
            both = data.closes[list(pair)].dropna()
            through = both.index[-1].date() if len(both.index) else None
        quote_times = [q.time for q in data.quotes.values()]  # the newest data actually received
        return judge_now(now, received_at=data.received_at, quote_time=max(quote_times) if quote_times else None,
                         bars_through=through, refresh=self.refresh, retrying=self.backoff.failures > 0)

    def _fetched_by_symbol(self, view: _CacheView) -> dict[str, datetime]:
        """When each symbol's bars were last known current: their last chart fetch, or a later batched quote."""
        from tui.data.cache import stored_instant

        current = self._symbol_times(META_CURRENT)
        fetched = dict(view.fetched)
        for symbol, when in fetched.items():
            try:
                confirmed = stored_instant(datetime.fromisoformat(current[symbol]))
            except (KeyError, TypeError, ValueError):
                continue
            fetched[symbol] = max(when, confirmed)
        return fetched

    def fetch(self, symbols: Sequence[str]) -> MarketData:
        """One round: ``symbols`` with the pair's two first (as ``Config.symbols`` gives them)."""
        data = self._fetch_round(symbols)
        if self.cache.recovered and not self._recovery_told:
            # A corrupt cache was moved aside and rebuilt: say so once, where the user looks for problems.
            data.errors.insert(0, self.cache.recovered)
            self._recovery_told = True
        if self.cache.write_problem:  # the data is shown (from memory), but not kept: say so while it lasts
            data.errors.append(self.cache.write_problem)
        return data

    def _fetch_round(self, symbols: Sequence[str]) -> MarketData:
        now = self.clock()
        symbols = list(dict.fromkeys(symbols))
        pair = symbols[:2]
        health = self._health()
        if self._retry_dropped:
            self._retry_dropped = False
            if health.forget_dropped():
                self._save_health(health, now)
        if not self.backoff.ready(now):  # no request while backing off: show what we have
            wait = self.backoff.remaining(now)
            return self._stale(symbols, now, [f"{self._last_reason} — retrying in {format_delay(wait)}"], wait,
                               health)

        notes: list[str] = []  # repairs and refusals worked around: worth saying, but the data is good
        repaired: list[str] = []  # symbols whose bars came duplicated or out of order (one note for all)
        # The pair is asked every round whatever happened before: it is the headline, and one request a round.
        due = [symbol for symbol in symbols if symbol in pair or health.due(symbol, now)]
        failed: dict[str, SymbolProblem] = {}
        down: str | None = None
        try:
            by_batch, refused = self._refresh_by_batch(due, now)
        except YahooDown as exc:
            by_batch, refused, down = set(), None, str(exc)
        if refused:
            notes.append(refused)
        served = list(by_batch)
        # The charts: every due symbol the batch did not serve (all of them when it did not apply or failed).
        for symbol in [] if down else [s for s in due if s not in by_batch]:
            try:
                self._refresh(symbol, now, repaired)
                served.append(symbol)
            except SymbolProblem as exc:
                failed[symbol] = exc
                if set(pair) <= failed.keys() and not served and _same_way([failed[s] for s in pair]):
                    break  # the pair failed the same way with nothing served: Yahoo, not the pair (see below)
            except YahooDown as exc:
                down = str(exc)  # the other symbols would fail the same way: do not hammer Yahoo
                break
        if repaired:
            notes.insert(0, f"Yahoo sent duplicate or out-of-order bars for {name_some(repaired)} "
                            "(kept the latest bar per day)")

        wide = down or self._wide_failure(failed, len(served), pair)
        if wide:
            # Yahoo as a whole is failing: keep every symbol, blame none, back off, say it once.
            delay = self.backoff.failure(now)
            self._last_reason = wide
            for symbol in served:
                health.succeeded(symbol)
            self._save_health(health, now)
            return self._stale(symbols, now, notes + [f"{wide} — retrying in {format_delay(delay)}"], delay,
                               health)

        changed = any([health.succeeded(symbol) for symbol in served])
        for symbol, problem in failed.items():
            health.failed(symbol, str(problem), now, kind=problem.kind, droppable=symbol not in pair)
            changed = True
        if changed:
            self._save_health(health, now)
        # A pair symbol failing on its own leaves the headline behind: the whole source retries on its backoff
        # (the pair is the one thing worth asking again soon). Any other symbol only waits on its own.
        retry_in = None
        if any(symbol in failed for symbol in pair):
            retry_in = self.backoff.failure(now)
            self._last_reason = next(str(failed[s]) for s in pair if s in failed)
        else:
            self.backoff.success()
            self._last_reason = None
        data = self.cached(symbols, now, self.fundamentals(now))
        troubles = _trouble_notes(failed, health, symbols, now, retry_in)
        if not data.closes.notna().any().any() and not data.quotes:
            raise SourceError(troubles[0] if troubles else notes[-1] if notes else "Yahoo returned no data",
                              retry_after=retry_in)
        data.errors += notes + troubles  # what the data's age means first, its causes last (newest last)
        data.dropped = _dropped(health)
        if retry_in is not None:
            data.stale = True  # the headline figures are not current: say so on every pane
            data.retry_in = retry_in
        return data

    def _wide_failure(self, failed: dict[str, SymbolProblem], served: int, pair: Sequence[str]) -> str | None:
        """One Yahoo-level reason when most symbols asked this round (or both of the pair) failed the same way,
        naming how many it hit; None when the failures are the symbols' own."""
        if not failed:
            return None
        kinds: dict[str, list[str]] = {}
        for symbol, problem in failed.items():
            kinds.setdefault(problem.kind, []).append(symbol)
        kind, hit = max(kinds.items(), key=lambda item: len(item[1]))
        asked = served + len(failed)
        pair_hit = len(pair) == 2 and set(pair) <= set(hit)
        if not pair_hit and not (len(hit) >= WIDE_MIN and len(hit) >= WIDE_SHARE * asked):
            return None
        what = _KIND_WORDS.get(kind) or str(failed[hit[0]])
        return (f"Yahoo-wide failure: {what} for {len(hit)} of {asked} symbols asked ({name_some(hit)}), "
                "not a problem of those symbols")

    def _stale(self, symbols: list[str], now: datetime, errors: list[str], retry_in: float,
               health: SymbolHealth) -> MarketData:
        data = self.cached(symbols, now)
        if not data.closes.notna().any().any() and not data.quotes:
            raise SourceError(self._last_reason or "Yahoo failed", retry_after=retry_in)
        data.stale = True
        data.errors = [e for e in data.errors if e not in errors] + errors  # the failure being retried last
        data.retry_in = retry_in
        data.dropped = _dropped(health)
        return data


#: How a kind of failure is said when it hit many symbols at once.
_KIND_WORDS = {
    "no_data": "\u201cNo data found\u201d (HTTP 404)",
    "empty": "empty answers",
    "malformed": "malformed answers",
    "null_bar": "empty bars",
    "error": "errors",
}


def _same_way(problems: Sequence[SymbolProblem]) -> bool:
    return len({p.kind for p in problems}) == 1


def _trouble_notes(failed: dict[str, SymbolProblem], health: SymbolHealth, symbols: Sequence[str],
                   now: datetime, retry_in: float | None) -> list[str]:
    """What the user is told about symbols failing on their own: each pair symbol that failed this round (with
    the source's retry, ``retry_in``), then
    the other symbols waiting before they are asked again, one line per way of failing ("empty answers for
    PSCU, PSCC — retrying them in 4 min"). Said every round while it lasts (the countdown is a retry tail that
    the monitor does not notify twice); dropped symbols travel in ``MarketData.dropped`` instead."""
    pair = symbols[:2]
    retry = f" — retrying in {format_delay(retry_in)}" if retry_in is not None else ""
    lines = [f"{failed[symbol]}{retry}" for symbol in pair if symbol in failed]
    waiting = health.waiting(now)
    by_kind: dict[str, list[str]] = {}
    for symbol in symbols:
        if symbol in waiting and symbol not in pair:
            by_kind.setdefault(waiting[symbol].kind, []).append(symbol)
    for kind, hit in by_kind.items():
        wait = min((waiting[s].next_try - now).total_seconds() for s in hit)
        if len(hit) == 1:
            lines.append(f"{waiting[hit[0]].reason} — retrying it in {format_delay(wait)}")
        else:
            what = _KIND_WORDS.get(kind, "failures")
            lines.append(f"{what[:1].upper()}{what[1:]} for {name_some(hit)} — retrying them in {format_delay(wait)}")
    return lines


def _dropped(health: SymbolHealth) -> tuple[DroppedSymbol, ...]:
    return tuple(DroppedSymbol(symbol, t.dropped_at, t.reason)  # type: ignore[arg-type]
                 for symbol, t in sorted(health.dropped().items()))
