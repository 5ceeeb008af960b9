"""``replay:DIR`` (SPEC §2): daily closes from one CSV per symbol, watched as if a past day were today."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from tui.data.base import LABEL_REPLAY, MarketData
from tui.data.market_clock import after_close, check_day
from tui.errors import UsageError

if TYPE_CHECKING:  # pandas is imported on the first fetch (in the worker), not when the source is built
    import pandas as pd


def read_price_csv(path: Path) -> pd.DataFrame:
    """:func:`tui.data.csv_import.read_price_csv`, imported on first use (it needs pandas)."""
    from tui.data.csv_import import read_price_csv as read

    return read(path)


@dataclass(frozen=True)
class _Combined:
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
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise UsageError(f"replay directory not found: {self.directory}")
        self._as_of = _as_date(as_of)
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

            # Rows up to as_of (the index is sorted): a position cut, and a copy so callers never hold the memo.
            end = int(combined.closes.index.searchsorted(pd.Timestamp(as_of), side="right"))
            closes = combined.closes.iloc[:end].copy()
            absent = [s for s in wanted if files[s] is None]
            errors = [f"no replay file for: {', '.join(absent)}"] if absent else []
            return MarketData(
                source="replay",
                label=LABEL_REPLAY,
                closes=closes,
                quotes={},
                fundamentals={},
                fetched_at=datetime.fromtimestamp(combined.newest, tz=timezone.utc),
                now=after_close(as_of),
                errors=errors,
            )

    def close(self) -> None:
        with self._lock:
            self._parsed.clear()
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
        closes = pd.concat({s: frames[s]["close"] for s in frames}, axis=1, sort=True)
        closes = closes.reindex(columns=wanted).astype(float)
        closes.index.name = "Date"

        sessions = closes.index[closes[pair].notna().all(axis=1)]
        if sessions.empty:
            raise UsageError(f"{pair[0]} and {pair[1]} have no date in common in {self.directory}")
        newest = max(stats[s].st_mtime for s in frames)
        return _Combined(key, closes, sessions[0].date(), sessions[-1].date(), newest)

    def _locate(self, symbols: list[str]) -> dict[str, Path | None]:
        """The file for each symbol: the exact name if present, else a case-insensitive match."""
        by_lower: dict[str, Path] | None = None
        found: dict[str, Path | None] = {}
        for symbol in symbols:
            exact = self.directory / f"{symbol}.csv"
            if exact.is_file():
                found[symbol] = exact
                continue
            if by_lower is None:
                by_lower = {p.name.lower(): p for p in sorted(self.directory.iterdir()) if p.is_file()}
            found[symbol] = by_lower.get(f"{symbol}.csv".lower())
        return found

    def _load(self, path: Path, stat: os.stat_result) -> pd.DataFrame:
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._parsed.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        frame = read_price_csv(path)  # DataFormatError propagates: the user's file is broken
        self._parsed[path] = (stamp, frame)
        return frame


def _as_date(value: date | None) -> date | None:
    if isinstance(value, datetime):  # also pd.Timestamp; a datetime is a date subclass, so check it first
        return value.date()
    return value
