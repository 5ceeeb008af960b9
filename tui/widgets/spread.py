"""Pane 2: the daily spread (bars) and relative performance (line) over the window, current streak marked; or
today's race (:mod:`tui.widgets.race`) while there is one. Both are :class:`~tui.widgets.chart.PlotChart` charts.
"""

from __future__ import annotations

import math
from typing import Any, Literal, TypeVar

from msgspec import Struct
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget

from tui.bindings import CHART_ACTIONS, move_bindings
from tui.model import Snapshot, Spread, Today
from tui.widgets import fmt
from tui.widgets.chart import PlotChart, axis_ticks, dim, plot_ansi, rgb
from tui.widgets.lines import Lines
from tui.widgets.palette import Palette, palette
from tui.widgets.pane import Pane, mounted_child
from tui.widgets.race import RaceChart, race_caption


class SpreadPart(Struct, frozen=True):
    small: str
    large: str
    spread: Spread
    today: Today | None = None  # today's race: the pane shows it first while there is one (the race view)


View = Literal["today", "sessions"]
ChartT = TypeVar("ChartT", bound=PlotChart)
RACE_TALL = 16  # pane rows from which the race legend takes three lines, not two


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
    """The sessions' spread chart, or today's race while there is one (the key ``t`` switches between them)."""

    TITLE = "Spread"
    NUMBER = 2
    EMPTY_TEXT = "Not enough sessions for a spread chart"

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.cursor: int | None = None  # index into the window; None = the latest session
        self.chosen_view: View | None = None  # what the user picked with ``t``; None: the race while there is one

    def compose_body(self) -> ComposeResult:
        # The chart of each view is mounted the first time the view is drawn (_show_chart): most starts show one of
        # the two all day, and a chart composed but hidden still costs the first frame its styling.
        with ChartBody(classes="pane-body", id="spread-body"):
            yield Lines(id="spread-caption")

    def body(self) -> Widget:
        return self.query_one("#spread-body")

    def part(self, snapshot: Snapshot) -> SpreadPart:
        return SpreadPart(snapshot.small, snapshot.large, snapshot.spread, snapshot.today)

    def part_is_empty(self, part: SpreadPart) -> bool:
        return len(part.spread.dates) < 2

    def view(self, part: SpreadPart | None = None) -> View:
        """What the pane shows: the user's choice, else today's race while it has a path, else the sessions."""
        part = part if part is not None else self._part
        if self.chosen_view is not None:
            return self.chosen_view
        has_race = part is not None and part.today is not None and bool(part.today.times)
        return "today" if has_race else "sessions"

    def action_toggle_race(self) -> None:
        self.chosen_view = "sessions" if self.view() == "today" else "today"
        self.redraw()

    def fit_to_size(self) -> None:
        if self.view() == "today":
            self.redraw()  # the race legend fits as many items as the width allows

    def move_cursor(self, step: int) -> None:
        if self.state != "data" or self._part is None or self.view() == "today":
            return
        last = len(self._part.spread.dates) - 1
        current = last if self.cursor is None else self.cursor
        target = min(max(current + step, 0), last)
        self.cursor = None if target == last else target
        self.draw(self._part)

    def _show_chart(self, kind: type[ChartT]) -> ChartT:
        """The chart of this ``kind`` (the sessions' or today's race), shown, and mounted the first time; the other
        hidden, if it was ever mounted."""
        body = self.query_one("#spread-body")
        shown = mounted_child(body, kind, lambda: kind(id=CHART_IDS[kind]), before="#spread-caption")
        for chart in body.query_children(PlotChart):
            chart.display = chart is shown
        return shown

    def draw(self, part: SpreadPart) -> None:
        colours = palette(self.app)
        today = self.view(part) == "today"
        switch = Text(" · ", style="dim")
        switch.append("t", style="bold")
        switch.append(" sessions" if today else " today", style="dim")
        if today:
            race = part.today or Today(session=None, note="no race today")
            title = Text("Race · closed" if race.complete else "Today's race", style="bold")
            if race.times and not race.complete:
                title.append(" PROVISIONAL", style=f"bold {colours.warn}")
            if part.today is not None:
                title.append_text(switch)
            self.set_title_extra(title)
            self._show_chart(RaceChart).show_race(race, colours)
            # The pane's own content width: on a resize it is already new, while the caption's is laid out later.
            width = self.content_size.width or 60
            lines = 3 if self.size.height >= RACE_TALL else 2  # a short pane keeps its rows for the chart
            legend = race_caption(race, part.small, part.large, colours, width, lines)
            self.query_one("#spread-caption", Lines).update(legend)
            return
        spread = part.spread
        if self.cursor is not None and self.cursor >= len(spread.dates):
            self.cursor = None
        rs = Text("RS 5d ")
        rs.append(f"{spread.rs_5d:.3f}" if fmt.finite(spread.rs_5d) else fmt.MISSING, style="bold")
        if part.today is not None:
            rs.append_text(switch)
        self.set_title_extra(rs)
        self._show_chart(SpreadChart).show(spread, colours, self.cursor)
        self.query_one("#spread-caption", Lines).update(caption(part, colours, self.cursor))


class SpreadChart(PlotChart):
    """The spread chart, cached on (spread, colours, cursor) and the size and theme."""

    def show(self, spread: Spread, colours: Palette, cursor: int | None) -> None:
        self.show_figure((spread, colours, cursor))

    def draw_figure(self, plt: Any, width: int) -> None:
        spread, colours, cursor = self.figure
        draw_chart(plt, spread, colours, cursor, width)


CHART_IDS: dict[type[PlotChart], str] = {SpreadChart: "spread-plot", RaceChart: "race-plot"}


def chart_ansi(
    plt: Any, spread: Spread, colours: Palette, cursor: int | None, width: int, height: int, theme: str
) -> str:
    """The chart as plotext draws it on ``plt`` (a textual_plotext Plot, cleared first): ``height`` lines of
    ``width`` cells with SGR colour codes."""
    return plot_ansi(plt, lambda p, w: draw_chart(p, spread, colours, cursor, w), width, height, theme)


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
                dim(colour, colours.muted) if dimmed else rgb(colour),
                step=(x_range[1] - x_range[0]) / width,
            )  # less than a column: the plot is narrower
    relative = [(v * 100 if fmt.finite(v) else None) for v in spread.relative]
    points = [(x, y) for x, y in zip(xs, relative) if y is not None]
    if points:
        plt.plot(
            [p[0] for p in points], [p[1] for p in points], yside="right", color=rgb(colours.accent), marker="braille"
        )
    plt.hline(0.0, rgb(colours.muted))
    if start is not None and start > 0:
        plt.vline(start - 0.5, rgb(colours.warn))
    if cursor is not None:
        plt.vline(cursor, rgb(colours.muted))
    # Units (pp, %) are in the caption: plotext cuts right-hand labels longer than 4 cells.
    axis_ticks(plt, daily, "left", digits=2 if max(map(abs, daily), default=0) < 1 else 1)
    axis_ticks(plt, [p[1] for p in points], "right", digits=1)
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
