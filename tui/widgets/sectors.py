"""Pane 3: small-cap sector ETFs — returns over several windows and vs the small-cap index, sortable; `v` switches
to the rotation map of the sectors and the pair, then to its table (tui/widgets/rotation.py), and back.

The table's rows are positions (row 0 is the top row): new data, a new sort or a new theme redraws only the rows
whose text or colour changed (see ``row_table``), and the cursor stays on its sector.

A row whose data ends before the pair's as-of session (a lagging ETF) is dimmed, with its date beside its name:
its figures are true to that date, never shown as today's.
"""

from __future__ import annotations

from datetime import date

from msgspec import Struct
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget

from tui.bindings import TABLE_ACTIONS, move_bindings
from tui.fmt import short_date
from tui.model import RotationMap, SectorRow, Snapshot
from tui.widgets import fmt
from tui.widgets.lines import Lines
from tui.widgets.palette import Palette, palette
from tui.widgets.pane import Pane
from tui.widgets.rotation import (
    ROTATION_SORT_LABELS,
    ROTATION_SORTS,
    RotationMapBody,
    RotationMapChart,
    head_label,
    map_caption,
    rotation_cells,
    rotation_columns,
    rotation_name_width,
    sort_series,
)
from tui.widgets.row_table import Cell, RowTable, TableColumn, ValueColumn
from tui.widgets.safe import plain

# Widths include the one-cell gap between columns (so the table fits 100 columns).
RETURNS: tuple[ValueColumn[SectorRow], ...] = (
    ValueColumn("1d", "1D", 7, lambda r: r.return_1d),
    ValueColumn("5d", "5D", 7, lambda r: r.return_5d),
    ValueColumn("streak", "Streak", 7, lambda r: r.return_streak),
    ValueColumn("1m", "1M", 7, lambda r: r.return_1m),
    ValueColumn("ytd", "YTD", 7, lambda r: r.return_ytd),
)
VERSUS: tuple[ValueColumn[SectorRow], ...] = (
    ValueColumn("vs_streak", "vs Strk", 8, lambda r: r.vs_small_streak),
    ValueColumn("vs_1d", "vs 1D", 7, lambda r: r.vs_small_1d),
    ValueColumn("vs_5d", "vs 5D", 7, lambda r: r.vs_small_5d),
    ValueColumn("vs_1m", "vs 1M", 7, lambda r: r.vs_small_1m),
    ValueColumn("vs_ytd", "vs YTD", 7, lambda r: r.vs_small_ytd),
)
SYMBOL: ValueColumn[SectorRow] = ValueColumn("symbol", "ETF", 5, lambda r: r.symbol, numeric=False)
NAME_MIN, NAME_MAX = 12, 23
# Sort cycle (`s`): the streak window first, since that is what the monitor is about.
SORTS = ("streak", "1d", "5d", "1m", "ytd", "vs_streak", "symbol")
SORT_LABELS = {c.key: c.label for c in (SYMBOL, *RETURNS, *VERSUS)}
LEADERS = 3  # rows at each end coloured as leaders / laggards


def layout_for(width: int) -> tuple[int, tuple[ValueColumn[SectorRow], ...]]:
    """The name column's width and the value columns that fit ``width`` cells: all five "vs small" columns when
    wide, then only the streak one, then returns alone (every column stays visible when the pane is maximized)."""

    def need(columns: tuple[ValueColumn[SectorRow], ...], name: int) -> int:
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


class SectorsPart(Struct, frozen=True):
    """The pane's slice of the snapshot: it redraws only when this changes."""

    as_of: date  # the pair's as-of session: a row with older data is dated
    rows: tuple[SectorRow, ...]
    small: str = ""  # the sectors' benchmark
    rotation: RotationMap | None = None


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


class RotationTable(RowTable):
    """The rotation map as a table: each symbol's quadrant, ratio, momentum and periods in its quadrant."""

    BINDINGS = [
        *move_bindings(TABLE_ACTIONS),
        Binding("enter", "app.toggle_maximize", "Maximize", show=False),
    ]


#: What the pane shows, in the order `v` cycles through them.
VIEWS = ("returns", "map", "quadrants")


class SectorsPane(Pane):
    TITLE = "Sector winners"
    NUMBER = 3
    EMPTY_TEXT = "No sector data"

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.view = VIEWS[0]
        self.sort_key = SORTS[0]
        self.rotation_sort = ROTATION_SORTS[0]
        self._layout: tuple[int, tuple[ValueColumn[SectorRow], ...]] | None = None
        self._order: tuple[str, ...] = ()  # symbol of each row, top to bottom
        self._rotation_layout: tuple[int, RotationMap | None] | None = None
        self._rotation_order: tuple[str, ...] = ()
        self._bodies: dict[str, Widget] = {}  # the views composed so far, by name (see action_cycle_view)
        self._update_sort_title()

    def compose_body(self) -> ComposeResult:
        # Only the view on show at start; the rotation map and its table are composed when `v` first shows them
        # (most sessions never do, and each widget composed costs the first frame its styling and layout).
        self._bodies["returns"] = SectorTable(id="sectors-table", classes="pane-body")
        yield self._bodies["returns"]

    def body(self) -> Widget:
        return self._bodies[self.view]

    @staticmethod
    def _new_body(view: str) -> Widget:
        """The body of a view not composed yet, hidden (``-off``) until it is drawn."""
        if view == "map":
            chart, caption = RotationMapChart(id="rotation-map"), Lines(id="rotation-caption")
            return RotationMapBody(chart, caption, id="rotation-map-body", classes="pane-body -off")
        return RotationTable(id="rotation-table", classes="pane-body -off")

    def part(self, snapshot: Snapshot) -> SectorsPart:
        return SectorsPart(snapshot.as_of, snapshot.sectors, snapshot.small, snapshot.rotation)

    def part_is_empty(self, part: SectorsPart) -> bool:
        return not part.rows and (part.rotation is None or not part.rotation.series)

    def fit_to_size(self) -> None:
        self.redraw(force=False)  # only rebuilds when the set of columns that fits changed

    async def action_cycle_view(self) -> None:
        """`v`: sector returns → rotation map → rotation table → returns."""
        had_focus = self.has_focus_within
        view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        if view not in self._bodies:
            body = self._new_body(view)
            await self.mount(body)  # its parts exist once mounted; until then the view on show stays the old one
            self._bodies[view] = body
        self.view = view
        for name, body in self._bodies.items():
            body.set_class(name != self.view, "-off")
        self._update_sort_title()
        self.redraw()
        if had_focus and self.state == "data":
            self.body().focus()

    def cycle_sort(self) -> str:
        """`s`: the next sort of the table on show (the map's own table while the map is on show)."""
        if self.view == "returns":
            self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]
            label = SORT_LABELS[self.sort_key]
        else:
            self.rotation_sort = ROTATION_SORTS[(ROTATION_SORTS.index(self.rotation_sort) + 1) % len(ROTATION_SORTS)]
            label = f"rotation {ROTATION_SORT_LABELS[self.rotation_sort]}"
        self._update_sort_title()
        self.redraw()
        return label

    def _update_sort_title(self) -> None:
        if self.view == "map":
            period = self._part.rotation.period if self._has_part and self._part.rotation else "weekly"
            self.set_title_extra(Text(f"rotation map · {period} · v: table"))
        elif self.view == "quadrants":
            key = self.rotation_sort
            arrow = "↑" if key in ("symbol", "quadrant") else "↓"
            rotation = self._part.rotation if self._has_part else None
            week_open = rotation is not None and any(s.provisional for s in rotation.series)
            note = " · *week in progress" if week_open else ""
            self.set_title_extra(Text(f"rotation by {ROTATION_SORT_LABELS[key]} {arrow}{note}"))
        else:
            arrow = "↑" if self.sort_key == "symbol" else "↓"
            self.set_title_extra(Text(f"by {SORT_LABELS[self.sort_key]} {arrow}"))

    def draw(self, part: SectorsPart, force: bool = True) -> None:
        """Draw the view on show; the others are drawn when `v` brings them up."""
        if self.view == "map":
            self._update_sort_title()
            self._draw_map(part)
        elif self.view == "quadrants":
            self._update_sort_title()
            self._draw_rotation_table(part, force)
        else:
            self._draw_returns(part, force)

    def _draw_map(self, part: SectorsPart) -> None:
        caption = self.query_one("#rotation-caption", Lines)
        chart = self.query_one(RotationMapChart)
        rotation = part.rotation
        if rotation is None or not any(s.tail for s in rotation.series):
            chart.display = False
            caption.update(Text("No rotation map: too little history for the formula", style="dim"))
            return
        chart.display = True
        colours = palette(self.app)
        chart.show(rotation, colours)
        caption.update(map_caption(rotation, part.small, colours))

    def _draw_rotation_table(self, part: SectorsPart, force: bool) -> None:
        table = self.query_one(RotationTable)
        rotation = part.rotation
        name_width = rotation_name_width(self.size.width or 60)
        if not force and self._rotation_layout == (name_width, rotation):
            return
        if rotation is None:
            table.set_columns([TableColumn("No rotation data", 30)])
            table.set_rows([])
            return
        colours = palette(self.app)
        ordered = sort_series(rotation.series, self.rotation_sort)
        pair_symbol = rotation.series[0].symbol if rotation.series else None
        keep = self._rotation_order[table.cursor_row] if 0 <= table.cursor_row < len(self._rotation_order) else None
        table.set_columns(rotation_columns(name_width, rotation))
        rows = []
        for series in ordered:
            dated = short_date(series.as_of, part.as_of) if series.as_of and series.as_of < part.as_of else None
            name = name_text(plain(series.name), name_width - 1, dated) if name_width else None
            rows.append(rotation_cells(series, head_label(series, pair_symbol), name, colours, bool(dated)))
        table.set_rows(rows)
        self._rotation_layout = (name_width, rotation)
        self._rotation_order = tuple(s.symbol for s in ordered)
        if keep is not None and keep in self._rotation_order:
            table.move_cursor(self._rotation_order.index(keep))

    def _draw_returns(self, part: SectorsPart, force: bool) -> None:
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


def table_columns(name_width: int, columns: tuple[ValueColumn[SectorRow], ...]) -> list[TableColumn]:
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
    columns: tuple[ValueColumn[SectorRow], ...],
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
