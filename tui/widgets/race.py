"""Today's race, drawn in the Spread pane: both sides' % change since the previous close and their difference,
on the whole session's width (09:30 ET to its close: 16:00, or 13:00 on a half day, as the data source's calendar
gives it on the race; so the eye sees how much of the day is left), with a legend line of who leads, the lead
changes, the share of the time each side led and the widest gap each way.

The chart is the spread chart's machinery (:class:`~tui.widgets.chart.PlotChart`: plotext built once per change,
decoded to strips, cached).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from rich.text import Text

from tui.data.market_clock import ET
from tui.model import Today
from tui.widgets import fmt
from tui.widgets.chart import PlotChart, axis_ticks, rgb
from tui.widgets.palette import Palette
from tui.widgets.safe import plain

SESSION_OPEN = time(9, 30)  # ET: every session in the calendar's span opens then (half days close early)
REGULAR_MINUTES = 390  # 09:30 to 16:00 ET: the axis of a race whose source did not say when its session closes
#: Minutes between two ticks from the open: the smallest step that gives at most MAX_TICKS ticks, the close's
#: included (a regular day: 9:30 11:00 12:30 14:00 16:00; a half day: 9:30 10:30 11:30 (12:30) 13:00).
TICK_STEPS = (30, 60, 90, 120)
MAX_TICKS = 5
#: Cells from a tick to the next for their labels to stay apart ("12:30" and three spaces: plotext centres each
#: label on its tick, rounding); the y axis' labels and the frame take about AXIS_CELLS of the chart's width.
TICK_LABEL_CELLS = 8
AXIS_CELLS = 8


def minute_of_session(instant: datetime, session_open: datetime) -> float:
    return (instant - session_open).total_seconds() / 60.0


def session_open_of(race: Today) -> datetime | None:
    """09:30 ET on the race's session day (the axis starts there even when the first point is later)."""
    if race.session is None:
        return None
    return datetime.combine(race.session, SESSION_OPEN, ET)


def session_minutes(race: Today) -> int:
    """The session's length from its open to its close as the race carries it (210 on a half day); the regular
    390 when it carries none."""
    start = session_open_of(race)
    if start is None or race.session_close is None:
        return REGULAR_MINUTES
    minutes = round(minute_of_session(race.session_close, start))
    return minutes if minutes > 0 else REGULAR_MINUTES


def session_ticks(minutes: int, width: int) -> list[int]:
    """The x ticks, in minutes from the open, of a session ``minutes`` long on a chart ``width`` cells wide: every
    step from the open and the close last. The step is the smallest of TICK_STEPS giving at most MAX_TICKS; an
    inner tick nearer the close than half a step, or than its label's width, gives way to the close."""
    cells = max(width - AXIS_CELLS, 1)
    for step in TICK_STEPS:
        ticks = list(range(0, minutes, step))
        if len(ticks) > 1 and minutes - ticks[-1] < max(step / 2, TICK_LABEL_CELLS * minutes / cells):
            ticks.pop()
        if len(ticks) + 1 <= MAX_TICKS or step == TICK_STEPS[-1]:
            return [*ticks, minutes]
    raise AssertionError("unreachable: the last step always returns")


class RaceChart(PlotChart):
    """Today's race as a plotext chart, cached on (race, colours), the size and the theme like the spread chart."""

    def show_race(self, race: Today, colours: Palette) -> None:
        self.show_figure((race, colours))

    def draw_figure(self, plt: Any, width: int) -> None:
        race, colours = self.figure
        draw_race(plt, race, colours, width)


def draw_race(plt: Any, race: Today, colours: Palette, width: int) -> None:
    """Build the race figure on ``plt``: both sides' % change lines and their difference (small less large, in pp),
    the zero line with a ◆ at each lead change, ▲ ▼ at the widest gap each way, and a line at "now" while the
    session runs (what lies right of it is the rest of the day)."""
    plt.clear_figure()
    start = session_open_of(race)
    xs = [minute_of_session(t, start) for t in race.times] if start is not None else []
    minutes = session_minutes(race)
    x_range = (0.0, float(max(minutes, *xs) if xs else minutes))
    small = [v * 100 for v in race.small]
    large = [v * 100 for v in race.large]
    difference = [v * 100 for v in race.difference]
    if xs:  # the difference first, so both sides' lines are drawn over it
        plt.plot(xs, difference, color=rgb(colours.accent), marker="braille")
        plt.plot(xs, large, color=rgb(colours.large), marker="braille")
        plt.plot(xs, small, color=rgb(colours.small), marker="braille")
    plt.hline(0.0, rgb(colours.muted))
    changes = [minute_of_session(c.time, start) for c in race.lead_changes] if start is not None else []
    if changes:
        plt.scatter(changes, [0.0] * len(changes), marker="◆", color=rgb(colours.warn))
    for gap, mark, colour in ((race.widest_small, "▲", colours.small), (race.widest_large, "▼", colours.large)):
        if gap is not None and start is not None:
            plt.scatter([minute_of_session(gap.time, start)], [gap.value * 100], marker=mark, color=rgb(colour))
    if xs and not race.complete:
        plt.vline(xs[-1], rgb(colours.muted))
    values = small + large + difference
    axis_ticks(plt, values, "left", digits=2 if max(map(abs, values), default=0) < 1 else 1)
    ticks = session_ticks(minutes, width)
    plt.xticks(ticks, [_clock(m) for m in ticks])
    plt.xlim(*x_range)
    plt.frame(True)


def _clock(minute: int) -> str:
    """An axis label: "9:30" for minute 0 of the session, "16:00" for minute 390, "13:00" for 210."""
    total = SESSION_OPEN.hour * 60 + SESSION_OPEN.minute + minute
    return f"{total // 60}:{total % 60:02d}"


def race_caption(
    race: Today, small_symbol: str, large_symbol: str, colours: Palette, width: int, lines: int = 2
) -> Text:
    """The legend under the chart, ``lines`` lines of ``width`` cells: the race now (or closed), then, as many as
    fit in that order, who leads by how much, the lead changes (◆ on the zero line), the share of the time each side
    led and the widest gap each way (▲ ▼ on the chart). Symbols are shortened and sanitised.

    Always ``lines`` lines, blank ones at the end if the items fit in fewer: the chart above keeps its height as the
    legend's items grow and shrink through the session (a legend one line shorter would make the chart jump, and
    lay the whole screen out again on every refresh)."""
    small, large = fmt.short_of(small_symbol), fmt.short_of(large_symbol)
    text = Text(no_wrap=True, overflow="ellipsis")
    if not race.times:
        text.append("No intraday path", style="bold")
        if race.note:
            text.append(f": {plain(race.note)}", style="dim")
        return _lines_of([text], lines)
    if race.complete:
        text.append(f"{fmt.short_day(race.session)} ", style="dim")
        text.append("closed", style="bold")
    else:
        text.append(fmt.clock_time(race.times[-1]), style="bold")
    text.append(" ━ ", style=colours.small)
    text.append(f"{small} ")
    text.append(fmt.pct(race.small[-1], 2), style=colours.sign(race.small[-1]))
    text.append(" ━ ", style=colours.large)
    text.append(f"{large} ")
    text.append(fmt.pct(race.large[-1], 2), style=colours.sign(race.large[-1]))
    items: list[Text] = []
    if race.leader == "none":
        items.append(Text.assemble(("━ ", colours.accent), ("level", "bold")))
    else:
        name = small if race.leader == "small" else large
        items.append(
            Text.assemble(
                ("━ ", colours.accent),  # the difference's line
                (f"{name} {'won' if race.complete else 'leads'}", f"bold {colours.side(race.leader)}"),
                (f" {abs(race.difference[-1]) * 100:.2f} pp", "dim"),
            )
        )
    count = len(race.lead_changes)
    items.append(Text.assemble(("◆ ", colours.warn), f"{count} lead change{'' if count == 1 else 's'}"))
    if race.share_small is not None and race.share_large is not None:
        items.append(
            Text.assemble(
                ("led ", "dim"),
                (f"{small} {race.share_small:.0%}", colours.small),
                " ",
                (f"{large} {race.share_large:.0%}", colours.large),
            )
        )
    for name, gap, mark, colour in (
        (small, race.widest_small, "▲", colours.small),
        (large, race.widest_large, "▼", colours.large),
    ):
        if gap is not None:
            items.append(
                Text.assemble(
                    (f"{mark} ", colour),
                    ("widest ", "dim"),
                    (f"{name} {abs(gap.value) * 100:.2f} pp", colour),
                    (f" {fmt.clock_time(gap.time).removesuffix(' ET')}", "dim"),
                )
            )
    rows = [text]
    for item in items:
        row = rows[-1]
        if row.cell_len and row.cell_len + 3 + item.cell_len > width:
            if len(rows) == lines:
                break
            row = Text()
            rows.append(row)
        elif row.cell_len:
            row.append(" · ", style="dim")
        row.append_text(item)
    return _lines_of(rows, lines)


def _lines_of(rows: list[Text], lines: int) -> Text:
    """``rows`` as one Text of exactly ``lines`` lines (blank ones added at the end)."""
    rows = rows + [Text() for _ in range(lines - len(rows))]
    return Text("\n", no_wrap=True, overflow="ellipsis").join(rows)
