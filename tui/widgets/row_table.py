"""A read-only table drawn with the line API: a fixed header row, then rows of styled cells, each row one Strip.

Textual's DataTable renders every visible cell through Rich again whenever any cell changes (its render cache is
keyed on a table-wide update count), which cost the sectors pane ~18 ms on each refresh with new prices. Here a
row becomes segments once, when its cells change, and stays a cached Strip until then; the cursor is a style
applied to one row's strip at draw time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, Literal, TypeVar

from msgspec import Struct
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

Justify = Literal["left", "right"]


class Cell(Struct, frozen=True):
    """One cell: plain text (never parsed as markup) and a Rich style string."""

    plain: str
    style: str = ""
    justify: Justify = "left"


class TableColumn(Struct, frozen=True):
    """A column of a :class:`RowTable`: its header, width and how its cells are justified."""

    label: str
    width: int  # cells, including the gap to the next column (text is cut to fit)
    justify: Justify = "left"


Row = TypeVar("Row")


class ValueColumn(Struct, Generic[Row], frozen=True):
    """A value column of a sortable table (the sector table, the rotation table): its sort key, header, width and
    how a row gives its value."""

    key: str
    label: str
    width: int
    value: Callable[[Row], object]
    numeric: bool = True


Row = tuple[Cell, ...]


def fit(text: str, width: int, justify: Justify) -> str:
    """``text`` padded or cut to exactly ``width`` cells (the cells here hold single-width characters)."""
    text = text[:width]
    return text.rjust(width) if justify == "right" else text.ljust(width)


class RowTable(ScrollView, can_focus=True):
    """Header + rows; a row cursor (``cursor_row``) shown while focused; rows replaced with ``set_rows``."""

    # Cursor keys as in a DataTable; a subclass adds the app's own (tui/bindings.py).
    BINDINGS = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("home", "scroll_top", "Top", show=False),
        Binding("end", "scroll_bottom", "Bottom", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
    ]
    COMPONENT_CLASSES = {"row-table--header", "row-table--cursor"}

    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        & > .row-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .row-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns: tuple[TableColumn, ...] = ()
        self.rows: list[Row] = []
        self.cursor_row = 0
        self.show_cursor = False
        self._strips: dict[int, tuple[object, Strip]] = {}  # row index (-1: header) -> (key, strip)
        self._styles: dict[str, Style] = {}

    # -- content -----------------------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    def row_text(self, index: int) -> tuple[str, ...]:
        return tuple(cell.plain for cell in self.rows[index])

    def set_columns(self, columns: Sequence[TableColumn]) -> None:
        columns = tuple(columns)
        if columns != self.columns:
            self.columns = columns
            self._strips.clear()
            self._resize()
            self.refresh()

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows``; only the lines whose cells changed are drawn again."""
        rows = list(rows)
        changed = [i for i, row in enumerate(rows) if i >= len(self.rows) or self.rows[i] != row]
        count_changed = len(rows) != len(self.rows)
        self.rows = rows
        if count_changed:
            self._strips = {i: s for i, s in self._strips.items() if i < len(rows)}
            self._resize()
            self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
            self.refresh()
        else:
            for i in changed:
                self._refresh_row(i)

    def _resize(self) -> None:
        self.virtual_size = Size(sum(c.width for c in self.columns), len(self.rows) + 1)

    # -- cursor ------------------------------------------------------------------------------------------------
    def on_focus(self) -> None:
        self.show_cursor = True
        self._refresh_row(self.cursor_row)

    def on_blur(self) -> None:
        self.show_cursor = False
        self._refresh_row(self.cursor_row)

    def move_cursor(self, row: int) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        row = min(max(row, 0), max(len(self.rows) - 1, 0))
        if row != self.cursor_row:
            self._refresh_row(self.cursor_row)
            self.cursor_row = row
            self._refresh_row(row)
        # The header covers the first visible line, so row i is visible for scroll_y in [i + 2 - height, i].
        visible = max(self.scrollable_content_region.height - 1, 1)
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row > top + visible - 1:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self.rows) - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + max(self.scrollable_content_region.height - 1, 1))

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - max(self.scrollable_content_region.height - 1, 1))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:  # not the header
            self.move_cursor(self.scroll_offset.y + event.y - 1)

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + 1)  # virtual line: the header is line 0

    # -- drawing -----------------------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            strip = self._header(base + self.get_component_rich_style("row-table--header"))
        else:
            index = scroll_y + y - 1
            if not 0 <= index < len(self.rows):
                return Strip.blank(width, base)
            if self.show_cursor and index == self.cursor_row:
                # The cursor's colours win over the cells' (one row, drawn afresh: not worth caching).
                strip = self._row_strip(index, base, self.get_component_rich_style("row-table--cursor"))
            else:
                strip = self._cached_row(index, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _header(self, style: Style) -> Strip:
        key = (self.columns, style)
        cached = self._strips.get(-1)
        if cached is None or cached[0] != key:
            segments = [Segment(fit(c.label, c.width, c.justify), style) for c in self.columns]
            cached = self._strips[-1] = (key, Strip(Segment.simplify(segments)))
        return cached[1]

    def _cached_row(self, index: int, base: Style) -> Strip:
        """Row ``index``'s strip, kept until its cells, the columns or the base style change."""
        key = (self.rows[index], self.columns, base)
        cached = self._strips.get(index)
        if cached is None or cached[0] != key:
            cached = self._strips[index] = (key, self._row_strip(index, base))
        return cached[1]

    def _row_strip(self, index: int, base: Style, over: Style | None = None) -> Strip:
        segments, length = [], 0
        for column, cell in zip(self.columns, self.rows[index]):
            style = base + self._style(cell.style)
            segments.append(Segment(fit(cell.plain, column.width, cell.justify), style + over if over else style))
            length += column.width
        return Strip(Segment.simplify(segments), length)

    def _style(self, text: str) -> Style:
        style = self._styles.get(text)
        if style is None:
            style = self._styles[text] = Style.parse(text) if text else Style()
        return style
