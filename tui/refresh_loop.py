"""When the next refresh is due: one refresh at a time, the next one set only after one completes.

After a success, the market's cadence (tui.data.market_clock.refresh_delay), cut short when the source said it
retries a failure sooner; after a failure, the source's own retry delay, else the one Backoff; nothing while
paused. A refresh running longer than STUCK_SECONDS may be abandoned for a new one, whose result then supersedes
it (each refresh has a generation; a late answer of an older one is dropped).

No Textual and no timers here: the App asks the loop, sets one timer for the delay it returns, runs the fetch in
a thread and reports back. So the schedule is plain code, driven and tested through this public API with any
monotonic clock (tests/test_refresh_loop.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from msgspec import Struct, field

from tui.config import Config
from tui.data.backoff import Backoff
from tui.data.market_clock import MarketStatus


class Attempt(Struct):
    """One refresh in flight."""

    generation: int
    started: float  # monotonic
    done: threading.Event = field(default_factory=threading.Event)  # set when its thread ends, or it is abandoned
    worker: Any = None  # the host's handle on it (the App's Textual worker)


class RefreshLoop:
    STUCK_SECONDS = 60.0  # a refresh running longer than this may be abandoned for a new one

    def __init__(
        self,
        config: Config,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        backoff: Backoff | None = None,
    ) -> None:
        self.config = config
        self.monotonic = monotonic
        #: The one backoff for failed refreshes: 15 s doubling to 15 min (no jitter: one monitor, one source).
        self.backoff = backoff or Backoff(base=15.0, cap=900.0, jitter=0.0)
        self.generation = 0
        self.inflight: Attempt | None = None
        self.paused = False
        self.next_due: float | None = None  # monotonic instant of the next refresh; None: none is scheduled
        self.retry_at: float | None = None  # monotonic instant the failure being retried is tried again

    # -- questions ----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.inflight is not None

    @property
    def failures(self) -> int:
        """Consecutive failed refreshes (0 after a success)."""
        return self.backoff.failures

    def is_current(self, generation: int) -> bool:
        """Whether an outcome of refresh ``generation`` still counts (no newer refresh was started since)."""
        return generation == self.generation

    def next_in(self) -> float | None:
        """Seconds to the next scheduled refresh, None when none is scheduled."""
        return None if self.next_due is None else self.next_due - self.monotonic()

    def retry_in(self) -> float | None:
        """Seconds until the failure being retried is tried again, None when nothing is being retried."""
        return None if self.retry_at is None else self.retry_at - self.monotonic()

    # -- the cycle ----------------------------------------------------------------------------------------
    def start(self) -> Attempt | None:
        """A new refresh, or None while one is running (unless it is stuck: then it is abandoned, its ``done``
        set so its waiter lets go, and its late result will not be current)."""
        now = self.monotonic()
        if self.inflight is not None:
            if now - self.inflight.started < self.STUCK_SECONDS:
                return None
            self.inflight.done.set()
        self.generation += 1
        self.inflight = Attempt(self.generation, now)
        self.next_due = None
        return self.inflight

    def succeeded(
        self, *, market: MarketStatus | None, bars_through: date | None, retry_in: float | None
    ) -> float | None:
        """The current refresh brought data (through session ``bars_through``; the source retries a failure of
        its own in ``retry_in`` seconds, if it said so). Returns the delay to the next one, None while paused."""
        self.inflight = None
        self.backoff.success()
        self.retry_at = self.monotonic() + float(retry_in) if retry_in else None
        return self._schedule(next_delay(market, self.config, bars_through, retry_in))

    def failed(self, retry_after: float | None) -> float:
        """The current refresh failed; the source may say when it retries (``retry_after``). Returns the delay to
        the retry (it is scheduled unless paused)."""
        self.inflight = None
        computed = self.backoff.failure()
        delay = retry_after if retry_after and retry_after > 0 else computed
        self.retry_at = self.monotonic() + delay
        self._schedule(delay)
        return delay

    def pause(self) -> None:
        self.paused = True
        self.next_due = None

    def resume(self) -> None:
        self.paused = False

    def stop(self) -> None:
        """The host is closing: nothing more is scheduled, and a refresh in flight is let go."""
        self.next_due = None
        self.paused = True
        if self.inflight is not None:
            self.inflight.done.set()

    def _schedule(self, delay: float) -> float | None:
        if self.paused:
            self.next_due = None
            return None
        self.next_due = self.monotonic() + delay
        return delay


def next_delay(
    market: MarketStatus | None, config: Config, bars_through: date | None = None, retry_in: float | None = None
) -> float:
    """Seconds to the next refresh after one that brought data through session ``bars_through`` (None: unknown):
    by the market's phase and whether that session's final bars are still owed, or the configured cadence without
    a market state; sooner when the source said it retries a failure in ``retry_in`` seconds. A closed market whose
    last session is on hand is checked only rarely (refresh.idle_seconds)."""
    if market is None:
        delay = float(config.refresh.open_seconds)
    else:
        from tui.data.market_clock import refresh_delay

        delay = max(float(refresh_delay(market, config.refresh, bars_through)), 1.0)
    if retry_in:
        delay = min(delay, max(float(retry_in), 1.0))
    return delay


def run_abandonable(job: Callable[[], Any], done: threading.Event, name: str) -> dict[str, Any]:
    """Run ``job`` in a daemon thread and wait until it ends, or until someone else sets ``done`` (the refresh was
    abandoned as stuck, or the app is quitting): then return at once, leaving the thread to a socket that may never
    answer, so exit never joins it. Returns ``{"result": …}`` or ``{"error": exc}``, or ``{}`` when let go."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    done.wait()
    return dict(box)
