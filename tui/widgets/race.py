"""Today's race, drawn in the Spread pane: both sides' % change since the previous close and their difference,
on the whole session's width (09:30 to 16:00 ET, so the eye sees how much of the day is left), with a legend line
of who leads, the lead changes, the share of the time each side led and the widest gap each way.

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

SESSION_OPEN = time(9, 30)  # ET
SESSION_MINUTES = 390  # 09:30 to 16:00 ET: the axis is the regular session's width (a half day ends early on it)
TICKS = (0, 90, 180, 270, 390)  # 09:30, 11:00, 12:30, 14:00, 16:00


def minute_of_session(instant: datetime, session_open: datetime) -> float:
    return (instant - session_open).total_seconds() / 60.0


def session_open_of(race: Today) -> datetime | None:
    """09:30 ET on the race's session day (the axis starts there even when the first point is later)."""
    if race.session is None:
        return None
    return datetime.combine(race.session, SESSION_OPEN, ET)


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
    x_range = (0.0, float(max(SESSION_MINUTES, *xs) if xs else SESSION_MINUTES))
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
    plt.xticks(list(TICKS), [_clock(m) for m in TICKS])
    plt.xlim(*x_range)
    plt.frame(True)


def _clock(minute: int) -> str:
    """An axis label: "9:30" for minute 0 of the session, "16:00" for minute 390."""
    total = SESSION_OPEN.hour * 60 + SESSION_OPEN.minute + minute
    return f"{total // 60}:{total % 60:02d}"


def race_caption(
    race: Today, small_symbol: str, large_symbol: str, colours: Palette, width: int, lines: int = 2
) -> Text:
    """The legend under the chart, at most ``lines`` lines of ``width`` cells: the race now (or closed), then, as
    many as fit in that order, who leads by how much, the lead changes (◆ on the zero line), the share of the time
    each side led and the widest gap each way (▲ ▼ on the chart). Symbols are shortened and sanitised."""
    small, large = fmt.short_of(small_symbol), fmt.short_of(large_symbol)
    text = Text(no_wrap=True, overflow="ellipsis")
    if not race.times:
        text.append("No intraday path", style="bold")
        if race.note:
            text.append(f": {plain(race.note)}", style="dim")
        return text
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
    return Text("\n", no_wrap=True, overflow="ellipsis").join(rows)
