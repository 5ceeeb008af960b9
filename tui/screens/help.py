"""`?`: every key from the one registry, grouped, with what it does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.bindings import help_rows


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", no_wrap=True)
    table.add_column()
    group = None
    for name, keys, description in help_rows():
        if name != group:
            if group is not None:
                table.add_row("", "")
            table.add_row("", Text(name, style="bold underline"))
            group = name
        table.add_row(Text(keys), Text(description))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark", "dismiss", "Close help", show=True, key_display="esc"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = Text("Keys", style="bold")
            box.border_subtitle = Text("esc or ? to close")
            yield Static(help_table(), id="help-table")
