"""Lines: an update repaints only the lines that changed, and an equal text nothing."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from tests.app_helpers import pilot_test
from tui.widgets.lines import Lines


class LinesApp(App):
    def compose(self) -> ComposeResult:
        yield Lines(Text("one\ntwo\nthree"), id="lines")


@pilot_test
async def test_an_update_repaints_only_the_lines_that_changed():
    app = LinesApp()
    async with app.run_test(size=(40, 10)) as pilot:
        lines = app.query_one(Lines)
        await pilot.pause()
        refreshes = []
        refresh = lines.refresh
        lines.refresh = lambda *regions, **kwargs: refreshes.append((regions, kwargs)) or refresh(*regions, **kwargs)

        lines.update(Text("one\n2\nthree"))
        assert refreshes == [((Region(0, 1, 40, 1),), {})]
        await pilot.pause()
        assert [lines.render_line(y).text for y in range(3)] == ["one", "2", "three"]

        refreshes.clear()
        lines.update(Text("one\n2\nthree"))  # the same text: nothing to do
        assert refreshes == []

        lines.update(Text("one\n2\nthree\nfour"))  # taller: a layout pass
        assert refreshes == [((), {"layout": True})]
        await pilot.pause()
        assert lines.size.height == 4
