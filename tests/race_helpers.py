"""Today's race against the fake Yahoo, for the end-to-end tests (tests/test_race_e2e.py, tests/test_race_pairs.py):
Friday 16 Jan 2026, the session after the fake's history ends (END, Thursday), played a minute at a time; the
race worked out by hand from what the fake served; and the Yahoo source those tests run the monitor on."""

from __future__ import annotations

import random
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from tests.fake_yahoo import END

NY = ZoneInfo("America/New_York")
FRIDAY = date(2026, 1, 16)  # the session after END (Thursday 15 Jan)
assert END == date(2026, 1, 15)
MINUTES = 390


def et(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=NY).astimezone(timezone.utc)


def play_friday(server, symbols, seed: int) -> None:
    """``symbols`` trade all Friday: a reproducible walk a minute, each from its Thursday close."""
    rng = np.random.default_rng(seed)
    for symbol in symbols:
        last = float(server.bars[symbol]["close"].loc[: pd.Timestamp(END)].iloc[-1])
        server.play_session(symbol, FRIDAY, list(last * np.cumprod(1 + rng.normal(0, 0.0005, MINUTES))))


def served_race(server, small: str, large: str) -> dict:
    """The pair's race by hand from the served 5-minute bars and Thursday's closes as sent: each side's change
    since that close, the lead changes (sign changes of the difference, level points skipped), the shares led
    (each point's leader holds until the next point) and who leads at the last point."""
    bars = {s: server.session_bars(s) for s in (small, large)}
    assert [b["ts"] for b in bars[small]] == [b["ts"] for b in bars[large]]  # one grid for both
    base = {s: float(server.sent_closes(s).loc[pd.Timestamp(END)]) for s in (small, large)}
    small_change = [b["close"] / base[small] - 1 for b in bars[small]]
    large_change = [b["close"] / base[large] - 1 for b in bars[large]]
    diff = [round(a - b, 12) for a, b in zip(small_change, large_change)]
    signs = [(d > 0) - (d < 0) for d in diff]
    nonzero = [s for s in signs if s]
    times = [b["ts"] for b in bars[small]]
    led = {1: 0, -1: 0, 0: 0}
    for i in range(len(times) - 1):
        led[signs[i]] += times[i + 1] - times[i]
    span = times[-1] - times[0]
    return {
        "times": tuple(datetime.fromtimestamp(t, timezone.utc) for t in times),
        "small": small_change,
        "large": large_change,
        "changes": sum(1 for a, b in zip(nonzero, nonzero[1:]) if a != b),
        "share_small": led[1] / span if span else None,
        "share_large": led[-1] / span if span else None,
        "leader": "small" if signs[-1] > 0 else "large" if signs[-1] < 0 else "none",
    }


def yahoo_source(clock, tmp_path):
    """The monitor's Yahoo source on a cache of its own, with short timeouts and a seeded backoff."""
    from tui.data.backoff import Backoff
    from tui.data.cache import BarCache
    from tui.data.yahoo import YahooSource
    from tui.data.yahoo_session import YahooSession

    return YahooSource(
        BarCache(tmp_path / "bars.db"),
        clock,
        session=YahooSession(timeout=3.0),
        backoff=Backoff(base=1, cap=4, rng=random.Random(0)),
    )
