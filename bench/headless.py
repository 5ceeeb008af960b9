"""Driving the monitor headless (``App.run_test``) from a benchmark."""

from __future__ import annotations

import asyncio
import time

SIZE = (120, 40)


async def wait_for_snapshot(app, pilot, old, timeout: float = 30.0, step: float = 0.005):
    """Wait until the app holds a snapshot other than ``old`` and has drawn it; returns it (or None on timeout)."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        snap = app.snapshot
        if snap is not None and snap is not old and not app.fetching:
            await pilot.pause()  # let the panes' updates be laid out and composited
            return snap
        await asyncio.sleep(step)
    return None


def make_app(source, config, clock):
    from tui.app import StreakwatchApp

    return StreakwatchApp(source=source, config=config, clock=clock)
