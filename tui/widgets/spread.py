"""Pane 2: the daily spread (bars) and relative performance (line) over the window, current streak marked.

The chart is drawn by plotext, which rebuilds its whole character matrix on every build (~7 ms): its output is
turned straight into Textual strips (one line each, no Rich Text in between) and cached; both are redone only
when what the chart shows changes (the spread, the size, the cursor, the theme).
plotext itself is imported on the first chart drawn, not with this module (it is not needed before data), and
that first chart is drawn in the frame after the first one with data: importing plotext and building the chart
(~40 ms) would otherwise hold back the first frame, streak and all.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.strip import Strip
from textual.widget import Widget

from tui.bindings import CHART_ACTIONS, move_bindings
from tui.model import Snapshot, Spread
from tui.widgets import fmt
from tui.widgets.lines import Lines
from tui.widgets.palette import Palette, palette
from tui.widgets.pane import Pane


@dataclass(frozen=True)
class SpreadPart:
    small: str
    large: str
    spread: Spread


class ChartBody(Vertical, can_focus=True):
    """Focusable chart area; left/right move a session cursor whose values show in the caption."""

    BINDINGS = move_bindings(CHART_ACTIONS)

    def action_cursor_left(self) -> None:
        self._pane().move_cursor(-1)

    def action_cursor_right(self) -> None:
        self._pane().move_cursor(+1)

    def action_cursor_home(self) -> None:
        self._pane().move_cursor(-(10**6))

    def action_cursor_end(self) -> None:
        self._pane().move_cursor(+(10**6))

    def _pane(self) -> SpreadPane:
        return self.query_ancestor(SpreadPane)


class SpreadPane(Pane):
    TITLE = "Spread"
    NUMBER = 2
    EMPTY_TEXT = "Not enough sessions for a spread chart"

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.cursor: int | None = None  # index into the window; None = the latest session

    def compose_body(self) -> ComposeResult:
        with ChartBody(classes="pane-body", id="spread-body"):
            yield SpreadChart(id="spread-plot")
            yield Lines(id="spread-caption")

    def body(self) -> Widget:
        return self.query_one("#spread-body")

    def part(self, snapshot: Snapshot) -> SpreadPart:
        return SpreadPart(snapshot.small, snapshot.large, snapshot.spread)

    def part_is_empty(self, part: SpreadPart) -> bool:
        return len(part.spread.dates) < 2

    def move_cursor(self, step: int) -> None:
        if self.state != "data" or self._part is None:
            return
        last = len(self._part.spread.dates) - 1
        current = last if self.cursor is None else self.cursor
        target = min(max(current + step, 0), last)
        self.cursor = None if target == last else target
        self.draw(self._part)

    def draw(self, part: SpreadPart) -> None:
        spread = part.spread
        if self.cursor is not None and self.cursor >= len(spread.dates):
            self.cursor = None
        colours = palette(self.app)
        rs = Text("RS 5d ")
        rs.append(f"{spread.rs_5d:.3f}" if fmt.finite(spread.rs_5d) else fmt.MISSING, style="bold")
        self.set_title_extra(rs)
        self.query_one("#spread-plot", SpreadChart).show(spread, colours, self.cursor)
        self.query_one("#spread-caption", Lines).update(caption(part, colours, self.cursor))


class SpreadChart(Widget):
    """The plotext chart at the widget's size, as cached strips keyed on (spread, size, cursor, theme)."""

    DEFAULT_CSS = """
    SpreadChart {
        width: 1fr;
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._what: tuple[Spread, Palette, int | None] | None = None
        self._rendered: tuple[tuple, list[Strip]] | None = None
        self.builds = 0  # plotext builds so far (tests check that unchanged data draws nothing)
        self._deferred = False  # the first chart was put off to the next frame
        self._may_build = False  # that frame has come
        self._plot: Any = None  # one plotext figure for every build (draw_chart clears it first)

    def show(self, spread: Spread, colours: Palette, cursor: int | None) -> None:
        what = (spread, colours, cursor)
        if what != self._what:
            self._what = what
            self.refresh()

    def _allow_build(self) -> None:
        self._may_build = True
        self.refresh()

    def render_line(self, y: int) -> Strip:
        lines = self._lines()
        if y >= len(lines):
            return Strip.blank(self.size.width, self.rich_style)
        return lines[y]

    def _lines(self) -> list[Strip]:
        """The chart's lines, each the widget's width: padded once here, not per line and frame in render_line
        (``rich_style`` walks every ancestor's styles on each call)."""
        if self._what is None:
            return []
        width = self.size.width
        if not self._may_build and not _plotext_loaded():
            # The first chart of the process: let this frame out first (every line of it says "drawing…", not
            # just the first one asked for), draw the chart in the next one.
            if not self._deferred:
                self._deferred = True
                self.call_after_refresh(self._allow_build)
            return [Strip([Segment("drawing…", Style(dim=True))]).crop_extend(0, width, self.rich_style)]
        height = self.size.height
        key = (self._what, width, height, self.app.theme)
        if self._rendered is None or self._rendered[0] != key:
            spread, colours, cursor = self._what
            if self._plot is None:
                from textual_plotext.plot import Plot  # lazily: plotext is not needed before the first chart

                self._plot = Plot()
            ansi = chart_ansi(self._plot, spread, colours, cursor, width, height, self._plot_theme())
            padding = self.rich_style
            self._rendered = (key, [line.crop_extend(0, width, padding) for line in ansi_strips(ansi)])
            self.builds += 1
        return self._rendered[1]

    def _plot_theme(self) -> str:
        """A plotext theme with the app theme's surface and foreground (as textual_plotext's "auto" makes it)."""
        from plotext._dict import themes
        from textual.color import Color
        from textual_plotext.plot import _rgbify_theme, _sequence

        name = f"textual-auto-{self.app.theme}"
        if name not in themes:
            v = self.app.theme_variables
            surface, foreground = Color.parse(v.get("surface")).rgb, Color.parse(v.get("foreground")).rgb
            themes[name] = _rgbify_theme(surface, surface, foreground, "default", _sequence)
        return name


def _plotext_loaded() -> bool:
    return "textual_plotext.plot" in sys.modules


def chart_ansi(
    plt: Any, spread: Spread, colours: Palette, cursor: int | None, width: int, height: int, theme: str
) -> str:
    """The chart as plotext draws it on ``plt`` (a textual_plotext Plot, cleared first): ``height`` lines of
    ``width`` cells with SGR colour codes."""
    draw_chart(plt, spread, colours, cursor, width)
    plt.plotsize(width, height)
    plt._set_size(width, height)  # as textual_plotext's PlotextPlot does: plotsize alone doesn't always take
    plt.theme(theme)
    return plt.build()


_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_CODES_THEN_TEXT = re.compile(r"((?:\x1b\[[0-9;]*m)*)([^\x1b]*)")


def ansi_strips(ansi: str) -> list[Strip]:
    """plotext's output (text and SGR codes: reset, bold, 24-bit / 256 / basic colours) as one Strip per line.

    What ``Text.from_ansi`` then Rich's renderer would make of it, in one pass. plotext opens every run of cells
    with the same few code sequences ("reset, background, foreground"), so the style each sequence leads to is
    worked out once per (style before, sequence), and runs of one style are joined as they are read."""
    styles_after: dict[tuple[Style, str], Style] = {}
    strips = []
    style = Style()
    for line in ansi.rstrip("\n").split("\n"):
        segments: list[Segment] = []
        for codes, text in _CODES_THEN_TEXT.findall(line):
            if codes:
                key = (style, codes)
                if key not in styles_after:
                    styles_after[key] = _apply_sgr(style, codes)
                style = styles_after[key]
            if text:
                segment_style = style or None
                if segments and segments[-1].style == segment_style:
                    segments[-1] = Segment(segments[-1].text + text, segments[-1].style)
                else:
                    segments.append(Segment(text, segment_style))
        strips.append(Strip(segments))
    return strips


def _apply_sgr(style: Style, sequence: str) -> Style:
    """``style`` after a sequence of SGR codes: a reset starts again from no style, the rest add up."""
    for codes in _SGR.findall(sequence):
        style = Style() if codes in ("", "0") else style + _sgr_style(codes)
    return style


@lru_cache(maxsize=256)
def _sgr_style(codes: str) -> Style:
    """One SGR parameter list as a Rich Style (by Rich's own ANSI decoder, so colours match Text.from_ansi)."""
    spans = Text.from_ansi(f"\x1b[{codes}mx").spans
    if not spans:
        return Style()
    style = spans[0].style
    return style if isinstance(style, Style) else Style.parse(style)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _dim(hex_colour: str, muted: str) -> tuple[int, int, int]:
    a, b = _rgb(hex_colour), _rgb(muted)
    return tuple((x + y) // 2 for x, y in zip(a, b))  # type: ignore[return-value]


def streak_index(spread: Spread) -> int | None:
    if spread.streak_start is None:
        return None
    for i, d in enumerate(spread.dates):
        if d >= spread.streak_start:
            return i
    return None


def draw_chart(plt: Any, spread: Spread, colours: Palette, cursor: int | None, width: int) -> None:
    """Build the plotext figure on ``plt`` (a textual_plotext Plot); the caller sets its size and builds it."""
    plt.clear_figure()
    n = len(spread.dates)
    xs = list(range(n))
    x_range = (-0.8, n - 0.2)
    daily = [(v * 100 if fmt.finite(v) else 0.0) for v in spread.daily]
    start = streak_index(spread)
    in_streak = [start is not None and i >= start for i in xs]
    series = (
        (colours.up, lambda v, s: v > 0 and s, False),
        (colours.down, lambda v, s: v < 0 and s, False),
        (colours.up, lambda v, s: v > 0 and not s, True),
        (colours.down, lambda v, s: v < 0 and not s, True),
    )
    for colour, keep, dimmed in series:
        picked = [(x, v) for x, v, s in zip(xs, daily, in_streak) if keep(v, s)]
        if picked:
            _bars(
                plt,
                [p[0] for p in picked],
                [p[1] for p in picked],
                _dim(colour, colours.muted) if dimmed else _rgb(colour),
                step=(x_range[1] - x_range[0]) / width,
            )  # less than a column: the plot is narrower
    relative = [(v * 100 if fmt.finite(v) else None) for v in spread.relative]
    points = [(x, y) for x, y in zip(xs, relative) if y is not None]
    if points:
        plt.plot(
            [p[0] for p in points], [p[1] for p in points], yside="right", color=_rgb(colours.accent), marker="braille"
        )
    plt.hline(0.0, _rgb(colours.muted))
    if start is not None and start > 0:
        plt.vline(start - 0.5, _rgb(colours.warn))
    if cursor is not None:
        plt.vline(cursor, _rgb(colours.muted))
    # Units (pp, %) are in the caption: plotext cuts right-hand labels longer than 4 cells.
    _axis_ticks(plt, daily, "left", digits=2 if max(map(abs, daily), default=0) < 1 else 1)
    _axis_ticks(plt, [p[1] for p in points], "right", digits=1)
    ticks = sorted({0, n // 3, (2 * n) // 3, n - 1})
    plt.xticks(ticks, [f"{spread.dates[i]:%d %b}" for i in ticks])
    plt.xlim(*x_range)
    plt.frame(True)  # without the frame plotext leaves no room for the right-hand labels


BAR_WIDTH = 0.6


def _bars(plt: Any, xs: list[int], heights: list[float], colour: tuple[int, int, int], step: float) -> None:
    """Bars ``BAR_WIDTH`` sessions wide, each filling the cells ``plt.bar([x], [height], width=BAR_WIDTH)`` would,
    drawn as one plotext signal.

    One ``plt.bar`` call for all of them would widen every bar by the series' mean spacing: the few dimmed days
    outside a streak came out several sessions wide, over their neighbours. And plt.bar makes each bar a signal
    of its own, at ~0.13 ms of plotext's build each. Here a bar is points along its top edge at most ``step``
    apart, less than a column, so each of its columns gets one, filled down to the zero row; a negative bar also
    gets them on the zero row, where a fill toward 0 from below stops one row short."""
    x: list[float] = []
    y: list[float] = []
    for centre, top in zip(xs, heights):
        left, right = centre - BAR_WIDTH / 2, centre + BAR_WIDTH / 2
        count = max(1, math.ceil((right - left) / step))
        along = [left + (right - left) * i / count for i in range(count)] + [right]
        x += along
        y += [top] * len(along)
        if top < 0:
            x += along
            y += [0.0] * len(along)
    plt.scatter(x, y, marker="sd", color=colour, fillx=0)


def nice_ticks(lo: float, hi: float, count: int = 4, steps: tuple[float, ...] = (1, 2, 2.5, 5, 10)) -> list[float]:
    """Round tick values covering [lo, hi] (zero included when in range), about ``count`` of them."""
    if not (fmt.finite(lo) and fmt.finite(hi)) or hi <= lo:
        return [lo] if fmt.finite(lo) else []
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _axis_ticks(plt, values: list[float], side: str, digits: int) -> None:
    """Explicit, short tick labels: plotext's own get cut at the plot edge ("-0." for -0.16)."""
    if not values:
        return
    # Right-hand labels get about 3 cells: whole numbers once the range allows ("-5", not "-2.5").
    steps = (1, 2, 5, 10) if side == "right" else (1, 2, 2.5, 5, 10)
    ticks = nice_ticks(min(values), max(values), steps=steps)
    if ticks:
        if side == "right":  # as short as possible: "2.5", "-5", "0"
            labels = [f"{t:.{digits}f}".rstrip("0").rstrip(".") or "0" for t in ticks]
        else:
            labels = [f"{t:+.{digits}f}" if t else "0" for t in ticks]
        plt.yticks(ticks, labels, yside=side)


def caption(part: SpreadPart, colours: Palette, cursor: int | None) -> Text:
    """The session under the cursor (the latest by default) in words, with units the axes leave out."""
    spread = part.spread
    i = len(spread.dates) - 1 if cursor is None else cursor
    daily, rel = spread.daily[i], spread.relative[i]
    text = Text()
    text.append("◀ " if cursor is not None else "", style="dim")
    text.append(fmt.short_day(spread.dates[i]), style="bold")
    text.append("  daily ", style="dim")
    text.append(f"{daily * 100:+.2f} pp" if fmt.finite(daily) else fmt.MISSING, style=colours.sign(daily))
    text.append("  relative ", style="dim")
    text.append("━ ", style=colours.accent)
    text.append(fmt.pct(rel), style=colours.sign(rel))
    if spread.streak_start is not None:
        text.append("  streak ", style="dim")
        text.append("│", style=colours.warn)
    return text
