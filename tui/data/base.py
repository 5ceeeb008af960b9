"""The one small interface every data source implements, and the data it returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from msgspec import Struct, field

if TYPE_CHECKING:  # annotations only: the UI imports this module before its first paint, pandas costs ~280 ms
    import pandas as pd

#: Returns the current instant (timezone-aware, UTC). Injected so tests and replays can freeze time.
Clock = Callable[[], datetime]

# Labels shown in the status line and in every output (SPEC §3).
LABEL_LIVE = "LIVE"
LABEL_DELAYED = "DELAYED"
LABEL_OFFLINE = "OFFLINE"
LABEL_REPLAY = "REPLAY"
LABEL_SIMULATED = "SIMULATED"

#: A quote older than this while the market is open is delayed, not live (the status label, the provisional race).
DELAYED_AFTER = timedelta(minutes=20)


class Quote(Struct, frozen=True):
    """An intraday price for a symbol during (or just after) the session in progress."""

    symbol: str
    price: float
    time: datetime  # timezone-aware instant of the last trade
    session: pd.Timestamp  # the exchange date of the session this quote belongs to (tz-naive midnight)


class IntradayPath(Struct, frozen=True):
    """One symbol's path through one session, for today's race: 5-minute bars from the open, extended by the
    quotes each refresh already makes. ``prices[i]`` is the last price at ``times[i]``; the race is measured from
    ``previous_close``, the last completed close before ``session``."""

    symbol: str
    session: pd.Timestamp  # the exchange date of the session (tz-naive midnight)
    previous_close: float
    times: tuple[datetime, ...]  # timezone-aware, ascending, unique
    prices: tuple[float, ...]  # same length as times
    complete: bool = False  # the session has closed and the path runs to its close
    #: When the session's regular trading ends (UTC), as the exchange calendar gives it: 16:00 ET, 13:00 ET on a
    #: half day. The source knows the calendar, the chart's time axis does not; None when it is not known.
    session_close: datetime | None = None


class FuturesQuote(Struct, frozen=True):
    """An index future's last price against its previous settlement: what the pre-market read is made of.
    Indicative only; never a close of the cash index."""

    symbol: str
    price: float
    previous_close: float
    time: datetime  # timezone-aware instant of the last trade


class DroppedSymbol(Struct, frozen=True):
    """A symbol no longer polled: Yahoo failed it on its own, while serving the others, for hours."""

    symbol: str
    since: datetime  # when it was dropped (UTC)
    reason: str  # its last failure, in plain words


class MarketData(Struct):
    """What one fetch produced.

    ``closes`` holds *completed* sessions only (SPEC §1): a DatetimeIndex of exchange dates (tz-naive, midnight,
    ascending, unique), one float column per symbol, NaN where a symbol has no close that day. A session still in
    progress is never a row here; its prices are in ``quotes``.
    """

    source: str  # "yahoo" | "replay" | "demo" | "cache"
    label: str  # one of the LABEL_* constants
    closes: pd.DataFrame
    quotes: dict[str, Quote] = field(default_factory=dict)
    fundamentals: dict[str, dict[str, float]] = field(default_factory=dict)  # e.g. {"IWM": {"trailing_pe": 17.2}}
    fetched_at: datetime | None = None  # when this data was obtained (UTC); for cached data, the fetch time stored
    now: datetime | None = None  # the instant this data represents (replay: the --as-of day's close)
    stale: bool = False
    errors: list[str] = field(default_factory=list)  # plain-words problems, newest last
    banner: str | None = None  # a one-line explanation shown prominently (e.g. why auto fell back to demo)
    retry_in: float | None = None  # seconds until the source will retry after a failure (backoff), if any
    #: Live sources: when the source last got usable data for the pair (its age decides LIVE / OFFLINE / stale).
    received_at: datetime | None = None
    dropped: tuple[DroppedSymbol, ...] = ()  # symbols no longer polled, and why
    #: Today's race: the pair's paths through the session in progress (or the last one, until the next starts).
    intraday: dict[str, IntradayPath] = field(default_factory=dict)
    intraday_note: str | None = None  # why there is no intraday path, in plain words (replay, 422, no session)
    #: The pre-market read: index futures by symbol, before the cash open of a session day.
    futures: dict[str, FuturesQuote] = field(default_factory=dict)
    futures_note: str | None = None  # why there is no futures read

    @property
    def simulated(self) -> bool:
        return self.source == "demo"


class DataSource(Protocol):
    """A source of market data. ``fetch`` may block (network, files); it is only called off the UI thread."""

    name: str

    def fetch(self, symbols: Sequence[str]) -> MarketData: ...

    def close(self) -> None: ...


#: A pair's paths through the race's session and, when one is missing, why (``MarketData.intraday`` and
#: ``intraday_note``).
Race = tuple[dict[str, IntradayPath], str | None]


@runtime_checkable
class RaceSource(Protocol):
    """A source that can give today's race for any pair of the board on its own, without a whole fetch: what a
    pair chosen on the board shows at once (tui.pipeline). Yahoo seeds the pair's paths on demand, the demo
    simulates any pair, a replay reads its intraday files."""

    def race(self, pair: Sequence[str], now: datetime) -> Race:
        """The paths of ``pair`` (small, large) as the data at instant ``now`` (a fetch's ``MarketData.now``)
        would hold them. Never raises for want of them: the note says why."""
        ...


def utc_now() -> datetime:
    """The real clock."""
    from datetime import timezone

    return datetime.now(timezone.utc)


def frozen_clock(instant: datetime) -> Clock:
    """A clock stuck at ``instant`` (replays, tests, reproducible snapshots)."""
    return lambda: instant
