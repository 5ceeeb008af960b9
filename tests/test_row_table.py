"""RowTable (the sectors table): fixed header, cursor, scrolling, and redrawing only the rows that changed."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tests.app_helpers import pilot_test
from tui.widgets.row_table import Cell, RowTable, TableColumn, fit

COLUMNS = (TableColumn("Sym", 5), TableColumn("Value", 8, "right"))


def rows(n: int, offset: float = 0.0) -> list[tuple[Cell, ...]]:
    return [(Cell(f"S{i:02d}", "bold"), Cell(f"{i + offset:+.1f}%", "green", "right")) for i in range(n)]


SIZE = (40, 10)


class TableApp(App):
    """A RowTable of ``COLUMNS`` showing ``shown`` rows (header + 5 rows visible), not focused."""

    AUTO_FOCUS = None  # the tests focus the table themselves

    def __init__(self, shown: list[tuple[Cell, ...]]) -> None:
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        table = RowTable(id="table")
        table.styles.height = 6
        yield table

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.set_columns(COLUMNS)
        table.set_rows(self.shown)


def lines(app: App) -> list[str]:
    table = app.query_one(RowTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def test_fit_pads_and_cuts_to_the_column_width():
    assert fit("ab", 4, "left") == "ab  "
    assert fit("ab", 4, "right") == "  ab"
    assert fit("abcdef", 4, "right") == "abcd"


@pilot_test
async def test_header_stays_on_top_while_the_cursor_scrolls_the_rows():
    app = TableApp(rows(20))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(RowTable)
        table.focus()
        await pilot.pause()
        assert lines(app)[0].rstrip() == "Sym     Value"
        assert lines(app)[1].startswith("S00     +0.0%")
        for _ in range(7):
            await pilot.press("down")
        await pilot.pause()
        assert table.cursor_row == 7
        shown = lines(app)
        assert shown[0].startswith("Sym")  # the header did not scroll away
        assert shown[-1].startswith("S07")  # the cursor row is the last visible one
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 19 and lines(app)[-1].startswith("S19")
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and lines(app)[1].startswith("S00")
        await pilot.press("up")  # clamped at the top
        assert table.cursor_row == 0


@pilot_test
async def test_cursor_is_drawn_only_while_focused():
    app = TableApp(rows(3))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(RowTable)
        await pilot.pause()
        unfocused = table.render_line(1)
        table.focus()
        await pilot.pause()
        focused = table.render_line(1)
        cursor = table.get_component_rich_style("row-table--cursor")
        assert unfocused.text == focused.text
        assert any(seg.style and seg.style.bgcolor == cursor.bgcolor for seg in focused)
        assert not any(seg.style and seg.style.bgcolor == cursor.bgcolor for seg in unfocused)


@pilot_test
async def test_click_moves_the_cursor_to_the_row():
    app = TableApp(rows(5))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(RowTable)
        await pilot.pause()
        await pilot.click(RowTable, offset=(2, 3))  # line 3 = the third row under the header
        assert table.cursor_row == 2


@pilot_test
async def test_only_changed_rows_are_drawn_again():
    app = TableApp(rows(5))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(RowTable)
        await pilot.pause()
        before = {i: table._strips[i][1] for i in range(5)}
        changed = rows(5)
        changed[3] = (Cell("S03", "bold"), Cell("+9.9%", "red", "right"))
        table.set_rows(changed)
        await pilot.pause()
        after = {i: table._strips[i][1] for i in range(5)}
        assert [i for i in range(5) if after[i] is not before[i]] == [3]
        assert lines(app)[4].startswith("S03     +9.9%")


@pilot_test
async def test_fewer_rows_clamp_the_cursor_and_markup_stays_literal():
    app = TableApp(rows(10))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(RowTable)
        table.move_cursor(9)
        table.set_rows([(Cell("[b]X"), Cell("[/]", "", "right"))])
        await pilot.pause()
        assert table.cursor_row == 0 and table.row_count == 1
        assert lines(app)[1].startswith("[b]X")
        assert lines(app)[2].strip() == ""
