"""The snapshot cache: JSON read back equal to the snapshot, the key, atomic writes, and the first paint from it."""

from __future__ import annotations

import base64
import errno
import json
import math
import os
import subprocess
import sys
from array import array
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import astuple, replace

from tests.app_helpers import (
    FROZEN,
    FakeSource,
    builder,
    frozen_clock,
    make_snapshot,
    pilot_test,
    provisional,
    screen_text,
    until,
)
from tests.disk_helpers import fill_disk
from tui.config import Config
from tui.errors import SourceError
from tui.model import PackedRuns, Snapshot, cache_json
from tui.snapshot_cache import SnapshotCache, source_key

SIZE = (120, 40)


def roundtrip(snapshot: Snapshot) -> Snapshot:
    return Snapshot.from_json(json.loads(json.dumps(cache_json(snapshot), allow_nan=False)))


def without_extras(snapshot: Snapshot) -> Snapshot:
    """What plain ``to_json`` carries: everything but the runs and the retry delay."""
    return replace(snapshot, runs=(), data=replace(snapshot.data, retry_in=None))


@pytest.mark.parametrize("day", ["2026-01-15", "2020-03-16", "2008-06-06", "1990-03-01"])
def test_real_replay_snapshots_read_back_equal(replay_dir, day):
    from tui.data.replay import ReplaySource
    from tui.snapshot import build_snapshot

    config = Config()
    snapshot = build_snapshot(ReplaySource(replay_dir, as_of=date.fromisoformat(day)).fetch(config.symbols()), config)
    assert snapshot.runs and snapshot.history is not None
    assert roundtrip(snapshot) == snapshot
    plain = Snapshot.from_json(json.loads(json.dumps(snapshot.to_json(), allow_nan=False)))
    assert plain == without_extras(snapshot)


def test_demo_open_session_reads_back_equal():
    from tui.data.demo import DemoSource
    from tui.snapshot import build_snapshot

    clock = frozen_clock(datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc))  # Friday 12:30 New York
    config = Config()
    snapshot = build_snapshot(DemoSource(clock).fetch(config.symbols()), config)
    assert snapshot.provisional is not None and snapshot.provisional.quote_time is not None
    assert roundtrip(snapshot) == snapshot


def test_to_json_is_unchanged_by_the_cache_extras():
    snapshot = make_snapshot()
    doc = cache_json(snapshot)
    assert {k: v for k, v in doc.items() if k not in ("runs", "retry_in")} == snapshot.to_json()


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
maybe = st.none() | finite


@settings(max_examples=60, deadline=None)
@given(
    small=finite,
    large=finite,
    rs=maybe,
    value=maybe,
    percentile=maybe,
    retry=maybe,
    n=st.integers(0, 5),
    prov=st.booleans(),
    lengths=st.lists(st.integers(1, 40), max_size=30),
)
def test_hand_made_snapshots_read_back_equal(small, large, rs, value, percentile, retry, n, prov, lengths):
    from tui.model import StreakRun

    base = make_snapshot(provisional=provisional() if prov else None)
    runs, day = [], date(2000, 1, 3)
    for i, length in enumerate(lengths):
        end = day + timedelta(days=length)
        runs.append(StreakRun(("small", "large", "none")[i % 3], day, end, length, small, large))
        day = end + timedelta(days=1)
    snapshot = replace(
        base,
        streak=replace(base.streak, small_return=small, large_return=large, percentile=percentile),
        spread=replace(base.spread, rs_5d=rs),
        risks=tuple(replace(r, value=value) for r in base.risks[:n]),
        data=replace(base.data, retry_in=retry, errors=("a", "b")[: n % 3]),
        runs=tuple(runs),
    )
    assert roundtrip(snapshot) == snapshot


def test_nan_reads_back_as_none_never_made_up():
    snapshot = make_snapshot()
    nan = replace(snapshot, spread=replace(snapshot.spread, rs_5d=math.nan))
    assert roundtrip(nan).spread.rs_5d is None


def real_snapshot(replay_dir: Path, day: str = "2026-01-15") -> Snapshot:
    from tui.data.replay import ReplaySource
    from tui.snapshot import build_snapshot

    config = Config()
    return build_snapshot(ReplaySource(replay_dir, as_of=date.fromisoformat(day)).fetch(config.symbols()), config)


def test_the_runs_read_back_are_the_same_runs_by_every_way_of_reading_them(replay_dir):
    runs = real_snapshot(replay_dir).runs
    assert len(runs) > 1000
    packed = roundtrip(real_snapshot(replay_dir)).runs
    assert isinstance(packed, PackedRuns) and len(packed) == len(runs)
    assert packed == runs and runs == packed and hash(packed) == hash(tuple(runs))
    assert packed[0] == runs[0] and packed[-1] == runs[-1] and packed[-len(runs)] == runs[0]
    assert packed[-5:] == runs[-5:] and packed[10:20:3] == runs[10:20:3]
    assert list(reversed(packed))[:7] == list(reversed(runs))[:7]
    for index in (len(runs), -len(runs) - 1):
        with pytest.raises(IndexError):
            packed[index]
    assert packed != runs[:-1] and packed != (*runs[:-1], replace(runs[-1], length=runs[-1].length + 1))


def test_loading_the_cache_decodes_no_run_until_one_is_read(tmp_path, replay_dir, monkeypatch):
    """The first paint reads the last few of ~4,800 runs: loading must not build them all (~8 ms)."""
    import tui.model

    cache = SnapshotCache(tmp_path / "k.json")
    snapshot = real_snapshot(replay_dir)
    assert cache.save(snapshot, FROZEN)
    built = []

    make_run = tui.model.StreakRun

    def counted_run(*args: object) -> tui.model.StreakRun:
        built.append(args)
        return make_run(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(tui.model, "StreakRun", counted_run)
    loaded = cache.load()
    assert loaded is not None and built == []
    assert astuple(loaded.snapshot.runs[-1]) == astuple(snapshot.runs[-1]) and len(built) == 1


@pytest.mark.parametrize(
    "spoil",
    [
        lambda runs: runs.update(leader=runs["leader"][:-1]),  # one leader short of the other columns
        lambda runs: runs.update(leader="x" + runs["leader"][1:]),  # a leader code that means nothing
        lambda runs: runs.update(start=base64.b64encode(array("i", [0] * len(runs["leader"]))).decode()),  # day 0
        lambda runs: runs.update(end="not base64!"),
    ],
)
def test_spoilt_runs_are_no_cache_rather_than_a_failure_later(tmp_path, replay_dir, spoil):
    """The runs are decoded when read, on screen: whatever could fail there is found when the file is loaded."""
    cache = SnapshotCache(tmp_path / "k.json")
    assert cache.save(real_snapshot(replay_dir), FROZEN)
    doc = json.loads(cache.path.read_text())
    spoil(doc["snapshot"]["runs"])
    cache.path.write_text(json.dumps(doc))
    assert cache.load() is None


def test_save_then_load(tmp_path):
    cache = SnapshotCache(tmp_path / "snapshots" / "k.json")
    assert cache.load() is None
    snapshot = make_snapshot()
    assert cache.save(snapshot, FROZEN)
    loaded = cache.load()
    assert loaded is not None and loaded.snapshot == snapshot and loaded.received_at == FROZEN
    assert [p.name for p in cache.path.parent.iterdir()] == ["k.json"]  # no temporary file left behind


def test_a_broken_or_foreign_file_is_no_cache(tmp_path):
    path = tmp_path / "k.json"
    cache = SnapshotCache(path)
    for text in ("", "{", '{"format": 999}', '{"format": 1, "snapshot": {}}', "[]"):
        path.write_text(text)
        assert cache.load() is None


def test_an_unwritable_place_is_quietly_no_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert not SnapshotCache(blocker / "sub" / "k.json").save(make_snapshot(), FROZEN)


def test_a_full_disk_keeps_the_last_snapshot_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    cache = SnapshotCache(tmp_path / "snapshots" / "k.json")
    first = make_snapshot()
    assert cache.save(first, FROZEN)
    fill_disk(monkeypatch)  # every write fails as on a full disk
    assert not cache.save(replace(first, as_of=date(2026, 1, 16)), FROZEN)
    loaded = cache.load()
    assert loaded is not None and loaded.snapshot == first  # the last good one, whole
    assert [p.name for p in cache.path.parent.iterdir()] == ["k.json"]


def test_the_key_follows_files_config_day_and_version(tmp_path):
    folder = tmp_path / "replay"
    folder.mkdir()
    (folder / "^RUT.csv").write_text("Date,Close\n2026-01-02,1\n")
    key = source_key("replay", directory=folder, as_of=date(2026, 1, 15), config=Config())
    assert key == source_key("replay", directory=folder, as_of=date(2026, 1, 15), config=Config())
    assert key != source_key("replay", directory=folder, as_of=date(2026, 1, 14), config=Config())
    assert key != source_key("replay", directory=folder, as_of=date(2026, 1, 15), config=Config(), version="0")
    other = Config()
    other = replace(other, history=replace(other.history, min_length=9))
    assert key != source_key("replay", directory=folder, as_of=date(2026, 1, 15), config=other)
    assert key != source_key("demo", as_of=date(2026, 1, 15), config=Config())
    (folder / "^RUT.csv").write_text("Date,Close\n2026-01-02,1\n2026-01-05,2\n")  # size changes
    assert key != source_key("replay", directory=folder, as_of=date(2026, 1, 15), config=Config())


# -- the app -------------------------------------------------------------------------------------------------
def cached_app(tmp_path, source, build, saved=None, received_at=FROZEN - timedelta(hours=3)):
    from tui.app import StreakwatchApp

    cache = SnapshotCache(tmp_path / "k.json")
    if saved is not None:
        cache.save(saved, received_at)
    app = StreakwatchApp(source=source, config=Config(), clock=frozen_clock(), build=build, snapshot_cache=cache)
    return app, cache


@pilot_test
async def test_first_paint_shows_the_cache_marked_cached_with_its_age(tmp_path):
    source = FakeSource()
    old = make_snapshot(data=replace(make_snapshot().data, fetched_at=FROZEN - timedelta(hours=3)))
    app, _ = cached_app(tmp_path, source, builder(make_snapshot()), saved=old)
    async with app.run_test(size=SIZE) as pilot:
        assert source.calls == 0 or app.snapshot is not None
        first = screen_text(app)
        assert "cached" in first.splitlines()[0] and "3 h 0 min ago" in first.splitlines()[0]
        assert "CACHED · 3 h 0 min old" in first
        assert "in a row" in first
        await until(lambda: app.refresh_loop.generation > 0 and not app.fetching)
        await pilot.pause()
        text = screen_text(app)
        assert "cached" not in text.splitlines()[0] and "CACHED" not in text


@pilot_test
async def test_a_failed_first_refresh_leaves_the_cache_marked_stale(tmp_path):
    def fail():
        raise SourceError("connection refused")

    old = make_snapshot(data=replace(make_snapshot().data, fetched_at=FROZEN - timedelta(hours=3)))
    app, _ = cached_app(tmp_path, FakeSource(fail), builder(make_snapshot()), saved=old)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.refresh_loop.generation > 0 and not app.fetching)
        await pilot.pause()
        text = screen_text(app)
        assert "STALE · 3 h 0 min old" in text
        assert "STALE" in text.splitlines()[0] and "3 h 0 min ago" in text.splitlines()[0]
        assert "in a row" in text  # the data stays on screen
        assert app.is_stale()


@pilot_test
async def test_a_good_refresh_writes_the_cache(tmp_path):
    fresh = make_snapshot()
    app, cache = cached_app(tmp_path, FakeSource(), builder(fresh))
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.refresh_loop.generation > 0 and not app.fetching)
        await pilot.pause()
    loaded = cache.load()
    assert loaded is not None and loaded.snapshot == fresh


@pilot_test
async def test_a_refresh_with_nothing_new_reuses_the_snapshot(replay_dir):
    from tui.app import StreakwatchApp
    from tui.data.factory import after_close
    from tui.data.replay import ReplaySource

    source = ReplaySource(replay_dir, as_of=date(2026, 1, 15))
    app = StreakwatchApp(source=source, config=Config(), clock=frozen_clock(after_close(date(2026, 1, 15))))
    async with app.run_test(size=SIZE):
        await until(lambda: app.refresh_loop.generation > 0 and not app.fetching, timeout=30)
        first = app.snapshot
        drawn = {p.id: p._part for p in app.panes()}
        app.start_refresh()
        await until(lambda: not app.fetching and app.snapshot is not first, timeout=30)
        assert app.snapshot == first and app.snapshot.streak is first.streak  # reused, not rebuilt
        assert all(p._part is drawn[p.id] for p in app.panes())  # no pane redrew
        source.set_as_of(date(2026, 1, 14))
        app.start_refresh()
        await until(lambda: not app.fetching and app.snapshot.as_of == date(2026, 1, 14), timeout=30)


def test_the_import_path_to_the_first_paint_has_no_pandas():
    code = (
        "import sys; import tui.cli, tui.app, tui.snapshot_cache; "
        "heavy = [m for m in ('pandas', 'numpy', 'yfinance', 'exchange_calendars', 'plotext') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert out.stdout.strip() == "[]"


FIRST_CHART = """
import asyncio, sys
from textual.app import App
from tests.app_helpers import make_snapshot
from tui.widgets.palette import Palette
from tui.widgets.spread import SpreadChart

class ChartApp(App):
    def compose(self):
        yield SpreadChart()

async def main():
    app = ChartApp()
    async with app.run_test(size=(80, 20)) as pilot:
        chart = app.query_one(SpreadChart)
        colours = Palette("#00ff00", "#ff0000", "#ffff00", "#ffaa00", "#00ff00", "#0000ff", "#888888")
        chart.show(make_snapshot().spread, colours, None)
        # Lines of the same frame, asked one after another: none may build the chart.
        first = [chart.render_line(y).text.strip() for y in range(3)]
        print(first, chart.builds, "plotext" in sys.modules)
        for _ in range(10):
            await pilot.pause()
            if chart.builds:
                break
        print(chart.builds)

asyncio.run(main())
"""


def test_the_first_chart_waits_for_the_next_frame_on_every_line():
    """plotext's import and first build (~40 ms) stay out of the first frame, whichever line is drawn first."""
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CHART],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=60,
    )
    first, later = out.stdout.strip().splitlines()
    assert first == "['drawing…', '', ''] 0 False"
    assert later == "1"
