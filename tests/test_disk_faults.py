"""A full or read-only disk never hides what the cache holds (issue 11, item 5).

Two kinds of fault. Without root: connections to the cache file whose writes fail the way SQLite's do on a full
disk (``database or disk is full``, SQLITE_FULL), or SQLite's own ``PRAGMA query_only`` (``attempt to write a
readonly database``), or a file that cannot be opened for writing. Where mounting is permitted (CI runs as root):
a real tmpfs filled to the last byte, and a real read-only bind mount; those tests skip with the reason otherwise.

What must hold: the cached data is served, the rows just fetched are served with it, nothing is moved aside, the
reason is in ``BarCache.write_problem``, ``--once`` exits 0, and the rows reach the file once it can take them.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from tests.app_helpers import pilot_test, ready, screen_text, status_line, until
from tests.e2e_helpers import (  # noqa: F401  (fixtures)
    NEXT_DAY,
    TIMEOUT,
    RunningClock,
    cli_clock,
    expected_streak,
    seed_universe,
    served,
    write_config,
)
from tests.fake_yahoo import (
    AFTER_CLOSE,
    END,
    MutableClock,
    fake_yahoo,  # noqa: F401  (fixture)
    reset_yfinance,
)
from tui.app import StreakwatchApp
from tui.cli import main
from tui.config import load_config
from tui.data.backoff import Backoff
from tui.data.cache import BarCache
from tui.data.yahoo import YahooSource
from tui.data.yahoo_session import YahooSession

T0 = datetime(2026, 1, 15, 22, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(days=1)


def frame(days: list[str], closes: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"close": closes}, index=pd.DatetimeIndex(pd.to_datetime(days), name="Date"), dtype=float)


def stored_closes(path: Path, symbol: str) -> dict[str, float]:
    """What the file itself holds, read with a plain connection of our own (not through BarCache). On a full or
    read-only disk SQLite cannot make the -shm file it reads a WAL database with; the cache has been closed
    by then (its WAL checkpointed), so the file alone is read."""
    for query in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(f"file:{path}?{query}", uri=True)
        try:
            sql = "SELECT date, close FROM bars WHERE symbol = ? ORDER BY date"
            return dict(conn.execute(sql, [symbol]).fetchall())
        except sqlite3.OperationalError:
            continue
        finally:
            conn.close()
    raise AssertionError(f"{path} cannot be read at all")


def moved_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


# -- fault injection without root ------------------------------------------------------------------------------

_WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|"
    r"CREATE\s+TABLE(?:\s+IF\s+NOT\s+EXISTS)?)\s+(?:(\w+)\.)?\w+",
    re.IGNORECASE,
)
_SET_VERSION = re.compile(r"\s*PRAGMA\s+(?:main\.)?user_version\s*=", re.IGNORECASE)


class FullDisk:
    """Every statement that would write into one database file fails as SQLite fails on a full disk, until
    :meth:`free`. Writes into attached in-memory databases touch no disk and go through; so do reads."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.full = True
        self.refused = 0

    def free(self) -> None:
        self.full = False

    def wrap(self, real_connect):
        def connect(target, *args, **kwargs):
            conn = real_connect(target, *args, **kwargs)
            return _FullConnection(conn, self) if self.path in str(target) else conn

        return connect


class _FullConnection:
    def __init__(self, conn: sqlite3.Connection, disk: FullDisk) -> None:
        self._conn, self._disk = conn, disk

    def execute(self, sql: str, params=()):
        self._refuse(sql)
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows):
        self._refuse(sql)
        return self._conn.executemany(sql, rows)

    def _refuse(self, sql: str) -> None:
        if not self._disk.full:
            return
        write = _WRITE.match(sql)
        schema = (write.group(1) or "main") if write else ("main" if _SET_VERSION.match(sql) else None)
        if schema is None:
            return
        files = {name: file for _, name, file in self._conn.execute("PRAGMA database_list").fetchall()}
        if files.get(schema):  # a database with a file behind it: the full disk
            self._disk.refused += 1
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode, error.sqlite_errorname = sqlite3.SQLITE_FULL, "SQLITE_FULL"
            raise error

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


@pytest.fixture
def full_disk(monkeypatch):
    """``full_disk(path)``: from now on, writes to ``path`` fail as on a full disk; returns the FullDisk."""

    def make(path: Path) -> FullDisk:
        disk = FullDisk(path)
        monkeypatch.setattr(sqlite3, "connect", disk.wrap(sqlite3.connect))
        return disk

    return make


@pytest.fixture
def read_only(monkeypatch):
    """``read_only(path)``: connections to ``path`` are opened read-only, as SQLite opens a file it may read but
    not write (a 0444 file): every write to it fails with SQLite's own SQLITE_READONLY."""

    def make(path: Path) -> None:
        real = sqlite3.connect

        def connect(target, *args, **kwargs):
            if str(target) == str(path):
                kwargs["uri"] = True
                return real(f"file:{path}?mode=ro", *args, **kwargs)
            return real(target, *args, **kwargs)

        monkeypatch.setattr(sqlite3, "connect", connect)

    return make


def cache_with_history(path: Path) -> None:
    with BarCache(path) as cache:
        cache.upsert("A", frame(["2026-01-12", "2026-01-13", "2026-01-14"], [10, 11, 12]), "yahoo", T0)
        cache.set_meta("pe", "17.5", T0)


# -- the cache on its own ---------------------------------------------------------------------------------------


def test_a_full_disk_keeps_new_rows_in_memory_and_serves_them_with_the_stored_ones(tmp_path, full_disk):
    path = tmp_path / "cache.sqlite3"
    cache_with_history(path)
    disk = full_disk(path)
    with BarCache(path) as cache:
        assert cache.recovered is None and cache.write_problem is None  # opening a healthy cache writes nothing
        # A refresh: the 14th revised, the 15th new; a new symbol; a new meta value.
        assert cache.upsert("A", frame(["2026-01-14", "2026-01-15"], [12.5, 13]), "yahoo", LATER) == 2
        cache.upsert("B", frame(["2026-01-15"], [50]), "yahoo", LATER)
        cache.set_meta("pe", "18.0", LATER)
        assert disk.refused >= 1
        assert cache.write_problem == (f"cannot write the cache (disk full): {path} — showing data in memory; retrying")

        closes = cache.closes(["A", "B"])
        assert list(closes.index.strftime("%Y-%m-%d")) == ["2026-01-12", "2026-01-13", "2026-01-14", "2026-01-15"]
        assert closes["A"].tolist() == [10, 11, 12.5, 13]
        assert closes["B"].isna().tolist() == [True, True, True, False] and closes.loc["2026-01-15", "B"] == 50
        assert cache.bars("A")["close"].tolist() == [10, 11, 12.5, 13]
        assert cache.closes_since("A", date(2026, 1, 14)).tolist() == [12.5, 13]
        assert cache.last_date("A") == date(2026, 1, 15)
        assert cache.fetched_at_by_symbol(["A", "B"]) == {"A": LATER, "B": LATER}
        assert cache.symbols() == ["A", "B"]
        assert cache.get_meta("pe") == ("18.0", LATER)
        # The file is as it was, and still where it was.
        assert stored_closes(path, "A") == {"2026-01-12": 10, "2026-01-13": 11, "2026-01-14": 12}
        assert moved_aside(path) == []


def test_rows_kept_in_memory_are_written_once_the_disk_has_room(tmp_path, full_disk):
    path = tmp_path / "cache.sqlite3"
    cache_with_history(path)
    disk = full_disk(path)
    with BarCache(path, retry_writes_after=0) as cache:
        cache.upsert("A", frame(["2026-01-15"], [13]), "yahoo", LATER)
        cache.set_meta("pe", "18.0", LATER)
        assert cache.write_problem is not None
        disk.free()
        cache.upsert("A", frame(["2026-01-16"], [14]), "yahoo", LATER)  # the next write takes the others along
        assert cache.write_problem is None
        assert stored_closes(path, "A") == {
            "2026-01-12": 10,
            "2026-01-13": 11,
            "2026-01-14": 12,
            "2026-01-15": 13,
            "2026-01-16": 14,
        }
        assert cache.closes(["A"])["A"].tolist() == [10, 11, 12, 13, 14]
    with BarCache(path) as reopened:
        assert reopened.get_meta("pe") == ("18.0", LATER)


def test_retries_wait_their_turn_and_close_makes_a_last_one(tmp_path, full_disk):
    path = tmp_path / "cache.sqlite3"
    cache_with_history(path)
    disk = full_disk(path)
    cache = BarCache(path, retry_writes_after=3600)
    cache.upsert("A", frame(["2026-01-15"], [13]), "yahoo", LATER)
    refused = disk.refused
    disk.free()
    cache.upsert("A", frame(["2026-01-16"], [14]), "yahoo", LATER)
    assert disk.refused == refused  # not retried before its time: nothing tried the file again
    assert "2026-01-16" not in stored_closes(path, "A") and cache.write_problem is not None
    cache.close()  # the last chance: the disk has room now
    assert stored_closes(path, "A")["2026-01-16"] == 14 and stored_closes(path, "A")["2026-01-15"] == 13


def test_a_read_only_cache_is_served_and_never_moved_aside(tmp_path, read_only):
    path = tmp_path / "cache.sqlite3"
    cache_with_history(path)
    content = path.read_bytes()
    read_only(path)
    with BarCache(path) as cache:
        assert cache.recovered is None and not cache.in_memory
        assert cache.closes(["A"])["A"].tolist() == [10, 11, 12]
        cache.upsert("A", frame(["2026-01-15"], [13]), "yahoo", LATER)
        assert cache.write_problem == (f"cannot write the cache (read-only): {path} — showing data in memory; retrying")
        assert cache.closes(["A"])["A"].tolist() == [10, 11, 12, 13]
    assert path.read_bytes() == content and moved_aside(path) == []


def test_a_new_cache_on_a_full_disk_lives_in_memory_until_the_file_can_be_made(tmp_path, full_disk):
    path = tmp_path / "cache.sqlite3"
    disk = full_disk(path)
    with BarCache(path, retry_writes_after=0) as cache:
        assert cache.in_memory and "disk full" in cache.write_problem
        cache.upsert("A", frame(["2026-01-15"], [13]), "yahoo", LATER)
        assert cache.closes(["A"])["A"].tolist() == [13]
        disk.free()
        cache.upsert("A", frame(["2026-01-16"], [14]), "yahoo", LATER)
        assert cache.write_problem is None and not cache.in_memory
    assert stored_closes(path, "A") == {"2026-01-15": 13, "2026-01-16": 14}


def test_a_file_that_cannot_be_opened_for_writing_is_read_read_only(tmp_path, monkeypatch):
    """A read-only folder: SQLite cannot make the -wal and -shm files, so it cannot open the file for writing."""
    path = tmp_path / "cache.sqlite3"
    cache_with_history(path)
    content = path.read_bytes()
    real = sqlite3.connect

    def connect(target, *args, **kwargs):
        if str(target) == str(path):  # the read-write open; URIs with mode=ro still work
            error = sqlite3.OperationalError("unable to open database file")
            error.sqlite_errorcode, error.sqlite_errorname = sqlite3.SQLITE_CANTOPEN, "SQLITE_CANTOPEN"
            raise error
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    with BarCache(path) as cache:
        assert cache.recovered is None and not cache.in_memory
        assert "cannot open it for writing" in cache.write_problem
        cache.upsert("A", frame(["2026-01-15"], [13]), "yahoo", LATER)
        assert cache.closes(["A"])["A"].tolist() == [10, 11, 12, 13] and cache.get_meta("pe") == ("17.5", T0)
    assert path.read_bytes() == content and moved_aside(path) == []


def test_yfinance_gets_no_cache_folder_rather_than_crash_when_home_cannot_be_written(tmp_path, monkeypatch):
    from tui.data.yahoo_session import quiet_yfinance, yfinance_cache_dir

    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))  # no folder can be made below a file
    reset_yfinance()
    try:
        assert quiet_yfinance().__name__ == "yfinance"
        assert not yfinance_cache_dir().exists()
    finally:
        reset_yfinance()


# -- the command line: --once on a full disk, injected -------------------------------------------------------


@pytest.fixture
def clock(cli_clock):
    return cli_clock


def once(capsys, config: Path, cache: Path) -> tuple[int, dict | None, str]:
    capsys.readouterr()
    rc = main(["--source", "yahoo", "--config", str(config), "--cache", str(cache), "--once", "--json"])
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if out else None), err


def assert_streak_through(doc: dict, server, day: date) -> None:
    want = expected_streak(server, through=day)
    assert doc["as_of"] == day.isoformat() and doc["data"]["sessions"] == want.sessions
    assert (doc["streak"]["leader"], doc["streak"]["length"]) == (want.leader, want.length)
    assert doc["streak"]["small_return"] == pytest.approx(want.small_return, rel=1e-9)


def run_a_day_on_a_disk_that_cannot_be_written(capsys, served, clock, config: Path, cache: Path, block) -> None:
    """The scenario of the issue, in four runs of ``--once``; ``block()`` makes the disk full or read-only and
    returns a function that gives it back."""
    rc, doc, err = once(capsys, config, cache)  # a healthy first run fills the cache with the full history
    assert (rc, err) == (0, "") and doc["as_of"] == END.isoformat()
    unblock = block()
    seed_universe(served, end=NEXT_DAY, n=261)  # a new session on the server
    clock.now = AFTER_CLOSE + timedelta(days=1)

    served.fault("status", 503)  # Yahoo down too: all there is, is the cache
    rc, doc, err = once(capsys, config, cache)
    assert (rc, err) == (0, ""), err
    assert doc["data"]["stale"] is True
    assert_streak_through(doc, served, END)

    served.clear_faults()  # Yahoo back: the new session is fetched, shown, and kept in memory
    rc, doc, err = once(capsys, config, cache)
    assert (rc, err) == (0, ""), err
    assert_streak_through(doc, served, NEXT_DAY)
    assert max(stored_closes(cache, "^RUT")) == END.isoformat()
    assert moved_aside(cache) == []

    unblock()  # room again: the next run writes what it fetches
    rc, doc, err = once(capsys, config, cache)
    assert (rc, err) == (0, "")
    assert_streak_through(doc, served, NEXT_DAY)
    assert max(stored_closes(cache, "^RUT")) == NEXT_DAY.isoformat()
    assert moved_aside(cache) == []


def test_once_on_a_full_disk_exits_0_with_the_cached_and_the_fresh_data(served, clock, capsys, tmp_path, full_disk):
    cache = tmp_path / "bars.db"
    config = write_config(tmp_path / "c.toml")

    def block():
        return full_disk(cache).free

    run_a_day_on_a_disk_that_cannot_be_written(capsys, served, clock, config, cache, block)


def test_a_users_own_file_as_the_cache_is_refused_with_exit_2_and_left_alone(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("IWM 250\n")
    config = write_config(tmp_path / "c.toml")
    for argv in (["--once"], ["--once", "--json"]):
        rc = main(["--source", "auto", "--config", str(config), "--cache", str(notes), *argv])
        out, err = capsys.readouterr()
        assert rc == 2 and out == ""
        assert err == (
            f"streakwatch: --cache {notes} is not an SQLite database (not a streakwatch cache); "
            "not touching it — pass a new file or another path\n"
        )
    assert notes.read_text() == "IWM 250\n" and sorted(p.name for p in tmp_path.iterdir()) == ["c.toml", "notes.txt"]


# -- real filesystems: a tmpfs filled to the last byte, a read-only bind mount (root only) ---------------------


@contextmanager
def mounted(target: Path, command: list[str]):
    """Mount with ``command`` (the test is skipped when mounting is not permitted); unmount in the end."""
    target.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"mounting is not permitted here ({result.stderr.strip() or 'mount refused'})")
    try:
        yield target
    finally:
        if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(target)], capture_output=True)  # busy: detach it all the same


def fill(folder: Path) -> Path:
    """Write zeros until the filesystem says ENOSPC; returns the file that holds them."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        block = b"\0" * 4096
        try:
            while True:
                fh.write(block)
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC: the disk is full, as intended
    return filler


def test_once_on_a_real_full_tmpfs(served, clock, capsys, tmp_path, monkeypatch):
    disk = tmp_path / "disk"
    with mounted(disk, ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)]):
        # The whole user cache dir lives on the small disk too (yfinance's caches, our snapshots).
        monkeypatch.setenv("XDG_CACHE_HOME", str(disk / "home-cache"))
        cache = disk / "bars.db"
        config = write_config(tmp_path / "c.toml")

        def block():
            filler = fill(disk)
            assert os.statvfs(disk).f_bavail == 0
            return filler.unlink

        try:
            run_a_day_on_a_disk_that_cannot_be_written(capsys, served, clock, config, cache, block)
        finally:
            reset_yfinance()  # closes yfinance's cache databases on the small disk, so it can be unmounted


def test_once_on_a_real_read_only_mount(served, clock, capsys, tmp_path):
    folder, view = tmp_path / "folder", tmp_path / "view"
    folder.mkdir()
    cache = view / "bars.db"
    config = write_config(tmp_path / "c.toml")
    with mounted(view, ["mount", "--bind", str(folder), str(view)]):
        rc, doc, err = once(capsys, config, cache)  # written through the mount while it is writable
        assert (rc, err) == (0, "")
        assert subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], capture_output=True).returncode == 0
        content = cache.read_bytes()
        seed_universe(served, end=NEXT_DAY, n=261)
        clock.now = AFTER_CLOSE + timedelta(days=1)

        served.fault("status", 503)
        rc, doc, err = once(capsys, config, cache)
        assert (rc, err) == (0, ""), err
        assert_streak_through(doc, served, END)

        served.clear_faults()
        rc, doc, err = once(capsys, config, cache)
        assert (rc, err) == (0, ""), err
        assert_streak_through(doc, served, NEXT_DAY)
        assert cache.read_bytes() == content and moved_aside(cache) == []
        ro = BarCache(cache)
        try:
            assert ro.recovered is None and ro.write_problem == (
                f"cannot write the cache (read-only folder): {cache} — showing data in memory; retrying"
            )
        finally:
            ro.close()


# -- the monitor: the cache is shown, never "Could not load data" ------------------------------------------------

PANES = ("streak", "spread", "sectors", "risks")


@pilot_test
async def test_the_monitor_on_a_full_disk_shows_the_cache_then_the_fresh_day(served, tmp_path, full_disk):
    clock = RunningClock()
    path = tmp_path / "bars.db"
    config = load_config(write_config(tmp_path / "c.toml"))
    primer = YahooSource(BarCache(path), clock, session=YahooSession(timeout=TIMEOUT))
    primer.fetch(config.symbols())  # the cache holds the full history
    primer.close()
    full_disk(path)
    seed_universe(served, end=NEXT_DAY, n=261)
    clock.now = AFTER_CLOSE + timedelta(days=1)
    served.fault("status", 503)  # and Yahoo is down when the monitor starts

    source = YahooSource(
        BarCache(path),
        clock,
        session=YahooSession(timeout=TIMEOUT),
        backoff=Backoff(base=1, cap=4, rng=random.Random(0)),
    )
    app = StreakwatchApp(source=source, config=config, clock=clock)
    try:
        async with app.run_test(size=(200, 40)) as pilot:
            await until(lambda: app.snapshot is not None, timeout=15.0)
            await ready(pilot)
            assert app.snapshot.as_of == END and app.is_stale()  # the cache, marked stale
            assert all(app.pane(p).state == "data" for p in PANES)
            assert "Could not load data" not in screen_text(app)

            served.clear_faults()  # Yahoo back: the backoff's own retry brings the new session
            await until(lambda: app.snapshot.as_of == NEXT_DAY and not app.fetching, timeout=15.0)
            want = expected_streak(served, through=NEXT_DAY)
            assert (app.snapshot.streak.leader, app.snapshot.streak.length) == (want.leader, want.length)
            assert all(app.pane(p).state == "data" for p in PANES)
            assert source.cache.write_problem == (
                f"cannot write the cache (disk full): {path} — showing data in memory; retrying"
            )
            # ... and the user is told, where problems are said (the status line's width cuts the path short).
            await until(lambda: "cannot write the cache (disk full)" in status_line(app), timeout=15.0)
    finally:
        source.close()
    assert max(stored_closes(path, "^RUT")) == END.isoformat()  # the disk is still full: nothing written
    assert moved_aside(path) == []


def test_an_export_on_a_full_disk_says_so_and_leaves_no_half_of_it(tmp_path, monkeypatch):
    from tests.app_helpers import make_snapshot
    from tests.disk_helpers import fill_disk
    from tui.errors import UsageError
    from tui.export import export_files

    written = fill_disk(monkeypatch, room=1)  # the first file fits; the disk is full for the second
    folder = tmp_path / "exports"
    with pytest.raises(UsageError, match=re.escape(f"cannot export to {folder}: No space left on device")):
        export_files("<svg/>", make_snapshot(), folder, datetime(2026, 1, 15, 16, 30))
    assert written == ["<svg/>"] and list(folder.iterdir()) == []
