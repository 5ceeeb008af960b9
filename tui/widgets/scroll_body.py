"""A focusable scrolling body for text panes, with the registry's hjkl keys."""

from __future__ import annotations

from textual.containers import VerticalScroll

from tui.bindings import SCROLL_ACTIONS, move_bindings


class ScrollBody(VerticalScroll, can_focus=True):
    BINDINGS = move_bindings(SCROLL_ACTIONS)
