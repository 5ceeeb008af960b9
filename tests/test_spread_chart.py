"""The spread chart's shortcuts draw exactly what the plain way does: the bars as plt.bar draws each, a reused
plotext figure as a new one, and plotext's ANSI output as Rich would decode it."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from tui.model import Spread
from tui.widgets import spread as spread_module
from tui.widgets.chart import ansi_strips
from tui.widgets.palette import Palette
from tui.widgets.spread import BAR_WIDTH, chart_ansi

COLOURS = Palette(
    up="#4ebf71", down="#ba3c5b", warn="#ffa62b", accent="#ffa62b", small="#4ebf71", large="#0178d4", muted="#7a7a7a"
)
SIZES = ((68, 16), (40, 10), (120, 30), (20, 6))


def random_spread(rng: random.Random) -> Spread:
    n = rng.choice((2, 5, 30, 60, 61))
    dates = tuple(date(2025, 1, 1) + timedelta(days=i) for i in range(n))
    scale = rng.choice((1e-5, 0.01, 0.3))
    sign = rng.choice((-1, 1, None))  # all down, all up, or both
    daily = tuple(
        rng.choice((0.0, math.nan, abs(rng.gauss(0, scale)) * (sign or rng.choice((-1, 1)))))
        if rng.random() < 0.2
        else abs(rng.gauss(0, scale)) * (sign or rng.choice((-1, 1)))
        for _ in range(n)
    )
    relative = tuple(rng.gauss(0, 0.05) if rng.random() > 0.1 else math.nan for _ in range(n))
    streak_start = rng.choice((None, dates[0], dates[-1], dates[rng.randrange(n)]))
    return Spread(60, dates, daily, relative, 1.0, streak_start)


def plot():
    from textual_plotext.plot import Plot

    return Plot()


def test_bars_draw_what_plt_bar_draws(monkeypatch):
    rng = random.Random(20261124)
    cases = [(random_spread(rng), size, rng.choice((None, 0, 1))) for _ in range(40) for size in SIZES]
    ours = [chart_ansi(plot(), spread, COLOURS, cursor, *size, "dark") for spread, size, cursor in cases]

    def plt_bar(plt, xs, heights, colour, step):
        for x, height in zip(xs, heights):  # one call per bar: its width is BAR_WIDTH sessions, whatever the others
            plt.bar([x], [height], color=colour, width=BAR_WIDTH)

    monkeypatch.setattr(spread_module, "_bars", plt_bar)
    for (spread, size, cursor), drawn in zip(cases, ours):
        assert drawn == chart_ansi(plot(), spread, COLOURS, cursor, *size, "dark"), (spread, size, cursor)


def test_a_reused_figure_draws_what_a_new_one_does():
    rng = random.Random(7)
    reused = plot()
    for _ in range(20):
        spread, size, cursor = random_spread(rng), rng.choice(SIZES), rng.choice((None, 0))
        assert chart_ansi(reused, spread, COLOURS, cursor, *size, "dark") == chart_ansi(
            plot(), spread, COLOURS, cursor, *size, "dark"
        )


@pytest.mark.parametrize(
    "ansi",
    [
        "plain\n",
        "\x1b[1mbold\x1b[0m plain \x1b[31mred\x1b[1m bold red\x1b[0m\n\x1b[38;5;200mX\x1b[mY\n",
        "\x1b[0m\x1b[48;2;30;30;30m  \x1b[0m\x1b[48;2;30;30;30m\x1b[38;2;78;191;113m██"
        "\x1b[0m\x1b[48;2;30;30;30m│\x1b[0m\n",
        "a\x1b[48;2;1;2;3m\x1b[38;2;4;5;6mb\x1b[0mc\n\nd\n",
    ],
)
def test_ansi_strips_are_what_rich_decodes(ansi):
    console = Console()
    expected = [
        [
            (segment.text, segment.style or None)
            for segment in Segment.simplify(Text.from_ansi(line).render(console))
            if segment.text
        ]
        for line in ansi.rstrip("\n").split("\n")  # plotext ends every line with a reset
    ]
    assert [[(segment.text, segment.style) for segment in strip] for strip in ansi_strips(ansi)] == expected


def test_ansi_strips_of_a_chart_are_what_rich_decodes():
    ansi = chart_ansi(plot(), random_spread(random.Random(3)), COLOURS, None, 68, 16, "dark")
    test_ansi_strips_are_what_rich_decodes(ansi)
