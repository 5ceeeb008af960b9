"""The background worker: the UI never waits on the network, failures are shown, quitting never hangs."""

from __future__ import annotations

import asyncio
import threading
import time

from msgspec.structs import replace

from tests.app_helpers import (
    FROZEN,
    BlockingSource,
    FakeSource,
    builder,
    make_app,
    make_snapshot,
    market_data,
    pilot_test,
    ready,
    screen_text,
    until,
)
from tui.config import Config
from tui.data.market_clock import market_status, refresh_delay
from tui.errors import SourceError
from tui.messages import SnapshotReady

SIZE = (120, 40)


@pilot_test
async def test_keys_are_handled_within_100ms_while_a_fetch_hangs():
    source = BlockingSource()
    app = make_app(source=source)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(source.entered.is_set)
            await pilot.pause()
            assert app.fetching
            handled: list[float] = []
            monitor = app.monitor  # the pane keys are the main screen's
            original = monitor.action_focus_pane
            monitor.action_focus_pane = lambda name: (handled.append(time.monotonic()), original(name))
            for key, pane in (("2", "spread"), ("4", "risks"), ("3", "sectors")):
                started = time.monotonic()
                await pilot.press(key)
                assert handled and handled[-1] - started < 0.1, key  # handled, not merely queued
                assert app.focused_pane().id == pane
            assert app.fetching  # still waiting on the "network"
    finally:
        source.release.set()


def test_quit_mid_fetch_exits_at_once():
    source = BlockingSource()  # never released: a socket stuck forever
    app = make_app(source=source)

    async def main() -> float:
        async with app.run_test(size=SIZE) as pilot:
            await until(source.entered.is_set)
            started = time.monotonic()
            await pilot.press("q")
        return started

    started = asyncio.run(main())  # returns only once the event loop's executor threads are joined
    assert time.monotonic() - started < 2.0
    assert app.return_code == 0
    assert not source.release.is_set()


@pilot_test
async def test_refresh_while_fetching_does_not_start_a_second_fetch():
    source = BlockingSource()
    app = make_app(source=source)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(source.entered.is_set)
            await pilot.press("r")
            await pilot.pause()
            assert source.calls == 1
            assert any("already running" in n.message for n in app._notifications)
            source.release.set()
            await ready(pilot)
            assert app.snapshot is not None and not app.fetching
    finally:
        source.release.set()


@pilot_test
async def test_failure_is_shown_in_the_status_line_and_notified_and_the_app_keeps_running():
    def fail():
        raise SourceError("Yahoo rate limit", retry_after=90)

    app = make_app(source=FakeSource(fail))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.is_running
        assert "⚠ Yahoo rate limit" in screen_text(app).splitlines()[0]
        notes = [n for n in app._notifications if n.title == "Refresh failed"]
        assert notes and "Yahoo rate limit" in notes[0].message and notes[0].severity == "error"
        assert 85 < app.refresh_loop.next_in() <= 90  # the source's retry_after, not the cadence


@pilot_test
async def test_backoff_grows_when_the_source_gives_no_retry_hint():
    def fail():
        raise SourceError("connection refused")

    app = make_app(source=FakeSource(fail))
    async with app.run_test(size=SIZE) as pilot:
        delays = []
        for _ in range(3):
            await ready(pilot)
            delays.append(app.refresh_loop.next_in())
            app.start_refresh()
        assert delays[0] < delays[1] < delays[2]


@pilot_test
async def test_a_refresh_landing_while_the_app_shuts_down_is_dropped():
    """run_test (and App.exit) tear the screen down while the app still handles messages: a worker's result, the
    retry timer or the tick arriving then must not query the half-removed panes (it was NoMatches '#streak'
    under load, when the last failed fetch of test_backoff_grows... landed during the shutdown)."""
    from tui.messages import RefreshFailed

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        generation = app.refresh_loop.generation
        await app.query_one("#panes").remove()  # what App._shutdown's pruning does, one step at a time
        app._running = False  # App._shutdown clears this first
        try:
            app.on_refresh_failed(RefreshFailed("connection refused", generation))
            app.on_snapshot_ready(SnapshotReady(make_snapshot(), generation))
            app._on_tick()
            app._on_timer()
            assert not app.start_refresh() and app.refresh_loop.generation == generation
        finally:
            app._running = True


@pilot_test
async def test_an_unexpected_exception_becomes_a_visible_failure_not_a_crash():
    def broken_build(data, config):
        raise RuntimeError("division by zero somewhere")

    app = make_app(build=broken_build)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.pause()
        assert app.is_running
        status = screen_text(app).splitlines()[0]
        assert "unexpected error: RuntimeError: division by zero somewhere" in status
        assert any(n.title == "Refresh failed" for n in app._notifications)
        assert app.refresh_loop.next_due is not None  # and it will try again


@pilot_test
async def test_next_refresh_is_scheduled_after_completion_from_the_market_clock():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        expected = refresh_delay(market_status(FROZEN), Config().refresh, app.snapshot.as_of)
        assert abs((app.refresh_loop.next_in()) - expected) < 2
        assert app.refresh_loop.next_due is not None and not app.fetching


@pilot_test
async def test_superseded_results_are_dropped():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        shown = app.snapshot
        old = make_snapshot(sectors=())
        app.post_message(SnapshotReady(old, app.refresh_loop.generation - 1))
        await pilot.pause()
        assert app.snapshot is shown and app.pane("sectors").state == "data"


@pilot_test
async def test_panes_redraw_only_when_their_part_changed():
    first = make_snapshot()
    same = make_snapshot()
    other_sectors = replace(first, sectors=first.sectors[:5])
    app = make_app(build=builder(first, same, other_sectors))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        draws: list[str] = []
        for name in ("streak", "spread", "sectors", "risks"):
            pane = app.pane(name)
            original = pane.draw
            pane.draw = lambda part, *a, _o=original, _n=name, **k: (draws.append(_n), _o(part, *a, **k))
        app.start_refresh()
        await ready(pilot)
        assert draws == []  # an equal snapshot redraws nothing
        app.start_refresh()
        await ready(pilot)
        assert draws == ["sectors"]


@pilot_test
async def test_idle_app_runs_no_fast_timers():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app._tick._interval >= 5
        assert app.refresh_loop.next_in() > 30
        # Our own timers only; Textual's internal ones (screen updates) are idle without changes.
        mine = [t for t in app._timers if getattr(t, "name", "") in ("age-tick", "next-refresh")]
        assert len(mine) == 2


@pilot_test
async def test_data_errors_are_notified_once():
    snap = make_snapshot(data=replace(make_snapshot().data, errors=("no replay file for: HYG",)))
    source = FakeSource(market_data)
    app = make_app(source=source, build=builder(snap))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.start_refresh()
        await ready(pilot)
        notes = [n for n in app._notifications if n.title == "Data problem"]
        assert len(notes) == 1 and "HYG" in notes[0].message


def test_exit_does_not_wait_for_a_close_stuck_behind_a_hung_fetch():
    from tui.cli import close_quietly

    release = threading.Event()

    class Hung:
        closed = False

        def close(self):
            release.wait(30)  # the fetch thread holds the source's lock, stuck in a socket
            self.closed = True

    started = time.monotonic()
    close_quietly(Hung(), timeout=0.2)
    assert time.monotonic() - started < 2
    release.set()

    class Quick:
        closed = False

        def close(self):
            self.closed = True

    quick = Quick()
    close_quietly(quick)
    assert quick.closed
