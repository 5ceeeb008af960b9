"""The one HTTP session every Yahoo request goes through, and a quiet, lazily imported yfinance.

``STREAKWATCH_YAHOO_URL`` (SPEC §2) redirects ``https://HOST.yahoo.com/PATH?QUERY`` to
``$STREAKWATCH_YAHOO_URL/HOST.yahoo.com/PATH?QUERY``. yfinance copies its URL constants around and builds some
URLs literally, so the rewrite has to happen where every request passes: in ``Session.request``.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from curl_cffi import requests as curl_requests

if TYPE_CHECKING:  # a name for the checker only: which curl_cffi releases export it is no concern at run time
    from curl_cffi.requests.session import HttpMethod

ENV_URL = "STREAKWATCH_YAHOO_URL"
DEFAULT_TIMEOUT = 10.0


def rewrite_url(url: str, base: str | None) -> str:
    """Map a ``*.yahoo.com`` URL onto ``base``; any other URL, or no base, is returned unchanged."""
    if not base:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not (host == "yahoo.com" or host.endswith(".yahoo.com")):
        return url
    new = f"{base.rstrip('/')}/{host}{parts.path or '/'}"
    return f"{new}?{parts.query}" if parts.query else new


class YahooSession(curl_requests.Session[curl_requests.Response]):
    """A curl_cffi session that honours ``STREAKWATCH_YAHOO_URL`` and never waits longer than ``timeout``.

    yfinance passes its own timeouts (30 s for the cookie); the cap keeps a dead network from stalling a
    refresh for longer than the caller chose. ``last_status`` is the HTTP status of the latest response
    (None after a transport error), so a failure yfinance reports vaguely can be explained exactly.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        kwargs.setdefault("impersonate", "chrome")  # Yahoo rejects clients that do not look like a browser
        super().__init__(timeout=timeout, **kwargs)
        self.max_timeout = timeout
        self.last_status: int | None = None

    def request(self, method: HttpMethod, url: str, *args: Any, **kwargs: Any) -> curl_requests.Response:
        url = rewrite_url(url, os.environ.get(ENV_URL))
        timeout = kwargs.get("timeout")
        if not isinstance(timeout, (int, float)) or timeout > self.max_timeout:
            kwargs["timeout"] = self.max_timeout
        self.last_status = None
        response = super().request(method, url, *args, **kwargs)
        self.last_status = response.status_code
        return response


_shared: YahooSession | None = None
_lock = threading.Lock()


def make_session() -> YahooSession:
    """The process-wide session (one connection pool, one cookie jar, one crumb)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = YahooSession(timeout=DEFAULT_TIMEOUT)
        return _shared


def yfinance_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("streakwatch")) / "yfinance"


_yf: ModuleType | None = None
_tz_dir: Path | None = None


def quiet_yfinance() -> ModuleType:
    """Import yfinance on first use (it is slow: keep it off the first paint) and make it silent.

    Nothing may reach the terminal while the TUI owns it: the ``yfinance`` logger gets a NullHandler and stops
    propagating, its warnings are ignored (after import, since ``import yfinance`` installs its own filter),
    and exceptions are raised instead of logged so the caller can explain them. The timezone/cookie cache goes
    to a writable folder under the user cache dir (a read-only one doubles the traffic).
    """
    global _yf, _tz_dir
    with _lock:
        if _yf is None:
            import yfinance as yf

            log = logging.getLogger("yfinance")
            log.addHandler(logging.NullHandler())
            log.propagate = False
            yf.config.debug.hide_exceptions = False
            yf.config.network.retries = 0  # we back off ourselves; its retries sleep in our worker
            _yf = yf
        # Re-added on every call (idempotent): anything that restores the filter list (warnings.catch_warnings,
        # test runners) would otherwise let yfinance's pandas deprecation warnings through again.
        warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
        folder = yfinance_cache_dir()
        if folder != _tz_dir:  # tests change the user cache dir between runs
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError:  # a read-only or full home: yfinance then runs without its caches (it checks too)
                pass
            _yf.set_tz_cache_location(str(folder))
            _tz_dir = folder
        return _yf
