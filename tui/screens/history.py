"""`h`: how rare is the current streak, and what did small vs large caps do after the long ones before it?

Everything here is read from ``snapshot.history`` (computed in the worker by ``tui.analytics.history``); the
screen only lays it out. Outside text (symbols) goes in as ``rich.text.Text``, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import DataTable, Footer, Static

from tui.analytics.history import MIN_SAMPLE
from tui.fmt import DASH, day, display_name, pct, sessions
from tui.model import ForwardStat, History, HistoryEntry, Snapshot
from tui.textsafe import plain
from tui.widgets.palette import Palette, palette


class Column(Struct, frozen=True):
    key: str
    label: str
    value: Callable[[HistoryEntry], object]  # what it sorts by (None sorts last)
    descending: bool = True  # the first sort on a column: biggest / newest first


def _columns(history: History, small: str = "Small", large: str = "Large") -> tuple[Column, ...]:
    fixed = (
        Column("leader", "Leader", lambda e: e.leader, descending=False),
        Column("start", "Start", lambda e: e.start),
        Column("end", "End", lambda e: e.end),
        Column("length", "Sessions", lambda e: e.length),
        Column("small", f"{plain(small)} ret.", lambda e: e.small_return),
        Column("large", f"{plain(large)} ret.", lambda e: e.large_return),
    )
    forward = tuple(
        Column(f"fwd{h}", f"Rel. +{h}", lambda e, j=j: e.forward[j] if j < len(e.forward) else None)
        for j, h in enumerate(history.horizons)
    )
    return fixed + forward


class HistoryScreen(Screen[None]):
    """Every streak of at least ``history.min_length`` sessions, the current one's rank, and what followed."""

    DEFAULT_CSS = """
    HistoryScreen { layout: vertical; }
    HistoryScreen #history-summary { padding: 0 1; height: auto; }
    HistoryScreen #history-note { padding: 0 1; height: auto; color: $warning; }
    HistoryScreen #history-note.hidden { display: none; }
    HistoryScreen #history-table { height: 1fr; min-height: 6; border: round $primary-muted; }
    HistoryScreen #history-table:focus { border: round $primary; }
    HistoryScreen #history-forward-box { height: auto; max-height: 50%; border: round $secondary-muted; }
    HistoryScreen #history-forward { padding: 0 1; height: auto; }
    """

    BINDINGS = [
        Binding("escape,q,h", "close", "Close", key_display="esc"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse", key_display="S"),  # not r: that stays the app's refresh
    ]

    def __init__(self, snapshot: Snapshot, updates: Signal[Snapshot] | None = None) -> None:
        """``updates``: the app's signal of new snapshots, which this screen follows while it is open."""
        super().__init__()
        self.snapshot = snapshot
        self._updates = updates
        self.sort_key = "end"
        self.sort_descending = True

    # -- the integration surface --------------------------------------------------------------------------

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Show a newer snapshot (the app may call this while the screen is open); keeps the sort."""
        self.snapshot = snapshot
        if self.is_mounted:
            self._render_all()

    # -- layout --------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="history-summary")
        yield Static(id="history-note", classes="hidden")
        table: DataTable = DataTable(id="history-table", zebra_stripes=True, cursor_type="row")
        yield table
        with VerticalScroll(id="history-forward-box") as box:
            box.border_title = "After the streak ended: small vs large"
            yield Static(id="history-forward")
        yield Footer()

    def on_mount(self) -> None:
        if self._updates is not None:
            self._updates.subscribe(self, self.set_snapshot)  # dropped with the screen (weakly held)
        self._render_all()
        self.query_one("#history-table", DataTable).focus()

    @property
    def history(self) -> History | None:
        return self.snapshot.history

    def _render_all(self) -> None:
        colours = palette(self.app)
        self.query_one("#history-summary", Static).update(summary_text(self.snapshot, colours))
        note = self.query_one("#history-note", Static)
        text = self.history.note if self.history is not None else "not enough history: none was computed"
        note.update(Text(plain(text or "")))
        note.set_class(not text, "hidden")
        self.query_one("#history-forward", Static).update(forward_table(self.snapshot, colours))
        self._fill_table(colours)

    def _fill_table(self, colours: Palette | None = None) -> None:
        colours = colours or palette(self.app)
        table = self.query_one("#history-table", DataTable)
        history = self.history
        table.clear(columns=True)
        if history is None:
            table.border_title = "Streaks"
            return
        columns = _columns(history, self.snapshot.small, self.snapshot.large)
        for column in columns:
            arrow = (" ↓" if self.sort_descending else " ↑") if column.key == self.sort_key else ""
            table.add_column(Text(column.label + arrow), key=column.key)
        by_key = {c.key: c for c in columns}
        column = by_key.get(self.sort_key, by_key["end"])
        entries = sorted(history.streaks, key=lambda e: _sort_value(column.value(e), self.sort_descending))
        streak = self.snapshot.streak
        for entry in entries:
            current = (entry.leader, entry.start) == (streak.leader, streak.start)
            table.add_row(*_cells(entry, self.snapshot, colours, current), key=f"{entry.leader}:{entry.start}")
        table.border_title = (
            f"Streaks of {history.min_length}+ sessions: {len(entries)} — sorted by {column.label}"
            f" {'↓' if self.sort_descending else '↑'} (s: next column, S: reverse, or click a header)"
        )
        table.border_subtitle = "Rel. +N: (1+R small)/(1+R large) − 1 over the N sessions after the end"

    # -- sorting -------------------------------------------------------------------------------------------

    @property
    def sort_columns(self) -> tuple[str, ...]:
        return tuple(c.key for c in _columns(self.history)) if self.history else ()

    def sort_by(self, key: str, descending: bool | None = None) -> None:
        columns = {c.key: c for c in _columns(self.history)} if self.history else {}
        if key not in columns:
            return
        self.sort_key = key
        self.sort_descending = columns[key].descending if descending is None else descending
        self._fill_table()

    def action_cycle_sort(self) -> None:
        keys = self.sort_columns
        if keys:
            self.sort_by(keys[(keys.index(self.sort_key) + 1) % len(keys)] if self.sort_key in keys else keys[0])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_key, not self.sort_descending)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = event.column_key.value or ""
        if key == self.sort_key:
            self.action_reverse_sort()
        else:
            self.sort_by(key)

    def action_close(self) -> None:
        self.dismiss(None)


def _sort_value(value: object, descending: bool) -> tuple:
    # Missing values (forward outcomes of the current streak) go last in either direction.
    if value is None:
        return (1, 0)
    if descending:
        if isinstance(value, str):
            return (0, tuple(-ord(ch) for ch in value))
        if hasattr(value, "toordinal"):
            return (0, -value.toordinal())  # type: ignore[union-attr]
        return (0, -value)  # type: ignore[operator]
    return (0, value)


def _signed(value: float | None, colours: Palette) -> Text:
    return Text(pct(value), style=colours.sign(value), justify="right")


def _cells(entry: HistoryEntry, snapshot: Snapshot, colours: Palette, current: bool) -> list[Text]:
    symbol = {"small": snapshot.small, "large": snapshot.large}.get(entry.leader, entry.leader)
    leader = Text(plain(symbol), style=f"bold {colours.side(entry.leader)}")
    if current:
        leader.append(" ◀ now", style="bold")
    cells = [
        leader,
        Text(entry.start.isoformat()),
        Text(entry.end.isoformat()),
        Text(str(entry.length), justify="right", style="bold" if current else ""),
        _signed(entry.small_return, colours),
        _signed(entry.large_return, colours),
    ]
    cells += [_signed(v, colours) if v is not None else Text(DASH, justify="right") for v in entry.forward]
    return cells


def summary_text(snapshot: Snapshot, colours: Palette) -> Text:
    """The current streak, its rank and percentile among its leader's streaks, and what history is loaded."""
    streak, history = snapshot.streak, snapshot.history
    small, large = plain(display_name(snapshot.small)), plain(display_name(snapshot.large))
    names = {"small": small, "large": large}
    text = Text()
    if streak.leader == "none" or streak.length == 0:
        text.append("No current streak", style="bold")
        text.append(" (the last session was a tie).")
    else:
        text.append(names[streak.leader], style=f"bold {colours.side(streak.leader)}")
        text.append(f" has won {sessions(streak.length)} in a row", style="bold")
        text.append(f" since {day(streak.start)}.")
        total = sum(1 for run in snapshot.runs if run.leader == streak.leader)
        if history is not None and history.current_rank is not None:
            of = f" of {total}" if total else ""
            who = "small-cap" if streak.leader == "small" else "large-cap"
            text.append(f"\nRank {history.current_rank}{of} {who} streaks", style="bold")
            if history.current_percentile is not None:
                text.append(f"; longer than {history.current_percentile * 100:.2f}% of the earlier ones")
            text.append(".")
        if streak.longest_since is not None:
            text.append(f" Longest since {day(streak.longest_since.end)} ({sessions(streak.longest_since.length)}).")
        elif streak.record_length is not None:
            text.append(" The longest in the loaded history.", style="bold")
    first = snapshot.runs[0].start if snapshot.runs else None
    text.append(
        f"\n{sessions(snapshot.sessions)} loaded"
        + (f", {day(first)} – {day(snapshot.as_of)}" if first else f", to {day(snapshot.as_of)}")
        + f". Pair: {small} vs {large}.",
        style=colours.muted,
    )
    if snapshot.simulated:
        text.append("  SIMULATED data.", style="bold reverse")
    return text


def forward_table(snapshot: Snapshot, colours: Palette) -> Table | Text:
    """Per leader and horizon: median relative performance after the streaks ended, share positive, n."""
    history = snapshot.history
    if history is None or not history.forward:
        return Text("not enough history: no forward outcomes", style=colours.muted)
    table = Table(box=None, padding=(0, 2), expand=False, show_edge=False)
    table.add_column("After a streak of", no_wrap=True)
    table.add_column("Sessions later", justify="right")
    table.add_column("Median small vs large", justify="right")
    table.add_column("Share positive", justify="right")
    table.add_column("n", justify="right")
    names = {"small": plain(display_name(snapshot.small)), "large": plain(display_name(snapshot.large))}
    for leader in ("small", "large"):
        stats: tuple[ForwardStat, ...] = history.forward.get(leader, ())
        for i, stat in enumerate(stats):
            label = (
                Text(f"{names[leader]} ({history.min_length}+)", style=f"bold {colours.side(leader)}")
                if i == 0
                else Text("")
            )
            share = DASH if stat.share_positive is None else f"{stat.share_positive * 100:.0f}%"
            n = Text(str(stat.count), justify="right")
            if stat.count == 0:
                n.append(" none", style=colours.muted)
            elif stat.count < MIN_SAMPLE:
                n.append(" thin", style=colours.muted)
            table.add_row(label, f"+{stat.horizon}", _signed(stat.median, colours), share, n)
        if leader == "small" and stats:
            table.add_row("", "", "", "", "")
    return table
