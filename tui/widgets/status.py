"""The status line: source label, the pair on screen, market state, data date, last update and its age, next
refresh, last error (and "cached" while the data shown is the snapshot cache's, before the first refresh)."""

from __future__ import annotations

import re
from datetime import date, datetime

from msgspec import Struct
from msgspec.structs import replace
from rich.text import Text
from textual.widgets import Static

from tui.data.base import LABEL_LIVE, LABEL_OFFLINE, LABEL_SIMULATED
from tui.fmt import pair_title, split_retry
from tui.widgets import fmt
from tui.widgets.palette import Palette, palette
from tui.widgets.safe import plain


class StatusInfo(Struct, frozen=True):
    label: str | None = None  # LIVE / DELAYED / OFFLINE / REPLAY / SIMULATED; None before any data
    source: str = ""
    pair: tuple[str, str, str] | None = None  # (small, large, name) of the pair on screen; None before any data
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
        # One line of fixed height, fitted to the width: a repaint, never a layout pass of the whole screen.
        self.update(fitted_status(self._info, palette(self.app), self.size.width), layout=False)


# How hard the line is squeezed, one level at a time, until it fits (the whole error counts):
FULL, COMPACT, TIGHT, TERSE_REASON, SHORT_DATE, BARE_DATE, BARE_MARKET, SHORT_REASON = range(8)
_DETAIL = re.compile(r"\s*\([^()]*\)$")  # a closing technical detail: "(HTTP 429)", "(timeout)"
_MIN_REASON = 12  # a reason shortened below this says nothing: the line is cut at its end instead


def shorten(reason: str, room: int) -> str:
    """``reason`` in at most ``room`` characters, cut at word boundaries: its first words (they say what failed)
    and, when there is room for both, its last words (often the symbol or the number), "…" between."""
    if len(reason) <= room:
        return reason
    words = reason.split(" ")

    def take(candidates: list[str], budget: int) -> list[str]:
        kept: list[str] = []
        for word in candidates:
            if len(" ".join(kept + [word])) > budget:
                break
            kept.append(word)
        return kept

    head_budget = room - 1 if room < 30 else (room - 2) * 2 // 3  # "…" after the head
    head = take(words, head_budget) or [words[0][:head_budget]]
    first = " ".join(head)
    rest = words[len(head) :]
    tail = take(rest[::-1], room - len(first) - 3)[::-1] if room >= 30 else []  # " … " between
    return f"{first} … {' '.join(tail)}" if tail else f"{first}…"


def fitted_status(info: StatusInfo, colours: Palette, width: int) -> Text:
    """The most complete status line that fits ``width`` cells. Squeezed in order: fewer words (compact); then,
    when the error says when it retries, no separate "next" slot (the retry is the next refresh) and a stale
    update as its age only; the reason's closing detail ("(HTTP 429)"); the as-of year, then "as of"; when the
    market opens (a problem's reason matters more); the reason's end or middle. With a problem to say, the pair
    goes first of all; otherwise its name goes at the first squeeze and its symbols stay.
    The reason's start and the retry countdown are kept whole as long as anything readable fits; only then is the
    line cut at its end with "…"."""
    text = status_text(info, colours)
    if not width or text.cell_len <= width:
        return text
    if info.error and info.pair is not None:
        # A problem's reason matters more than naming the pair (the panes name it too): the pair goes first.
        info = replace(info, pair=None)
        text = status_text(info, colours)
        if text.cell_len <= width:
            return text
    for level in (COMPACT, TIGHT, TERSE_REASON, SHORT_DATE, BARE_DATE, BARE_MARKET):
        text = status_text(info, colours, level=level)
        if text.cell_len <= width:
            return text
    if info.error:
        reason, tail = split_retry(plain(info.error, 300))
        reason = _DETAIL.sub("", reason) or reason
        room = len(reason) - (text.cell_len - width)
        if room >= _MIN_REASON:
            text = status_text(replace(info, error=shorten(reason, room) + tail), colours, level=SHORT_REASON)
    return text


def compact_market(market: str) -> str:
    """The market state in fewer words: its phase, and when it opens if it is closed ("WEEKEND · opens Mon 09:30
    ET"): the holiday's name and the close time go, the reopening stays (nothing else says why nothing moves)."""
    phase, *rest = market.split(" · ")
    return " · ".join([phase] + [part for part in rest if part.startswith("opens ")])


def status_text(info: StatusInfo, colours: Palette, compact: bool = False, level: int = FULL) -> Text:
    level = max(level, COMPACT if compact else FULL)
    compact = level >= COMPACT
    error = plain(info.error, 300) if info.error else ""
    reason, retry = split_retry(error)
    # Squeezed: the error's own retry countdown stands for the next refresh, and a stale update is its age.
    tight = level >= TIGHT and bool(retry)
    text = Text()
    sep = (" │ ", colours.muted)
    if info.label is None:
        text.append(" streakwatch ", style="bold")
    elif info.label == LABEL_SIMULATED:
        text.append(" SIMULATED DATA ", style=f"bold reverse {colours.warn}")
    else:
        style = {LABEL_LIVE: colours.up, LABEL_OFFLINE: colours.down}.get(info.label, colours.accent)
        text.append(f" {plain(info.label, 12)} ", style=f"bold reverse {style}")
    if info.pair is not None:
        small, large, name = (plain(part, 40) for part in info.pair)
        text.append(*sep)
        # Squeezed: the symbols alone (the name is the first thing a narrow line can do without).
        text.append(pair_title(small, large, "" if compact else name), style="bold")
    if info.market:
        text.append(*sep)
        text.append("● " if info.market_open else "○ ", style=colours.up if info.market_open else colours.muted)
        market = plain(info.market, 60)
        shown = market.split(" · ")[0] if level >= BARE_MARKET else compact_market(market) if compact else market
        text.append(shown, style="bold")
    if info.as_of is not None:
        text.append(*sep)
        if level < BARE_DATE:
            text.append("as of ", style="dim")
        if level >= SHORT_DATE:
            text.append(f"{info.as_of.day} {info.as_of:%b}")
        else:
            text.append(fmt.short_day(info.as_of) if compact else fmt.day(info.as_of))
    text.append(*sep)
    if info.updated is not None and tight and info.stale and info.age is not None:
        text.append("STALE", style=f"bold {colours.warn}")
        text.append(f" · {info.age} ago", style=f"bold {colours.warn}")
    elif info.updated is not None:
        text.append("" if compact else "updated ", style="dim")
        text.append(fmt.clock_time(info.updated))
        if info.age is not None:
            age = f" · {info.age} ago" if compact else f" ({info.age} ago)"
            text.append(age, style=f"bold {colours.warn}" if info.stale else "dim")
        if info.stale:
            text.append(" STALE", style=f"bold {colours.warn}")
    else:
        text.append("no data yet", style="dim")
    slot = info.cached or info.paused or info.fetching or (info.next_in is not None and not tight)
    if slot or not tight:
        text.append(*sep)
    if info.cached:
        text.append("cached", style=f"bold {colours.warn}")
        if info.paused or info.fetching or (info.next_in is not None and not tight):
            text.append(" · ", style="dim")
    if info.paused:
        text.append(" PAUSED ", style=f"bold reverse {colours.warn}")
    elif info.fetching:
        text.append("refreshing…", style=colours.accent)
    elif info.next_in is not None and not tight:
        text.append("next ", style="dim")
        text.append(fmt.countdown(info.next_in))
    if error:
        if level >= TERSE_REASON:
            reason = _DETAIL.sub("", reason) or reason
        text.append(*sep)
        text.append("⚠ ", style=f"bold {colours.down}")
        text.append(reason + retry, style=colours.down)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text
