"""Pane 3: small-cap sector ETFs — returns over several windows and vs the small-cap index, sortable.

The table's rows are positions (row 0 is the top row): new data, a new sort or a new theme redraws only the rows
whose text or colour changed (see ``row_table``), and the cursor stays on its sector.

A row whose data ends before the pair's as-of session (a lagging ETF) is dimmed, with its date beside its name:
its figures are true to that date, never shown as today's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget

from tui.bindings import TABLE_ACTIONS, move_bindings
from tui.fmt import short_date
from tui.model import SectorRow, Snapshot
from tui.widgets import fmt
from tui.widgets.palette import Palette, palette
from tui.widgets.pane import Pane
from tui.widgets.row_table import Cell, RowTable, TableColumn
from tui.widgets.safe import plain


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    value: Callable[[SectorRow], object]
    numeric: bool = True


# Widths include the one-cell gap between columns (so the table fits 100 columns).
RETURNS = (
    Column("1d", "1D", 7, lambda r: r.return_1d),
    Column("5d", "5D", 7, lambda r: r.return_5d),
    Column("streak", "Streak", 7, lambda r: r.return_streak),
    Column("1m", "1M", 7, lambda r: r.return_1m),
    Column("ytd", "YTD", 7, lambda r: r.return_ytd),
)
VERSUS = (
    Column("vs_streak", "vs Strk", 8, lambda r: r.vs_small_streak),
    Column("vs_1d", "vs 1D", 7, lambda r: r.vs_small_1d),
    Column("vs_5d", "vs 5D", 7, lambda r: r.vs_small_5d),
    Column("vs_1m", "vs 1M", 7, lambda r: r.vs_small_1m),
    Column("vs_ytd", "vs YTD", 7, lambda r: r.vs_small_ytd),
)
SYMBOL = Column("symbol", "ETF", 5, lambda r: r.symbol, numeric=False)
NAME_MIN, NAME_MAX = 12, 23
# Sort cycle (`s`): the streak window first, since that is what the monitor is about.
SORTS = ("streak", "1d", "5d", "1m", "ytd", "vs_streak", "symbol")
SORT_LABELS = {c.key: c.label for c in (SYMBOL, *RETURNS, *VERSUS)}
LEADERS = 3  # rows at each end coloured as leaders / laggards


def layout_for(width: int) -> tuple[int, tuple[Column, ...]]:
    """The name column's width and the value columns that fit ``width`` cells: all five "vs small" columns when
    wide, then only the streak one, then returns alone (every column stays visible when the pane is maximized)."""

    def need(columns: tuple[Column, ...], name: int) -> int:
        return SYMBOL.width + name + sum(c.width for c in columns) + 1  # +1: room for a scrollbar

    for extra in (VERSUS, VERSUS[:1], ()):
        columns = RETURNS + extra
        if need(columns, NAME_MIN) <= width:
            return min(width - need(columns, 0), NAME_MAX), columns
    return max(width - need(RETURNS, 0), 0), RETURNS


def abbreviate(name: str, width: int) -> str:
    """Fit a sector name in ``width`` cells: shorten the longest words first ("Consumer Disc."), then cut."""
    words = name.split()
    while len(" ".join(words)) > width:
        long = [i for i, w in enumerate(words) if len(w) > 5 and not w.endswith(".")]
        if not long:
            break
        i = max(long, key=lambda j: len(words[j]))
        words[i] = words[i][:4] + "."
    text = " ".join(words)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


@dataclass(frozen=True)
class SectorsPart:
    as_of: date  # the pair's as-of session: a row with older data is dated
    rows: tuple[SectorRow, ...]


def date_label(row: SectorRow, as_of: date) -> str | None:
    """The row's own date when its data ends before the pair's as-of session ("31 Jul"), else None."""
    if row.as_of is None or row.as_of >= as_of:
        return None
    return short_date(row.as_of, as_of)


class SectorTable(RowTable):
    COMPONENT_CLASSES = RowTable.COMPONENT_CLASSES | {"sector-table--dated"}  # rows of older data (app.tcss)
    BINDINGS = [
        *move_bindings(TABLE_ACTIONS),
        # The app's enter (maximize) would otherwise be swallowed by the table.
        Binding("enter", "screen.toggle_maximize", "Maximize", show=False),
    ]


class SectorsPane(Pane):
    TITLE = "Sector winners"
    NUMBER = 3
    EMPTY_TEXT = "No sector data"

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.sort_key = SORTS[0]
        self._layout: tuple[int, tuple[Column, ...]] | None = None
        self._order: tuple[str, ...] = ()  # symbol of each row, top to bottom
        self._update_sort_title()

    def compose_body(self) -> ComposeResult:
        yield SectorTable(id="sectors-table", classes="pane-body")

    def body(self) -> Widget:
        return self.query_one(SectorTable)

    def part(self, snapshot: Snapshot) -> SectorsPart:
        return SectorsPart(snapshot.as_of, snapshot.sectors)

    def part_is_empty(self, part: SectorsPart) -> bool:
        return not part.rows

    def fit_to_size(self) -> None:
        self.redraw(force=False)  # only rebuilds when the set of columns that fits changed

    def cycle_sort(self) -> str:
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]
        self._update_sort_title()
        self.redraw()
        return SORT_LABELS[self.sort_key]

    def _update_sort_title(self) -> None:
        arrow = "↑" if self.sort_key == "symbol" else "↓"
        self.set_title_extra(Text(f"by {SORT_LABELS[self.sort_key]} {arrow}"))

    def draw(self, part: SectorsPart, force: bool = True) -> None:
        table = self.query_one(SectorTable)
        width = self.size.width or 60  # content width (no border, no padding): the table fills it
        layout = layout_for(width)
        if not force and layout == self._layout:
            return
        name_width, columns = layout
        colours = palette(self.app)
        dated_style = str(table.get_component_rich_style("sector-table--dated", partial=True))
        rows = sort_rows(part.rows, self.sort_key)
        # Leaders and laggards are today's: a row measured to an older date does not compete.
        ranked = [r for r in rows if _sort_value(r, self.sort_key) is not None and not date_label(r, part.as_of)]
        leaders = {r.symbol for r in ranked[:LEADERS]} if self.sort_key != "symbol" else set()
        laggards = {r.symbol for r in ranked[-LEADERS:]} - leaders if self.sort_key != "symbol" else set()
        cells = [
            render_cells(
                row,
                columns,
                name_width,
                colours,
                leaders,
                laggards,
                dated=date_label(row, part.as_of),
                dated_style=dated_style,
            )
            for row in rows
        ]
        order = tuple(r.symbol for r in rows)
        keep = self._order[table.cursor_row] if 0 <= table.cursor_row < len(self._order) else None
        table.set_columns(table_columns(name_width, columns))
        table.set_rows(cells)
        self._layout, self._order = layout, order
        if keep is not None and keep in order:
            table.move_cursor(order.index(keep))  # the cursor stays on its sector


def table_columns(name_width: int, columns: tuple[Column, ...]) -> list[TableColumn]:
    header = [TableColumn(SYMBOL.label, SYMBOL.width)]
    if name_width:
        header.append(TableColumn("Name", name_width))
    return header + [TableColumn(c.label, c.width, "right") for c in columns]


def _sort_value(row: SectorRow, key: str) -> object:
    column = next(c for c in (SYMBOL, *RETURNS, *VERSUS) if c.key == key)
    value = column.value(row)
    if column.numeric and not fmt.finite(value):  # type: ignore[arg-type]
        return None
    return value


def sort_rows(rows: tuple[SectorRow, ...], key: str) -> list[SectorRow]:
    """Descending by the column (leaders first); symbols ascending; missing values last."""
    if key == "symbol":
        return sorted(rows, key=lambda r: r.symbol)
    present = [r for r in rows if _sort_value(r, key) is not None]
    missing = [r for r in rows if _sort_value(r, key) is None]
    return sorted(present, key=lambda r: -float(_sort_value(r, key))) + missing  # type: ignore[arg-type]


def render_cells(
    row: SectorRow,
    columns: tuple[Column, ...],
    name_width: int,
    colours: Palette,
    leaders: set[str],
    laggards: set[str],
    *,
    dated: str | None = None,
    dated_style: str = "dim",
) -> tuple[Cell, ...]:
    """One row's cells. ``dated``: the row's own date when its data is older than the pair's ("31 Jul"), shown
    after its name, every cell in ``dated_style`` on top of its own."""

    def style(own: str) -> str:
        return " ".join(part for part in (own, dated_style if dated else "") if part)

    if row.symbol in leaders:
        symbol_style = f"bold {colours.up}"
    elif row.symbol in laggards:
        symbol_style = f"bold {colours.down}"
    else:
        symbol_style = "bold"
    cells = [Cell(plain(row.symbol, SYMBOL.width - 1), style(symbol_style))]
    if name_width:
        cells.append(Cell(name_text(plain(row.name), name_width - 1, dated), style("")))
    for c in columns:
        value = fmt.as_shown(c.value(row))  # type: ignore[arg-type]
        # A value that rounds to 0.0 shows as "0.0%" in the neutral style, not as a red "-0.0%".
        text = fmt.pct(value, signed=bool(value))
        cells.append(Cell(text, style(colours.sign(value) or "dim"), "right"))
    return tuple(cells)


def name_text(name: str, width: int, dated: str | None) -> str:
    """The name fitted to ``width`` cells, with the row's date at the right end when it has one ("Util.  31 Jul");
    only the date when too little room is left for a name to be read."""
    if not dated:
        return abbreviate(name, width)
    room = width - len(dated) - 1
    if room < 4:
        return dated[:width]
    return f"{abbreviate(name, room):<{room}} {dated}"
