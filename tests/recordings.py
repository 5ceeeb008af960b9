"""Real Yahoo answers recorded by other public projects, read from ``../shared/data/yahoo`` (PROVENANCE.md there).

They come in three wrappings: the bare body (``fc_yahoo_indices/``, ``lpad/``, ``errors/``), yfinance's record/replay
list (``yfinance/``: ``[{"request", "response": {"status_code", "json"}}]``) and yahoo-finance2's fixture
(``yahoo-finance2/``: ``{"request", "response": {"status", "headers", "bodyJson" | "bodyText"}}``). :func:`recorded`
unwraps any of them into one :class:`Recorded` answer.

Nothing here is copied into the repository: a test that needs a recording asks :func:`require`, which skips the
test with the reason when ``../shared`` is absent.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.conftest import SHARED_MARKET

YAHOO_RECORDINGS = SHARED_MARKET.parent / "yahoo"

# The files the tests and the fake's recorded-body faults read (relative to YAHOO_RECORDINGS).
SOX_DAILY = "fc_yahoo_indices/sox_1mo_1d.json"
KOSPI_DAILY = "fc_yahoo_indices/kospi25_1y_1d.json"
TNX_INTRADAY = "lpad/tnx_5m_1d.json"
AMZN_DAY = "yfinance/GET_v8_finance_chart_AMZN_8f88acb0eb.json"
MSFT_DAY = "yfinance/GET_v8_finance_chart_MSFT_88a60786b3.json"
MSFT_DIVIDENDS = "yahoo-finance2/historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json"
AAPL_NO_SESSION = "yahoo-finance2/chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.json"
QUOTE_AAPL_BABA = "yahoo-finance2/quote-AAPL-BABA.json"
QUOTE_QQQ = "yahoo-finance2/quote-QQQ.json"
CONSENT_REDIRECT = "yahoo-finance2/getCrumb-quote-AAPL.json"  # 307 to guce.yahoo.com
GUCE_REDIRECT = "yahoo-finance2/getCrumb-quote-AAPL-consent.html.json"  # 302 to consent.yahoo.com
CONSENT_PAGE = "yahoo-finance2/getCrumb-quote-AAPL-collectConsent.html.json"  # 200, the HTML form
CHART_404 = "errors/chart-404-no-data-found.json"
CHART_422 = "errors/chart-422-interval-not-available.json"
QUOTE_401 = "errors/quote-401-unauthorized.json"
BODY_429 = "errors/429-body.txt"


class Recorded(NamedTuple):
    status: int | None  # None when the recording is a bare body (its status is said by its folder or name)
    headers: dict[str, Any]  # lower-case names; empty when not recorded
    text: str  # the body as sent (JSON re-serialised when the recording kept it parsed)

    def json(self) -> Any:
        return json.loads(self.text)


def path_of(name: str) -> Path:
    return YAHOO_RECORDINGS / name


def available(name: str) -> bool:
    return path_of(name).is_file()


def require(name: str) -> None:
    """Skip the calling test, with the reason, when recording ``name`` is not there."""
    if not available(name):
        pytest.skip(f"recorded Yahoo answer not found at {path_of(name)} (it lives in ../shared, beside a checkout)")


@cache
def recorded(name: str) -> Recorded:
    """Recording ``name`` unwrapped; call :func:`require` first in a test (this raises when the file is absent)."""
    raw = path_of(name).read_text(encoding="utf-8")
    if not name.endswith(".json"):
        return Recorded(None, {}, raw)
    doc = json.loads(raw)
    if isinstance(doc, list) and doc and isinstance(doc[0], dict) and "response" in doc[0]:  # yfinance's harness
        response = doc[0]["response"]
        headers = {"content-type": response.get("content_type")} if response.get("content_type") else {}
        return Recorded(response.get("status_code"), headers, json.dumps(response["json"]))
    if isinstance(doc, dict) and isinstance(doc.get("response"), dict) and "request" in doc:  # yahoo-finance2's
        response = doc["response"]
        headers = {str(k).lower(): v for k, v in (response.get("headers") or {}).items()}
        text = json.dumps(response["bodyJson"]) if "bodyJson" in response else response.get("bodyText", "")
        return Recorded(response.get("status"), headers, text)
    return Recorded(None, {}, raw)


def body(name: str) -> Any:
    """The JSON body of recording ``name`` (skips the test when it is absent)."""
    require(name)
    return recorded(name).json()
