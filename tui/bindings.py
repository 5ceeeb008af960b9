"""The one registry of keys. The footer, the help screen and the command palette are all generated from it."""

from __future__ import annotations

from msgspec import Struct
from textual.binding import Binding


class Key(Struct, frozen=True):
    """One key of the monitor: what it does, and where it is shown (footer, help, command palette)."""

    keys: str  # Textual key names, comma-separated
    action: str  # an action on the app ("refresh") or a generic move ("move_down") mapped per widget
    description: str
    show: bool = True  # in the footer
    key_display: str | None = None  # how the footer and help write the key(s)
    palette: str | None = None  # command palette title; None keeps it out of the palette
    group: str = "Monitor"

    @property
    def on_monitor(self) -> bool:
        """Whether the action lives on the main screen (tui/screens/monitor.py), so it is only active there."""
        return self.action.partition("(")[0] in MONITOR_ACTIONS


#: Actions of the main screen: the pane keys, and what opens from the panes. Everything else works on any screen.
MONITOR_ACTIONS = frozenset(
    {
        "focus_pane",
        "toggle_maximize",
        "cycle_sort",
        "history",
        "alert_log",
        "toggle_race",
        "cycle_view",
        "pair_board",
        "next_pair",
    }
)


APP_KEYS: tuple[Key, ...] = (
    Key("1", "focus_pane('streak')", "Pane", key_display="1-4", palette="Focus the Streak pane", group="Panes"),
    Key("2", "focus_pane('spread')", "Spread pane", show=False, palette="Focus the Spread pane", group="Panes"),
    Key(
        "3", "focus_pane('sectors')", "Sectors pane", show=False, palette="Focus the Sector winners pane", group="Panes"
    ),
    Key("4", "focus_pane('risks')", "Risk pane", show=False, palette="Focus the Risk checklist pane", group="Panes"),
    Key("m", "toggle_maximize", "Maximize", palette="Maximize / restore the focused pane", group="Panes"),
    Key("r", "refresh", "Refresh", palette="Refresh now"),
    Key("p", "toggle_pause", "Pause", palette="Pause / resume refreshing"),
    Key("R", "retry_symbols", "Retry symbols", show=False, palette="Retry the symbols Yahoo stopped serving"),
    Key("s", "cycle_sort", "Sort", palette="Change the sector sort column"),
    Key("h", "history", "History", palette="Streak history: how rare, and what came after"),
    Key("a", "alert_log", "Alerts", palette="Alert log: streaks, records, risk changes"),
    # The Spread pane's title says "t today" / "t sessions"; not in the footer (q Quit must fit at 100 columns).
    Key(
        "t",
        "toggle_race",
        "Today / sessions",
        show=False,
        palette="Spread pane: today's race / the sessions",
        group="Panes",
    ),
    Key(
        "v",
        "cycle_view",
        "View",
        show=False,  # the footer must keep q Quit at 100 columns; help and the map's title show it
        palette="Sectors pane: returns → rotation map → its table",
        group="Panes",
    ),
    # Not in the footer (it must fit q Quit at 100 columns); in help and the palette.
    Key("b", "pair_board", "Pairs", show=False, palette="Board of pairs: each pair's streak"),
    Key("c", "next_pair", "Next pair", show=False, palette="Next pair (every pane follows)"),
    # Not in the footer (it must fit q Quit at 100 columns); in help and the palette.
    Key("e", "export", "Export", show=False, palette="Export a screenshot (SVG) and snapshot (JSON)"),
    Key("question_mark", "help", "Help", key_display="?", palette="Show the keys"),
    Key("q", "quit", "Quit", palette="Quit streakwatch"),
)

# Keys that Textual (or a pane widget) already handles; listed so the help screen is complete.
BUILTIN_KEYS: tuple[Key, ...] = (
    Key(
        "enter",
        "toggle_maximize",
        "Maximize / restore the focused pane",
        show=False,
        key_display="enter",
        group="Panes",
    ),
    Key(
        "escape", "minimize", "Restore a maximized pane; close this help", show=False, key_display="esc", group="Panes"
    ),
    Key("tab", "app.focus_next", "Next pane", show=False, key_display="tab", group="Panes"),
    Key("shift+tab", "app.focus_previous", "Previous pane", show=False, key_display="shift+tab", group="Panes"),
    Key("ctrl+p", "command_palette", "Command palette (also: change theme)", show=False, key_display="ctrl+p"),
)

# Moving inside a pane. The generic action is mapped to each widget's own (scroll for text, cursor for the table).
MOVE_KEYS: tuple[Key, ...] = (
    Key("down,j", "move_down", "Move down / scroll", show=False, key_display="↓ j", group="Inside a pane"),
    Key("up,k", "move_up", "Move up / scroll", show=False, key_display="↑ k", group="Inside a pane"),
    # h is the history screen, so left/right are the arrow keys only (j/k still move down/up).
    Key("left", "move_left", "Move left (chart: earlier session)", show=False, key_display="←", group="Inside a pane"),
    Key("right", "move_right", "Move right (chart: later session)", show=False, key_display="→", group="Inside a pane"),
    Key("home,g", "move_home", "Top (chart: first session)", show=False, key_display="home g", group="Inside a pane"),
    Key("end,G", "move_end", "Bottom (chart: latest session)", show=False, key_display="end G", group="Inside a pane"),
)

SCROLL_ACTIONS = {
    "move_down": "scroll_down",
    "move_up": "scroll_up",
    "move_left": "scroll_left",
    "move_right": "scroll_right",
    "move_home": "scroll_home",
    "move_end": "scroll_end",
}
CHART_ACTIONS = {
    "move_down": "cursor_end",
    "move_up": "cursor_home",
    "move_left": "cursor_left",
    "move_right": "cursor_right",
    "move_home": "cursor_home",
    "move_end": "cursor_end",
}
TABLE_ACTIONS = {
    "move_down": "cursor_down",
    "move_up": "cursor_up",
    "move_left": "scroll_left",
    "move_right": "scroll_right",
    "move_home": "scroll_top",
    "move_end": "scroll_bottom",
}


def app_bindings() -> list[Binding]:
    """The keys that work on every screen (refresh, pause, help, quit...)."""
    return [_binding(k) for k in APP_KEYS if not k.on_monitor]


def monitor_bindings() -> list[Binding]:
    """The keys of the main screen (panes, sort, history, alert log): inactive while another screen is on top."""
    return [_binding(k) for k in APP_KEYS if k.on_monitor]


def _binding(key: Key) -> Binding:
    return Binding(key.keys, key.action, key.description, show=key.show, key_display=key.key_display)


def move_bindings(actions: dict[str, str]) -> list[Binding]:
    """Arrows and hjkl mapped to a widget's own actions."""
    return [Binding(k.keys, actions[k.action], k.description, show=False) for k in MOVE_KEYS]


def key_label(key: Key) -> str:
    return key.key_display or key.keys.replace(",", " / ")


def help_rows() -> list[tuple[str, str, str]]:
    """(group, keys, description) for every key, in the order the help screen shows them."""
    rows: list[tuple[str, str, str]] = []
    panes = [k for k in APP_KEYS if k.group == "Panes"]
    rows += [("Panes", key_label(k) if k.key_display != "1-4" else k.keys, k.palette or k.description) for k in panes]
    rows += [("Panes", key_label(k), k.description) for k in BUILTIN_KEYS if k.group == "Panes"]
    rows += [(k.group, key_label(k), k.description) for k in MOVE_KEYS]
    rows += [(k.group, key_label(k), k.palette or k.description) for k in APP_KEYS if k.group == "Monitor"]
    rows += [(k.group, key_label(k), k.description) for k in BUILTIN_KEYS if k.group == "Monitor"]
    return rows


def palette_entries() -> list[tuple[str, str, str]]:
    """(title, help, action) for the command palette."""
    return [
        (
            k.palette,
            f"key: {key_label(k) if k.key_display != '1-4' else k.keys}",
            f"screen.{k.action}" if k.on_monitor else k.action,
        )
        for k in APP_KEYS
        if k.palette
    ]
