"""Number and date formatting shared by the screen and the ``--once`` report. Pure; no Rich, no Textual."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone

from tui.data.market_clock import ET
from tui.model import Side

DASH = "—"  # a value that cannot be computed is shown as a dash, never made up
#: The mark of each risk status, on screen and in the ``--once`` report alike.
RISK_MARK = {"ok": "●", "watch": "▲", "alert": "✖", "unknown": "?"}


def pct(value: float | None, *, digits: int = 2, signed: bool = True) -> str:
    """0.0776 -> '+7.76%'."""
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value * 100:{'+' if signed else ''}.{digits}f}%"


def number(value: float | None, *, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value:,.{digits}f}"


def day(value: date | None) -> str:
    """'2026-01-02' -> 'Fri 2 Jan 2026'."""
    if value is None:
        return DASH
    return f"{value:%a} {value.day} {value:%b %Y}"


def clock_time(value: datetime | None) -> str:
    """Exchange time, "14:32 ET", so every user (and every test machine) sees the same thing."""
    if value is None:
        return DASH
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return f"{value.astimezone(ET):%H:%M} ET"


def short_date(value: date | None, reference: date | None = None) -> str:
    """'31 Jul': the date of a figure older than the day on screen; with its year when that differs from the
    year of ``reference`` ('31 Dec 2025')."""
    if value is None:
        return DASH
    text = f"{value.day} {value:%b}"
    return text if reference is not None and value.year == reference.year else f"{text} {value.year}"


def age(seconds: float | None) -> str:
    """How old something is, coarse enough to read at a glance: '45 s', '12 min', '3 h 5 min', '2 d'."""
    if seconds is None or not math.isfinite(seconds):
        return DASH
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        return f"{hours:.0f} h {rest // 60:.0f} min"
    return f"{seconds // 86400:.0f} d"


def duration(delta: timedelta | float | None) -> str:
    if isinstance(delta, timedelta):
        delta = delta.total_seconds()
    return age(delta)


def side_name(side: Side, small: str, large: str) -> str:
    """The symbol of a side, or 'tie'."""
    return {"small": small, "large": large}.get(side, "tie")


def sessions(count: int) -> str:
    return f"{count} session" + ("" if count == 1 else "s")


# Friendly names for the symbols of the default pair and the usual alternatives; others show as their symbol.
KNOWN_NAMES = {
    "^RUT": "Russell 2000",
    "^GSPC": "S&P 500",
    "^SPX": "S&P 500",
    "IWM": "Russell 2000 ETF",
    "SPY": "S&P 500 ETF",
    "IJR": "S&P 600 ETF",
    "^NDX": "Nasdaq 100",
    "QQQ": "Nasdaq 100 ETF",
    "^DJI": "Dow Jones",
}


def display_name(symbol: str) -> str:
    return KNOWN_NAMES.get(symbol, symbol)


def pair_title(small: str, large: str, name: str = "") -> str:
    """How a pair is named on screen and in the report: "IWM vs SPY · Small caps vs total return" (symbols alone
    when it has no name). Outside text: pass it through the sanitiser before it reaches a terminal."""
    symbols = f"{small} vs {large}"
    return f"{symbols} · {name}" if name else symbols


# An error's tail saying when the source retries: "… — retrying in 4 s" (Yahoo), "…; retrying in 3 s" (auto).
_RETRY_TAIL = re.compile(r"^(?P<reason>.*?)(?P<tail>\s*(?:—|;)\s*retrying\b.*)$")


_RETRY_WHEN = re.compile(r"retrying\b.*$")


def split_retry(error: str) -> tuple[str, str]:
    """("Yahoo rate limit (HTTP 429)", " — retrying in 1 s"); ("reason", "") when the error has no retry tail."""
    match = _RETRY_TAIL.match(error)
    return (match["reason"], match["tail"]) if match else (error, "")


def retry_countdown(error: str, seconds: float) -> str:
    """``error`` with its retry tail recounted to ``seconds`` from now: the source says "retrying in 1 min" once,
    when it answers; the status line says how long is left on every tick. Never less than "1 s" (the retry is
    due, or running). ``error`` unchanged when it has no retry tail."""
    reason, tail = split_retry(error)
    if not tail:
        return error
    return reason + _RETRY_WHEN.sub(f"retrying in {wait(seconds)}", tail)


def wait(seconds: float) -> str:
    """A wait in words: seconds rounded up under a minute (never "0 s"), then minutes to the nearest: "45 s",
    "1 min" (60 to 89 s), "2 min" (90 to 149 s). The one form of "retrying in …", whether a source says it or the
    status line counts it down; the next-refresh countdown rounds its minutes the same way."""
    whole = max(1, math.ceil(seconds))
    return f"{whole} s" if whole < 60 else f"{minutes(seconds)} min"


def minutes(seconds: float) -> int:
    """Whole minutes, to the nearest (half up): how every countdown on screen says a wait of a minute or more."""
    return math.floor(seconds / 60 + 0.5)
