"""The rotation map on screen: a character grid of the sectors and the pair (x = relative-strength ratio,
y = its momentum, the 100/100 cross in the middle), and its table fallback, sortable.

The map is drawn on its own grid rather than by plotext: a few dozen points and labels read better placed cell
by cell (each head labelled beside its dot, no label over another) than plotext's text annotations do, and the
grid costs well under a millisecond, so the first draw needs no deferral. Tails are braille lines (2×4 dots a
cell); each head is a dot with its ticker; the quadrant names sit in the corners. A point is coloured by the
quadrant its symbol is in now. The grid is cached on (map, size, palette) and rebuilt only when one changes.
"""

from __future__ import annotations

from msgspec import Struct
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.containers import Vertical
from textual.strip import Strip

from tui.model import QUADRANTS, RotationMap, RotationSeries
from tui.widgets import fmt
from tui.widgets.chart import StripCanvas
from tui.widgets.palette import Palette
from tui.widgets.row_table import Cell, TableColumn, ValueColumn
from tui.widgets.safe import plain

CENTRE = 100.0
QUADRANT_LABELS = {"leading": "Leading", "weakening": "Weakening", "lagging": "Lagging", "improving": "Improving"}
MIN_SPAN = 0.5  # the smallest half-range of an axis, in points: a quiet map is not blown up to fill the screen
HEAD = "●"
PROVISIONAL_HEAD = "◉"  # the week in progress: the point still moves
LABEL_MAX = 10  # cells of a head's label


def quadrant_colour(quadrant: str | None, colours: Palette) -> str:
    return {
        "leading": colours.up,
        "weakening": colours.warn,
        "lagging": colours.down,
        "improving": colours.large,
    }.get(quadrant or "", colours.muted)


def head_label(series: RotationSeries, pair_symbol: str | None) -> str:
    """The ticker beside a head; the pair's as "RUT/SPX", so it is not read as a sector against ^RUT."""
    if series.symbol == pair_symbol:
        return f"{fmt.short_of(series.symbol)}/{fmt.short_of(series.benchmark)}"[:LABEL_MAX]
    return plain(series.symbol, LABEL_MAX)


class Frame(Struct, frozen=True):
    """What maps a point to the grid: the half-range of each axis around 100."""

    x_span: float
    y_span: float


def frame_of(rotation: RotationMap) -> Frame:
    xs = [abs(p.ratio - CENTRE) for s in rotation.series for p in s.tail]
    ys = [abs(p.momentum - CENTRE) for s in rotation.series for p in s.tail]
    return Frame(max([MIN_SPAN, *xs]) * 1.1, max([MIN_SPAN, *ys]) * 1.1)


# Braille dot bits by (column 0-1, row 0-3) within a cell.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def map_grid(rotation: RotationMap, width: int, height: int) -> list[list[tuple[str, str]]]:
    """The map as ``height`` rows of ``width`` (character, role) cells. Roles: "" (blank), "axis", "quadrant:<q>"
    (a corner label), "tail:<q>", "head:<q>", "label:<q>", "dim-…" prefixes for a symbol whose data is older
    than the others'. Pure: colours are applied by :func:`grid_strips`."""
    grid: list[list[tuple[str, str]]] = [[(" ", "")] * width for _ in range(height)]
    if width < 8 or height < 4:
        return grid
    frame = frame_of(rotation)
    cx, cy = (width - 1) // 2, (height - 1) // 2

    def cell_of(ratio: float, momentum: float) -> tuple[float, float]:  # fractional cell position
        x = cx + (ratio - CENTRE) / frame.x_span * (width / 2 - 0.5)
        y = cy - (momentum - CENTRE) / frame.y_span * (height / 2 - 0.5)
        return min(max(x, 0.0), width - 0.01), min(max(y, 0.0), height - 0.01)

    for y in range(height):
        grid[y][cx] = ("│", "axis")
    grid[cy] = [("─", "axis")] * width
    grid[cy][cx] = ("┼", "axis")
    for text, row, right in (
        ("Improving", 0, False),
        ("Leading", 0, True),
        ("Lagging", height - 1, False),
        ("Weakening", height - 1, True),
    ):
        start = width - len(text) if right else 0
        for i, ch in enumerate(text[: max(cx - 1, 0)]):
            grid[row][start + i] = (ch, f"quadrant:{text.lower()}")

    drawable = [s for s in rotation.series if s.tail]
    newest = max((s.as_of for s in drawable if s.as_of), default=None)

    def role(kind: str, series: RotationSeries) -> str:
        dated = newest is not None and series.as_of is not None and series.as_of < newest
        return f"{'dim-' if dated else ''}{kind}:{series.quadrant or ''}"

    # Tails first (braille), so heads and labels go on top of every tail.
    dots: dict[tuple[int, int], tuple[int, str]] = {}
    for series in drawable:
        pixels = [cell_of(p.ratio, p.momentum) for p in series.tail]
        for (x0, y0), (x1, y1) in zip(pixels, pixels[1:]):
            steps = max(2, int(max(abs(x1 - x0) * 2, abs(y1 - y0) * 4)) + 1)
            for i in range(steps + 1):
                x, y = x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps
                cell = (int(x), int(y))
                bit = _DOTS[min(int((x % 1) * 2), 1)][min(int((y % 1) * 4), 3)]
                bits, _ = dots.get(cell, (0, ""))
                dots[cell] = (bits | bit, role("tail", series))
    for (x, y), (bits, r) in dots.items():
        grid[y][x] = (chr(0x2800 + bits), r)

    taken: set[tuple[int, int]] = set()  # cells holding a head or a label
    pair_symbol = rotation.series[0].symbol if rotation.series else None
    heads = [(series, *map(int, cell_of(series.tail[-1].ratio, series.tail[-1].momentum))) for series in drawable]
    for series, x, y in heads:
        grid[y][x] = (PROVISIONAL_HEAD if series.provisional else HEAD, role("head", series))
        taken.add((x, y))
    for series, x, y in heads:
        label = head_label(series, pair_symbol)
        for lx, ly in ((x + 1, y), (x - len(label), y), (x + 1, y - 1), (x + 1, y + 1), (x - len(label), y - 1)):
            cells = [(lx + i, ly) for i in range(len(label))]
            if 0 <= ly < height and lx >= 0 and lx + len(label) <= width and not taken.intersection(cells):
                for (cx_, cy_), ch in zip(cells, label):
                    grid[cy_][cx_] = (ch, role("label", series))
                taken.update(cells)
                break
    return grid


def grid_strips(grid: list[list[tuple[str, str]]], colours: Palette, base: Style) -> list[Strip]:
    """Colour a :func:`map_grid`: one Strip per row, runs of one role joined into one segment."""
    styles: dict[str, Style] = {}

    def style_of(role: str) -> Style:
        if role not in styles:
            kind, _, quadrant = role.partition(":")
            dim = kind.startswith("dim-")
            kind = kind.removeprefix("dim-")
            colour = quadrant_colour(quadrant, colours)
            own = {
                "": Style(),
                "axis": Style(color=colours.muted),
                "quadrant": Style(color=colour, dim=True, italic=True),
                "tail": Style(color=colour),
                "head": Style(color=colour, bold=True),
                "label": Style(color=colour, bold=True),
            }[kind]
            styles[role] = base + own + Style(dim=True) if dim else base + own
        return styles[role]

    strips = []
    for row in grid:
        segments: list[Segment] = []
        run, run_role = "", None
        for ch, role in row:
            if role != run_role and run:
                segments.append(Segment(run, style_of(run_role or "")))
                run = ""
            run += ch
            run_role = role
        if run:
            segments.append(Segment(run, style_of(run_role or "")))
        strips.append(Strip(segments))
    return strips


def map_caption(rotation: RotationMap, small: str, colours: Palette) -> Text:
    """Under the map: what is measured against what, the period, and what a hollow head means."""
    frame = frame_of(rotation)
    unit = "weeks" if rotation.period == "weekly" else "sessions"
    text = Text(style="dim")
    pair = rotation.series[0] if rotation.series else None
    if pair is not None:
        text.append(head_label(pair, pair.symbol), style="bold")
        text.append(f" = {plain(pair.symbol)} vs {plain(pair.benchmark)}; sectors vs {plain(small)} · ")
    text.append(f"ratio ↔ {CENTRE - frame.x_span:.1f}–{CENTRE + frame.x_span:.1f}, ")
    text.append(f"momentum ↕ {CENTRE - frame.y_span:.1f}–{CENTRE + frame.y_span:.1f} · ")
    text.append(f"{rotation.tail_length}-{unit[:-1]} tails")
    if any(s.provisional for s in rotation.series):
        text.append(f" · {PROVISIONAL_HEAD} week in progress")
    missing = [plain(s.symbol) for s in rotation.series if not s.tail]
    if missing:
        text.append(f" · too little history: {', '.join(missing)}")
    return text


class RotationMapChart(StripCanvas):
    """The grid at the widget's size, cached on (map, palette) and the size."""

    def show(self, rotation: RotationMap, colours: Palette) -> None:
        self.show_figure((rotation, colours))

    def build_strips(self, width: int, height: int) -> list[Strip]:
        rotation, colours = self.figure
        return grid_strips(map_grid(rotation, width, height), colours, self.rich_style)


class RotationMapBody(Vertical, can_focus=True):
    """The focusable map view of the Sectors pane: the grid and its caption."""


# -- the table fallback -----------------------------------------------------------------------------------------
ROTATION_COLUMNS: tuple[ValueColumn[RotationSeries], ...] = (
    ValueColumn("quadrant", "Quadrant", 11, lambda s: s.quadrant, numeric=False),
    ValueColumn("ratio", "Ratio", 8, lambda s: s.ratio),
    ValueColumn("momentum", "Moment.", 8, lambda s: s.momentum),
    ValueColumn("periods", "Weeks", 6, lambda s: s.periods_in_quadrant if s.quadrant else None),
)
SYMBOL_WIDTH = 11  # "RUT/SPX" and every sector ticker
ROTATION_SORTS = ("quadrant", "ratio", "momentum", "periods", "symbol")
ROTATION_SORT_LABELS = {"symbol": "ETF", **{c.key: c.label for c in ROTATION_COLUMNS}}


def period_label(rotation: RotationMap) -> str:
    return "Weeks" if rotation.period == "weekly" else "Days"


def sort_series(series: tuple[RotationSeries, ...], key: str) -> list[RotationSeries]:
    """Quadrant: clockwise from Leading, then by ratio; numbers descending; symbols ascending; missing last."""
    if key == "symbol":  # as the column reads: "RUT/SPX" among the Rs, not after Z for its caret
        return sorted(series, key=lambda s: s.symbol.lstrip("^"))
    if key == "quadrant":
        placed = [s for s in series if s.quadrant is not None]
        ordered = sorted(placed, key=lambda s: (QUADRANTS.index(s.quadrant), -(s.ratio or 0.0)))  # type: ignore[arg-type]
        return ordered + [s for s in series if s.quadrant is None]
    column = next(c for c in ROTATION_COLUMNS if c.key == key)
    present = [s for s in series if fmt.finite(column.value(s))]  # type: ignore[arg-type]
    return sorted(present, key=lambda s: -float(column.value(s))) + [s for s in series if s not in present]  # type: ignore[arg-type]


def rotation_columns(name_width: int, rotation: RotationMap) -> list[TableColumn]:
    header = [TableColumn("ETF", SYMBOL_WIDTH)]
    if name_width:
        header.append(TableColumn("Name", name_width))
    for c in ROTATION_COLUMNS:
        label = period_label(rotation) if c.key == "periods" else c.label
        header.append(TableColumn(label, c.width, "left" if c.key == "quadrant" else "right"))
    return header


def rotation_name_width(width: int) -> int:
    """Room left for names once the fixed columns are placed (0: no name column), at most 23 cells."""
    room = width - SYMBOL_WIDTH - sum(c.width for c in ROTATION_COLUMNS) - 1  # -1: a scrollbar
    return min(room, 23) if room >= 8 else 0


def rotation_cells(
    series: RotationSeries, label: str, name: str | None, colours: Palette, dated: bool
) -> tuple[Cell, ...]:
    """One row of the table: ``label`` (see :func:`head_label`) and ``name`` already cleaned and fitted (None: no
    name column); ``dated`` dims a symbol whose data ends before the others'."""
    colour = quadrant_colour(series.quadrant, colours)
    dim = " dim" if dated else ""
    cells = [Cell(label, f"bold {colour}{dim}")]
    if name is not None:
        cells.append(Cell(name, dim.strip()))
    quadrant = QUADRANT_LABELS.get(series.quadrant or "", fmt.MISSING)
    if series.provisional and series.quadrant:
        quadrant += "*"  # the week in progress
    cells.append(Cell(quadrant, f"{colour}{dim}"))
    for value in (series.ratio, series.momentum):
        text = f"{value:.2f}" if fmt.finite(value) else fmt.MISSING
        cells.append(Cell(text, (colours.sign(None if value is None else value - CENTRE) or "dim") + dim, "right"))
    periods = str(series.periods_in_quadrant) if series.quadrant else fmt.MISSING
    cells.append(Cell(periods, dim.strip(), "right"))
    return tuple(cells)
