"""Turns the command line's ``--source`` into a data source (SPEC §2)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from tui.data.base import Clock, DataSource, MarketData, Race, RaceSource, frozen_clock, utc_now
from tui.data.market_clock import ET, after_close, check_day
from tui.errors import UsageError

if TYPE_CHECKING:
    from tui.config import Premarket, Refresh

SOURCE_KINDS = ("auto", "yahoo", "demo", "replay:DIR")


class SourceSpec(Struct, frozen=True):
    kind: str  # auto | yahoo | demo | replay
    directory: Path | None = None


def parse_source(text: str) -> SourceSpec:
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind == "replay":
        if not sep or not rest.strip():
            raise UsageError("--source replay needs a folder: --source replay:DIR")
        return SourceSpec("replay", Path(rest.strip()).expanduser())
    if kind in ("auto", "yahoo", "demo") and not sep:
        return SourceSpec(kind)
    raise UsageError(f"unknown --source {text!r}; choose one of: {', '.join(SOURCE_KINDS)}")


def open_source(
    spec: SourceSpec,
    *,
    cache_path: Path | None = None,
    as_of: date | None = None,
    clock: Clock | None = None,
    refresh: Refresh | None = None,
    premarket: Premarket | None = None,
) -> tuple[DataSource, Clock]:
    """Build the source and the clock that goes with it (a replayed or pinned day has a frozen clock: after the
    day's close, or at the time of day ``as_of`` gives when it is a ``datetime``, New York time when naive).
    ``refresh`` is the configured cadence, which a live source's freshness is measured in; ``premarket`` the
    futures a live source reads before the open (default: the config's defaults)."""
    if as_of is not None and spec.kind in ("auto", "yahoo"):
        raise UsageError("--as-of works with --source replay:DIR and --source demo, not with live data")
    pinned = None
    if as_of is not None:
        check_day(as_of, f"--as-of {as_of}")
        pinned = _pinned_instant(as_of)
    if spec.kind == "replay":
        from tui.data.replay import ReplaySource

        if spec.directory is None:  # parse_source always sets it; a SourceSpec built by hand may not
            raise UsageError("--source replay needs a folder: --source replay:DIR")
        source = ReplaySource(spec.directory, as_of=as_of)
        return source, clock or (frozen_clock(pinned) if pinned else utc_now)
    if spec.kind == "demo":
        if as_of is not None:
            today = (clock or utc_now)().astimezone(ET).date()
            if _day(as_of) > today:  # the simulation would run on into years nobody asked for
                raise UsageError(f"--as-of {as_of} is in the future: the demo shows days up to today ({today})")
        demo_clock = clock or (frozen_clock(pinned) if pinned else utc_now)

        def build_demo() -> DataSource:
            from tui.data.demo import DemoSource

            return DemoSource(demo_clock)

        return DeferredSource("demo", build_demo), demo_clock

    clock = clock or utc_now
    kind = spec.kind
    if cache_path is not None:
        from tui.data.cache import refuse_foreign_file

        # Before the first paint, so a user's own file named by mistake ends the run with exit 2 and one line.
        refuse_foreign_file(cache_path)

    def build_live() -> DataSource:
        from tui.data.cache import BarCache, default_cache_path

        cache = BarCache(cache_path or default_cache_path())
        if kind == "yahoo":
            from tui.data.yahoo import YahooSource

            return YahooSource(cache, clock, refresh=refresh, premarket=premarket)
        from tui.data.auto import AutoSource

        return AutoSource(cache, clock, refresh=refresh, premarket=premarket)

    return DeferredSource(kind, build_live), clock


def _day(as_of: date) -> date:
    return as_of.date() if isinstance(as_of, datetime) else as_of


def _pinned_instant(as_of: date) -> datetime:
    """The instant (UTC) a pinned day is watched at: after its close, or at the time a ``datetime`` gives."""
    if not isinstance(as_of, datetime):
        return after_close(as_of)
    local = as_of.replace(tzinfo=ET) if as_of.tzinfo is None else as_of.astimezone(ET)
    return local.astimezone(timezone.utc)


class DeferredSource:
    """Builds the real source on its first fetch, which runs in the app's worker thread.

    The sources import pandas (and the live ones SQLite and yfinance) when built: ~300 ms that must not stand
    between starting the monitor and its first paint. Nothing about building them can fail in a way the user
    must hear about before the screen is up (a corrupt cache is moved aside and reported in the data's errors).
    """

    def __init__(self, name: str, build: Callable[[], DataSource]) -> None:
        self.name = name
        self._build = build
        self._source: DataSource | None = None
        self._lock = threading.Lock()

    @property
    def source(self) -> DataSource:
        with self._lock:
            if self._source is None:
                self._source = self._build()
            return self._source

    def fetch(self, symbols: Sequence[str]) -> MarketData:
        return self.source.fetch(symbols)

    def race(self, pair: Sequence[str], now: datetime) -> Race:
        """Today's race for a pair just chosen, from the source built (by the fetch before: a race is only asked
        after one), or none when it cannot give one on its own."""
        source = self.source
        if isinstance(source, RaceSource):
            return source.race(pair, now)
        return {}, None

    def retry_dropped(self) -> bool:
        """Passed on to a live source (the others poll nothing they could drop); never builds one. Whether it
        was passed on."""
        return self._pass_on("retry_dropped")

    def retry_now(self) -> bool:
        """Passed on to a live source (the others have no backoff to skip); never builds one."""
        return self._pass_on("retry_now")

    def _pass_on(self, name: str) -> bool:
        with self._lock:
            source = self._source
        method = getattr(source, name, None)
        return method is not None and method() is not False

    def close(self) -> None:
        with self._lock:
            source, self._source = self._source, None
        if source is not None:
            source.close()
