"""Screen formatting on top of :mod:`tui.fmt` (shared with the --once report, which keeps the numbers and
dates): only what the screen needs beyond it — short names, exchange clock times, coarse countdowns, and
percentages that never read "-0.0%". Missing values are shown as "—", never made up."""

from __future__ import annotations

import math
from datetime import date

from tui import fmt as shared
from tui.data.market_clock import ET
from tui.widgets.safe import plain

MISSING = shared.DASH
EXCHANGE_TZ = ET
_SHORT = {"^GSPC": "SPX", "^SPX": "SPX"}

day = shared.day
clock_time = shared.clock_time
sessions = shared.sessions
age = shared.duration  # a coarse age: "12 s", "4 min", "2 h 5 min", "3 d"


def name_of(symbol: str) -> str:
    """ "Russell 2000" for ^RUT; unknown symbols as themselves (cleaned)."""
    return plain(shared.display_name(symbol), 28)


def short_of(symbol: str) -> str:
    """A compact label for tight lines: "RUT", "SPX", "IWM"."""
    return _SHORT.get(symbol, plain(symbol, 12).lstrip("^"))


def finite(value: float | None) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def as_shown(value: float | None, digits: int = 1) -> float | None:
    """``value`` as a percentage with ``digits`` decimals will show it: None if missing, exactly 0.0 if it
    rounds to zero (so its sign and colour are neutral too), else unchanged."""
    if not finite(value):
        return None
    return 0.0 if round(value * 100, digits) == 0 else value  # type: ignore[operator]


def pct(value: float | None, digits: int = 1, signed: bool = True) -> str:
    """A fraction as a percentage: 0.0776 -> "+7.8%"; never "-0.0%"."""
    return shared.pct(as_shown(value, digits), digits=digits, signed=signed)


def short_day(value: date | None) -> str:
    """ "6 Jun 2008"."""
    return MISSING if value is None else f"{value.day} {value:%b %Y}"


def countdown(seconds: float | None) -> str:
    """A coarse countdown that doesn't change every second: "~40 s", "~3 min", "~6 h" (an idle market's checks
    are hours apart: "~340 min" would be noise)."""
    if seconds is None:
        return MISSING
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"~{max(10, math.ceil(seconds / 10) * 10)} s"
    if seconds < 90 * 60:
        return f"~{max(1, shared.minutes(seconds))} min"
    return f"~{math.ceil(seconds / 3600)} h"


def percentile(share: float) -> str:
    """0.997 -> "99th": floor, so nothing short of the record reads as the 100th."""
    n = min(max(int(share * 100), 0), 100)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
