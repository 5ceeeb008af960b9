"""Driving the monitor headless (``App.run_test``) from a benchmark."""

from __future__ import annotations

import asyncio
import time

SIZE = (120, 40)


async def wait_for_snapshot(app, old, timeout: float = 30.0):
    """Wait until the app holds a snapshot other than ``old`` and has drawn it; returns it (or None on timeout).

    Woken by the app's own SnapshotReady handling (``BenchApp.shown``) and composites (:func:`drawn`), not by
    polling: a polling loop would add its own wake-ups to the CPU time the refresh benchmark measures."""
    end = time.perf_counter() + timeout
    while True:
        app.shown.clear()  # before the check: a snapshot that lands after it sets the event again
        snap = app.snapshot
        if snap is not None and snap is not old and not app.fetching:
            await drawn(app, max(end - time.perf_counter(), 0.0))  # the panes' updates laid out and composited
            return snap
        remaining = end - time.perf_counter()
        if remaining <= 0:
            return None
        try:
            await asyncio.wait_for(app.shown.wait(), min(remaining, 1.0))  # ≤ 1 s: also see a cached first paint
        except TimeoutError:
            pass


async def drawn(app, timeout: float = 30.0) -> bool:
    """Wait until everything the app has been asked to draw is on screen: no message queued anywhere, no layout or
    repaint pending. False on timeout.

    Woken by each composite (``BenchApp.composited``), checked then. ``pilot.pause()`` would do, but it posts a
    callback to every widget and polls the process's CPU time for 20 ms: ~2.5 ms of CPU that are the harness's,
    not the app's, inside every cycle the refresh benchmark times."""
    end = time.perf_counter() + timeout
    while True:
        app.composited.clear()  # before the check: a composite after it sets the event again
        if settled(app):
            return True
        remaining = end - time.perf_counter()
        if remaining <= 0:
            return False
        try:
            # A pending message may end in no composite (nothing changed on screen): check again within 50 ms.
            await asyncio.wait_for(app.composited.wait(), min(remaining, 0.05))
        except TimeoutError:
            pass


def settled(app) -> bool:
    """Nothing left to handle or draw, by Textual's own flags: private, so tests/test_bench_headless.py checks this
    against what the screen shows, at every Textual the tests run with."""
    screen = app.screen
    if screen._layout_required or screen._repaint_required or screen._scroll_required or screen._dirty_widgets:
        return False
    if screen._callbacks:  # call_after_refresh callbacks still to run
        return False
    for node in (app, *screen.walk_children(with_self=True)):
        if not node._message_queue.empty() or node._next_callbacks:
            return False
        if getattr(node, "_repaint_required", False) or getattr(node, "_layout_required", False):
            return False
    return True


def make_app(source, config, clock):
    from tui.app import StreakwatchApp
    from tui.messages import SnapshotReady

    class BenchApp(StreakwatchApp):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.shown = asyncio.Event()
            self.composited = asyncio.Event()

        def on_snapshot_ready(self, _message: SnapshotReady) -> None:
            # Textual calls this and then StreakwatchApp's own handler (it walks the MRO): just wake the waiter.
            self.shown.set()

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)  # every composite ends here (headless: nothing is written)
            self.composited.set()

    return BenchApp(source=source, config=config, clock=clock)
