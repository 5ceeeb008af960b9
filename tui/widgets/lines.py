"""A Static-like widget that renders its Rich content once per (content, width, style) into cached strips.

A Static holding a Rich ``Table`` renders it again for every question the layout asks (its height, then its
lines, on each of the frame's layout passes): the streak and risk panes' grids were rendered several times per
frame. Here the content goes through the same pipeline as a Static's (``visualize`` → ``Visual.to_strips`` with
the widget's style), so it looks the same, but only once; the height is the number of cached lines, and an update
that keeps the height only repaints (no layout pass), and only the lines that changed: a new value on one line of
a grid repaints that line, an update to the same text (a pane redrawn for another part of the snapshot) nothing.

Rendering a Rich grid costs ~0.3 ms a row, so a grid can also be given as a ``Stack`` of ``Grid`` blocks (a few
rows each, at the column widths of the whole grid): an update renders only the blocks that are not the same as
one on screen, and the lines are the ones the whole grid would have.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from msgspec import Struct
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual, visualize
from textual.widget import Widget

Cell = Text | str


class Stack(Struct, frozen=True):
    """Blocks shown one under another, each rendered on its own: equal blocks draw the same lines, so a block
    equal to one already drawn (at the same width and style) is not rendered again."""

    blocks: tuple[Hashable, ...]


class Lines(Widget):
    """Rich content drawn from strips cached on (width, visual style); ``height: auto`` by default."""

    DEFAULT_CSS = """
    Lines {
        height: auto;
    }
    """

    def __init__(
        self, content: RenderableType | Stack = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.auto_links = False  # no links in what panes show: skip looking for them in every render and frame
        self._content: RenderableType | Stack = content
        self._strips: tuple[Any, list[Strip]] | None = None  # ((width, style), strips)
        self._blocks: tuple[Any, dict[Hashable, list[Strip]]] = (None, {})  # ((width, style), a Stack's blocks)
        self._last_height: int | None = None  # lines at the width the layout last asked about

    @property
    def content(self) -> RenderableType | Stack:
        return self._content

    def update(self, content: RenderableType | Stack) -> None:
        """Show ``content``: a repaint of the lines that changed if its height at the current width is unchanged,
        else a layout pass."""
        if same_look(content, self._content):
            return  # rendering a Text costs ~0.3 ms even when nothing changed
        previous = self._strips
        self._content = content
        self._strips = None
        height = self.styles.height
        fixed_height = height is not None and not height.is_auto  # the layout can't change
        width = self.size.width
        if not width:
            self.refresh(layout=not fixed_height)  # not laid out (or not shown) yet
            return
        lines = self._lines(width)
        if not fixed_height and len(lines) != self._last_height:
            self.refresh(layout=True)
        elif previous is None or previous[0] != self._strips[0]:  # type: ignore[index]
            self.refresh()  # last drawn at another width or style: all of it
        else:
            self._refresh_changed(previous[1], lines, width)

    def _refresh_changed(self, old: list[Strip], new: list[Strip], width: int) -> None:
        """Repaint only the lines that differ (each repainted line is composited again, line by line)."""
        for y in range(max(len(old), len(new))):
            if y >= len(old) or y >= len(new) or old[y] != new[y]:
                self.refresh(Region(0, y, width, 1))

    def _lines(self, width: int) -> list[Strip]:
        style = self.visual_style
        key = (width, style)
        cached = self._strips
        if cached is not None and cached[0] == key:
            return cached[1]
        content = self._content
        if width <= 0:
            strips = []
        elif isinstance(content, Stack):
            strips = self._stack_lines(content, key, style)
        else:
            strips = self._render(content, width, style)
        self._strips = (key, strips)
        return strips

    def _stack_lines(self, stack: Stack, key: Any, style: VisualStyle) -> list[Strip]:
        drawn = self._blocks[1] if self._blocks[0] == key else {}
        blocks: dict[Hashable, list[Strip]] = {}
        strips: list[Strip] = []
        for block in stack.blocks:
            block_key = block.lines_key(key[0]) if isinstance(block, Grid) else block
            lines = blocks.get(block_key)
            if lines is None:
                lines = drawn.get(block_key)
            if lines is None:
                lines = self._render(block, key[0], style)
            blocks[block_key] = lines
            strips.extend(lines)
        self._blocks = (key, blocks)  # only what is on screen now: the cache can't grow
        return strips

    def _render(self, content: RenderableType, width: int, style: VisualStyle) -> list[Strip]:
        return Visual.to_strips(self, visualize(self, content, markup=False), width, None, style)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        height = len(self._lines(width))
        self._last_height = height
        return height

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self._lines(width)
        if y < len(lines):
            return lines[y]
        return Strip.blank(width, self.visual_style.rich_style)


def look(text: Cell) -> Hashable:
    """What a Text's rendering depends on (Text's own ``==`` ignores the base style and the wrapping options)."""
    if isinstance(text, str):
        return text
    return (
        text.plain,
        tuple(text.spans),
        text.style,
        text.justify,
        text.overflow,
        text.no_wrap,
        text.end,
        text.tab_size,
    )


def same_look(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` surely render alike: equal texts or stacks (other renderables don't compare)."""
    if isinstance(a, Text) and isinstance(b, Text):
        return look(a) == look(b)
    return isinstance(a, Stack) and a == b


class Grid:
    """Rows of a two-column grid as ``Table.grid(padding=(0, 1))`` draws them (labels no_wrap, in
    ``label_style``), at the column widths of the whole grid: labels as wide as the widest, values as wide as
    the widest but no wider than what is left. So a few rows drawn alone are the lines they'd be in the whole
    grid. Equal when they draw the same. A str cell is console markup, as in a Table: constants only."""

    def __init__(
        self, rows: tuple[tuple[Cell, Cell], ...], label_width: int, value_width: int, label_style: str = ""
    ) -> None:
        self.rows = rows
        self.label_width = label_width
        self.value_width = value_width
        self.label_style = label_style
        self._drawn_at_any_width = (
            tuple((look(label), look(value)) for label, value in rows),
            label_style,
            label_width,
        )

    @classmethod
    def blocks(cls, blocks: list[tuple[tuple[Cell, Cell], ...]], label_style: str = "") -> Stack:
        """``blocks`` of rows, each a Grid at the widths of all of them: a Stack that draws the whole grid."""
        rows = [row for block in blocks for row in block]
        label_width = max((widest(label) for label, _ in rows), default=0)
        value_width = max((widest(value) for _, value in rows), default=0) or 1
        return Stack(tuple(cls(block, label_width, value_width, label_style) for block in blocks))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grid) and (self._drawn_at_any_width, self.value_width) == (
            other._drawn_at_any_width,
            other.value_width,
        )

    def __hash__(self) -> int:
        return hash((self._drawn_at_any_width, self.value_width))

    def lines_key(self, width: int) -> Hashable:
        """What the lines depend on at ``width``: the values' column is as wide wherever the widest value
        doesn't fit (so a risk whose rows didn't change is reused even when another's longer text did)."""
        return self._drawn_at_any_width, self._value_column(width)

    def _value_column(self, width: int) -> int:
        # What Table gives the values when the widest doesn't fit: the rest of the line (it wraps them).
        return max(1, min(self.value_width, width - self.label_width - 1))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The rows as ``Table.grid`` renders them, cell by cell with Rich's own pieces (each cell in a ``Padding``
        rendered at its column's width, set to the row's height): the same segments, without the Table's
        per-render set-up, which cost as much again as the cells (~0.24 ms a block against ~0.1)."""
        value_column = self._value_column(options.max_width)
        if self.label_width + 1 + value_column > options.max_width:
            yield self._table(value_column)  # narrower than the labels: Table shrinks its columns, as it will
            return
        base = options.update(highlight=False, height=None)
        label_style = console.get_style(self.label_style)
        # Per column: the options its cells render with, its style, and the Padding's blank right of the labels.
        columns = (
            (base.update(width=self.label_width, justify="left", no_wrap=True, overflow="ellipsis"), label_style, 1),
            (base.update(width=value_column, justify="left", no_wrap=False, overflow="ellipsis"), Style.null(), 0),
        )
        new_line = Segment.line()
        for row in self.rows:
            cells = [_cell_lines(console, cell, *column) for cell, column in zip(row, columns)]
            height = max(len(lines) for lines, _, _ in cells)
            shaped = [
                Segment.set_shape(Segment.align_top(lines, width, height, style), width, height)
                for lines, width, style in cells
            ]
            for line_no in range(height):
                for lines in shaped:
                    yield from lines[line_no]
                yield new_line

    def _table(self, value_column: int) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style=self.label_style, no_wrap=True, width=self.label_width)
        grid.add_column(width=value_column)
        for row in self.rows:
            grid.add_row(*row)
        return grid


def _cell_lines(
    console: Console, cell: Cell, options: ConsoleOptions, style: Style, right: int
) -> tuple[list[list[Segment]], int, Style]:
    """One cell's lines as a Table renders it in a ``Padding`` of ``right`` blanks (unstyled, then the whole cell
    in the column's ``style``), each as wide as the column; with the column's width and style."""
    lines = console.render_lines(cell, options, pad=True)
    if right:
        blank = Segment(" " * right, console.get_style("none"))  # a Padding's own style, "none"
        lines = [[*line, blank] for line in lines]
    if style:
        lines = [list(Segment.apply_style(line, style)) for line in lines]
    return lines, options.max_width + right, style


def widest(cell: Cell) -> int:
    """The widest line of a cell, in cells (what Rich measures as its maximum width)."""
    plain = cell if isinstance(cell, str) else cell.plain
    return max((cell_len(line) for line in plain.splitlines()), default=0)
