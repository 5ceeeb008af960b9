"""``--source auto`` (SPEC §2): Yahoo; else the cached history, labelled OFFLINE; else SIMULATED demo data.

Every fetch goes to the Yahoo source first, which respects its own backoff (no request while it waits), so the
monitor switches back to LIVE by itself as soon as Yahoo answers again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from tui.data.backoff import Backoff
from tui.data.base import LABEL_OFFLINE, Clock, MarketData, Race
from tui.data.yahoo import YahooSource
from tui.errors import SourceError
from tui.fmt import split_retry, wait

if TYPE_CHECKING:
    from tui.config import Premarket, Refresh
    from tui.data.cache import BarCache
    from tui.data.demo import DemoSource
    from tui.data.yahoo_session import YahooSession


def _age(fetched_at: datetime | None, now: datetime | None) -> str:
    if fetched_at is None or now is None:  # MarketData.now is optional: Yahoo's data always has it, others may not
        return "of unknown age"
    minutes = max(0, int((now - fetched_at).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min old"
    if minutes < 48 * 60:
        return f"{minutes // 60} h old"
    return f"{minutes // (24 * 60)} days old"


class AutoSource:
    name = "auto"

    def __init__(
        self,
        cache: BarCache,
        clock: Clock,
        session: YahooSession | None = None,
        *,
        backoff: Backoff | None = None,
        refresh: Refresh | None = None,
        premarket: Premarket | None = None,
        yahoo: YahooSource | None = None,
        demo: DemoSource | None = None,
    ) -> None:
        self.cache = cache
        self.clock = clock
        self.yahoo = yahoo or YahooSource(
            cache, clock, session=session, backoff=backoff, refresh=refresh, premarket=premarket
        )
        self._demo = demo
        self._simulating = False  # the last fetch fell back to the demo

    @property
    def demo(self) -> DemoSource:
        if self._demo is None:  # only built when needed: most runs never fall back that far
            from tui.data.demo import DemoSource

            self._demo = DemoSource(self.clock)
        return self._demo

    def fetch(self, symbols: Sequence[str]) -> MarketData:
        try:
            data = self.yahoo.fetch(symbols)
        except SourceError as exc:
            self._simulating = True
            return self._simulated(symbols, str(exc), exc.retry_after)
        self._simulating = False
        if data.label != LABEL_OFFLINE:  # Yahoo's data is current enough: its own label and errors say the rest
            return data
        # Nothing usable from Yahoo for a while (the label comes from the data's age, not from how it failed):
        # what is on screen is the cache, and the banner says why and how old it is.
        # The failure that is being retried says why; without one, the silence itself (the last line) does.
        failures = [split_retry(e)[0] for e in data.errors if split_retry(e)[1]]
        reason = failures[0] if failures else data.errors[-1] if data.errors else "no answer from Yahoo"
        retry = f"; retrying in {wait(data.retry_in)}" if data.retry_in else ""
        data.source = "cache"
        data.stale = True
        age = _age(data.received_at or data.fetched_at, data.now)
        data.banner = f"{_sentence(reason)} — showing cached data, {age}{retry}"
        return data

    def _simulated(self, symbols: Sequence[str], reason: str, retry_after: float | None) -> MarketData:
        data = self.demo.fetch(symbols)
        retry = f"; retrying in {wait(retry_after)}" if retry_after else "; retrying"
        data.banner = f"{_sentence(reason)}, and no cached data — showing SIMULATED data{retry}"
        data.errors = [*data.errors, reason]
        data.stale = False  # simulated data is not old Yahoo data; the SIMULATED label says what it is
        data.retry_in = retry_after
        return data

    def race(self, pair: Sequence[str], now: datetime) -> Race:
        """Today's race for a pair just chosen, from whichever source the last fetch showed."""
        return (self.demo if self._simulating else self.yahoo).race(pair, now)

    def retry_dropped(self) -> bool:
        return self.yahoo.retry_dropped()

    def retry_now(self) -> bool:
        return self.yahoo.retry_now()

    def close(self) -> None:
        self.yahoo.close()
        close_demo = getattr(self._demo, "close", None)
        if close_demo is not None:
            close_demo()


def _sentence(reason: str) -> str:
    """'cannot reach Yahoo (DNS lookup failed)' -> 'Cannot reach Yahoo (DNS lookup failed)': the reason opens the
    banner as it is, rather than wrapped in a second 'Yahoo unreachable (...)'."""
    return reason[:1].upper() + reason[1:]
