"""``replay:DIR`` (SPEC §2): daily closes from one CSV per symbol, watched as if a past day were today.

Today's race (issue 13): a replay has no intraday data unless ``DIR/intraday/`` holds one CSV per symbol
(``intraday/^RUT.csv``: ``Datetime,Close``, ISO 8601 instants with their UTC offset; see
:func:`tui.data.csv_import.read_intraday_csv`). Then the replayed day's path is shown: whole after its close, and
up to the instant when ``--as-of`` gives a time (``2026-01-15T11:30``, New York time), as if the session were
running then: the day's close is not yet a completed session, and each symbol's last price by then is its quote.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from msgspec import Struct

from tui.data.base import LABEL_REPLAY, IntradayPath, MarketData, Quote, Race
from tui.data.market_clock import ET, after_close, check_day, session_hours
from tui.errors import UsageError

if TYPE_CHECKING:  # pandas is imported on the first fetch (in the worker), not when the source is built
    import pandas as pd

T = TypeVar("T")


def read_price_csv(path: Path) -> pd.DataFrame:
    """:func:`tui.data.csv_import.read_price_csv`, imported on first use (it needs pandas)."""
    from tui.data.csv_import import read_price_csv as read

    return read(path)


class _Combined(Struct, frozen=True):
    """The closes of one symbol list over the whole history, and what a fetch needs to know about them."""

    key: tuple[object, ...]  # (symbols, ((path, mtime_ns, size) or None per symbol))
    closes: pd.DataFrame  # every date of every file, columns in the requested order; never handed out
    first: date  # first and last session of the pair
    last: date
    newest: float  # latest st_mtime of the files read


class ReplaySource:
    """Reads ``<directory>/<symbol>.csv``; the first two symbols asked for are the pair and must exist.

    Each file is parsed once and kept; a later :meth:`fetch` re-reads a file only when its mtime or size changed,
    so the app can call ``fetch`` on every refresh for nothing. The combined closes frame is kept too (keyed by
    the symbols and the files' stamps): a fetch with nothing changed only cuts it at the replayed day and copies.
    """

    name = "replay"

    def __init__(self, directory: str | Path, as_of: date | None = None) -> None:
        """``as_of``: the day replayed (None: the last in the data); a ``datetime`` also gives the time of day
        (New York time when naive) the session is watched at."""
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise UsageError(f"replay directory not found: {self.directory}")
        self._as_of = _as_date(as_of)
        self._at = _as_instant(as_of)
        self._intraday: dict[Path, tuple[tuple[int, int], pd.Series]] = {}
        self._lock = threading.Lock()
        self._parsed: dict[Path, tuple[tuple[int, int], pd.DataFrame]] = {}
        self._combined: _Combined | None = None
        #: First and last session of the pair in the data, known after the first fetch (for stepping the day).
        self.date_range: tuple[date, date] | None = None

    @property
    def as_of(self) -> date | None:
        return self._as_of

    def set_as_of(self, as_of: date | None) -> None:
        """Move the replay day; checked against the data on the next :meth:`fetch`. ``None`` = the last day."""
        with self._lock:
            self._as_of = _as_date(as_of)
            self._at = _as_instant(as_of)

    def fetch(self, symbols: Sequence[str]) -> MarketData:
        wanted = list(dict.fromkeys(symbols))
        if len(wanted) < 2:
            raise UsageError("replay needs the pair: two different symbols")
        with self._lock:
            if not self.directory.is_dir():
                raise UsageError(f"replay directory not found: {self.directory}")
            files = self._locate(wanted)
            pair = wanted[:2]
            missing_pair = [s for s in pair if files[s] is None]
            if missing_pair:
                names = ", ".join(f"{s}.csv" for s in missing_pair)
                raise UsageError(f"no replay file for the pair ({names}) in {self.directory}")

            stats = {s: path.stat() for s, path in files.items() if path is not None}
            key = (
                tuple(wanted),
                tuple((files[s], stats[s].st_mtime_ns, stats[s].st_size) if s in stats else None for s in wanted),
            )
            combined = self._combined
            if combined is None or combined.key != key:
                combined = self._combined = self._combine(wanted, files, stats, key)
            first, last = combined.first, combined.last
            self.date_range = (first, last)
            as_of = self._as_of or last
            if as_of < first:
                raise UsageError(f"--as-of {as_of} is before the first date in the data ({first})")
            if as_of > last:
                raise UsageError(f"--as-of {as_of} is after the last date in the data ({last})")
            # A file may hold dates (1678, 2261) the clock the replay runs on cannot place.
            check_day(as_of, f"--as-of {as_of}" if self._as_of else f"the last date in the data ({last})")

            import pandas as pd

            from tui.data.market_clock import is_session_complete

            now = self._at if self._at is not None and self._at.astimezone(ET).date() == as_of else after_close(as_of)
            running = not is_session_complete(as_of, now)
            # Rows up to as_of (the index is sorted): a position cut, and a copy so callers never hold the memo. A
            # day watched while its session runs has no close yet: its rows stop the day before.
            end = int(combined.closes.index.searchsorted(pd.Timestamp(as_of), side="left" if running else "right"))
            closes = combined.closes.iloc[:end].copy()
            absent = [s for s in wanted if files[s] is None]
            errors = [f"no replay file for: {', '.join(absent)}"] if absent else []
            data = MarketData(
                source="replay",
                label=LABEL_REPLAY,
                closes=closes,
                quotes={},
                fundamentals={},
                fetched_at=datetime.fromtimestamp(combined.newest, tz=timezone.utc),
                now=now,
                errors=errors,
            )
            self._race(data, wanted, as_of, now, running, combined.closes)
            return data

    def race(self, pair: Sequence[str], now: datetime) -> Race:
        """Today's race for ``pair`` at ``now`` (a fetch's instant: the replayed day's close, or the time of day
        ``--as-of`` gives), from its intraday files: any pair of the board that has them (a pair just chosen)."""
        with self._lock:
            combined = self._combined
            pair = list(pair)[:2]
            if combined is None or any(symbol not in combined.closes.columns for symbol in pair):
                return {}, "no replay data for this pair yet"
            from tui.data.market_clock import is_session_complete

            day = now.astimezone(ET).date()
            return self._paths(pair, day, now, not is_session_complete(day, now), combined.closes)

    def _race(
        self, data: MarketData, wanted: list[str], day: date, now: datetime, running: bool, closes: pd.DataFrame
    ) -> None:
        """The replayed day's paths up to ``now`` from ``intraday/<symbol>.csv`` for the pair, the quotes they give
        to every symbol asked while the session runs, or ``intraday_note`` saying why there are none."""
        import pandas as pd

        if running:
            for symbol, path in self._intraday_files(wanted).items():
                so_far = self._day_prices(path, day, now)
                if path is not None and len(so_far):
                    when = so_far.index[-1].to_pydatetime()
                    data.quotes[symbol] = Quote(symbol, float(so_far.iloc[-1]), when, pd.Timestamp(day))
        data.intraday, data.intraday_note = self._paths(wanted[:2], day, now, running, closes)

    def _intraday_files(self, symbols: list[str]) -> dict[str, Path | None]:
        folder = self.directory / "intraday"
        return _locate_in(folder, symbols) if folder.is_dir() else {}

    def _day_prices(self, path: Path | None, day: date, now: datetime) -> pd.Series:
        """The prices of ``path``'s file on ``day`` up to ``now`` (empty without a file)."""
        import pandas as pd

        if path is None:
            return pd.Series(dtype=float)
        start = pd.Timestamp(datetime.combine(day, datetime.min.time(), ET).astimezone(timezone.utc))
        prices = self._load_intraday(path)
        today = prices[(prices.index >= start) & (prices.index < start + pd.Timedelta(days=1))]
        return today[today.index <= pd.Timestamp(now)]

    def _paths(self, pair: list[str], day: date, now: datetime, running: bool, closes: pd.DataFrame) -> Race:
        """The pair's paths through ``day`` up to ``now``, each measured from its last close before the day and
        running to the session's close as the calendar gives it (13:00 ET on a half day); or why there are none."""
        import pandas as pd

        found = self._intraday_files(pair)
        if not all(found.get(symbol) for symbol in pair):
            names = " and ".join(f"intraday/{symbol}.csv" for symbol in pair)
            return {}, f"no intraday data in this replay (it would be in {names})"
        hours = session_hours(day)
        paths: dict[str, IntradayPath] = {}
        for symbol in pair:
            so_far = self._day_prices(found[symbol], day, now)
            before = closes[symbol].loc[: pd.Timestamp(day) - pd.Timedelta(days=1)].dropna()
            if not len(so_far) or not len(before):
                continue
            paths[symbol] = IntradayPath(
                symbol=symbol,
                session=pd.Timestamp(day),
                previous_close=float(before.iloc[-1]),
                times=tuple(t.to_pydatetime() for t in so_far.index),
                prices=tuple(float(p) for p in so_far.to_numpy()),
                complete=not running,
                session_close=hours[1] if hours is not None else None,
            )
        missing = [symbol for symbol in pair if symbol not in paths]
        if missing:
            when = f"by {now.astimezone(ET):%H:%M} ET " if running else ""
            return {}, f"the intraday files have no prices for {' and '.join(missing)} on {day} {when}".strip()
        return paths, None

    def _load_intraday(self, path: Path) -> pd.Series:
        from tui.data.csv_import import read_intraday_csv

        return _read_once(self._intraday, path, path.stat(), read_intraday_csv)

    def close(self) -> None:
        with self._lock:
            self._parsed.clear()
            self._intraday.clear()
            self._combined = None

    def _combine(
        self,
        wanted: list[str],
        files: dict[str, Path | None],
        stats: dict[str, os.stat_result],
        key: tuple[object, ...],
    ) -> _Combined:
        import pandas as pd

        pair = wanted[:2]
        frames = {s: self._load(path, stats[s]) for s, path in files.items() if path is not None}
        joined = pd.concat({s: frames[s]["close"] for s in frames}, axis=1, sort=True).reindex(columns=wanted)
        # One float64 block, not the block per column the concat leaves: every fetch copies the rows up to its day,
        # and a copy first merges the blocks (the fetch measured alone: 4.3 ms before, 1.5 ms with one block).
        closes = pd.DataFrame(joined.to_numpy(dtype=float), index=joined.index, columns=joined.columns)
        closes.index.name = "Date"

        sessions = closes.index[closes[pair].notna().all(axis=1)]
        if sessions.empty:
            raise UsageError(f"{pair[0]} and {pair[1]} have no date in common in {self.directory}")
        newest = max(stats[s].st_mtime for s in frames)
        return _Combined(key, closes, sessions[0].date(), sessions[-1].date(), newest)

    def _locate(self, symbols: list[str]) -> dict[str, Path | None]:
        return _locate_in(self.directory, symbols)

    def _load(self, path: Path, stat: os.stat_result) -> pd.DataFrame:
        return _read_once(self._parsed, path, stat, read_price_csv)


def _locate_in(directory: Path, symbols: list[str]) -> dict[str, Path | None]:
    """The file for each symbol in ``directory``: the exact name if present, else a case-insensitive match."""
    by_lower: dict[str, Path] | None = None
    found: dict[str, Path | None] = {}
    for symbol in symbols:
        exact = directory / f"{symbol}.csv"
        if exact.is_file():
            found[symbol] = exact
            continue
        if by_lower is None:
            by_lower = {p.name.lower(): p for p in sorted(directory.iterdir()) if p.is_file()}
        found[symbol] = by_lower.get(f"{symbol}.csv".lower())
    return found


def _as_instant(value: date | None) -> datetime | None:
    """The instant (UTC) a ``datetime`` as-of names, New York time when it is naive; None for a plain date, and for
    a naive midnight (a ``pd.Timestamp`` of a date: no session is watched at 00:00)."""
    if not isinstance(value, datetime) or (value.tzinfo is None and value.time() == datetime.min.time()):
        return None
    local = value.replace(tzinfo=ET) if value.tzinfo is None else value.astimezone(ET)
    return local.astimezone(timezone.utc)


def _as_date(value: date | None) -> date | None:
    if isinstance(value, datetime):  # also pd.Timestamp; a datetime is a date subclass, so check it first
        instant = _as_instant(value)
        return instant.astimezone(ET).date() if instant is not None else value.date()
    return value


def _read_once(
    memo: dict[Path, tuple[tuple[int, int], T]], path: Path, stat: os.stat_result, read: Callable[[Path], T]
) -> T:
    """``read(path)``, parsed again only when the file changed (its modification time or size): a replay steps
    through days over the same files. DataFormatError propagates: the user's file is broken."""
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = memo.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    value = read(path)
    memo[path] = (stamp, value)
    return value
