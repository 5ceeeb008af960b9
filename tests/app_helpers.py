"""Helpers for the monitor's tests: a realistic hand-made Snapshot, fake sources, a frozen clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone

import pandas as pd
from msgspec.structs import replace

from tui.config import Config
from tui.data.base import LABEL_REPLAY, MarketData
from tui.model import (
    DataStatus,
    LongestSince,
    Provisional,
    Risk,
    SectorRow,
    Snapshot,
    Spread,
    Streak,
)

# 2026-01-15 21:00 UTC = 16:00 New York, the close of the worked example's last session.
FROZEN = datetime(2026, 1, 15, 21, 0, tzinfo=timezone.utc)


def frozen_clock(at: datetime = FROZEN) -> Callable[[], datetime]:
    return lambda: at


def _sessions(end: date, n: int) -> tuple[date, ...]:
    days: list[date] = []
    d = end
    while len(days) < n:
        if d.weekday() < 5:
            days.append(d)
        d -= timedelta(days=1)
    return tuple(reversed(days))


SECTOR_NAMES = (
    ("KRE", "Regional Banks"),
    ("PSCI", "Industrials"),
    ("PSCH", "Health Care"),
    ("PSCD", "Consumer Discretionary"),
    ("PSCT", "Technology"),
    ("PSCF", "Financials"),
    ("PSCE", "Energy"),
    ("PSCM", "Materials"),
    ("PSCU", "Utilities"),
    ("PSCC", "Consumer Staples"),
)


def make_sectors() -> tuple[SectorRow, ...]:
    rows = []
    for i, (symbol, name) in enumerate(SECTOR_NAMES):
        base = (i - 4) / 100
        rows.append(
            SectorRow(
                symbol=symbol,
                name=name,
                return_1d=base / 4,
                return_5d=base / 2,
                return_streak=base + 0.03,
                return_1m=base * 1.5,
                return_ytd=base + 0.02 if i != 7 else None,
                vs_small_1d=base / 8,
                vs_small_5d=base / 4,
                vs_small_streak=base - 0.01,
                vs_small_1m=base,
                vs_small_ytd=None if i == 7 else base / 2,
            )
        )
    return tuple(rows)


def make_risks() -> tuple[Risk, ...]:
    return (
        Risk("economic", "Economic sensitivity", "ok", -0.004, "HYG/IEF -0.4% over 20 sessions"),
        Risk("rates", "Rate relief reversing", "watch", 31.0, "10-year yield +31 bp over 20 sessions"),
        Risk("quality", "Earnings quality", "ok", 0.012, "IJR ahead of IWM by 1.2% over the streak"),
        Risk("volatility", "Liquidity / volatility", "ok", 15.9, "VIX 15.9 < 20"),
        Risk("breadth", "Narrow rally", "alert", -0.025, "RSP/SPY -2.5% over 20 sessions"),
        Risk("valuation", "Valuation gap closing", "unknown", None, "no P/E data for IWM"),
        Risk("extension", "Chasing the streak", "watch", 72.5, "RSI 72.5 > 70; streak at 96th percentile"),
    )


def make_snapshot(**changes) -> Snapshot:
    """A realistic snapshot: Russell 2000 ahead 10 sessions from 2026-01-02, as of 2026-01-15."""
    dates = _sessions(date(2026, 1, 15), 60)
    daily = tuple(((i * 37) % 11 - 5) / 1000 for i in range(60))
    daily = daily[:-10] + tuple(0.002 + (i % 3) / 1000 for i in range(10))
    relative, level = [], 1.0
    for d in daily:
        level *= 1 + d
        relative.append(level - 1)
    snapshot = Snapshot(
        source="replay",
        as_of=date(2026, 1, 15),
        small="^RUT",
        large="^GSPC",
        streak=Streak(
            leader="small",
            length=10,
            start=date(2026, 1, 2),
            end=date(2026, 1, 15),
            small_return=0.0776,
            large_return=0.0145,
            longest_since=LongestSince(date(2008, 6, 6), 13),
            record_length=16,
            percentile=0.97,
        ),
        provisional=None,
        spread=Spread(
            window=60, dates=dates, daily=daily, relative=tuple(relative), rs_5d=1.052, streak_start=date(2026, 1, 2)
        ),
        sectors=make_sectors(),
        risks=make_risks(),
        data=DataStatus(source="replay", label=LABEL_REPLAY, stale=False, errors=(), fetched_at=FROZEN),
        sessions=5000,
    )
    return replace(snapshot, **changes)


def provisional() -> Provisional:
    return Provisional(
        session=date(2026, 1, 16),
        small_change=0.0042,
        large_change=0.0010,
        leader="small",
        streak_leader="small",
        streak_length=11,
        quote_time=datetime(2026, 1, 16, 17, 30, tzinfo=timezone.utc),
    )


def market_data(source: str = "replay") -> MarketData:
    return MarketData(source=source, label=LABEL_REPLAY, closes=pd.DataFrame(), fetched_at=FROZEN, now=FROZEN)


class FakeSource:
    """Returns whatever ``outcome`` says: a Snapshot-producing build is injected next to it in the app."""

    name = "fake"

    def __init__(self, outcome: Callable[[], MarketData] | None = None) -> None:
        self.outcome = outcome or market_data
        self.calls = 0

    def fetch(self, symbols: Sequence[str]) -> MarketData:
        self.calls += 1
        return self.outcome()

    def close(self) -> None:
        pass


class BlockingSource(FakeSource):
    """fetch blocks until ``release`` is set (or forever): a network call that hangs."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()

    def fetch(self, symbols: Sequence[str]) -> MarketData:
        self.calls += 1
        self.entered.set()
        self.release.wait()
        return market_data()


def builder(*snapshots: Snapshot) -> Callable[[MarketData, Config], Snapshot]:
    """A build_snapshot stand-in returning the given snapshots in turn (the last one repeats)."""
    queue = list(snapshots) or [make_snapshot()]

    def build(data: MarketData, config: Config) -> Snapshot:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return build


def make_app(source=None, build=None, clock=None, config=None):
    from tui.app import StreakwatchApp

    return StreakwatchApp(
        source=source or FakeSource(),
        config=config or Config(),
        clock=clock or frozen_clock(),
        build=build or builder(),
    )


def pilot_test(fn):
    """Run an async test with asyncio.run (the project doesn't use an asyncio pytest plugin)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


def screen_text(app) -> str:
    """The screen as lines of text, rebuilt from the SVG screenshot (cells of 12.2 px): what a user reads."""
    return svg_text(app.export_screenshot())


def svg_text(svg: str) -> str:
    """The lines of text of a Textual SVG screenshot, each character in its cell (12.2 px wide)."""
    import html
    import re

    rows: dict[float, dict[int, str]] = {}
    for x, y, body in re.findall(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg, flags=re.S):
        line = rows.setdefault(float(y), {})
        col = round(float(x) / 12.2)
        for i, ch in enumerate(html.unescape(body).replace("\xa0", " ")):
            line[col + i] = ch
    return "\n".join(
        "".join(line.get(c, " ") for c in range(max(line) + 1)).rstrip() for _, line in sorted(rows.items())
    )


async def until(predicate, timeout: float = 5.0) -> None:
    """Poll ``predicate`` (bounded) while the event loop runs."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def ready(pilot) -> None:
    """Wait until the first refresh has started (just after the first frame), none is in flight (without
    re-raising a worker's error) and the screen has settled."""
    await until(lambda: pilot.app.refresh_loop.generation > 0 and not pilot.app.fetching)
    await pilot.pause()


def status_line(app) -> str:
    """The first line of the screen: the status line."""
    return screen_text(app).splitlines()[0]


async def settle(pilot, timeout: float = 30.0) -> None:
    """The one prologue before a picture or a screen check: the first refresh has landed (or failed), no worker is
    left running, the spread chart is drawn (not its one-frame "drawing…" stand-in) and no toast is on screen
    (toasts time out on a wall-clock timer, so a picture taken with one on screen is flaky)."""
    app = pilot.app
    await until(lambda: app.refresh_loop.generation > 0 and not app.fetching, timeout=timeout)
    await quiet(pilot, timeout)


async def quiet(pilot, timeout: float = 30.0, *, wait_for_workers: bool = True) -> None:
    """Let what a key or a refresh started finish (``wait_for_workers=False`` when a fetch is meant to hang), then
    drop the toasts it raised."""
    app = pilot.app
    if wait_for_workers:
        await app.workers.wait_for_complete()
    await pilot.pause()
    await until(lambda: "drawing…" not in screen_text(app), timeout=timeout)
    app.clear_notifications()
    await pilot.pause()


async def refresh_now(pilot, timeout: float = 30.0) -> None:
    """One refresh now (after any in flight), and wait for its result to be drawn (bounded)."""
    app = pilot.app
    await until(lambda: not app.fetching, timeout=timeout)
    generation = app.refresh_loop.generation
    assert app.start_refresh()
    await until(lambda: app.refresh_loop.generation > generation and not app.fetching, timeout=timeout)
    await quiet(pilot, timeout)


def settle_then(*keys: str, timeout: float = 30.0):
    """A ``run_before`` for snap_compare: settle, press ``keys`` in turn, and settle again after each one."""

    async def run_before(pilot) -> None:
        await settle(pilot, timeout)
        for key in keys:
            await pilot.press(key)
            await quiet(pilot, timeout)

    return run_before
