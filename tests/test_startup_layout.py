"""Start-up ordering of the main screen: no layout pass is spent twice on the same terminal size."""

from __future__ import annotations

from tests.app_helpers import make_app, pilot_test, ready
from textual import events

SIZE = (120, 40)


@pilot_test
async def test_a_resize_to_the_size_already_laid_out_costs_no_layout():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.monitor
        layouts = []
        real_layout = screen._refresh_layout
        screen._refresh_layout = lambda *a, **k: (layouts.append(a), real_layout(*a, **k))[1]
        # What Textual's driver does at start-up: report the size the screen already has.
        screen.post_message(events.Resize(app.size, app.size))
        await pilot.pause()
        assert layouts == []
        streak = app.pane("streak")
        assert streak.size.width > 0 and streak.size.height > 0


@pilot_test
async def test_a_real_resize_still_lays_the_screen_out_and_moves_the_breakpoints():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        wide = app.pane("streak").size
        assert app.screen.has_class("-wide")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.screen.has_class("-narrow") and app.screen.has_class("-short")
        narrow = app.pane("streak").size
        assert narrow != wide and narrow.height < wide.height  # laid out again (narrow: one column of panes)
        await pilot.resize_terminal(*SIZE)  # and back: a size seen before is not a size already laid out
        await pilot.pause()
        assert app.screen.has_class("-wide") and app.pane("streak").size == wide
