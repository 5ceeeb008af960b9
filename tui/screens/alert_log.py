"""`a`: the alert log, newest first; and :func:`announce`, which turns new alert events into notifications (in the
monitor, and on the desktop through :mod:`tui.notify`).

Alert messages carry outside text (symbols, risk details): they go in as ``rich.text.Text`` and notifications
are sent with ``markup=False``, so "[red]" shows literally and no escape sequence reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.signal import Signal
from textual.widgets import Static

from tui.alerts import AlertEvent
from tui.config import Alerts
from tui.data.market_clock import ET
from tui.notify import DesktopNotifier
from tui.textsafe import plain

KIND_LABELS = {
    "streak_extended": "extended",
    "streak_broke": "broke",
    "milestone": "milestone",
    "record": "record",
    "risk_changed": "risk",
}
_SEVERITY_STYLES = {"warning": "bold yellow", "error": "bold red", "information": ""}


def announce(app: Any, events: Iterable[AlertEvent], settings: Alerts, desktop: DesktopNotifier | None = None) -> None:
    """Show each new event as a Textual notification, and ring the bell once if the config asks for it; send each
    to the desktop too when ``desktop`` wants it now (by ``[alerts] desktop`` and whether the terminal has the
    focus, which Textual learns from the terminal's focus reports)."""
    events = list(events)
    for event in events:
        app.notify(plain(event.message), title=plain(event.title), severity=event.severity, markup=False)
    if events and settings.bell:
        app.bell()
    if events and desktop is not None and desktop.wanted(focused=app.app_focus):
        for event in events:
            desktop.send(event.title, event.message)


def log_table(events: Sequence[AlertEvent]) -> Table | Text:
    if not events:
        return Text("No alerts yet. Streak changes, milestones, records and risk changes will be listed here.")
    table = Table(box=None, padding=(0, 1), expand=True, show_edge=False)
    table.add_column("Time (ET)", no_wrap=True)
    table.add_column("Session", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Message", ratio=1)
    # Newest first: by time, and among events of the same refresh, the later-raised first.
    ordered = [
        e for _, _, e in sorted(((e.at, i, e) for i, e in enumerate(events)), reverse=True, key=lambda t: (t[0], t[1]))
    ]
    for event in ordered:
        table.add_row(
            Text(event.at.astimezone(ET).strftime("%Y-%m-%d %H:%M:%S")),  # market time, as everywhere else
            Text(event.as_of.isoformat() if event.as_of else ""),
            Text(KIND_LABELS.get(event.kind, plain(event.kind)), style=_SEVERITY_STYLES.get(event.severity, "")),
            Text(plain(event.message)),
        )
    return table


class AlertLogScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    AlertLogScreen { align: center middle; }
    AlertLogScreen #alert-log-box {
        width: 90%; height: 80%; border: round $primary; background: $surface; padding: 0 1;
    }
    """

    BINDINGS = [Binding("escape,a,q", "close", "Close", key_display="esc")]

    def __init__(self, events: Sequence[AlertEvent], updates: Signal[Sequence[AlertEvent]] | None = None) -> None:
        """``updates``: the app's signal of the alert log, which this screen follows while it is open."""
        super().__init__()
        self.events: tuple[AlertEvent, ...] = tuple(events)
        self._updates = updates

    def on_mount(self) -> None:
        if self._updates is not None:
            self._updates.subscribe(self, self.set_events)  # dropped with the screen (weakly held)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="alert-log-box") as box:
            box.border_title = Text(f"Alert log ({len(self.events)})", style="bold")
            box.border_subtitle = Text("esc to close")
            yield Static(log_table(self.events), id="alert-log")

    def set_events(self, events: Sequence[AlertEvent]) -> None:
        """Show a newer log (the app may call this while the screen is open)."""
        self.events = tuple(events)
        if self.is_mounted:
            self.query_one("#alert-log", Static).update(log_table(self.events))

    def action_close(self) -> None:
        self.dismiss(None)
