"""`b`: the board of pairs — who leads each configured pair, for how long, how rare that is, and its relative
performance over 20 sessions; `enter` puts the chosen pair on screen (every pane follows it).

Everything is read from ``snapshot.pairs`` (computed in the fetch thread by ``tui.analytics.pairs``); the screen
only lays it out and sorts it. Outside text (symbols, names, reasons) goes in as ``rich.text.Text``, cleaned by
``plain``, never as markup. The screen follows new snapshots while it is open (the app's snapshot signal).
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import DataTable, Footer, Static

from tui.analytics.pairs import RELATIVE_SESSIONS
from tui.fmt import DASH, day, pair_title, pct, short_date
from tui.model import PairEntry, Snapshot
from tui.widgets.fmt import percentile
from tui.widgets.palette import Palette, palette
from tui.widgets.safe import plain


class Sort(Struct, frozen=True):
    key: str
    label: str
    value: Callable[[PairEntry], float | int | None]  # biggest first; None (no figure) last


def _length(entry: PairEntry) -> int | None:
    return entry.streak.length if entry.streak is not None else None


def _rarity(entry: PairEntry) -> float | None:
    return entry.streak.percentile if entry.streak is not None else None


#: `s` cycles through these: the configured order, then the three the issue asks for.
SORTS = (
    Sort("board", "configured order", lambda e: None),
    Sort("length", "streak length", _length),
    Sort("rarity", "rarity (percentile)", _rarity),
    Sort("relative", f"relative performance over {RELATIVE_SESSIONS} sessions", lambda e: e.relative_20),
)


def sorted_rows(pairs: tuple[PairEntry, ...], key: str) -> list[tuple[int, PairEntry]]:
    """(position on the board, entry), in the order of sort ``key``; ties keep the configured order."""
    rows = list(enumerate(pairs))
    sort = next((s for s in SORTS if s.key == key), SORTS[0])
    if sort.key == "board":
        return rows

    def order(row: tuple[int, PairEntry]) -> tuple[int, float, int]:
        value = sort.value(row[1])
        return (1, 0.0, row[0]) if value is None else (0, -float(value), row[0])

    return sorted(rows, key=order)


def board_view(snapshot: Snapshot) -> tuple[object, ...]:
    """What the board shows of a snapshot: when it is the same, nothing is redrawn."""
    return (snapshot.pairs, snapshot.small, snapshot.large, snapshot.pair_name, snapshot.as_of, snapshot.simulated)


COLUMNS = ("Pair", "Leads", "Streak", "Since", "Rank", "Pct", "Longest since", f"Rel. {RELATIVE_SESSIONS}", "Name")


class PairsScreen(Screen[int | None]):
    """The board; dismissed with the board position of the pair picked (None: closed without picking)."""

    BINDINGS = [
        Binding("escape,q,b", "close", "Close", key_display="esc"),
        Binding("s", "cycle_sort", "Sort"),
        # The table's own enter selects a row (on_data_table_row_selected); listed here for the footer.
        Binding("enter", "pick", "Show this pair"),
    ]

    def __init__(self, snapshot: Snapshot, updates: Signal[Snapshot] | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self._updates = updates
        self.sort_key = SORTS[0].key

    def compose(self) -> ComposeResult:
        yield Static(id="pairs-summary")
        table: DataTable = DataTable(id="pairs-table", zebra_stripes=True, cursor_type="row")
        yield table
        yield Static(id="pairs-legend")
        yield Footer()

    def on_mount(self) -> None:
        if self._updates is not None:
            self._updates.subscribe(self, self.set_snapshot)  # dropped with the screen (weakly held)
        self._render_all()
        table = self.query_one("#pairs-table", DataTable)
        table.focus()
        self._put_cursor_on(self.active_position())

    # -- what it shows -------------------------------------------------------------------------------------

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Show a newer snapshot; keeps the sort and the row the cursor is on. A refresh that changes nothing the
        board shows (a live quote moved, the board's closes did not) redraws nothing."""
        if board_view(snapshot) == board_view(self.snapshot):
            self.snapshot = snapshot
            return
        chosen = self.cursor_position()
        self.snapshot = snapshot
        if self.is_mounted:
            self._render_all()
            self._put_cursor_on(chosen)

    def active_position(self) -> int | None:
        """The board position of the pair on screen."""
        on_screen = (self.snapshot.small, self.snapshot.large)
        return next((i for i, p in enumerate(self.snapshot.pairs) if (p.small, p.large) == on_screen), None)

    def cursor_position(self) -> int | None:
        """The board position of the row under the cursor."""
        table = self.query_one("#pairs-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def _put_cursor_on(self, position: int | None) -> None:
        table = self.query_one("#pairs-table", DataTable)
        if position is not None and str(position) in table.rows:
            table.move_cursor(row=table.get_row_index(str(position)))

    def _render_all(self) -> None:
        colours = palette(self.app)
        self.query_one("#pairs-summary", Static).update(self._summary())
        self.query_one("#pairs-legend", Static).update(
            Text(
                "Rank: among every streak of the same leader (1 = longest). Pct: share of its earlier streaks that "
                f"were shorter. Rel. {RELATIVE_SESSIONS}: (1+R small)/(1+R large) − 1 over the last "
                f"{RELATIVE_SESSIONS} sessions. enter: show this pair · c on the monitor: next pair",
                style=colours.muted,
            )
        )
        table = self.query_one("#pairs-table", DataTable)
        table.clear(columns=True)
        for label in COLUMNS:
            table.add_column(label, key=label)
        active = self.active_position()
        for position, entry in sorted_rows(self.snapshot.pairs, self.sort_key):
            table.add_row(*self._cells(entry, position == active, colours), key=str(position))
        sort = next(s for s in SORTS if s.key == self.sort_key)
        table.border_title = f"{len(self.snapshot.pairs)} pairs — sorted by {sort.label} (s: next sort)"

    def _summary(self) -> Text:
        s = self.snapshot
        text = Text()
        text.append("On screen: ", style="bold")
        text.append(plain(pair_title(s.small, s.large, s.pair_name), 200), style="bold")
        text.append(f"   as of {day(s.as_of)}")
        if s.simulated:
            text.append("   SIMULATED data", style="bold reverse")
        return text

    def _cells(self, entry: PairEntry, active: bool, colours: Palette) -> list[Text]:
        pair = Text(plain(f"{entry.small}/{entry.large}", 40), style="bold" if active else "")
        if active:
            pair.append(" ◀", style="bold")
        name = Text(plain(entry.name, 60) or DASH)
        streak = entry.streak
        if streak is None:  # its symbols have no data: the reason, and no figure made up
            reason = Text(plain(entry.reason or "no data", 120), style=colours.warn)
            return [pair, reason, *(Text("") for _ in COLUMNS[2:-1]), name]
        if entry.as_of is not None and entry.as_of < self.snapshot.as_of:
            name.append(f" · data to {short_date(entry.as_of, self.snapshot.as_of)}", style=colours.muted)
        if streak.leader == "none" or streak.length == 0:
            leads = Text("tie", style=colours.muted)
        else:
            symbol = entry.small if streak.leader == "small" else entry.large
            leads = Text(plain(symbol, 12), style=f"bold {colours.side(streak.leader)}")
        longest = streak.longest_since
        if longest is not None:
            since_text = f"{short_date(longest.end, self.snapshot.as_of)} ({longest.length})"
        else:
            since_text = "record" if streak.length else DASH
        return [
            pair,
            leads,
            Text(str(streak.length) if streak.length else DASH, justify="right", style="bold"),
            Text(short_date(streak.start, self.snapshot.as_of) if streak.start else DASH),
            Text(f"#{entry.rank}" if entry.rank is not None else DASH, justify="right"),
            Text(percentile(streak.percentile) if streak.percentile is not None else DASH, justify="right"),
            Text(since_text),
            Text(pct(entry.relative_20), style=colours.sign(entry.relative_20), justify="right"),
            name,
        ]

    # -- keys ----------------------------------------------------------------------------------------------

    def action_cycle_sort(self) -> None:
        keys = [s.key for s in SORTS]
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        chosen = self.cursor_position()
        self._render_all()
        self._put_cursor_on(chosen)

    def action_pick(self) -> None:
        self.dismiss(self.cursor_position())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_pick()

    def action_close(self) -> None:
        self.dismiss(None)
