"""One refresh, from the data source to a finished snapshot: what the monitor's fetch thread runs.

No Textual here: the app hands this a thread and posts what comes back. Everything slow happens inside: the
first call builds the exchange calendar (~0.3 s, kept off the UI thread), the source fetches (network, files),
the analytics build the snapshot for the active pair of the board — or the last one is reused with a new data
status when the prices and the pair are the same, or its daily part when only the quotes, today's paths or the
futures moved (a live session: tui.snapshot.build); a pair just chosen is built from the last data, without a
fetch, with its own race from the source (:class:`~tui.data.base.RaceSource`) — the market status at the data's
instant is attached to it, and the snapshot cache for the next start's first paint is written now and then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from tui.config import Config, Pair
from tui.data.base import Clock, DataSource, MarketData, RaceSource
from tui.model import Snapshot
from tui.snapshot_cache import SnapshotCache

if TYPE_CHECKING:
    from tui.snapshot import Build

Builder = Callable[[MarketData, Config], Snapshot]


class RefreshPipeline:
    """Fetch, build or reuse, attach the market status, save the snapshot cache. One at a time (one fetch
    thread): it keeps the last data and snapshot to reuse, and when the cache was last written."""

    CACHE_SAVE_SECONDS = 300.0  # the snapshot cache is rewritten at most this often (and when the day changes)

    def __init__(
        self,
        source: DataSource,
        config: Config,
        clock: Clock,
        *,
        build: Builder | None = None,
        snapshot_cache: SnapshotCache | None = None,
    ) -> None:
        self.source = source
        #: The configuration as loaded; ``config`` is it with the active pair of the board as THE pair.
        self.base_config = config
        self.active = config.active_index()
        self.config = config.with_active_pair(self.active)
        self._rebuild = False  # the active pair changed: the next run rebuilds from the last data, no fetch
        self._last_data: MarketData | None = None
        self.clock = clock
        self._build = build  # tests inject a builder; by default tui.snapshot.build_snapshot
        self.snapshot_cache = snapshot_cache
        self._last_built: Build | None = None  # the last build, and what it was computed from
        self._warm = False
        self._saved: tuple[float, Any] | None = None  # (monotonic, as_of)

    def run(self) -> Snapshot:
        """One refresh; raises what the source or the analytics raise (StreakwatchError: a reason to show)."""
        from tui.data import market_clock

        switching, self._rebuild = self._rebuild, False
        if not self._warm:
            market_clock.warm_up()  # import exchange_calendars, build XNYS: here, never on the UI thread
            self._warm = True
        last = self._last_data
        # (Every pair's symbols are in every fetch, so the data at hand already holds the pair just chosen: its
        # closes and quotes. Only today's race is the pair's own: the source gives the new pair's.)
        if switching and last is not None:
            data = self._with_race(last)
        else:
            data = self.source.fetch(self.config.symbols())
        self._last_data = data
        snapshot = self._snapshot_for(data)
        now = data.now or self.clock()
        try:
            market = market_clock.market_status(now)
        except Exception:  # a date the calendar can't place: no market state in the status line, data still shown
            market = None
        snapshot = replace(snapshot, market=market)
        self._save_cache(snapshot)
        return snapshot

    # -- the board of pairs: which one every pane shows ------------------------------------------------------
    @property
    def rebuild_pending(self) -> bool:
        """A pair was chosen that no run has picked up yet."""
        return self._rebuild

    def board_size(self) -> int:
        return len(self.config.board())

    def select_pair(self, index: int) -> Pair:
        """Make the board's pair ``index`` (wrapping) the one every pane shows, from the next run on; that run
        rebuilds from the last data instead of fetching (the app asks for it at once). Called from the UI
        thread; the fetch thread reads the new config when it builds, so a run already past its build shows
        the old pair and the next one the new."""
        self.active = index % self.board_size()
        self.config = self.base_config.with_active_pair(self.active)
        self._rebuild = True
        return self.config.pair

    def next_pair(self) -> Pair:
        return self.select_pair(self.active + 1)

    def _with_race(self, data: MarketData) -> MarketData:
        """``data`` with today's race of the active pair, at the data's instant, from a source that can give one
        on its own (Yahoo seeds a pair's paths the first time it is shown: 1 request per symbol); ``data`` as it
        is from one that cannot (the next fetch brings the race)."""
        if not isinstance(self.source, RaceSource) or data.now is None:
            return data
        pair = self.config.pair
        intraday, note = self.source.race((pair.small, pair.large), data.now)
        return replace(data, intraday=intraday, intraday_note=note)

    def _snapshot_for(self, data: MarketData) -> Snapshot:
        """Build the snapshot: reuse the last one when the data brings nothing new (only its status differs) and
        it shows the same pair; reuse its daily part when only the quotes, today's paths or the futures moved."""
        config = self.config  # (read once: the UI thread may choose another pair meanwhile)
        if self._build is not None:  # an injected builder (tests) may depend on more than the data: always call it
            return self._build(data, config)
        from tui.snapshot import build, data_status

        last = self._last_built
        if last is not None and last.config == config and same_market(last.data, data):
            return replace(last.snapshot, data=data_status(data))
        built = build(data, config, previous=last)
        self._last_built = built
        return built.snapshot

    def _save_cache(self, snapshot: Snapshot) -> None:
        """Write the snapshot cache: on the first good refresh, when the day changes, and at most every
        CACHE_SAVE_SECONDS otherwise (a live session changes every refresh)."""
        if self.snapshot_cache is None:
            return
        if (snapshot.small, snapshot.large) != (self.base_config.pair.small, self.base_config.pair.large):
            return  # another pair of the board: the next start shows the configured one first, so keep that
        now = time.monotonic()
        saved = self._saved
        if saved is not None and saved[1] == snapshot.as_of and now - saved[0] < self.CACHE_SAVE_SECONDS:
            return
        if self.snapshot_cache.save(snapshot, self.clock()):
            self._saved = (now, snapshot.as_of)


def same_market(old: MarketData, new: MarketData) -> bool:
    """Whether ``new`` would compute the same panes as ``old``: the same daily part (closes, fundamentals, source:
    :func:`tui.snapshot.same_daily`), quotes, today's paths and the futures (a refresh may move only the race), with
    the same notes, and on the same side of the open (the pre-market read is shown only before it). Labels, errors
    and times live in the snapshot's DataStatus, rebuilt from ``new`` either way."""
    from tui.snapshot import before_the_open, same_daily

    return (
        old.quotes == new.quotes
        and old.intraday == new.intraday
        and old.intraday_note == new.intraday_note
        and old.futures == new.futures
        and old.futures_note == new.futures_note
        and before_the_open(old) == before_the_open(new)
        and same_daily(old, new)
    )
