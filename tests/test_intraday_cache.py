"""Intraday paths in the SQLite cache (issue 13, item 2): a restart mid-session reads the day back; a full,
read-only or corrupt disk treats them as it treats the daily bars (tests/test_disk_faults.py); a version-1 cache
gains the table; old sessions are pruned."""

from __future__ import annotations

import sqlite3
from datetime import date

from tests.test_disk_faults import LATER, cache_with_history, full_disk, moved_aside, read_only  # noqa: F401
from tui.data.cache import SCHEMA_VERSION, BarCache

FRI, THU = date(2026, 1, 16), date(2026, 1, 15)
OPEN = 1768573800  # Fri 2026-01-16 09:30 ET, epoch seconds
MORNING = [(OPEN, 2001.5, OPEN + 299), (OPEN + 300, 2003.25, OPEN + 599), (OPEN + 600, 2002.0, OPEN + 640)]


def stored_rows(path, symbol: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT at, price FROM intraday WHERE symbol = ? ORDER BY at", [symbol]).fetchall()
    finally:
        conn.close()


def test_a_path_is_stored_read_back_and_upserted_by_bar(tmp_path):
    path = tmp_path / "c.db"
    with BarCache(path) as cache:
        assert cache.intraday("^RUT", FRI) is None
        cache.store_intraday("^RUT", FRI, MORNING, 1998.75, complete=False)
        cache.store_intraday("^RUT", FRI, [(OPEN + 600, 2002.5, OPEN + 700)], 1998.75, complete=False)  # same bar
    with BarCache(path) as cache:
        stored = cache.intraday("^RUT", FRI)
        assert stored.previous_close == 1998.75 and not stored.complete
        assert stored.points == (*MORNING[:2], (OPEN + 600, 2002.5, OPEN + 700))
        assert cache.intraday("^RUT", THU) is None and cache.intraday("^GSPC", FRI) is None
        cache.store_intraday("^RUT", FRI, MORNING, 1998.75, complete=True)
        assert cache.intraday("^RUT", FRI).complete


def test_old_sessions_are_pruned(tmp_path):
    with BarCache(tmp_path / "c.db") as cache:
        cache.store_intraday("^RUT", date(2026, 1, 2), MORNING, 1.0, complete=True)
        cache.store_intraday("^RUT", THU, MORNING, 1.0, complete=True)
        cache.prune_intraday(date(2026, 1, 9))
        assert cache.intraday("^RUT", date(2026, 1, 2)) is None
        assert cache.intraday("^RUT", THU) is not None


def test_a_version_1_cache_gains_the_table_and_keeps_its_bars(tmp_path):
    path = tmp_path / "c.db"
    cache_with_history(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE intraday")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    with BarCache(path) as cache:
        assert cache.recovered is None
        assert cache.closes(["A"])["A"].tolist() == [10, 11, 12]
        cache.store_intraday("A", FRI, MORNING, 12.0, complete=False)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    assert [row[0] for row in stored_rows(path, "A")] == [at for at, _, _ in MORNING]


def test_a_version_1_cache_on_a_read_only_disk_is_served_and_keeps_paths_in_memory(tmp_path, read_only):
    path = tmp_path / "c.db"
    cache_with_history(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE intraday")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    read_only(path)
    with BarCache(path) as cache:
        assert cache.closes(["A"])["A"].tolist() == [10, 11, 12]  # the file's bars, not an empty memory cache
        assert cache.intraday("A", FRI) is None
        cache.store_intraday("A", FRI, MORNING, 12.0, complete=False)
        assert cache.intraday("A", FRI).points == tuple(MORNING)
        assert "read-only" in cache.write_problem
    assert moved_aside(path) == []


def test_a_full_disk_keeps_the_path_in_memory_then_writes_it(tmp_path, full_disk):
    path = tmp_path / "c.db"
    cache_with_history(path)
    with BarCache(path) as cache:
        cache.store_intraday("A", FRI, MORNING[:1], 12.0, complete=False)
    disk = full_disk(path)
    with BarCache(path, retry_writes_after=0) as cache:
        cache.store_intraday("A", FRI, MORNING[1:], 12.0, complete=False)
        assert disk.refused >= 1 and "disk full" in cache.write_problem
        assert cache.intraday("A", FRI).points == tuple(MORNING)  # the file's row and the ones kept in memory
        assert stored_rows(path, "A") == [MORNING[0][:2]]
        disk.free()
        cache.set_meta("k", "v", LATER)  # the next write takes the waiting rows along
        assert cache.write_problem is None
    assert stored_rows(path, "A") == [p[:2] for p in MORNING]
    assert moved_aside(path) == []


def test_a_corrupt_cache_is_rebuilt_with_an_empty_intraday_table(tmp_path):
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with BarCache(path) as cache:
        assert cache.recovered is not None and "moved aside" in cache.recovered
        assert cache.intraday("^RUT", FRI) is None
        cache.store_intraday("^RUT", FRI, MORNING, 1.0, complete=False)
        assert cache.intraday("^RUT", FRI) is not None
    assert len(moved_aside(path)) == 1
