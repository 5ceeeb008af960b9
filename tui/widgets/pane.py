"""The frame every pane shares: a numbered, focusable, maximizable box with designed non-data states.

A pane shows either its body (the data) or a message (loading / no data / error). Exactly one of the two is
displayed and focusable at a time, so `tab` moves pane by pane and `1`-`4` always land somewhere visible.
A pane redraws its body only when its own part of the snapshot changed (frozen records compare by value).

A pane that starts with data (the snapshot cache's first paint, :meth:`Pane.start_as`) composes no message: it
is mounted the first time the pane has something to say instead of data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from tui.model import Snapshot
from tui.widgets.lines import look

PaneState = Literal["loading", "data", "empty", "error"]
W = TypeVar("W", bound=Widget)


def mounted_child(parent: Widget, selector: str | type[Widget], make: Callable[[], W], **where: Any) -> W:
    """``parent``'s child matching ``selector``, made by ``make`` and mounted (``where``: Textual's ``before`` /
    ``after``) the first time it is asked for: the parts of a pane that most starts never show (a message, today's
    lines, the chart not on show) cost the first frame no composing and no styling. A child mounted here is in the
    DOM at once and drawn with the current frame."""
    found = parent.query_children(selector)
    if found:
        return found.first()  # type: ignore[return-value]
    child = make()
    parent.mount(child, **where)
    return child


def same_text(a: Text | None, b: Text | None) -> bool:
    """Whether two texts (or no text) look the same (Text's own ``==`` ignores the base style)."""
    if a is None or b is None:
        return a is b
    return look(a) == look(b)


class PaneMessage(Static, can_focus=True):
    """What a pane says when it has nothing to draw; focusable so the pane stays reachable by keyboard."""


class Pane(Vertical):
    """Base class: subclasses set TITLE and NUMBER and implement compose_body, part, part_is_empty and draw."""

    ALLOW_MAXIMIZE = True
    TITLE: ClassVar[str] = ""
    NUMBER: ClassVar[int] = 0
    EMPTY_TEXT: ClassVar[str] = "No data"

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, classes="pane -loading")
        self.state: PaneState = "loading"
        self._part: Any = None
        self._has_part = False
        self._title_extra: Text | None = None
        self._title: Text | None = None
        self._marker: Text | None = None
        self._set_title()

    # -- subclass hooks --------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def part(self, snapshot: Snapshot) -> Any:
        """This pane's slice of the snapshot; the pane redraws only when it changes."""
        raise NotImplementedError

    def part_is_empty(self, part: Any) -> bool:
        return not part

    def draw(self, part: Any) -> None:
        raise NotImplementedError

    def fit_to_size(self) -> None:
        """What a new size means for this pane: by default nothing (a Lines body rewraps by itself). Panes whose
        content depends on the width redraw here (see :meth:`redraw`)."""

    def body(self) -> Widget:
        """The focusable widget that shows the data."""
        raise NotImplementedError

    # -- shared behaviour ------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        # Every pane takes its colours from the theme: redraw what is shown when it changes.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())

    def on_resize(self) -> None:
        if self.state == "data":
            self.fit_to_size()

    def redraw(self, **how: Any) -> None:
        """Draw the part on screen again (a new theme, a new size, a new sort): the data did not change."""
        if self.state == "data" and self._has_part:
            self.draw(self._part, **how)

    def start_as(self, snapshot: Snapshot) -> None:
        """Before the pane is mounted: take the state ``snapshot`` will put it in (data, or no data) rather than
        "loading". Its first draw of ``snapshot`` then changes no class (each change restyles the pane's whole
        subtree), and a pane with data composes no message it would hide at once."""
        state: PaneState = "empty" if self.part_is_empty(self.part(snapshot)) else "data"
        self.remove_class(f"-{self.state}", update=False)  # (not styled yet: nothing to update)
        self.add_class(f"-{state}", update=False)
        self.state = state

    def compose(self) -> ComposeResult:
        if self.state != "data":
            yield self._new_message(self._loading_text("…"))
        yield from self.compose_body()

    @staticmethod
    def _new_message(text: Text) -> PaneMessage:
        return PaneMessage(text, classes="pane-message")

    def message(self) -> PaneMessage:
        """What the pane says instead of data; mounted the first time it is needed (see :meth:`start_as`)."""
        # (before=0: the compose order, the message before the body)
        return mounted_child(self, PaneMessage, lambda: self._new_message(Text()), before=0)

    def focus_target(self) -> Widget:
        return self.body() if self.state == "data" else self.message()

    def show_snapshot(self, snapshot: Snapshot) -> bool:
        """Draw this pane's part of ``snapshot`` if it changed. Returns whether anything was redrawn."""
        part = self.part(snapshot)
        if self._has_part and part == self._part and self.state in ("data", "empty"):
            return False
        self._part, self._has_part = part, True
        if self.part_is_empty(part):
            self._show_message("empty", Text(self.EMPTY_TEXT, style="dim"))
        else:
            self.draw(part)
            self._set_state("data")
        self._set_title()
        return True

    def show_loading(self, source: str) -> None:
        if self.state in ("data", "empty"):
            return  # keep the last data on screen; the status line says a refresh is running
        self._show_message("loading", self._loading_text(source))

    def show_error(self, reason: str, retry: str | None) -> None:
        """A failure before this pane ever had data (with data, the stale marker says it instead)."""
        if self.state in ("data", "empty"):
            return
        text = Text("Could not load data\n\n", style="bold")
        text.append(reason)  # already cleaned by the caller
        if retry:
            text.append(f"\n\n{retry}", style="dim")
        self._show_message("error", text)

    def set_marker(self, marker: Text | None) -> None:
        """The border subtitle: e.g. "STALE · 12 min old". None clears it."""
        if same_text(marker, self._marker):
            return
        self._marker = marker
        self.border_subtitle = marker
        self.set_class(marker is not None and "stale" in marker.plain.lower(), "-stale")

    @property
    def title_plain(self) -> str:
        """The border title as plain text ("3 Sector winners · by Streak ↓")."""
        assert self._title is not None
        return self._title.plain

    def set_title_extra(self, extra: Text | None) -> None:
        if same_text(extra, self._title_extra):
            return
        self._title_extra = extra
        self._set_title()

    def _set_title(self) -> None:
        title = Text.assemble((f"{self.NUMBER} ", "bold"), (self.TITLE, "bold"))
        if self._title_extra is not None:
            title.append(" · ")
            title.append_text(self._title_extra)
        if same_text(title, self._title):
            return  # setting a border title repaints the whole pane, even when it is the same
        self._title = title
        self.border_title = title

    def _loading_text(self, source: str) -> Text:
        return Text.assemble(("Loading", "bold"), (f"\n\nfetching from {source}", "dim"))

    def _show_message(self, state: PaneState, text: Text) -> None:
        self.message().update(text)
        self._set_state(state)

    def _set_state(self, state: PaneState) -> None:
        if state == self.state:
            return
        had_focus = self.has_focus_within
        # One style update for the pane, not one per class (each is a restyle of the pane's subtree).
        self.remove_class(f"-{self.state}", update=False)
        self.add_class(f"-{state}")
        self.state = state
        if had_focus:
            # The focused widget was just hidden: hand focus to what is shown now.
            self.call_after_refresh(self.focus_target().focus)
