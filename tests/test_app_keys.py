"""Every key of SPEC §3, driven through Textual's Pilot against a hand-made snapshot."""

from __future__ import annotations

import pytest

from tests.app_helpers import FakeSource, make_app, pilot_test, ready, screen_text
from tui.bindings import APP_KEYS, BUILTIN_KEYS, MOVE_KEYS, palette_entries
from tui.screens.help import HelpScreen
from tui.widgets.pane import Pane
from tui.widgets.sectors import SORT_LABELS, SORTS, SectorTable

SIZE = (120, 40)


def focused_pane(app) -> str | None:
    pane = app.focused_pane()
    return pane.id if pane else None


@pilot_test
async def test_number_keys_focus_each_pane():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert focused_pane(app) == "streak"
        for key, name in (("2", "spread"), ("3", "sectors"), ("4", "risks"), ("1", "streak")):
            await pilot.press(key)
            assert focused_pane(app) == name


@pilot_test
async def test_tab_and_shift_tab_cycle_panes_in_order():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        seen = [focused_pane(app)]
        for _ in range(4):
            await pilot.press("tab")
            seen.append(focused_pane(app))
        assert seen == ["streak", "spread", "sectors", "risks", "streak"]
        await pilot.press("shift+tab")
        assert focused_pane(app) == "risks"


@pilot_test
async def test_focused_pane_has_the_focus_ring():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        sectors, streak = app.pane("sectors"), app.pane("streak")
        assert sectors.has_focus_within and not streak.has_focus_within
        assert sectors.styles.border_top[1] != streak.styles.border_top[1]  # highlighted border colour


@pytest.mark.parametrize("key", ["m", "enter"])
@pilot_test
async def test_maximize_and_restore(key):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")  # the table: enter must maximize, not select a row
        await pilot.press(key)
        await pilot.pause()
        assert app.screen.maximized is app.pane("sectors")
        assert app.pane("sectors").outer_size.width == SIZE[0]
        await pilot.press(key)
        assert app.screen.maximized is None


@pilot_test
async def test_escape_restores_and_number_keys_switch_the_zoomed_pane():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2", "m")
        assert app.screen.maximized is app.pane("spread")
        await pilot.press("4")
        assert app.screen.maximized is app.pane("risks")
        assert focused_pane(app) == "risks"
        await pilot.press("escape")
        assert app.screen.maximized is None


@pilot_test
async def test_sort_key_cycles_sector_columns_and_shows_it_in_the_title():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        sectors = app.pane("sectors")
        table = sectors.query_one(SectorTable)
        assert f"by {SORT_LABELS[SORTS[0]]}" in sectors.title_plain
        streak_order = [table.row_text(i)[0] for i in range(table.row_count)]
        assert streak_order[0] == "PSCC"  # the biggest streak-window return leads
        for expected in SORTS[1:] + SORTS[:1]:
            await pilot.press("s")
            assert f"by {SORT_LABELS[expected]}" in sectors.title_plain
            rows = [table.row_text(i)[0] for i in range(table.row_count)]
            if expected == "symbol":
                assert rows == sorted(rows)
        assert rows == streak_order


@pilot_test
async def test_sort_puts_missing_values_last():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = app.pane("sectors").query_one(SectorTable)
        while app.pane("sectors").sort_key != "ytd":
            await pilot.press("s")
        assert table.row_text(table.row_count - 1)[0] == "PSCM"  # its YTD is None


@pilot_test
async def test_jk_and_arrows_move_inside_panes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        table = app.pane("sectors").query_one(SectorTable)
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("2")
        spread = app.pane("spread")
        assert spread.cursor is None
        await pilot.press("left", "left")
        assert spread.cursor == len(app.snapshot.spread.dates) - 3
        await pilot.press("right", "right")
        assert spread.cursor is None


@pilot_test
async def test_arrows_scroll_the_risk_pane_when_it_overflows():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("4")
        body = app.pane("risks").body()
        assert body.max_scroll_y > 0
        await pilot.press("j")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("down")
        await pilot.press("G")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y


@pilot_test
async def test_refresh_key_fetches_again():
    source = FakeSource()
    app = make_app(source=source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert source.calls == 1
        await pilot.press("r")
        await ready(pilot)
        assert source.calls == 2
        assert app.refresh_loop.next_due is not None  # the next one is scheduled after this one finished


@pilot_test
async def test_pause_stops_scheduling_and_says_so():
    source = FakeSource()
    app = make_app(source=source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.refresh_loop.next_due is not None
        await pilot.press("p")
        assert app.paused and app.refresh_loop.next_due is None
        status = str(app.query_one("#status").render())
        assert "PAUSED" in status
        await pilot.press("p")  # resume: refreshes now
        await ready(pilot)
        assert not app.paused and source.calls == 2 and app.refresh_loop.next_due is not None
        assert "PAUSED" not in str(app.query_one("#status").render())


@pilot_test
async def test_help_screen_lists_every_binding_from_the_registry():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for key in (*APP_KEYS, *BUILTIN_KEYS, *MOVE_KEYS):
            assert (key.palette or key.description) in text, key
        await pilot.press("m")  # pane keys do nothing over the help screen
        assert app.screen.maximized is None
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pilot_test
@pytest.mark.parametrize("size", [SIZE, (100, 30)])
async def test_footer_shows_the_main_keys(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        footer_line = screen_text(app).splitlines()[-1]
        for words in ("1-4 Pane", "m Maximize", "r Refresh", "p Pause", "s Sort", "h History", "? Help", "q Quit"):
            assert words in footer_line, footer_line


@pilot_test
async def test_command_palette_offers_the_registry_and_themes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title, _help, _action in palette_entries():
            assert title in titles
        assert any("theme" in t.lower() for t in titles)
        # Running one from the palette's callback does what the key does.
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Change the sector sort column")
        await command.callback()
        assert app.pane("sectors").sort_key == SORTS[1]


@pilot_test
async def test_quit_key_exits():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@pilot_test
async def test_theme_comes_from_config():
    from msgspec.structs import replace

    from tui.config import Config, Display

    app = make_app(config=replace(Config(), display=Display(theme="nord")))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.theme == "nord"


@pilot_test
async def test_a_theme_change_recolours_the_sector_table():
    from rich.color import Color

    from tui.widgets.palette import palette

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = app.pane("sectors").query_one(SectorTable)

        def leader_colour():  # the top row's symbol, coloured as a leader
            return next(seg.style.color for seg in table.render_line(1) if seg.text.strip() == table.row_text(0)[0])

        def header_background():
            return list(table.render_line(0))[0].style.bgcolor

        before = (leader_colour(), header_background())
        assert before[0] == Color.parse(palette(app).up)
        app.theme = "nord"
        await pilot.pause()
        after = (leader_colour(), header_background())
        assert after[0] == Color.parse(palette(app).up)
        assert after[0] != before[0] and after[1] != before[1]


@pilot_test
async def test_panes_are_numbered_in_reading_order():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        panes = list(app.query(Pane))
        assert [p.NUMBER for p in panes] == [1, 2, 3, 4]
        assert [p.title_plain.split(" · ")[0] for p in panes] == [
            "1 Streak",
            "2 Spread",
            "3 Sector winners",
            "4 Risk checklist",
        ]


@pilot_test
async def test_retry_symbols_says_so_when_the_source_polls_none():
    """`R` on the demo (built lazily, as `--source demo` runs it) has nothing to retry, and says that, rather than
    claiming to ask Yahoo."""
    from tui.data.factory import DeferredSource

    app = make_app(source=DeferredSource("demo", FakeSource))
    said: list[str] = []
    original = app.notify
    app.notify = lambda message, *a, **k: (said.append(str(message)), original(message, *a, **k))[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await pilot.pause()
        assert said[-1] == "This source polls no symbols" and not any("Yahoo" in s for s in said)
