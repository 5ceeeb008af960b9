"""What the status line and the pane markers say: from the data on screen, the refresh loop and the clock.

Plain code that draws nothing (tested without a screen): the App keeps one :class:`OnScreen` record of what it
shows, and asks it for the status line (:meth:`OnScreen.status`) on every refresh event and on the slow tick.
Live data is judged again at each of those instants from its ages (tui.data.freshness), so a fetch that hangs or
a backoff that sends nothing turns the screen stale by itself, between refreshes.
"""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct, field
from rich.text import Text

from tui.config import Refresh
from tui.data.freshness import Freshness
from tui.data.market_clock import MarketStatus, Phase
from tui.fmt import retry_countdown, split_retry
from tui.model import Dropped, Snapshot
from tui.refresh_loop import RefreshLoop
from tui.textsafe import plain
from tui.widgets import fmt
from tui.widgets.status import StatusInfo


class OnScreen(Struct):
    """The data on screen and how it got there: the App's one record of it."""

    snapshot: Snapshot | None = None
    received_at: datetime | None = None  # when the UI received it, by the app's clock
    cached: bool = False  # it came from the snapshot cache; no refresh has succeeded yet
    error: str | None = None  # the latest attempt's problem, in plain words
    _said: set[str] = field(default_factory=set)  # problems already notified

    def receive(self, snapshot: Snapshot, at: datetime | None, *, cached: bool = False) -> None:
        """``snapshot`` is on screen from now, received ``at`` (a cached one: when it was first received)."""
        self.snapshot, self.received_at, self.cached = snapshot, at, cached

    def new_problems(self, errors: tuple[str, ...]) -> list[str]:
        """The source's problems not yet notified (a countdown that moved on is not a new problem); the newest
        becomes :attr:`error`."""
        shown = [plain(e) for e in errors if plain(e)]
        self.error = shown[-1] if shown else None
        fresh = []
        for error in shown:
            said = split_retry(error)[0]
            if said not in self._said:
                self._said.add(said)
                fresh.append(error)
        return fresh

    def fetched_at(self) -> datetime | None:
        """When the data on screen was fetched. A stamp later than the time it arrived (a replay or a frozen demo
        stamped with the wall clock) can't be right: the time it arrived is used instead."""
        if self.snapshot is None:
            return None
        fetched = self.snapshot.data.fetched_at or self.received_at
        if fetched is not None and self.received_at is not None and fetched > self.received_at:
            return self.received_at
        return fetched

    def age(self, now: datetime) -> float | None:
        """Seconds since the data on screen was fetched."""
        fetched = self.fetched_at()
        return None if fetched is None else (now - fetched).total_seconds()

    def freshness(self, now: datetime, refresh: Refresh, *, retrying: bool) -> Freshness | None:
        """Live data judged at ``now`` from its ages. None for sources whose label is not about age (replay,
        demo), and before the fetch thread has built the market calendar (the first paint imports no pandas)."""
        snapshot = self.snapshot
        if snapshot is None or snapshot.data.source not in ("yahoo", "cache") or snapshot.data.received_at is None:
            return None
        from tui.data import market_clock
        from tui.data.freshness import judge_now

        if not market_clock.is_warm():  # the fetch thread builds the calendar; the UI thread never waits for it
            return None
        try:
            return judge_now(
                now,
                received_at=snapshot.data.received_at,
                quote_time=snapshot.data.quote_time,
                bars_through=snapshot.as_of,
                refresh=refresh,
                retrying=retrying,
            )
        except Exception:  # a date the calendar can't place: keep what the source said
            return None

    def stale(self, judged: Freshness | None, failures: int) -> bool:
        if self.snapshot is None:
            return False
        return self.snapshot.data.stale or failures > 0 or (judged is not None and judged.stale)

    def status(self, now: datetime, loop: RefreshLoop, refresh: Refresh, source: str) -> tuple[StatusInfo, Text | None]:
        """The status line, and the marker every pane wears (STALE, CACHED, PAUSED) or None."""
        snapshot = self.snapshot
        age = self.age(now)
        judged = self.freshness(now, refresh, retrying=loop.retry_at is not None)  # (the calendar, once)
        stale = self.stale(judged, loop.failures)
        market = snapshot.market if snapshot is not None else None
        error = self.error
        explained = error is not None and (loop.failures > 0 or (snapshot is not None and snapshot.data.stale))
        if judged is not None and judged.stale and judged.reason and not explained:
            error = judged.reason  # silence is a reason too, when no error of the latest attempt explains it
        if error is None and snapshot is not None and snapshot.data.dropped:
            error = dropped_text(snapshot.data.dropped)
        retry_in = loop.retry_in()
        if error is not None and retry_in is not None:
            error = retry_countdown(error, retry_in)  # the source said it once; count
        info = StatusInfo(
            label=judged.label if judged is not None else snapshot.data.label if snapshot else None,
            source=source,
            pair=(snapshot.small, snapshot.large, snapshot.pair_name) if snapshot else None,
            market=market_text(market),
            market_open=market is not None and market.phase is Phase.OPEN,
            as_of=snapshot.as_of if snapshot else None,
            updated=self.fetched_at(),
            age=fmt.age(age) if age is not None else None,
            stale=stale,
            fetching=loop.running,
            cached=self.cached,
            paused=loop.paused,
            next_in=loop.next_in(),
            error=error,
        )
        marker = None
        if stale and age is not None:
            marker = Text(f" STALE · {fmt.age(age)} old ", style="bold reverse")
        elif self.cached:
            marker = Text(f" CACHED · {fmt.age(age)} old " if age is not None else " CACHED ", style="bold")
        elif loop.paused:
            marker = Text(" PAUSED ", style="bold")
        return info, marker


def dropped_text(dropped: tuple[Dropped, ...]) -> str:
    """ "NOPE dropped since 14:02 ET (Yahoo has no data for NOPE …) — R retries": which, since when, why."""
    first = dropped[0]
    more = f" and {len(dropped) - 1} more" if len(dropped) > 1 else ""
    return (
        f"{plain(first.symbol, 20)}{more} dropped from polling since {fmt.clock_time(first.since)} "
        f"({plain(first.reason, 120)}) — R retries"
    )


def market_text(market: MarketStatus | None) -> str | None:
    """ "OPEN · until 16:00 ET", "CLOSED · opens Mon 09:30 ET", "HOLIDAY · Good Friday · opens Mon 09:30 ET"."""
    if market is None:
        return None
    text = market.phase.value.upper()
    if market.phase is Phase.OPEN:
        half = " (half day)" if market.half_day else ""
        return f"{text} · until {fmt.clock_time(market.close)}{half}"
    if market.phase is Phase.HOLIDAY and market.holiday_name:
        text = f"{text} · {plain(market.holiday_name, 30)}"
    local = market.next_open.astimezone(fmt.EXCHANGE_TZ)
    return f"{text} · opens {local:%a} {fmt.clock_time(market.next_open)}"
