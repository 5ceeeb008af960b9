"""The SQLite cache of daily bars and small facts (SPEC §2): what was fetched survives restarts and crashes.

Durability: the database runs in WAL mode with ``synchronous=FULL``. In WAL mode a transaction is committed once
its frames are appended to the ``-wal`` file; that ``write()`` has reached the operating system before COMMIT
returns, so a SIGKILL of our process right after a commit can never lose it, and a kill *during* a transaction
leaves only an uncommitted tail in the WAL that the next open ignores. ``NORMAL`` would already give that for a
process kill; ``FULL`` adds an fsync of the WAL on every commit so that committed rows also survive an OS crash or
power loss. We write one small transaction per refresh (about once a minute), so the fsync costs nothing that
matters.

A file that is not a usable database (garbage bytes, failing ``PRAGMA quick_check``, a schema we do not know) is
moved aside to ``<name>.corrupt-<UTC timestamp>`` and rebuilt: it is only a cache, the data can be fetched again.
What happened is kept in :attr:`BarCache.recovered` for the UI. If even that fails (read-only directory, a second
instance holding a lock), the cache falls back to memory for this run rather than stop the monitor.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd

from tui.errors import StreakwatchError

SCHEMA_VERSION = 1
BAR_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bars (
    symbol TEXT NOT NULL,
    date TEXT NOT NULL,
    open REAL, high REAL, low REAL, close REAL, adj_close REAL, volume REAL,
    source TEXT,
    fetched_at TEXT,
    PRIMARY KEY (symbol, date)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT,
    updated_at TEXT
);
"""
_BARS_FIELDS = ["symbol", "date", *BAR_COLUMNS, "source", "fetched_at"]
_META_FIELDS = ["key", "value", "updated_at"]

# sqlite result codes that mean "this file is not a database we can use" (as opposed to busy/locked).
_BROKEN_CODES = {
    "SQLITE_CORRUPT",
    "SQLITE_NOTADB",
    "SQLITE_CANTOPEN",
    "SQLITE_PERM",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
}


class CacheError(StreakwatchError):
    """A cache read or write failed while running (disk full, file removed...). Callers keep going without it."""


class _Unusable(Exception):
    """The file at the cache path cannot serve as our cache; the reason is the message."""


def default_cache_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("streakwatch")) / "cache.sqlite3"


class BarCache:
    """Daily bars per symbol and a small key/value ``meta`` table, in one SQLite file.

    Safe to share between threads: one connection, every use under a lock.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        #: A plain-words note when the file had to be moved aside or could not be used; None when all was well.
        self.recovered: str | None = None
        self.in_memory = False
        self._lock = threading.RLock()
        self._writes = 0  # upserts that stored rows through this object; see version()
        self._conn: sqlite3.Connection | None = self._open()

    # -- opening -------------------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect(self.path)
        except _Unusable as exc:
            reason = str(exc)
        except (sqlite3.Error, OSError) as exc:
            return self._fallback(f"cache {self.path} cannot be used ({_describe(exc)})")
        if not self.path.is_file():
            return self._fallback(f"cache {self.path} cannot be used ({reason})")
        try:
            moved = self._move_aside()
            conn = self._connect(self.path)
        except (_Unusable, sqlite3.Error, OSError) as exc:
            return self._fallback(f"cache {self.path} was unusable ({reason}) and could not be rebuilt ({exc})")
        self.recovered = f"cache {self.path.name} was unusable ({reason}); moved aside to {moved.name} and rebuilt"
        return conn

    def _connect(self, target: Path | str) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (see _transaction), nothing implicit.
        conn = sqlite3.connect(str(target), check_same_thread=False, timeout=10.0, isolation_level=None)
        try:
            self._prepare(conn, check=target != ":memory:")
        except sqlite3.Error as exc:
            conn.close()
            if getattr(exc, "sqlite_errorname", None) in _BROKEN_CODES or type(exc) is sqlite3.DatabaseError:
                raise _Unusable(_describe(exc)) from None
            raise
        except _Unusable:
            conn.close()
            raise
        return conn

    @staticmethod
    def _prepare(conn: sqlite3.Connection, check: bool) -> None:
        if check:
            # quick_check reads every page (milliseconds for our few MB) and catches torn or overwritten files
            # that would otherwise fail later, in the middle of a refresh.
            result = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
            if result != ["ok"]:
                raise _Unusable(f"integrity check failed: {'; '.join(map(str, result[:3]))}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _Unusable(f"written by a newer streakwatch (schema version {version})")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Statement by statement: executescript() would commit on its own and break the transaction.
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        for table, expected in (("bars", _BARS_FIELDS), ("meta", _META_FIELDS)):
            found = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            if found != expected:
                raise _Unusable(f"unexpected columns in table {table}: {', '.join(found)}")

    def _move_aside(self) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        self.path.rename(target)
        # A leftover WAL of the old file must not be replayed into the new one: it goes along with it.
        for suffix in ("-wal", "-shm", "-journal"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        return target

    def _fallback(self, why: str) -> sqlite3.Connection:
        self.in_memory = True
        self.recovered = f"{why}; using a temporary in-memory cache for this run"
        return self._connect(":memory:")

    # -- plumbing ------------------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is committed, or none of it (also on KeyboardInterrupt)."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CacheError("the cache is closed")
        return self._conn

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise CacheError(f"cache read failed: {_describe(exc)}") from None

    # -- bars ----------------------------------------------------------------------------------------------

    def upsert(self, symbol: str, bars: pd.DataFrame, source: str, fetched_at: datetime) -> int:
        """Store ``bars`` (the :func:`~tui.data.csv_import.read_price_csv` shape) for ``symbol``; returns rows written.

        Existing rows for the same dates are replaced; other dates are kept. Rows without a close are skipped.
        """
        if not symbol:
            raise ValueError("symbol must not be empty")
        rows = list(_bar_rows(symbol, bars, source, _iso_instant(fetched_at)))
        if not rows:
            return 0
        try:
            with self._transaction() as conn:
                conn.executemany(
                    f"INSERT INTO bars ({', '.join(_BARS_FIELDS)}) VALUES ({', '.join('?' * len(_BARS_FIELDS))}) "
                    "ON CONFLICT(symbol, date) DO UPDATE SET "
                    + ", ".join(f"{f} = excluded.{f}" for f in _BARS_FIELDS[2:]),
                    rows,
                )
        except sqlite3.Error as exc:
            raise CacheError(f"cache write failed for {symbol}: {_describe(exc)}") from None
        finally:
            with self._lock:
                self._writes += 1  # also after a failure: whatever happened, a reader should look again
        return len(rows)

    def version(self) -> tuple[int, int]:
        """A value that changes whenever the stored bars may have changed: upserts through this object, and
        commits by any other connection to the file (SQLite's ``data_version``). Readers that keep bars in
        memory compare it to know when to read the cache again."""
        with self._lock:
            try:
                data_version = self._connection().execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise CacheError(f"cache read failed: {_describe(exc)}") from None
            return self._writes, int(data_version)

    def closes(self, symbols: Sequence[str]) -> pd.DataFrame:
        """Closes as in :class:`~tui.data.base.MarketData`: date index, one column per requested symbol."""
        wanted = list(dict.fromkeys(symbols))
        rows = (
            self._query(
                f"SELECT date, symbol, close FROM bars WHERE symbol IN ({', '.join('?' * len(wanted))})", wanted
            )
            if wanted
            else []
        )
        frame = pd.DataFrame(rows, columns=["date", "symbol", "close"])
        wide = frame.pivot(index="date", columns="symbol", values="close") if rows else pd.DataFrame(index=[])
        wide = wide.reindex(columns=wanted).astype(float)
        wide.index = _date_index(wide.index)
        wide.columns.name = None
        return wide.sort_index()

    def closes_since(self, symbol: str, since: date) -> pd.Series:
        """One symbol's closes on or after ``since``, by date (what a refresh just wrote, to merge in memory)."""
        rows = self._query(
            "SELECT date, close FROM bars WHERE symbol = ? AND date >= ? ORDER BY date", [symbol, since.isoformat()]
        )
        return pd.Series(
            [row[1] for row in rows], index=_date_index([row[0] for row in rows]), dtype="float64", name=symbol
        )

    def bars(self, symbol: str) -> pd.DataFrame:
        """Every stored bar of ``symbol``: date index and all of :data:`BAR_COLUMNS` (NaN where not stored)."""
        rows = self._query(
            f"SELECT date, {', '.join(BAR_COLUMNS)} FROM bars WHERE symbol = ? ORDER BY date", [symbol]
        )
        frame = pd.DataFrame(rows, columns=["date", *BAR_COLUMNS])
        frame.index = _date_index(frame.pop("date"))
        return frame.astype(float)

    def last_date(self, symbol: str) -> date | None:
        row = self._query("SELECT MAX(date) FROM bars WHERE symbol = ?", [symbol])[0]
        return date.fromisoformat(row[0]) if row[0] else None

    def fetched_at(self, symbols: Sequence[str]) -> datetime | None:
        """The age of the data as a whole: the oldest of each symbol's newest fetch (symbols with data only)."""
        times = self.fetched_at_by_symbol(symbols).values()
        return min(times) if times else None

    def fetched_at_by_symbol(self, symbols: Sequence[str]) -> dict[str, datetime]:
        """Each symbol's newest fetch (symbols with data only)."""
        wanted = list(dict.fromkeys(symbols))
        if not wanted:
            return {}
        rows = self._query(
            f"SELECT symbol, MAX(fetched_at) FROM bars WHERE symbol IN ({', '.join('?' * len(wanted))}) "
            "GROUP BY symbol",
            wanted,
        )
        return {symbol: _parse_instant(value) for symbol, value in rows if value}

    def symbols(self) -> list[str]:
        return [row[0] for row in self._query("SELECT DISTINCT symbol FROM bars ORDER BY symbol")]

    # -- meta ----------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> tuple[str, datetime] | None:
        rows = self._query("SELECT value, updated_at FROM meta WHERE key = ?", [key])
        if not rows:
            return None
        value, updated = rows[0]
        return value, _parse_instant(updated)

    def set_meta(self, key: str, value: str, updated_at: datetime) -> None:
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    [key, value, _iso_instant(updated_at)],
                )
        except sqlite3.Error as exc:
            raise CacheError(f"cache write failed for {key}: {_describe(exc)}") from None

    # -- lifetime ------------------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> BarCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bar_rows(symbol: str, bars: pd.DataFrame, source: str, fetched: str) -> Iterator[tuple]:
    if "close" in bars.columns:
        close_col = "close"
    elif "adj_close" in bars.columns:
        close_col = "adj_close"
    else:
        raise ValueError(f"bars for {symbol} have no close column (columns: {', '.join(map(str, bars.columns))})")
    dates = pd.DatetimeIndex(bars.index).strftime("%Y-%m-%d").tolist()
    n = len(bars)
    columns = {
        col: bars[close_col if col == "close" else col].to_numpy(dtype=float).tolist()
        if (col in bars.columns or col == "close")
        else [None] * n
        for col in BAR_COLUMNS
    }
    for i, day in enumerate(dates):
        values = [_finite_or_none(columns[col][i]) for col in BAR_COLUMNS]
        if values[3] is None:  # no close: nothing worth keeping
            continue
        yield (symbol, day, *values, source, fetched)


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _date_index(values: object) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(pd.Index(values, dtype=object), format="%Y-%m-%d"), name="Date").astype(
        "datetime64[ns]"
    )


def _iso_instant(moment: datetime) -> str:
    # One fixed UTC format, so MAX() over the text column is also the latest instant.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # naive = UTC, the app's convention
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def stored_instant(moment: datetime) -> datetime:
    """``moment`` as the cache stores and returns it (UTC, microseconds): what ``fetched_at`` will say."""
    return _parse_instant(_iso_instant(moment))


def _parse_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
