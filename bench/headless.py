"""Driving the monitor headless (``App.run_test``) from a benchmark."""

from __future__ import annotations

import asyncio
import time

SIZE = (120, 40)


async def wait_for_snapshot(app, pilot, old, timeout: float = 30.0):
    """Wait until the app holds a snapshot other than ``old`` and has drawn it; returns it (or None on timeout).

    Woken by the app's own SnapshotReady handling (``BenchApp.shown``), not by polling: a polling loop would
    add its own wake-ups to the CPU time the refresh benchmark measures."""
    end = time.perf_counter() + timeout
    while True:
        app.shown.clear()  # before the check: a snapshot that lands after it sets the event again
        snap = app.snapshot
        if snap is not None and snap is not old and not app.fetching:
            await pilot.pause()  # let the panes' updates be laid out and composited
            return snap
        remaining = end - time.perf_counter()
        if remaining <= 0:
            return None
        try:
            await asyncio.wait_for(app.shown.wait(), min(remaining, 1.0))  # ≤ 1 s: also see a cached first paint
        except TimeoutError:
            pass


def make_app(source, config, clock):
    from tui.app import StreakwatchApp
    from tui.messages import SnapshotReady

    class BenchApp(StreakwatchApp):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.shown = asyncio.Event()

        def on_snapshot_ready(self, _message: SnapshotReady) -> None:
            # Textual calls this and then StreakwatchApp's own handler (it walks the MRO): just wake the waiter.
            self.shown.set()

    return BenchApp(source=source, config=config, clock=clock)
