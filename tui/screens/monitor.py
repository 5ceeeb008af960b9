"""The main screen: status line, banner, the four panes and the footer, and the keys that act on the panes.

It draws what the App hands it (a snapshot, a status line, a failure) and never decides when; the pane keys
live here, so they are inactive by themselves whenever another screen (help, history, the palette) is on top.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Grid
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui import collector
from tui.bindings import monitor_bindings
from tui.model import Snapshot
from tui.widgets.pane import Pane
from tui.widgets.risks import RisksPane
from tui.widgets.safe import plain
from tui.widgets.sectors import SectorsPane
from tui.widgets.spread import SpreadPane
from tui.widgets.status import StatusInfo, StatusLine
from tui.widgets.streak import StreakPane

if TYPE_CHECKING:
    from tui.app import StreakwatchApp

PANES = ("streak", "spread", "sectors", "risks")


class MonitorScreen(Screen[None]):
    BINDINGS = monitor_bindings()

    def __init__(self, on_ready: Callable[[], object], first: Snapshot | None = None) -> None:
        """``on_ready`` is called once the panes exist, before the first frame; ``first`` is the snapshot that
        frame will show (the snapshot cache's), if there is one: the panes start in the state it gives them."""
        super().__init__()
        self._on_ready = on_ready
        self._first = first
        self._resized_to: Size | None = None  # the size of the last Resize this screen acted on

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="banner")
        with Grid(id="panes"):
            panes = (StreakPane(id="streak"), SpreadPane(id="spread"), SectorsPane(id="sectors"), RisksPane(id="risks"))
            for pane in panes:
                if self._first is not None:
                    pane.start_as(self._first)
                yield pane
        self._first = None  # (drawn by on_ready; not kept for the life of the screen)
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        """Textual's Screen lays every widget out again on any Resize, even one of the size already laid out; at
        start-up it gets three of the terminal's size (the driver reports it twice, and the first layout sends the
        screen its own), which cost two whole layout passes and restyles before the first frame with data
        (BENCHMARKS.md, round 4). Handlers run from this class up to Textual's: a size already acted on stops
        there (``prevent_default``); any other size goes on to Screen's, breakpoints included."""
        if event.size == self._resized_to:
            event.prevent_default()
        self._resized_to = event.size

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self.pane("streak").focus_target().focus()
        self._on_ready()
        self.call_after_refresh(collector.release)  # held off by the command line until the first frame

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#{name}", Pane)

    def panes(self) -> list[Pane]:
        return [self.pane(name) for name in PANES]

    # -- drawing what the App hands over ---------------------------------------------------------------------
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Each pane redraws its own part of ``snapshot`` (if it changed), as one screen update, not five."""
        with self.app.batch_update():
            for pane in self.panes():
                pane.show_snapshot(snapshot)
            self._show_banner(snapshot.data.banner)

    def _show_banner(self, banner: str | None) -> None:
        widget = self.query_one("#banner", Static)
        text = plain(banner, 400) if banner else ""
        widget.display = bool(text)
        if text:
            widget.update(Text.assemble(("⚠ ", "bold"), text))

    def show_loading(self, source: str) -> None:
        for pane in self.panes():
            pane.show_loading(source)

    def show_error(self, reason: str, retry: str) -> None:
        for pane in self.panes():
            pane.show_error(reason, retry)

    def show_status(self, info: StatusInfo, marker: Text | None) -> None:
        """The status line, and the marker each pane wears in its border (STALE, CACHED, PAUSED)."""
        self.query_one(StatusLine).show(info)
        for pane in self.panes():
            pane.set_marker(marker)

    def watch_maximized(self, previous: object, maximized: object) -> None:
        # Textual lays a pane out again when it is maximized or restored without sending it a Resize: panes whose
        # content depends on their width (the race legend, the sector columns) fit it once the new layout is done.
        for pane in (previous, maximized):
            if isinstance(pane, Pane):
                self.call_after_refresh(pane.on_resize)

    # -- the pane keys (tui/bindings.py) ---------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Under a modal screen (help, the palette) this footer is still drawn: it must not offer keys that are dead.
        return self.app.screen is self

    def focused_pane(self) -> Pane | None:
        focused = self.focused
        if focused is None:
            return None
        return next((a for a in focused.ancestors_with_self if isinstance(a, Pane)), None)

    def action_focus_pane(self, name: str) -> None:
        pane = self.pane(name)
        if self.maximized is not None and self.maximized is not pane:
            self.maximize(pane, container=False)  # stay zoomed, on the pane asked for
        pane.focus_target().focus()

    def action_toggle_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        pane = self.focused_pane() or self.pane("streak")
        self.maximize(pane, container=False)
        pane.focus_target().focus()

    def action_cycle_sort(self) -> None:
        label = self.query_one(SectorsPane).cycle_sort()
        self.notify(f"Sectors sorted by {label}", timeout=2)

    def action_toggle_race(self) -> None:
        self.query_one(SpreadPane).action_toggle_race()  # from any pane: the Spread pane's title says "t today"

    async def action_cycle_view(self) -> None:
        await self.query_one(SectorsPane).action_cycle_view()  # from any pane: returns → rotation map → its table

    def action_history(self) -> None:
        from tui.screens.history import HistoryScreen  # lazily: it imports tui.analytics (pandas)

        app: StreakwatchApp = self.app  # type: ignore[assignment]
        if app.snapshot is None:
            self.notify("No history yet: waiting for the first data", timeout=3)
            return
        app.push_screen(HistoryScreen(app.snapshot, app.snapshot_signal))

    def action_pair_board(self) -> None:
        from tui.screens.pairs import PairsScreen  # lazily, like the history screen

        app: StreakwatchApp = self.app  # type: ignore[assignment]
        if app.snapshot is None:
            self.notify("No pairs yet: waiting for the first data", timeout=3)
            return
        app.push_screen(PairsScreen(app.snapshot, app.snapshot_signal), callback=app.show_pair)

    def action_next_pair(self) -> None:
        app: StreakwatchApp = self.app  # type: ignore[assignment]
        app.show_pair(app.pipeline.active + 1)

    def action_alert_log(self) -> None:
        from tui.screens.alert_log import AlertLogScreen

        app: StreakwatchApp = self.app  # type: ignore[assignment]
        app.push_screen(AlertLogScreen(app.alert_tracker.log, app.alert_log_signal))
