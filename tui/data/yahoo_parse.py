"""Yahoo's answers read into clean data: pure functions of a response body, no network and no policy.

Tested on the recorded real bodies in ``../shared/data/yahoo`` (tests/test_yahoo_recordings.py): float32 prices,
windows with no session, ^TNX in America/Chicago, all-null or zero bars, duplicated or disordered days, error
bodies and web pages.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from tui.data.cache import BAR_COLUMNS
from tui.data.market_clock import ET


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


def ny_date(epoch: float) -> date:
    """The New York exchange date of an epoch instant (Yahoo stamps bars in epoch seconds)."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).astimezone(ET).date()


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
        price: Any = item.get("regularMarketPrice")  # JSON values: usable_quote says whether they are numbers
        stamp: Any = item.get("regularMarketTime")
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
    meta: dict[str, Any]  # the chart's "meta" object as Yahoo sent it
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
        cols = {
            "open": quote.get("open"),
            "high": quote.get("high"),
            "low": quote.get("low"),
            "close": quote.get("close"),
            "volume": quote.get("volume"),
            "adj_close": adj,
        }
        frame = pd.DataFrame(
            {
                k: pd.to_numeric(pd.Series(v, dtype="object"), errors="coerce").astype(float)
                for k, v in cols.items()
                if v is not None
            },
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
    frame["Date"] = [pd.Timestamp(ny_date(t)) for t in frame["ts"]]
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


class IntradayChart(NamedTuple):
    """A ``range=1d`` minute-bar chart answer (``interval=5m``), read: one session's bars and what its meta says."""

    session: date | None  # the New York exchange date of the bars; None when the window held no session
    times: tuple[datetime, ...]  # each bar's start (UTC, as Yahoo stamps minute bars), ascending, unique
    prices: tuple[float, ...]  # each bar's close: the last price within the bar so far
    previous_close: float | None  # meta previousClose (range=1d only), else chartPreviousClose
    price: float | None  # meta regularMarketPrice and regularMarketTime: the last trade
    price_time: datetime | None


def _finite(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    return float(value) if ok else None


def parse_intraday(payload: Any, symbol: str) -> IntradayChart:
    """A minute-bar chart answer, cleaned, or :class:`SymbolProblem` in plain words.

    Bars without a close (a minute with no trade is all nulls) are dropped; the same stamp twice keeps the later
    bar; bars of any day but the last one in the answer are dropped (``range=1d`` holds one session). A window
    with no session (no ``timestamp`` key, recorded) is not an error: ``session`` is None and there are no bars.
    Yahoo's 422 "5m data not available ..." and other ``chart.error`` bodies become a problem of kind
    ``"unavailable"``: the caller says it plainly and carries on without a path.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("chart"), dict):
        raise SymbolProblem(f"Yahoo sent a malformed intraday answer for {symbol}", "malformed")
    error = payload["chart"].get("error")
    if error:
        # The epochs in "5m data not available for startTime=1728136756 and endTime=…" say nothing to a reader.
        said = re.sub(r" for startTime=\d+ and endTime=\d+", "", yahoo_error_text(payload) or "an error")
        raise SymbolProblem(f"Yahoo has no 5-minute bars for {symbol} ({said})", "unavailable")
    result = payload["chart"].get("result")
    if not result or not isinstance(result, list) or not isinstance(result[0], dict):
        raise SymbolProblem(f"Yahoo returned no intraday data for {symbol}", "empty")
    res = result[0]
    meta: dict[str, Any] = res["meta"] if isinstance(res.get("meta"), dict) else {}
    previous = _finite(meta.get("previousClose")) or _finite(meta.get("chartPreviousClose"))
    said_price: Any = meta.get("regularMarketPrice")  # JSON values: usable_quote says whether they are numbers
    said_time: Any = meta.get("regularMarketTime")
    usable = usable_quote(said_price, said_time)
    last_trade = datetime.fromtimestamp(float(said_time), timezone.utc) if usable else None
    price = float(said_price) if usable else None
    stamps = res.get("timestamp")
    if not stamps:
        return IntradayChart(None, (), (), previous, price, last_trade)
    try:
        closes = ((res.get("indicators") or {}).get("quote") or [{}])[0].get("close")
        if not isinstance(stamps, list) or not isinstance(closes, list) or len(closes) != len(stamps):
            raise ValueError("bar closes and timestamps differ in length")
    except (AttributeError, IndexError, TypeError, ValueError) as exc:
        raise SymbolProblem(f"Yahoo sent a malformed intraday answer for {symbol} ({exc})", "malformed") from None
    bars: dict[int, float] = {}
    for stamp_, close in zip(stamps, closes):
        value = _finite(close)
        if isinstance(stamp_, int) and not isinstance(stamp_, bool) and value is not None:
            bars[stamp_] = value  # a repeated stamp: the later bar wins
    if not bars:
        return IntradayChart(None, (), (), previous, price, last_trade)
    ordered = sorted(bars.items())
    session = ny_date(ordered[-1][0])
    kept = [(t, p) for t, p in ordered if ny_date(t) == session]
    times = tuple(datetime.fromtimestamp(t, timezone.utc) for t, _ in kept)
    return IntradayChart(session, times, tuple(p for _, p in kept), previous, price, last_trade)


class BatchQuote(NamedTuple):
    """One symbol's item of a batched ``v7/finance/quote`` answer, as far as the monitor reads it."""

    price: float
    time: float  # epoch seconds of the last trade
    previous_close: float | None  # regularMarketPreviousClose: for a future, the previous settlement


def parse_batch_items(payload: Any) -> dict[str, BatchQuote] | None:
    """:func:`parse_batch_quotes` with each item's previous close as well (the futures' pre-market read)."""
    quotes = parse_batch_quotes(payload)
    if quotes is None:
        return None
    previous = {
        item["symbol"]: _finite(item.get("regularMarketPreviousClose"))
        for item in payload["quoteResponse"]["result"]
        if item["symbol"] in quotes
    }
    return {symbol: BatchQuote(price, stamp, previous[symbol]) for symbol, (price, stamp) in quotes.items()}
