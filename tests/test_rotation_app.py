"""The rotation map in the monitor: `v` on the Sectors pane, the map and its table (Pilot and SVG snapshots),
the sort key, nothing redrawn when nothing changed, outside text shown literally.

Regenerate the pictures after an intended change with
`pytest tests/test_rotation_app.py --snapshot-update`, then look at them.
"""

from __future__ import annotations

from datetime import date

import pytest
from msgspec.structs import replace

from tests.app_helpers import builder, make_app, make_snapshot, pilot_test, screen_text, settle, settle_then
from tui.app import StreakwatchApp
from tui.config import Config
from tui.model import RotationMap, RotationPoint, RotationSeries
from tui.widgets.rotation import RotationMapBody, RotationMapChart, map_grid
from tui.widgets.sectors import RotationTable, SectorsPane, SectorTable

AS_OF = date(2026, 1, 15)


def replay_app(replay_dir) -> StreakwatchApp:
    from tui.data.factory import open_source, parse_source

    source, clock = open_source(parse_source(f"replay:{replay_dir}"), as_of=AS_OF)
    return StreakwatchApp(source=source, config=Config(), clock=clock)


def point(day: int, ratio: float, momentum: float) -> RotationPoint:
    return RotationPoint(date(2025, 12, day), ratio, momentum)


def entry(symbol: str, name: str, quadrant, ratio, momentum, benchmark="^RUT", periods=2) -> RotationSeries:
    tail = (point(5, 100.0 + (ratio - 100) / 2, 100.2), point(12, ratio, momentum)) if ratio is not None else ()
    return RotationSeries(symbol, name, benchmark, ratio, momentum, quadrant, periods, tail, as_of=date(2025, 12, 12))


HAND_MADE = RotationMap(
    "weekly",
    2,
    (
        entry("^RUT", "Russell 2000 vs S&P 500", "leading", 101.0, 100.8, benchmark="^GSPC", periods=6),
        entry("KRE", "Regional Banks", "improving", 99.2, 101.1, periods=9),
        entry("PSCT", "Technology", "weakening", 101.6, 99.4, periods=3),
        entry("PSCU", "Utilities", "lagging", 98.4, 99.1, periods=7),
        entry("PSCE", "Energy", None, None, None, periods=0),
    ),
)


# -- pictures ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(100, 30), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_map_on_the_real_2026_01_15(snap_compare, replay_dir, size):
    """The map as of 15 Jan 2026, a Thursday: every head is the week in progress (◉); RUT/SPX in Leading."""
    assert snap_compare(replay_app(replay_dir), terminal_size=size, run_before=settle_then("3", "v"))


@pytest.mark.parametrize("size", [(100, 30), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_rotation_table_on_the_real_2026_01_15(snap_compare, replay_dir, size):
    assert snap_compare(replay_app(replay_dir), terminal_size=size, run_before=settle_then("3", "v", "v"))


# -- behaviour -----------------------------------------------------------------------------------------------------
@pilot_test
async def test_v_cycles_returns_map_table_and_focus_follows():
    app = make_app(build=builder(make_snapshot(rotation=HAND_MADE)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.query_one(SectorsPane)
        await pilot.press("3")
        assert app.focused is app.query_one(SectorTable)
        await pilot.press("v")
        await pilot.pause()
        assert pane.view == "map" and pane.body().has_focus
        assert "rotation map · weekly" in pane.title_plain
        text = screen_text(app)
        for label in ("Leading", "Weakening", "Lagging", "Improving", "RUT/SPX", "KRE", "PSCT", "PSCU", "┼"):
            assert label in text, label
        assert "too little history: PSCE" in text
        await pilot.press("v")
        await pilot.pause()
        assert pane.view == "quadrants" and app.focused is app.query_one(RotationTable)
        await pilot.press("v")
        await pilot.pause()
        assert pane.view == "returns" and app.focused is app.query_one(SectorTable)
        await pilot.press("1", "v")  # from any pane it switches the Sectors pane's view; focus stays where it was
        await pilot.pause()
        assert pane.view == "map" and app.focused_pane().id == "streak"


@pilot_test
async def test_the_rotation_views_are_composed_when_v_first_shows_them_and_only_once():
    """Most sessions never press `v`: the map and its table cost the first frame nothing."""
    app = make_app(build=builder(make_snapshot(rotation=HAND_MADE)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.query_one(SectorsPane)
        assert not pane.query(RotationMapBody) and not pane.query(RotationTable)
        await pilot.press("3", "v")
        await pilot.pause()
        assert len(pane.query(RotationMapBody)) == 1 and not pane.query(RotationTable)
        assert "RUT/SPX" in screen_text(app)  # drawn as soon as it is shown
        await pilot.press("v")
        await pilot.pause()
        assert len(pane.query(RotationTable)) == 1 and "Weakening    101.60" in screen_text(app)
        await pilot.press("v", "v", "v")  # once more round: returns, map, table, each composed once
        await pilot.pause()
        assert pane.view == "quadrants" and len(pane.query(RotationMapBody)) == len(pane.query(RotationTable)) == 1
        assert app.focused is pane.query_one(RotationTable)


@pilot_test
async def test_the_view_key_is_in_help_and_leaves_q_quit_in_the_footer_at_100_columns():
    app = make_app(build=builder(make_snapshot(rotation=HAND_MADE)))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "v")
        await pilot.pause()
        assert "q Quit" in screen_text(app).splitlines()[-1]
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Sectors pane: returns → rotation map → its table" in screen_text(app)


@pilot_test
async def test_s_sorts_the_rotation_table():
    app = make_app(build=builder(make_snapshot(rotation=HAND_MADE)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "v", "v")
        await pilot.pause()
        table = app.query_one(RotationTable)

        def column(i: int) -> list[str]:
            return [table.row_text(r)[i] for r in range(table.row_count)]

        # Quadrant, clockwise from Leading; a symbol without a point last.
        assert column(0) == ["RUT/SPX", "PSCT", "PSCU", "KRE", "PSCE"]
        assert column(2)[:4] == ["Leading", "Weakening", "Lagging", "Improving"]
        assert column(5) == ["6", "3", "7", "9", "—"]
        await pilot.press("s")  # ratio, highest first
        await pilot.pause()
        assert column(0) == ["PSCT", "RUT/SPX", "KRE", "PSCU", "PSCE"]
        assert "rotation by Ratio ↓" in app.query_one(SectorsPane).title_plain
        await pilot.press("s")  # momentum
        await pilot.pause()
        assert column(0) == ["KRE", "RUT/SPX", "PSCT", "PSCU", "PSCE"]
        await pilot.press("s")  # periods in the quadrant
        await pilot.pause()
        assert column(0) == ["KRE", "PSCU", "RUT/SPX", "PSCT", "PSCE"]
        await pilot.press("s")  # symbol
        await pilot.pause()
        assert column(0) == ["KRE", "PSCE", "PSCT", "PSCU", "RUT/SPX"]


@pilot_test
async def test_a_refresh_that_changes_nothing_redraws_nothing():
    snapshot = make_snapshot(rotation=HAND_MADE)
    app = make_app(build=builder(snapshot))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "v")
        await pilot.pause()
        chart = app.query_one(RotationMapChart)
        builds = chart.builds
        assert builds == 1
        pane = app.query_one(SectorsPane)
        assert pane.show_snapshot(replace(snapshot)) is False  # an equal snapshot: nothing to draw
        assert app.start_refresh(manual=True)
        await settle(pilot)
        assert chart.builds == builds
        moved = replace(HAND_MADE, series=(replace(HAND_MADE.series[1], ratio=99.0), *HAND_MADE.series[2:]))
        assert pane.show_snapshot(make_snapshot(rotation=moved)) is True
        await pilot.pause()
        assert chart.builds == builds + 1


@pilot_test
async def test_outside_text_on_the_map_and_table_is_shown_literally():
    hostile = replace(HAND_MADE.series[1], symbol="K[b]\x1b[2J", name="[red]Banks\x07")
    rotation = replace(HAND_MADE, series=(HAND_MADE.series[0], hostile))
    app = make_app(build=builder(make_snapshot(rotation=rotation)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "v")
        await pilot.pause()
        assert "K[b]" in screen_text(app)
        await pilot.press("v")
        await pilot.pause()
        text = screen_text(app)
        assert "[red]Banks" in text and "\x1b" not in text and "\x07" not in text


def test_the_grid_puts_the_cross_in_the_middle_and_each_head_beside_its_ticker():
    grid = map_grid(HAND_MADE, 41, 15)
    rows = ["".join(ch for ch, _ in row) for row in grid]
    assert rows[7][20] == "┼" and rows[0][20] == "│"
    # The 100 line is whole, but where a tail crosses it (braille dots).
    assert all(ch in "─┼" or 0x2800 <= ord(ch) <= 0x28FF for ch in rows[7])
    assert rows[0].startswith("Improving") and rows[0].endswith("Leading")
    assert rows[-1].startswith("Lagging") and rows[-1].endswith("Weakening")
    for label, quadrant in (("RUT/SPX", "leading"), ("KRE", "improving"), ("PSCT", "weakening"), ("PSCU", "lagging")):
        y = next(i for i, row in enumerate(rows) if label in row)
        x = rows[y].index(label)
        head = rows[y][x - 1] if rows[y][x - 1] == "●" else rows[y][x + len(label)]
        assert head == "●", label
        top, right = y < 7, x > 20
        assert {(True, True): "leading", (False, True): "weakening", (False, False): "lagging"}.get(
            (top, right), "improving"
        ) == quadrant, label
