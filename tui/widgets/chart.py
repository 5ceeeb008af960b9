"""A plotext chart as a Textual widget, and the fast path from plotext's output to the screen.

plotext rebuilds its whole character matrix on every build (~7 ms): its output is turned straight into Textual
strips (one line each, no Rich Text in between) and cached; both are redone only when what the chart shows changes
(the data, the size, the theme). plotext itself is imported on the first chart drawn, not with this module (it is
not needed before data), and that first chart is drawn in the frame after the first one with data: importing
plotext and building the chart (~40 ms) would otherwise hold back the first frame, streak and all.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from tui.widgets import fmt


class StripCanvas(Widget):
    """A widget drawn as strips, built for what it shows at its size and cached: rebuilt only when that, the size
    or :meth:`cache_extra` changes. Subclasses say what they show (:meth:`show_figure`, any hashable value) and
    build it (:meth:`build_strips`)."""

    DEFAULT_CSS = """
    StripCanvas {
        width: 1fr;
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._what: Any = None
        self._rendered: tuple[Any, list[Strip]] | None = None
        self.builds = 0  # strips built so far (tests check that unchanged data draws nothing)

    @property
    def figure(self) -> Any:
        """What the widget shows (as given to :meth:`show_figure`)."""
        return self._what

    def show_figure(self, what: Any) -> None:
        """Show ``what``: redrawn only when it differs from what is shown."""
        if what != self._what:
            self._what = what
            self.refresh()

    def render_line(self, y: int) -> Strip:
        lines = self._lines()
        if y >= len(lines):
            return Strip.blank(self.size.width, self.rich_style)
        return lines[y]

    def _lines(self) -> list[Strip]:
        """The lines, each the widget's width: padded once here, not per line and frame in render_line
        (``rich_style`` walks every ancestor's styles on each call)."""
        if self._what is None:
            return []
        width, height = self.size.width, self.size.height
        stand_in = self.stand_in(width)
        if stand_in is not None:
            return stand_in
        key = (self._what, width, height, self.cache_extra())
        if self._rendered is None or self._rendered[0] != key:
            padding = self.rich_style
            self._rendered = (key, [line.crop_extend(0, width, padding) for line in self.build_strips(width, height)])
            self.builds += 1
        return self._rendered[1]

    def stand_in(self, width: int) -> list[Strip] | None:
        """Lines to show instead of building now (None: build)."""
        return None

    def cache_extra(self) -> Any:
        """What else the strips depend on besides the figure and the size."""
        return None

    def build_strips(self, width: int, height: int) -> list[Strip]:
        raise NotImplementedError


class PlotChart(StripCanvas):
    """A plotext chart at the widget's size, cached on (what it shows, size, theme). Subclasses draw it
    (:meth:`draw_figure`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._deferred = False  # the first chart was put off to the next frame
        self._may_build = False  # that frame has come
        self._plot: Any = None  # one plotext figure for every build (draw_chart clears it first)

    def _allow_build(self) -> None:
        self._may_build = True
        self.refresh()

    def stand_in(self, width: int) -> list[Strip] | None:
        if self._may_build or _plotext_loaded():
            return None
        # The first chart of the process: let this frame out first (every line of it says "drawing…", not just the
        # first one asked for), draw the chart in the next one.
        if not self._deferred:
            self._deferred = True
            self.call_after_refresh(self._allow_build)
        return [Strip([Segment("drawing…", Style(dim=True))]).crop_extend(0, width, self.rich_style)]

    def cache_extra(self) -> Any:
        return self.app.theme

    def build_strips(self, width: int, height: int) -> list[Strip]:
        if self._plot is None:
            from textual_plotext.plot import Plot  # lazily: plotext is not needed before the first chart

            self._plot = Plot()
        return ansi_strips(plot_ansi(self._plot, self.draw_figure, width, height, self._plot_theme()))

    def draw_figure(self, plt: Any, width: int) -> None:
        """Draw :attr:`figure` on ``plt`` (a textual_plotext Plot), clearing it first."""
        raise NotImplementedError

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


def plot_ansi(plt: Any, draw: Callable[[Any, int], None], width: int, height: int, theme: str) -> str:
    """Any chart ``draw(plt, width)`` puts on ``plt``, built at ``width`` x ``height`` in ``theme``."""
    draw(plt, width)
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


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def dim(hex_colour: str, muted: str) -> tuple[int, int, int]:
    a, b = rgb(hex_colour), rgb(muted)
    return tuple((x + y) // 2 for x, y in zip(a, b))  # type: ignore[return-value]


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


def axis_ticks(plt, values: list[float], side: str, digits: int) -> None:
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
