"""Shared by the end-to-end Yahoo tests (CLI and app): a small universe on the fake server, the config that asks
for exactly that universe, the streak recomputed from the served bars, and a clock that runs in real time.

The expected values are computed here from the bars the fake server holds, by the SPEC §1 definitions, without
any code from ``tui.analytics``: the tests compare what yfinance fetched and the app computed with what was
served.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from tests.fake_yahoo import AFTER_CLOSE, END, FakeYahoo, MutableClock, make_bars, seed_market

# The session's timeout in these tests (10 s in real use): a loaded CI machine must not time out a healthy answer.
TIMEOUT = 2.0
NEXT_DAY = date(2026, 1, 16)  # the Friday after END

# Transport faults: (fault, value, the plain words the user must read)
TRANSPORT = [
    ("status", 429, "Yahoo rate limit (HTTP 429)"),
    ("status", 503, "Yahoo server error (HTTP 503)"),
    ("delay", TIMEOUT + 0.5, f"Yahoo did not answer within {TIMEOUT:g} s (timeout)"),
    ("close", None, "cannot reach Yahoo (connection closed)"),
    ("refuse", None, "cannot reach Yahoo (connection refused)"),
]
TRANSPORT_IDS = ["429", "503", "timeout", "closed", "refused"]

SECTORS = (("KRE", "Regional Banks"), ("PSCI", "Industrials"))
# Every risk symbol the default config asks for, each with a plausible price level.
RISK_PRICES = {"HYG": 80.0, "IEF": 95.0, "^TNX": 4.2, "IJR": 110.0, "^VIX": 16.0, "RSP": 180.0}
SECTOR_PRICES = {"KRE": 60.0, "PSCI": 120.0}


def seed_universe(server: FakeYahoo, end: date = END, n: int = 260) -> FakeYahoo:
    """The standard four symbols (pair, IWM, SPY with P/E) plus two sectors and the other risk symbols."""
    seed_market(server, end=end, n=n)
    for i, (symbol, price) in enumerate({**SECTOR_PRICES, **RISK_PRICES}.items()):
        server.bars[symbol] = make_bars(end, n=n, start_price=price, seed=20 + i)
    return server


def universe(server: FakeYahoo) -> list[str]:
    return sorted(server.bars)


def write_config(path: Path, *, extra_sectors: tuple[tuple[str, str], ...] = ()) -> Path:
    """A TOML config whose symbols are exactly the seeded universe (plus ``extra_sectors``)."""
    lines = ["[pair]", 'small = "^RUT"', 'large = "^GSPC"', ""]
    for symbol, name in (*SECTORS, *extra_sectors):
        lines += ["[[sectors]]", f'symbol = "{symbol}"', f'name = "{name}"', ""]
    # A board of pairs within the universe too (the default board adds IWN, IWO, IJH and QQQ).
    for small, large, name in (("^RUT", "^GSPC", "Russell 2000 vs S&P 500"), ("IWM", "SPY", "Total return")):
        lines += ["[[pairs]]", f'small = "{small}"', f'large = "{large}"', f'name = "{name}"', ""]
    lines += [
        "[risk_symbols]",
        'credit = "HYG"',
        'treasuries = "IEF"',
        'ten_year = "^TNX"',
        'quality_small = "IJR"',
        'broad_small = "IWM"',
        'volatility = "^VIX"',
        'equal_weight = "RSP"',
        'cap_weight = "SPY"',
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class Expected(NamedTuple):
    as_of: date
    leader: str  # small | large | none
    length: int
    start: date | None
    end: date | None
    small_return: float | None
    large_return: float | None
    sessions: int


def expected_streak(
    server: FakeYahoo, small: str = "^RUT", large: str = "^GSPC", through: date | None = None
) -> Expected:
    """SPEC §1 by hand from the served closes.

    As sent: float32 values; sessions are the dates where both have a close, up to ``through``.
    """
    both = pd.concat([server.sent_closes(small), server.sent_closes(large)], axis=1, keys=["s", "l"]).dropna()
    if through is not None:
        both = both.loc[: pd.Timestamp(through)]
    days = [d.date() for d in both.index]
    small_closes, large_closes = both["s"].tolist(), both["l"].tolist()
    winners = []
    for i in range(1, len(days)):
        diff = round((small_closes[i] / small_closes[i - 1] - 1) - (large_closes[i] / large_closes[i - 1] - 1), 12)
        winners.append("small" if diff > 0 else "large" if diff < 0 else "none")
    leader = winners[-1]
    if leader == "none":
        return Expected(days[-1], "none", 0, None, None, None, None, len(days))
    n = 0
    while n < len(winners) and winners[-1 - n] == leader:
        n += 1
    before = len(days) - 1 - n
    small_return = small_closes[-1] / small_closes[before] - 1
    large_return = large_closes[-1] / large_closes[before] - 1
    return Expected(days[-1], leader, n, days[-n], days[-1], small_return, large_return, len(days))


def close_on(server: FakeYahoo, symbol: str, day: date) -> float:
    return float(server.sent_closes(symbol).loc[pd.Timestamp(day)])


# -- issue 10's checks (tests/test_live_truth.py): an open market, a session's quotes, the cache's health record --


def et(day: date, hour: int, minute: int = 0) -> datetime:
    """A New York wall-clock instant, in UTC (what the clocks hold)."""
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("America/New_York")).astimezone(
        timezone.utc
    )


def quote_the_session(server: FakeYahoo, when: datetime, move: float = 0.01) -> None:
    """A session in progress on the server: every symbol trades ``move`` above its last close at ``when`` (its
    chart meta and its v7 quote say so), so a refresh at ``when`` finds quotes that are minutes old at most."""
    for symbol, bars in server.bars.items():
        server.set_intraday(symbol, round(float(bars["close"].iloc[-1]) * (1 + move), 4), when)


def health_record(cache_path: Path) -> dict | None:
    """The cache's ``yahoo.symbol_health`` record as stored (None when there is none): who is blamed, and why."""
    import json
    import sqlite3

    with sqlite3.connect(cache_path) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'yahoo.symbol_health'").fetchone()
    db.close()
    return None if row is None else json.loads(row[0])


def switch_on(server: FakeYahoo, kind: str, value=None, **where) -> None:
    """A fault from fake_yahoo, or ``refuse``: the port stops listening."""
    if kind == "refuse":
        server.stop()
    else:
        server.fault(kind, value, **where)


def switch_off(server: FakeYahoo, kind: str) -> float:
    """Heal the server; returns the instant (monotonic) it was healed."""
    if kind == "refuse":
        server.start()
    server.clear_faults()
    return time.monotonic()


def delayed_answers_pending(kind: str, value, healed_at: float) -> float:
    """Seconds until every answer the ``delay`` fault held back has been written (0 for other faults).

    Every delayed request arrived before the fault was cleared, and its answer goes out ``value`` s after arrival,
    after the client gave up: a BrokenPipe in a server thread (ignored by the fake). Waiting it out keeps that
    server thread's work inside this test rather than overlapping the next one.
    """
    if kind != "delay":
        return 0.0
    return max(0.0, healed_at + float(value) + 0.3 - time.monotonic())


class RunningClock(MutableClock):
    """A MutableClock that also moves with real time, so the app's real timers and the source's backoff (which
    reads this clock) agree: a refresh scheduled "in 2 s" finds the backoff over. ``advance`` still jumps."""

    def __init__(self, now: datetime = AFTER_CLOSE) -> None:
        super().__init__(now)
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self.now + timedelta(seconds=time.monotonic() - self._t0)


# -- fixtures of the command-line tests (import them into a test module to use them) ----------------------------


@pytest.fixture
def served(fake_yahoo, monkeypatch):
    """The fake server with the test universe and a short session timeout."""
    monkeypatch.setattr("tui.data.yahoo_session.DEFAULT_TIMEOUT", TIMEOUT)
    return seed_universe(fake_yahoo)


@pytest.fixture
def cli_clock(monkeypatch):
    """The CLI's clock (factory.utc_now): after the close of END, movable."""
    clock = MutableClock(AFTER_CLOSE)
    monkeypatch.setattr("tui.data.factory.utc_now", clock)
    return clock
