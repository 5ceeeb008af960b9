"""Requests to Yahoo and their failures in plain words: the one place that talks HTTP.

Every request goes through one session (``yahoo_session``): chart requests of our own, yfinance's full history
and its crumb-protected batched quote. A failure comes back as an exception whose text a user can act on:
``YahooDown`` (Yahoo as a whole cannot serve now), ``QuoteRefused`` (only the batched quote endpoint),
``SymbolProblem`` (this one symbol's answer). What to ask for, and when, is the policy's business (``yahoo``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from tui.data.yahoo_parse import (
    BatchQuote,
    SymbolProblem,
    history_to_bars,
    parse_batch_items,
    web_page_reason,
    yahoo_error_text,
)

if TYPE_CHECKING:  # curl_cffi is imported with the session, on the first request
    from tui.data.yahoo_session import YahooSession

CHART_URL = "https://query2.finance.yahoo.com/v8/finance/chart/{symbol}"
QUOTE_URL = "https://query1.finance.yahoo.com/v7/finance/quote"  # crumb-protected: asked through yfinance


class YahooDown(Exception):
    """Yahoo as a whole cannot serve us now (network, rate limit, server error, consent page): stop and back off."""


class QuoteRefused(Exception):
    """The batched quote endpoint gave nothing usable; the chart endpoint may still serve every symbol."""


def transport_reason(exc: Exception, timeout: float | None) -> str:
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


def http_reason(status: int, detail: str | None = None) -> str:
    """Plain words for an HTTP error status, with Yahoo's own error text when its body carried one."""
    said = f": {detail}" if detail else ""
    if status == 429:
        return f"Yahoo rate limit (HTTP 429{said})"
    if status >= 500:
        return f"Yahoo server error (HTTP {status}{said})"
    if status in (401, 403) and not detail:
        said = " Unauthorized" if status == 401 else " Forbidden"
    return f"Yahoo refused the request (HTTP {status}{said})"


class YahooTransport:
    """The requests, on one shared session (made on first use: building it costs imports)."""

    def __init__(self, session: YahooSession | None = None) -> None:
        self._session = session

    @property
    def session(self) -> YahooSession:
        if self._session is None:
            from tui.data.yahoo_session import make_session

            self._session = make_session()
        return self._session

    @property
    def timeout(self) -> float | None:
        return getattr(self.session, "max_timeout", None)

    def chart(self, symbol: str, params: dict[str, str], answered: tuple[int, ...] = (404,)) -> Any:
        """A chart answer's JSON. An error status in ``answered`` whose body is Yahoo's JSON comes back as that
        body (its ``chart.error`` says what Yahoo has for the symbol); any other error status is Yahoo down."""
        from curl_cffi.requests import exceptions as cx

        try:
            resp = self.session.get(CHART_URL.format(symbol=symbol), params=params)
        except cx.RequestException as exc:
            raise YahooDown(transport_reason(exc, self.timeout)) from None
        status = resp.status_code
        page = web_page_reason(str(resp.url), resp.content, status)
        if page:
            raise YahooDown(page)
        try:
            payload = json.loads(resp.content)
        except ValueError:
            payload = None
        if status in answered and isinstance(payload, dict):
            return payload  # chart.error says whether Yahoo has data for the symbol
        if status >= 400:
            raise YahooDown(http_reason(status, yahoo_error_text(payload)))
        if payload is None:
            raise SymbolProblem(f"Yahoo sent a malformed answer for {symbol} (not JSON)", "malformed")
        return payload

    def intraday(self, symbol: str) -> Any:
        """Today's (or the last session's) 5-minute bars: one ``range=1d&interval=5m`` chart request. Yahoo's 422
        "data not available" is an answer about intraday data, not Yahoo failing: its body comes back."""
        params = {"range": "1d", "interval": "5m", "includePrePost": "false"}
        return self.chart(symbol, params, answered=(404, 422))

    def full_history(self, symbol: str, tz: str | None) -> pd.DataFrame:
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
            raise YahooDown(transport_reason(exc, self.timeout)) from None
        except Exception as exc:
            status = getattr(self.session, "last_status", None)
            if type(exc).__name__ == "YFRateLimitError" or (status is not None and status >= 400 and status != 404):
                raise YahooDown(http_reason(status if status and status >= 400 else 429)) from None
            raise SymbolProblem(f"Yahoo's full history for {symbol} was unusable", "malformed") from None
        bars = history_to_bars(df)
        if bars.empty:
            raise SymbolProblem(f"Yahoo returned no history for {symbol}", "empty")
        return bars

    def batch_quotes(self, symbols: Sequence[str]) -> dict[str, BatchQuote]:
        """{symbol: (price, epoch, previous close)} from one batched quote request, through yfinance (the endpoint
        wants a cookie and a crumb, which are yfinance's business). Raises QuoteRefused, in plain words, for any
        answer that is not a usable quote list: the caller then asks the chart endpoint, which needs no crumb."""
        from curl_cffi.requests import exceptions as cx

        from tui.data.yahoo_session import quiet_yfinance

        quiet_yfinance()  # silent, its caches in our folder: before any use of its data layer
        from yfinance.data import YfData
        from yfinance.exceptions import YFRateLimitError

        try:
            resp = YfData(session=self.session).get(
                QUOTE_URL, params={"symbols": ",".join(symbols)}, timeout=self.timeout or 30
            )
        except cx.RequestException as exc:  # no answer at all: the charts would get none either
            raise YahooDown(transport_reason(exc, self.timeout)) from None
        except YFRateLimitError:  # yfinance raises it after its own retry was answered 429 again
            raise QuoteRefused(http_reason(429)) from None
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
            raise QuoteRefused(http_reason(resp.status_code, yahoo_error_text(payload)))
        quotes = parse_batch_items(payload)
        if quotes is None:
            raise QuoteRefused("Yahoo sent a malformed quote answer")
        return quotes

    def trailing_pe(self, symbol: str) -> dict[str, float]:
        """{"trailing_pe": value} from yfinance ``info`` (three crumb-protected requests), {} when it has none.
        Raises whatever yfinance raises: the valuation rule is optional, the caller decides."""
        import math

        from tui.data.yahoo_session import quiet_yfinance

        info = quiet_yfinance().Ticker(symbol, session=self.session).info or {}
        pe = info.get("trailingPE")
        return {"trailing_pe": float(pe)} if isinstance(pe, (int, float)) and math.isfinite(pe) else {}
