"""BarCache: round trips, transactions, recovery from a broken file, and durability under SIGKILL."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tui.data.cache import SCHEMA_VERSION, BarCache, CacheError, ForeignCacheFile, default_cache_path
from tui.data.csv_import import read_price_csv

T0 = datetime(2026, 1, 15, 21, 20, tzinfo=timezone.utc)
WRITER = Path(__file__).with_name("cache_writer.py")
MIN_ROUNDS = 3  # kills of a writer in the SIGKILL test, whatever the time they take


def frame(days: list[str], closes: list[float], **extra: list[float]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(days), name="Date")
    return pd.DataFrame({"close": closes, **extra}, index=index, dtype=float)


@pytest.fixture
def cache(tmp_path):
    with BarCache(tmp_path / "cache.sqlite3") as opened:
        yield opened


def test_default_path_is_in_the_user_cache_dir(tmp_path):
    # conftest points XDG_CACHE_HOME at a temporary directory.
    path = default_cache_path()
    assert path.name == "cache.sqlite3" and path.parent.name == "streakwatch"
    assert path.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]))
    assert not path.parent.exists()  # nothing is created until the cache is opened
    with BarCache() as opened:
        assert opened.path == path and path.is_file() and opened.recovered is None


def test_pragmas_and_schema(cache):
    conn = sqlite3.connect(cache.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r[1] for r in conn.execute("PRAGMA table_info(bars)")] == [
        "symbol", "date", "open", "high", "low", "close", "adj_close", "volume", "source", "fetched_at"
    ]  # fmt: skip
    assert cache._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    conn.close()


def test_round_trip_of_the_csv_import_shape(cache, tmp_path):
    csv = tmp_path / "X.csv"
    csv.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n2026-01-02,1,2,0.5,1.5,1.4,100\n2026-01-05,,,,1.6,,\n")
    bars = read_price_csv(csv)
    assert cache.upsert("X", bars, "replay", T0) == 2
    back = cache.bars("X")
    pd.testing.assert_frame_equal(back, bars)
    assert cache.last_date("X") == date(2026, 1, 5)
    assert cache.symbols() == ["X"]
    assert cache.fetched_at(["X"]) == T0


def test_closes_frame_shape(cache):
    cache.upsert("A", frame(["2026-01-02", "2026-01-05"], [1, 2]), "yahoo", T0)
    cache.upsert("B", frame(["2026-01-05", "2026-01-06"], [10, 11]), "yahoo", T0)
    closes = cache.closes(["B", "A", "NONE"])
    assert list(closes.columns) == ["B", "A", "NONE"]
    assert closes.index.name == "Date" and closes.index.dtype == "datetime64[ns]"
    assert closes.index.is_monotonic_increasing
    assert list(closes.index.strftime("%Y-%m-%d")) == ["2026-01-02", "2026-01-05", "2026-01-06"]
    assert closes.loc["2026-01-05"].tolist()[:2] == [10.0, 2.0]
    assert closes["NONE"].isna().all() and pd.isna(closes.loc["2026-01-02", "B"])
    empty = cache.closes(["NONE"])
    assert list(empty.columns) == ["NONE"] and len(empty) == 0 and isinstance(empty.index, pd.DatetimeIndex)
    assert cache.last_date("NONE") is None
    assert cache.bars("NONE").empty


def test_upsert_overwrites_and_keeps_older_rows(cache):
    cache.upsert("A", frame(["2026-01-02", "2026-01-05", "2026-01-06"], [1, 2, 3], open=[1, 1, 1]), "yahoo", T0)
    later = T0 + timedelta(minutes=1)
    # An incremental refresh: the last session re-fetched with a final price, and a new one.
    cache.upsert("A", frame(["2026-01-06", "2026-01-07"], [3.5, 4]), "yahoo", later)
    bars = cache.bars("A")
    assert bars["close"].tolist() == [1, 2, 3.5, 4]
    assert pd.isna(bars.loc["2026-01-06", "open"])  # the new row replaces the old one entirely
    assert cache.last_date("A") == date(2026, 1, 7)
    assert cache.fetched_at(["A"]) == later


def test_rows_without_close_are_skipped_and_nan_is_null(cache):
    bars = frame(["2026-01-02", "2026-01-05", "2026-01-06"], [1, np.nan, np.inf], volume=[np.nan, 5, 6])
    assert cache.upsert("A", bars, "yahoo", T0) == 1
    assert cache.bars("A")["close"].tolist() == [1.0]
    assert pd.isna(cache.bars("A")["volume"].iloc[0])
    assert cache.upsert("A", frame(["2026-01-05"], [np.nan]), "yahoo", T0) == 0


def test_adj_close_only_frames_store_it_as_close(cache):
    bars = pd.DataFrame({"adj_close": [5.0]}, index=pd.DatetimeIndex(["2026-01-02"], name="Date"))
    cache.upsert("A", bars, "yahoo", T0)
    assert cache.bars("A").iloc[0][["close", "adj_close"]].tolist() == [5.0, 5.0]
    with pytest.raises(ValueError, match="no close column"):
        cache.upsert("A", pd.DataFrame({"open": [1.0]}, index=bars.index), "yahoo", T0)


def test_an_upsert_that_fails_midway_leaves_nothing(cache):
    cache.upsert("A", frame(["2026-01-02", "2026-01-05"], [1, 2]), "yahoo", T0)
    # Make the database itself refuse the third row of the next batch, after two rows went in.
    cache._conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON bars WHEN NEW.date = '2026-01-07' BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    batch = frame(["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"], [20, 30, 40, 50])
    with pytest.raises(CacheError, match="boom"):
        cache.upsert("A", batch, "yahoo", T0 + timedelta(days=1))
    assert cache.bars("A")["close"].tolist() == [1, 2]
    assert cache.fetched_at(["A"]) == T0
    cache._conn.execute("DROP TRIGGER boom")
    cache.upsert("A", batch, "yahoo", T0)  # and the connection is not left inside a transaction
    assert cache.bars("A")["close"].tolist() == [1, 20, 30, 40, 50]


def test_fetched_at_is_the_oldest_of_the_newest(cache):
    cache.upsert("A", frame(["2026-01-02"], [1]), "yahoo", T0 - timedelta(days=3))
    cache.upsert("A", frame(["2026-01-05"], [1]), "yahoo", T0)  # A's newest: T0
    cache.upsert("B", frame(["2026-01-02"], [1]), "yahoo", T0 - timedelta(hours=2))  # B's newest: T0 - 2h
    assert cache.fetched_at(["A", "B", "NONE"]) == T0 - timedelta(hours=2)
    assert cache.fetched_at(["A"]) == T0
    assert cache.fetched_at(["NONE"]) is None and cache.fetched_at([]) is None


def test_times_are_stored_as_utc(cache):
    new_york = timezone(timedelta(hours=-5))
    cache.upsert("A", frame(["2026-01-02"], [1]), "yahoo", datetime(2026, 1, 15, 16, 20, tzinfo=new_york))
    assert cache.fetched_at(["A"]) == datetime(2026, 1, 15, 21, 20, tzinfo=timezone.utc)
    assert cache.fetched_at(["A"]).utcoffset() == timedelta(0)
    cache.set_meta("k", "v", datetime(2026, 1, 15, 21, 20))  # naive means UTC
    assert cache.get_meta("k") == ("v", datetime(2026, 1, 15, 21, 20, tzinfo=timezone.utc))


def test_meta(cache):
    assert cache.get_meta("pe:IWM") is None
    cache.set_meta("pe:IWM", "17.2", T0)
    cache.set_meta("pe:IWM", "17.5", T0 + timedelta(days=1))
    assert cache.get_meta("pe:IWM") == ("17.5", T0 + timedelta(days=1))


def test_survives_reopening(tmp_path):
    path = tmp_path / "c.sqlite3"
    with BarCache(path) as first:
        first.upsert("A", frame(["2026-01-02"], [1]), "yahoo", T0)
        first.set_meta("k", "v", T0)
    with BarCache(path) as second:
        assert second.recovered is None
        assert second.bars("A")["close"].tolist() == [1.0] and second.get_meta("k") == ("v", T0)


def test_closed_cache_raises_its_own_error(tmp_path):
    opened = BarCache(tmp_path / "c.sqlite3")
    opened.close()
    opened.close()  # twice is fine
    with pytest.raises(CacheError, match="closed"):
        opened.closes(["A"])


def test_threads_can_share_it(cache):
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(20):
                cache.upsert(f"S{k}", frame([f"2026-01-{i + 1:02d}"], [i + 1]), "yahoo", T0)
                cache.closes([f"S{j}" for j in range(4)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.closes([f"S{j}" for j in range(4)]).notna().sum().tolist() == [20] * 4


# --- recovery ------------------------------------------------------------------------------------------------


def aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


def assert_rebuilt(opened: BarCache, path: Path) -> None:
    assert opened.recovered and "moved aside" in opened.recovered and not opened.in_memory
    opened.upsert("A", frame(["2026-01-02"], [1]), "yahoo", T0)
    assert opened.bars("A")["close"].tolist() == [1.0]
    assert path.is_file()


def test_garbage_at_the_default_path_is_moved_aside_and_rebuilt():
    # The default path is in our own folder: whatever is there was written by us (or torn by a crash).
    path = default_cache_path()
    path.parent.mkdir(parents=True)
    garbage = b"\x00\x07" + os.urandom(5000)
    path.write_bytes(garbage)
    with BarCache() as opened:
        assert_rebuilt(opened, path)
        assert "cache.sqlite3" in opened.recovered
        (moved,) = aside(path)
        assert moved.name in opened.recovered
        assert moved.name.startswith("cache.sqlite3.corrupt-") and moved.name.endswith("Z")
        assert moved.read_bytes() == garbage  # kept for a post-mortem, not deleted


def test_a_users_own_file_passed_as_the_cache_is_refused_untouched(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("buy IWM on the next 10-session streak\n")
    before = sorted(tmp_path.iterdir())
    with pytest.raises(ForeignCacheFile) as refused:
        BarCache(notes)
    assert refused.value.exit_code == 2
    assert str(notes) in str(refused.value) and "not an SQLite database" in str(refused.value)
    assert notes.read_text() == "buy IWM on the next 10-session streak\n" and sorted(tmp_path.iterdir()) == before


def test_damaged_pages_fail_the_check_and_are_moved_aside(tmp_path):
    path = tmp_path / "cache.sqlite3"
    with BarCache(path) as opened:
        for k in range(30):
            days = [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2000-01-03", periods=200)]
            opened.upsert(f"S{k}", frame(days, list(range(1, 201))), "yahoo", T0)
    data = bytearray(path.read_bytes())
    assert len(data) > 40_000
    rng = random.Random(7)
    for page_start in range(4096 * 2, len(data) - 4096, 4096 * 3):  # leave the header page intact
        data[page_start : page_start + 200] = bytes(rng.randrange(256) for _ in range(200))
    path.write_bytes(bytes(data))
    # A path of the user's choosing, but the file starts with SQLite's header and SQLite says it is malformed.
    with BarCache(path) as reopened:
        assert_rebuilt(reopened, path)
        assert len(aside(path)) == 1


def test_a_stale_wal_is_not_replayed_into_the_rebuilt_file():
    path = default_cache_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database at all" * 100)
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(b"old wal")
    with BarCache(path) as opened:
        assert_rebuilt(opened, path)
        # sqlite may already have discarded the unusable WAL itself; if not, it went aside with its database.
        assert not wal.exists() or wal.read_bytes() != b"old wal"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_an_empty_file_is_simply_initialised(tmp_path):
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"")
    with BarCache(path) as opened:
        assert opened.recovered is None and aside(path) == []


def newer_schema(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    return path.read_bytes()


def foreign_database(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE bars (ticker TEXT, px REAL)")
    conn.execute("INSERT INTO bars VALUES ('IWM', 250.5)")
    conn.commit()
    conn.close()
    return path.read_bytes()


def someone_elses_tables(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE trades (day TEXT, qty REAL)")
    conn.commit()
    conn.close()
    return path.read_bytes()


DATABASES_NOT_OURS = [
    (newer_schema, f"newer streakwatch (schema version {SCHEMA_VERSION + 1})"),
    (foreign_database, "unexpected columns in table bars (ticker, px)"),
    (someone_elses_tables, "other tables (trades)"),
]


@pytest.mark.parametrize(("make", "words"), DATABASES_NOT_OURS, ids=["newer", "columns", "tables"])
def test_a_database_that_is_not_ours_is_refused_at_a_users_path(tmp_path, make, words):
    path = tmp_path / "mine.db"
    content = make(path)
    with pytest.raises(ForeignCacheFile, match=re.escape(words)):
        BarCache(path)
    assert path.read_bytes() == content and aside(path) == []


@pytest.mark.parametrize(("make", "words"), DATABASES_NOT_OURS, ids=["newer", "columns", "tables"])
def test_a_database_that_is_not_ours_at_the_default_path_is_left_alone(make, words):
    path = default_cache_path()
    path.parent.mkdir(parents=True)
    content = make(path)
    with BarCache() as opened:
        assert opened.in_memory and words in opened.recovered and "left as it is" in opened.recovered
        opened.upsert("A", frame(["2026-01-02"], [1]), "yahoo", T0)
        assert opened.closes(["A"])["A"].tolist() == [1.0]
    assert path.read_bytes() == content and aside(path) == []


def test_an_unopenable_path_falls_back_to_memory(tmp_path):
    path = tmp_path / "cache.sqlite3"
    path.mkdir()  # a directory where the file should be: not ours to move
    with BarCache(path) as opened:
        assert opened.in_memory and "in-memory" in opened.recovered
        opened.upsert("A", frame(["2026-01-02"], [1]), "yahoo", T0)
        assert opened.closes(["A"])["A"].tolist() == [1.0]
    assert path.is_dir() and aside(path) == []


# --- durability under SIGKILL ---------------------------------------------------------------------------------


def test_committed_batches_survive_sigkill(tmp_path):
    """Kill a writer at random moments, again and again: every batch it reported is there, whole."""
    path = tmp_path / "cache.sqlite3"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    reported: list[int] = []
    rounds = 0
    started = time.monotonic()
    # At least MIN_ROUNDS kills however slow the machine (a writer's start-up, pandas included, can take seconds
    # under load); more while the time allows.
    while rounds < MIN_ROUNDS or (rounds < 15 and time.monotonic() - started < 12):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), str(rounds * 1_000_000)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready = proc.stdout.readline().split(maxsplit=1)
        if ready != ["ready", "-\n"] and ready != ["ready", "-"]:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"writer did not open the cache cleanly: {ready} {err} (seed {seed})")
        # Its first batch reported, so every round has something to check whatever the load (a batch can take longer
        # than the random wait below on a busy machine); then a kill at a random moment of its steady loop.
        first = proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.12))  # lands inside a transaction much of the time
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL, f"writer failed on its own: {err} (seed {seed})"
        reported += [int(line) for line in (first + out).split()]
        rounds += 1

    assert rounds >= MIN_ROUNDS and len(reported) >= rounds, f"the test did not exercise anything (seed {seed})"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    with BarCache(path) as cache:
        assert cache.recovered is None
        stored = set(cache.symbols())
        for n in reported:
            assert f"B{n}" in stored, f"batch {n} was reported committed but is missing (seed {seed})"
            closes = cache.bars(f"B{n}")["close"].to_numpy()
            assert len(closes) == 300 and np.allclose(closes, n + np.arange(300) / 1000), (n, seed)
        # Every ROLL overwrite was all-or-nothing, and none reported is lost.
        roll = set(cache.bars("ROLL")["close"].tolist())
        assert len(roll) == 1, f"a torn overwrite: {sorted(roll)[:5]} (seed {seed})"
        last_round = max(reported) // 1_000_000
        assert roll.pop() >= max(n for n in reported if n // 1_000_000 == last_round)
