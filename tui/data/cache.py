"""The SQLite cache of daily bars and small facts (SPEC §2): what was fetched survives restarts and crashes.

Durability: the database runs in WAL mode with ``synchronous=FULL``. In WAL mode a transaction is committed once
its frames are appended to the ``-wal`` file; that ``write()`` has reached the operating system before COMMIT
returns, so a SIGKILL of our process right after a commit can never lose it, and a kill *during* a transaction
leaves only an uncommitted tail in the WAL that the next open ignores. ``NORMAL`` would already give that for a
process kill; ``FULL`` adds an fsync of the WAL on every commit so that committed rows also survive an OS crash or
power loss. We write one small transaction per refresh (about once a minute), so the fsync costs nothing that
matters.

A disk that cannot be written never hides what the file holds. Opening a healthy cache writes nothing; when the
file cannot be opened for writing (read-only disk or folder, no permission), it is opened read-only. A write that
fails because the disk is full, read-only or locked keeps its rows in memory (an attached in-memory database that
every read merges over the file), says why in :attr:`BarCache.write_problem`, and is tried again at most every
``retry_writes_after`` seconds and on close.

A file is moved aside to ``<name>.corrupt-<UTC timestamp>`` and rebuilt only when SQLite itself says it is not a
database or is malformed (``SQLITE_NOTADB``, ``SQLITE_CORRUPT``, a failing ``quick_check``), and only when it is
ours: the default cache path (our own folder), or a file that starts with SQLite's header. A user's own file passed
as ``--cache`` (their notes, their own database) is never renamed or written: :func:`refuse_foreign_file` turns it
into a usage error (exit 2). At the default path, a database we must not touch (a newer streakwatch's, someone
else's tables) is left alone and this run uses a cache in memory. :attr:`BarCache.recovered` tells the UI what
happened at open.
"""

from __future__ import annotations

import errno
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from tui.errors import StreakwatchError, UsageError

if TYPE_CHECKING:  # pandas is imported where bars are built: factory.py checks a --cache path before first paint
    import pandas as pd

#: 2 added the ``intraday`` table (today's race); a version-1 file gains it when first opened for writing.
SCHEMA_VERSION = 2
BAR_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
RETRY_WRITES_AFTER = 60.0  # seconds between attempts to write rows kept in memory (a failed write fails fast)

_TABLES = {
    "bars": """CREATE TABLE IF NOT EXISTS {db}.bars (
    symbol TEXT NOT NULL,
    date TEXT NOT NULL,
    open REAL, high REAL, low REAL, close REAL, adj_close REAL, volume REAL,
    source TEXT,
    fetched_at TEXT,
    PRIMARY KEY (symbol, date)
)""",
    "meta": """CREATE TABLE IF NOT EXISTS {db}.meta (
    key TEXT PRIMARY KEY,
    value TEXT,
    updated_at TEXT
)""",
    # One symbol's path through one session: 5-minute bars by their start (epoch s), each with the last price in
    # it and the trade time of that price (``observed``). ``previous_close`` and ``complete`` describe the whole
    # path; they are repeated on its rows so that a path is written, and read back, by one statement.
    "intraday": """CREATE TABLE IF NOT EXISTS {db}.intraday (
    symbol TEXT NOT NULL,
    session TEXT NOT NULL,
    at INTEGER NOT NULL,
    price REAL NOT NULL,
    observed INTEGER NOT NULL,
    previous_close REAL NOT NULL,
    complete INTEGER NOT NULL,
    PRIMARY KEY (symbol, session, at)
)""",
}
_BARS_FIELDS = ["symbol", "date", *BAR_COLUMNS, "source", "fetched_at"]
_META_FIELDS = ["key", "value", "updated_at"]
_INTRADAY_FIELDS = ["symbol", "session", "at", "price", "observed", "previous_close", "complete"]
_FIELDS = {"bars": _BARS_FIELDS, "meta": _META_FIELDS, "intraday": _INTRADAY_FIELDS}
#: The tables a cache must hold to be read at all; a version-1 file has no ``intraday`` yet.
_REQUIRED = {"bars", "meta"}

_UPSERT_BARS = (
    f"INSERT INTO {{db}}.bars ({', '.join(_BARS_FIELDS)}) VALUES ({', '.join('?' * len(_BARS_FIELDS))}) "
    "ON CONFLICT(symbol, date) DO UPDATE SET " + ", ".join(f"{f} = excluded.{f}" for f in _BARS_FIELDS[2:])
)
_UPSERT_META = (
    "INSERT INTO {db}.meta (key, value, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)
_UPSERT_INTRADAY = (
    f"INSERT INTO {{db}}.intraday ({', '.join(_INTRADAY_FIELDS)}) VALUES ({', '.join('?' * len(_INTRADAY_FIELDS))}) "
    "ON CONFLICT(symbol, session, at) DO UPDATE SET " + ", ".join(f"{f} = excluded.{f}" for f in _INTRADAY_FIELDS[3:])
)
_UPSERTS = {"bars": _UPSERT_BARS, "meta": _UPSERT_META, "intraday": _UPSERT_INTRADAY}
# What reads see while rows wait in memory: those rows, and the file's rows they do not replace.
_MERGED = {
    "bars": "(SELECT * FROM pending.bars UNION ALL SELECT * FROM main.bars AS m WHERE NOT EXISTS "
    "(SELECT 1 FROM pending.bars AS p WHERE p.symbol = m.symbol AND p.date = m.date))",
    "meta": "(SELECT * FROM pending.meta UNION ALL SELECT * FROM main.meta AS m WHERE NOT EXISTS "
    "(SELECT 1 FROM pending.meta AS p WHERE p.key = m.key))",
    "intraday": "(SELECT * FROM pending.intraday UNION ALL SELECT * FROM main.intraday AS m WHERE NOT EXISTS "
    "(SELECT 1 FROM pending.intraday AS p WHERE p.symbol = m.symbol AND p.session = m.session AND p.at = m.at))",
}

# SQLite's own verdict that a file is not a database: the only reason a file is ever moved aside.
_NOT_A_DATABASE = {sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT}
# Primary result codes that mean "cannot write here now", in the words the user reads. Looked up with _primary()'s
# code, which is None when SQLite gave none (then nothing matches).
_CANNOT_WRITE: dict[int | None, str] = {
    sqlite3.SQLITE_FULL: "disk full",
    sqlite3.SQLITE_READONLY: "read-only",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_CANTOPEN: "cannot open it for writing",
    sqlite3.SQLITE_IOERR: "disk I/O error",
    sqlite3.SQLITE_BUSY: "locked by another program",
    sqlite3.SQLITE_LOCKED: "locked by another program",
}
# Keyed by OSError.errno, which is None for an OSError raised without one (then nothing matches).
_OS_WORDS: dict[int | None, str] = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


class StoredPath(NamedTuple):
    """One symbol's stored path through one session (see :meth:`BarCache.intraday`)."""

    previous_close: float
    complete: bool  # the path was replaced by Yahoo's own bars after the close
    points: tuple[tuple[int, float, int], ...]  # (bar start, price, observed): epoch seconds, ascending


class CacheError(StreakwatchError):
    """A cache read failed, or a write failed for a reason other than the disk (a bug). Exit 3: no data."""

    exit_code = 3


class ForeignCacheFile(UsageError):
    """``--cache`` names a file that is not a streakwatch cache: it is the user's, so it is refused (exit 2)."""


class _NotADatabase(Exception):
    """SQLite says the file is not a database or is malformed; the message says how."""


class _Foreign(Exception):
    """A healthy SQLite database that is not ours to use (a newer schema, other tables)."""


class _CannotWrite(Exception):
    """The file cannot be written now; the message is the reason in plain words."""


def default_cache_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("streakwatch")) / "cache.sqlite3"


def is_default_path(path: Path | str) -> bool:
    """The default path is in our own folder: whatever is there is ours (to move aside when SQLite says it is
    not a database); anywhere else, a file we did not make is the user's."""
    try:
        return Path(path).absolute() == default_cache_path().absolute()
    except Exception:  # no user cache dir can be named: then nothing is ours
        return False


def refuse_foreign_file(path: Path | str) -> None:
    """Raise :class:`ForeignCacheFile` when ``path`` is a file of the user's that is not a streakwatch cache.

    A missing or empty file becomes a new cache; a streakwatch cache, an SQLite file too damaged to read (SQLite
    will say so, and it is moved aside), and anything at the default path pass. Reads only.
    """
    path = Path(path)
    reason = None if is_default_path(path) else _foreign_reason(path)
    if reason is not None:
        raise _refusal(path, reason)


def _refusal(path: Path, reason: str) -> ForeignCacheFile:
    return ForeignCacheFile(f"--cache {path} {reason}; not touching it — pass a new file or another path")


def _foreign_reason(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except (FileNotFoundError, IsADirectoryError):
        return None
    except OSError as exc:
        return f"cannot be read ({_os_words(exc)})"
    if not head:
        return None
    if head != SQLITE_HEADER:
        return "is not an SQLite database (not a streakwatch cache)"
    for mode in ("ro", "ro&immutable=1"):  # immutable: a WAL file in a read-only folder can be read no other way
        try:
            conn = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode={mode}", uri=True)
        except sqlite3.Error:
            continue
        try:
            return _schema_problem(conn)
        except sqlite3.Error:
            continue
        finally:
            conn.close()
    return None


def _schema_problem(conn: sqlite3.Connection) -> str | None:
    """Why this database is not a streakwatch cache we can use, or None (ours, or empty). Reads only."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        return f"was written by a newer streakwatch (schema version {version})"
    tables = sorted(row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    others = [name for name in tables if name not in _FIELDS]
    if others:
        return f"is an SQLite database with other tables ({', '.join(others[:5])}), not a streakwatch cache"
    for table in tables:
        found = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        if found != _FIELDS[table]:
            return f"has unexpected columns in table {table} ({', '.join(found)}), not a streakwatch cache"
    return None


class BarCache:
    """Daily bars per symbol and a small key/value ``meta`` table, in one SQLite file.

    Safe to share between threads: one connection, every use under a lock.
    """

    def __init__(self, path: str | Path | None = None, *, retry_writes_after: float = RETRY_WRITES_AFTER) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        #: A plain-words note when the file had to be moved aside or could not be used; None when all was well.
        self.recovered: str | None = None
        #: Why rows are being kept in memory instead of the file ("cannot write the cache (disk full): PATH —
        #: showing data in memory; retrying"); None while every write reaches the file.
        self.write_problem: str | None = None
        #: True when no file backs the cache (its rows live in memory only, for this run or until a retry works).
        self.in_memory = False
        self.retry_writes_after = retry_writes_after
        self._lock = threading.RLock()
        self._writes = 0  # upserts that stored rows through this object; see version()
        self._direct = False  # writes go straight to the main database (the file, or a memory-only cache)
        self._pending = False  # rows wait in the attached in-memory database for the file to take them
        self._next_retry = 0.0  # time.monotonic() from which writing them is tried again
        self._main_tables: tuple[sqlite3.Connection, frozenset[str]] | None = None  # see _tables
        self._conn: sqlite3.Connection | None = self._open()

    # -- opening -------------------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        refuse_foreign_file(self.path)
        owned = is_default_path(self.path)
        if self.path.is_dir():
            return self._memory_only(f"cache {self.path} is a folder, not a file")
        try:
            conn = self._connect_writable()
        except _NotADatabase as exc:
            return self._rebuild(str(exc))
        except _Foreign as exc:
            return self._foreign(str(exc), owned)
        except _CannotWrite as exc:
            return self._open_read_only(self._why_not_writable(str(exc)), owned)
        self._direct = True
        return conn

    def _why_not_writable(self, reported: str) -> str:
        """SQLite says "cannot open" both for a read-only file and for a folder where its -wal and -shm files
        cannot be made: name the one that is."""
        if not os.access(self.path.parent, os.W_OK):
            return "read-only folder"
        if self.path.exists() and not os.access(self.path, os.W_OK):
            return "read-only file"
        return reported

    def _connect_writable(self) -> sqlite3.Connection:
        """The file, opened for writing and with our schema; raises one of the three problems above."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _CannotWrite(_os_words(exc)) from None
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (see _transaction), nothing implicit.
        return self._connect(str(self.path), writable=True)

    def _connect(self, target: str, *, writable: bool, uri: bool = False) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(target, check_same_thread=False, timeout=10.0, isolation_level=None, uri=uri)
        except sqlite3.Error as exc:
            raise _problem(exc) from None
        try:
            self._prepare(conn, writable=writable, check=target != ":memory:")
        except sqlite3.Error as exc:
            conn.close()
            raise _problem(exc) from None
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _prepare(conn: sqlite3.Connection, *, writable: bool, check: bool) -> None:
        """Check the file and make it ours. A healthy, current cache is only read: opening it writes nothing."""
        if check:
            # quick_check reads every page (milliseconds for our few MB) and catches torn or overwritten files
            # that would otherwise fail later, in the middle of a refresh.
            result = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
            if result != ["ok"]:
                raise _NotADatabase(f"integrity check failed: {'; '.join(map(str, result[:3]))}")
        problem = _schema_problem(conn)
        if problem is not None:
            raise _Foreign(problem)
        conn.execute("PRAGMA synchronous=FULL")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        complete = tables == set(_FIELDS)
        current = complete and conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        if writable and not current:
            conn.execute("PRAGMA journal_mode=WAL")
            with _transaction(conn):
                for table in _TABLES.values():
                    conn.execute(table.format(db="main"))
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif not writable and not _REQUIRED <= tables:  # read-only, and nothing to read
            raise _CannotWrite("the file holds no cache yet")
        # (read-only with a table missing, an older file's: that table is read from memory, see _tables)
        conn.execute("ATTACH DATABASE ':memory:' AS pending")
        for table in _TABLES.values():
            conn.execute(table.format(db="pending"))

    def _rebuild(self, reason: str) -> sqlite3.Connection:
        """SQLite says the file is not a database: move it aside (it is ours) and start a new one."""
        try:
            moved = self._move_aside()
        except OSError as exc:
            # Not even that can be written: nothing in the file could be read anyway.
            return self._in_memory_until_writable(
                f"cache {self.path} is unusable ({reason}) and could not be moved aside ({_os_words(exc)})",
                _os_words(exc),
            )
        try:
            conn = self._connect_writable()
        except (_NotADatabase, _Foreign, _CannotWrite) as exc:
            return self._in_memory_until_writable(
                f"cache {self.path} was unusable ({reason}), moved aside to {moved.name}", str(exc)
            )
        self.recovered = f"cache {self.path.name} was unusable ({reason}); moved aside to {moved.name} and rebuilt"
        self._direct = True
        return conn

    def _foreign(self, reason: str, owned: bool) -> sqlite3.Connection:
        if not owned:  # the user's own database: refuse, touch nothing
            raise _refusal(self.path, reason)
        return self._memory_only(f"cache {self.path} {reason}; left as it is")

    def _open_read_only(self, why: str, owned: bool) -> sqlite3.Connection:
        """The file cannot be written: serve what it holds, keep new rows in memory and try writing later."""
        self._cannot_write(why)
        if self.path.is_file() and self.path.stat().st_size > 0:
            where = quote(str(self.path.absolute()))
            # immutable=1 last: a WAL database in a read-only folder (no -shm can be made) can be read no other way.
            for query in ("mode=ro", "mode=ro&immutable=1"):
                try:
                    return self._connect(f"file:{where}?{query}", writable=False, uri=True)
                except _Foreign as exc:
                    return self._foreign(str(exc), owned)
                except (_NotADatabase, _CannotWrite):
                    continue
        self.in_memory = True
        return self._connect(":memory:", writable=True)

    def _in_memory_until_writable(self, recovered: str, why: str) -> sqlite3.Connection:
        self.recovered = f"{recovered}; keeping data in memory until it can be written"
        self._cannot_write(why)
        self.in_memory = True
        return self._connect(":memory:", writable=True)

    def _memory_only(self, why: str) -> sqlite3.Connection:
        """A cache in memory for this run, never written to the file (which stays as it is)."""
        self.in_memory = True
        self._direct = True
        self.recovered = f"{why}; using a temporary in-memory cache for this run"
        return self._connect(":memory:", writable=True)

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

    # -- writing, and keeping rows in memory when the file cannot take them ----------------------------------

    def _cannot_write(self, why: str) -> None:
        self.write_problem = f"cannot write the cache ({why}): {self.path} — showing data in memory; retrying"
        self._next_retry = time.monotonic() + self.retry_writes_after

    def _write(self, statement: str, rows: list[tuple[object, ...]], what: str) -> None:
        """Write ``rows`` to the file, or keep them in memory when the file cannot take them now."""
        with self._lock:
            conn = self._connection()
            if self._direct and not self._pending:
                try:
                    with _transaction(conn):
                        conn.executemany(statement.format(db="main"), rows)
                    return
                except sqlite3.Error as exc:
                    if _primary(exc) not in _CANNOT_WRITE:
                        raise CacheError(f"cache write failed for {what}: {_describe(exc)}") from None
                    self._cannot_write(_CANNOT_WRITE[_primary(exc)])
            try:
                with _transaction(conn, "BEGIN"):  # deferred: only the in-memory database is written
                    conn.executemany(statement.format(db="pending"), rows)
            except sqlite3.Error as exc:
                raise CacheError(f"cache write failed for {what}: {_describe(exc)}") from None
            self._pending = True
            if time.monotonic() >= self._next_retry:
                self.write_pending()

    def write_pending(self) -> bool:
        """Try now to write the rows kept in memory to the file; returns whether none are left waiting."""
        with self._lock:
            if not self._pending:
                return True
            conn = self._connection()
            target = conn
            if not self._direct:  # read-only or memory so far: the file must be opened for writing first
                try:
                    target = self._connect_writable()
                except _CannotWrite as exc:
                    self._cannot_write(self._why_not_writable(str(exc)))
                    return False
                except (_NotADatabase, _Foreign) as exc:  # replaced under us: never moved aside while running
                    self._cannot_write(str(exc))
                    return False
            try:
                waiting = {
                    table: conn.execute(f"SELECT {', '.join(fields)} FROM pending.{table}").fetchall()
                    for table, fields in _FIELDS.items()
                }
                with _transaction(target):
                    for table, rows in waiting.items():
                        target.executemany(_UPSERTS[table].format(db="main"), rows)
            except sqlite3.Error as exc:
                if target is not conn:
                    target.close()
                self._cannot_write(_CANNOT_WRITE.get(_primary(exc), _describe(exc)))
                return False
            if target is conn:
                with _transaction(conn, "BEGIN"):
                    for table in _FIELDS:
                        conn.execute(f"DELETE FROM pending.{table}")
            else:  # the file now holds everything: read it from here on
                conn.close()
                self._conn, self._direct, self.in_memory = target, True, False
            self._pending = False
            self.write_problem = None
            return True

    # -- plumbing ------------------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CacheError("the cache is closed")
        return self._conn

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a read; ``{bars}`` and ``{meta}`` in ``sql`` stand for the tables as readers see them."""
        with self._lock:
            try:
                conn = self._connection()
                return conn.execute(sql.format(**self._tables(conn)), params).fetchall()
            except sqlite3.Error as exc:
                raise CacheError(f"cache read failed: {_describe(exc)}") from None

    def _tables(self, conn: sqlite3.Connection) -> dict[str, str]:
        """Each table as readers see it: the file's, merged with rows waiting in memory while there are any. A
        table the file lacks (a version-1 file opened read-only has no ``intraday``) is read from memory alone."""
        if self._main_tables is None or self._main_tables[0] is not conn:
            names = {row[0] for row in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
            self._main_tables = (conn, frozenset(names))
        in_main = self._main_tables[1]
        return {
            table: (_MERGED[table] if self._pending else f"main.{table}") if table in in_main else f"pending.{table}"
            for table in _FIELDS
        }

    # -- bars ----------------------------------------------------------------------------------------------

    def upsert(self, symbol: str, bars: pd.DataFrame, source: str, fetched_at: datetime) -> int:
        """Store ``bars`` (the :func:`~tui.data.csv_import.read_price_csv` shape) for ``symbol``; returns rows stored.

        Existing rows for the same dates are replaced; other dates are kept. Rows without a close are skipped.
        When the file cannot take them now, they are stored in memory (see :attr:`write_problem`) and read back
        like the others.
        """
        if not symbol:
            raise ValueError("symbol must not be empty")
        rows = list(_bar_rows(symbol, bars, source, _iso_instant(fetched_at)))
        if not rows:
            return 0
        try:
            self._write(_UPSERT_BARS, rows, symbol)
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
                f"SELECT date, symbol, close FROM {{bars}} WHERE symbol IN ({', '.join('?' * len(wanted))})", wanted
            )
            if wanted
            else []
        )
        import pandas as pd

        frame = pd.DataFrame(rows, columns=["date", "symbol", "close"])
        wide = frame.pivot(index="date", columns="symbol", values="close") if rows else pd.DataFrame(index=[])
        wide = wide.reindex(columns=wanted).astype(float)
        wide.index = _date_index(wide.index)
        wide.columns.name = None
        return wide.sort_index()

    def closes_since(self, symbol: str, since: date) -> pd.Series:
        """One symbol's closes on or after ``since``, by date (what a refresh just wrote, to merge in memory)."""
        rows = self._query(
            "SELECT date, close FROM {bars} WHERE symbol = ? AND date >= ? ORDER BY date", [symbol, since.isoformat()]
        )
        import pandas as pd

        return pd.Series(
            [row[1] for row in rows], index=_date_index([row[0] for row in rows]), dtype="float64", name=symbol
        )

    def bars(self, symbol: str) -> pd.DataFrame:
        """Every stored bar of ``symbol``: date index and all of :data:`BAR_COLUMNS` (NaN where not stored)."""
        rows = self._query(
            f"SELECT date, {', '.join(BAR_COLUMNS)} FROM {{bars}} WHERE symbol = ? ORDER BY date", [symbol]
        )
        import pandas as pd

        frame = pd.DataFrame(rows, columns=["date", *BAR_COLUMNS])
        frame.index = _date_index(frame.pop("date"))
        return frame.astype(float)

    def close_before(self, symbol: str, day: date) -> float | None:
        """``symbol``'s last stored close before ``day`` (the baseline of ``day``'s race), None when none is."""
        rows = self._query(
            "SELECT close FROM {bars} WHERE symbol = ? AND date < ? AND close IS NOT NULL ORDER BY date DESC LIMIT 1",
            [symbol, day.isoformat()],
        )
        return float(rows[0][0]) if rows else None

    def last_date(self, symbol: str) -> date | None:
        row = self._query("SELECT MAX(date) FROM {bars} WHERE symbol = ?", [symbol])[0]
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
            f"SELECT symbol, MAX(fetched_at) FROM {{bars}} WHERE symbol IN ({', '.join('?' * len(wanted))}) "
            "GROUP BY symbol",
            wanted,
        )
        return {symbol: _parse_instant(value) for symbol, value in rows if value}

    def symbols(self) -> list[str]:
        return [row[0] for row in self._query("SELECT DISTINCT symbol FROM {bars} ORDER BY symbol")]

    # -- intraday paths (today's race) ---------------------------------------------------------------------

    def store_intraday(
        self,
        symbol: str,
        session: date,
        points: Sequence[tuple[int, float, int]],
        previous_close: float,
        complete: bool,
    ) -> None:
        """Upsert ``points`` ((bar start, price, observed), epoch seconds) of ``symbol``'s path through
        ``session``; the path's ``previous_close`` and ``complete`` are set on every row written."""
        day = session.isoformat()
        rows: list[tuple[object, ...]] = [
            (symbol, day, at, price, observed, previous_close, int(complete)) for at, price, observed in points
        ]
        if rows:
            self._write(_UPSERT_INTRADAY, rows, f"{symbol} intraday")

    def intraday(self, symbol: str, session: date) -> StoredPath | None:
        """``symbol``'s stored path through ``session``, or None when none is stored."""
        rows = self._query(
            "SELECT at, price, observed, previous_close, complete FROM {intraday} "
            "WHERE symbol = ? AND session = ? ORDER BY at",
            [symbol, session.isoformat()],
        )
        if not rows:
            return None
        return StoredPath(
            previous_close=float(rows[-1][3]),
            complete=any(bool(row[4]) for row in rows),
            points=tuple((int(at), float(price), int(observed)) for at, price, observed, _, _ in rows),
        )

    def prune_intraday(self, keep_from: date) -> None:
        """Forget the paths of sessions before ``keep_from``: only the latest sessions' races are ever shown."""
        self._write("DELETE FROM {db}.intraday WHERE session < ?", [(keep_from.isoformat(),)], "old intraday")

    # -- meta ----------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> tuple[str, datetime] | None:
        rows = self._query("SELECT value, updated_at FROM {meta} WHERE key = ?", [key])
        if not rows:
            return None
        value, updated = rows[0]
        return value, _parse_instant(updated)

    def set_meta(self, key: str, value: str, updated_at: datetime) -> None:
        self._write(_UPSERT_META, [(key, value, _iso_instant(updated_at))], key)

    def json_meta(self, key: str) -> dict[str, Any]:
        """A JSON object kept in the meta under ``key`` (e.g. a {symbol: ISO instant} map); {} when absent or
        unreadable: such records only ever hold what can be learnt again."""
        import json

        meta = self.get_meta(key)
        try:
            value = json.loads(meta[0]) if meta else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    # -- lifetime ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close, after one last try at writing rows kept in memory (the disk may have room again)."""
        with self._lock:
            if self._conn is not None:
                if self._pending:
                    self.write_pending()
                self._conn.close()
                self._conn = None

    def __enter__(self) -> BarCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bar_rows(symbol: str, bars: pd.DataFrame, source: str, fetched: str) -> Iterator[tuple[object, ...]]:
    import pandas as pd

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
    import pandas as pd

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


@contextmanager
def _transaction(conn: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    """One write transaction: all of it is committed, or none of it (also on KeyboardInterrupt)."""
    conn.execute(begin)
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        # SQLite ends some failed transactions itself (a full disk, for one): a ROLLBACK then would fail and
        # hide the real error behind "cannot rollback - no transaction is active".
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _primary(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _problem(exc: sqlite3.Error) -> Exception:
    """An error met while opening, as what it means for the file (never "not a database" for a write problem)."""
    code = _primary(exc)
    if code in _NOT_A_DATABASE:
        return _NotADatabase(_describe(exc))
    return _CannotWrite(_CANNOT_WRITE.get(code, _describe(exc)))


def _os_words(exc: OSError) -> str:
    return _OS_WORDS.get(exc.errno, exc.strerror or type(exc).__name__)


class CacheView:
    """The cache's closes and fetch times for some symbols, kept in memory between refreshes (by the Yahoo source).

    The SQLite cache stays the source of truth (and what a restart reads); this is a copy of it that a refresh
    brings up to date with the few rows it just wrote, instead of reading every symbol's history again.
    ``version`` is :meth:`BarCache.version` as of the copy: any other write (another connection, or a caller
    writing through the same cache object) changes it, and then the view is read again in full.
    """

    def __init__(
        self,
        asked: tuple[str, ...],
        stored: frozenset[str],
        known: tuple[str, ...],
        closes: pd.DataFrame,
        fetched: dict[str, datetime],
        version: tuple[int, int],
    ) -> None:
        self.asked = asked  # the symbols cached() was asked for
        self.stored = stored  # every symbol with bars in the cache (BarCache.symbols())
        self.known = known  # the asked symbols that have bars, in the order asked (the columns of ``closes``)
        self.closes = closes  # as BarCache.closes(known): never handed out, callers get a copy
        self.fetched = fetched  # as BarCache.fetched_at_by_symbol(known)
        self.version = version

    def merge(self, symbol: str, new: pd.Series, fetched_at: datetime) -> None:
        """Fold in ``symbol``'s rows just stored (``new``: BarCache.closes_since)."""
        import numpy as np
        import pandas as pd

        self.fetched[symbol] = max(self.fetched.get(symbol, fetched_at), fetched_at)
        new = new.dropna()
        if new.empty:
            return
        closes = self.closes
        column = closes.columns.get_loc(symbol)
        at = closes.index.get_indexer(new.index)
        values = new.to_numpy(dtype="float64")
        if (at >= 0).all():
            if np.array_equal(closes.iloc[:, column].to_numpy()[at], values):
                return  # the usual refresh: the last few days written again, unchanged
        else:
            closes = closes.reindex(pd.DatetimeIndex(closes.index.union(new.index), name="Date", freq=None))
            at = closes.index.get_indexer(new.index)
        closes.iloc[at, column] = values
        self.closes = closes
