"""Lines: a grid drawn as a Stack of row blocks is the whole grid, line for line; an update repaints only the
lines that changed, and an equal text nothing."""

from __future__ import annotations

import random

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from tests.app_helpers import pilot_test
from tui.widgets.lines import Grid, Lines

WORDS = (
    "a",
    "streak",
    "of",
    "ten",
    "sessions",
    "≥",
    "90th",
    "percentile",
    "RSI",
    "71.2",
    "—",
    "unknown",
    "Russell 2000",
    "valuation",
    "x" * 30,
)


def random_cell(rng: random.Random) -> Text | str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 12)))
    if rng.random() < 0.2:
        return words  # a plain str cell, as the streak pane's labels are
    text = Text(words, style=rng.choice(("", "dim", "bold", "#4ebf71")))
    if words:
        text.stylize("bold red", 0, rng.randrange(len(words) + 1))
    return text


def whole_grid(blocks, label_style: str) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style=label_style, no_wrap=True)
    grid.add_column()
    for block in blocks:
        for row in block:
            grid.add_row(*row)
    return grid


def segments(console: Console, renderable, width: int) -> list:
    return [
        [(s.text, s.style) for s in line]
        for line in console.render_lines(renderable, console.options.update_width(width), pad=False)
    ]


@pytest.mark.parametrize("seed", range(30))
def test_a_stack_of_grid_blocks_draws_the_whole_grid(seed):
    rng = random.Random(seed)
    blocks = [
        tuple(
            (rng.choice(("", "Return", "If closed", Text("▲", style="red"))), random_cell(rng))
            for _ in range(rng.randrange(1, 3))
        )
        for _ in range(rng.randrange(1, 8))
    ]
    label_style = rng.choice(("", "dim"))
    console = Console(width=200)
    stack = Grid.blocks(blocks, label_style=label_style)
    for width in (14, 30, 44, 80, 150):
        drawn = [line for block in stack.blocks for line in segments(console, block, width)]
        assert drawn == segments(console, whole_grid(blocks, label_style), width), width


@pytest.mark.parametrize("width", [1, 4, 9, 10, 11, 12, 25])
def test_a_grid_block_is_drawn_as_table_grid_draws_it_even_narrower_than_its_labels(width):
    # Grid renders its cells itself (not through a Table): str (markup) labels, multi-line cells on either side, and
    # widths at and below the labels' column (where Table shrinks the columns) must give Table's very segments.
    rows = (
        ("Longest", Text("since 6 Jun 2008\n(13)", style="bold")),  # a str label is console markup
        (Text("If\nclosed", style="#ffa62b"), Text("RUT leads → 11 sessions (breaks) " * 2, style="dim")),
        ("", Text("")),
    )
    console = Console(width=200)
    for label_style in ("", "dim"):
        (block,) = Grid.blocks([rows], label_style=label_style).blocks
        # The columns Grid documents: labels as wide as the widest (7), values as wide as the widest (66) or what
        # is left of the line after the labels and one blank, at least 1.
        assert (block.label_width, block.value_width) == (7, 66)
        table = Table.grid(padding=(0, 1))
        table.add_column(style=label_style, no_wrap=True, width=7)
        table.add_column(width=max(1, min(66, width - 7 - 1)))
        for row in rows:
            table.add_row(*row)
        assert segments(console, block, width) == segments(console, table, width)


class LinesApp(App):
    def compose(self) -> ComposeResult:
        yield Lines(Text("one\ntwo\nthree"), id="lines")


@pilot_test
async def test_an_update_repaints_only_the_lines_that_changed():
    app = LinesApp()
    async with app.run_test(size=(40, 10)) as pilot:
        lines = app.query_one(Lines)
        await pilot.pause()
        refreshes = []
        refresh = lines.refresh
        lines.refresh = lambda *regions, **kwargs: refreshes.append((regions, kwargs)) or refresh(*regions, **kwargs)

        lines.update(Text("one\n2\nthree"))
        assert refreshes == [((Region(0, 1, 40, 1),), {})]
        await pilot.pause()
        assert [lines.render_line(y).text for y in range(3)] == ["one", "2", "three"]

        refreshes.clear()
        lines.update(Text("one\n2\nthree"))  # the same text: nothing to do
        assert refreshes == []

        lines.update(Text("one\n2\nthree\nfour"))  # taller: a layout pass
        assert refreshes == [((), {"layout": True})]
        await pilot.pause()
        assert lines.size.height == 4


class TwoLinesApp(App):
    def compose(self) -> ComposeResult:
        yield Lines(id="updated")
        yield Lines(id="fresh")


@pilot_test
async def test_blocks_reused_from_the_last_update_draw_what_a_fresh_render_does():
    rng = random.Random(11)
    pool = [((rng.choice(("Now", "If closed", Text("●", style="green"))), random_cell(rng)),) for _ in range(6)]
    short = [(("Now", Text("x")),), (("If closed", Text("y")),)]
    updates = [short[:1], short, short[1:]]  # the same rows, at another label width
    updates += [rng.sample(pool, rng.randrange(1, 5)) for _ in range(25)]  # blocks kept, moved, dropped
    app = TwoLinesApp()
    async with app.run_test(size=(44, 40)) as pilot:
        updated = app.query_one("#updated", Lines)
        fresh = app.query_one("#fresh", Lines)
        for blocks in updates:
            updated.update(Grid.blocks(blocks))
            await fresh.remove()
            fresh = Lines(Grid.blocks(blocks))
            await app.mount(fresh)
            await pilot.pause()
            assert [updated.render_line(y) for y in range(updated.size.height)] == [
                fresh.render_line(y) for y in range(fresh.size.height)
            ]
