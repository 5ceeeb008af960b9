"""The refresh benchmark's wait for a frame (bench/headless.py): it reads Textual's private flags instead of
``pilot.pause()``, whose own CPU time would count as the app's, so it is checked here against what the app does."""

from __future__ import annotations

from datetime import datetime, timezone

from bench.headless import drawn, make_app, settled, wait_for_snapshot
from tests.app_helpers import pilot_test
from tui.config import Config
from tui.data.demo import DemoSource
from tui.widgets.race import RaceChart

CONFIG = Config()


@pilot_test
async def test_the_wait_ends_once_the_new_snapshot_is_composited():
    now = [datetime(2026, 11, 30, 15, 10, tzinfo=timezone.utc)]  # Mon 10:10 ET: today's race on screen

    def clock() -> datetime:
        return now[0]

    app = make_app(DemoSource(clock), CONFIG, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for_snapshot(app, None, timeout=60) is not None
        await pilot.pause()  # the first chart of a process is drawn a frame later
        chart = app.query_one(RaceChart)
        builds = chart.builds
        assert builds >= 1 and settled(app)

        now[0] = datetime(2026, 11, 30, 15, 15, tzinfo=timezone.utc)  # a new point on the race
        old = app.snapshot
        assert app.start_refresh(manual=True)
        got = await wait_for_snapshot(app, old, timeout=30)
        assert got is not None and got is not old and got.today is not None
        # Composited, not only handed to the panes: the chart builds its lines when the compositor asks for them.
        assert chart.builds == builds + 1
        assert settled(app)

        chart.refresh()
        assert not settled(app)  # a repaint pending
        assert await drawn(app, timeout=10)
        assert settled(app)
