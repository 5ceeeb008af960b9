"""The status line: source label, market state, data date, last update and its age, next refresh, last error
(and "cached" while the data shown is the snapshot cache's, before the first refresh)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from rich.text import Text
from textual.widgets import Static

from tui.data.base import LABEL_LIVE, LABEL_OFFLINE, LABEL_SIMULATED
from tui.widgets import fmt
from tui.widgets.palette import Palette, palette
from tui.widgets.safe import plain


@dataclass(frozen=True)
class StatusInfo:
    label: str | None = None  # LIVE / DELAYED / OFFLINE / REPLAY / SIMULATED; None before any data
    source: str = ""
    market: str | None = None  # e.g. "OPEN", "CLOSED", "HOLIDAY · Good Friday"
    market_open: bool = False
    as_of: date | None = None
    updated: datetime | None = None
    age: str | None = None
    stale: bool = False
    fetching: bool = False
    cached: bool = False  # the data shown came from the snapshot cache; no refresh has succeeded yet
    paused: bool = False
    next_in: float | None = None
    error: str | None = None


class StatusLine(Static):
    """One line; it only changes on refresh and on the app's slow (10 s) tick."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self._info: StatusInfo | None = None

    def show(self, info: StatusInfo) -> None:
        if info == self._info:
            return
        self._info = info
        self._repaint()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._repaint())

    def on_resize(self) -> None:
        self._repaint()

    def _repaint(self) -> None:
        if self._info is None:
            return
        colours = palette(self.app)
        # Compact (fewer words, same facts) when the facts don't fit; a long error is cut with "…" either way.
        # An error wants room too: up to 40 cells of it count towards the fit.
        facts = status_text(replace(self._info, error=None), colours)
        wanted = facts.cell_len + (min(len(self._info.error) + 5, 40) if self._info.error else 0)
        compact = bool(self.size.width) and wanted > self.size.width
        text = status_text(self._info, colours, compact=compact)
        self.update(text)


def status_text(info: StatusInfo, colours: Palette, compact: bool = False) -> Text:
    text = Text()
    sep = (" │ ", colours.muted)
    if info.label is None:
        text.append(" streakwatch ", style="bold")
    elif info.label == LABEL_SIMULATED:
        text.append(" SIMULATED DATA ", style=f"bold reverse {colours.warn}")
    else:
        style = {LABEL_LIVE: colours.up, LABEL_OFFLINE: colours.down}.get(info.label, colours.accent)
        text.append(f" {plain(info.label, 12)} ", style=f"bold reverse {style}")
    if info.market:
        text.append(*sep)
        text.append("● " if info.market_open else "○ ", style=colours.up if info.market_open else colours.muted)
        market = plain(info.market, 40)
        text.append(market.split(" · ")[0] if compact else market, style="bold")
    if info.as_of is not None:
        text.append(*sep)
        text.append("as of ", style="dim")
        text.append(fmt.short_day(info.as_of) if compact else fmt.day(info.as_of))
    text.append(*sep)
    if info.updated is not None:
        text.append("" if compact else "updated ", style="dim")
        text.append(fmt.clock_time(info.updated))
        if info.age is not None:
            age = f" · {info.age} ago" if compact else f" ({info.age} ago)"
            text.append(age, style=f"bold {colours.warn}" if info.stale else "dim")
        if info.stale:
            text.append(" STALE", style=f"bold {colours.warn}")
    else:
        text.append("no data yet", style="dim")
    text.append(*sep)
    if info.cached:
        text.append("cached", style=f"bold {colours.warn}")
        if info.paused or info.fetching or info.next_in is not None:
            text.append(" · ", style="dim")
    if info.paused:
        text.append(" PAUSED ", style=f"bold reverse {colours.warn}")
    elif info.fetching:
        text.append("refreshing…", style=colours.accent)
    elif info.next_in is not None:
        text.append("next ", style="dim")
        text.append(fmt.countdown(info.next_in))
    if info.error:
        text.append(*sep)
        text.append("⚠ ", style=f"bold {colours.down}")
        text.append(plain(info.error, 300), style=colours.down)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text
