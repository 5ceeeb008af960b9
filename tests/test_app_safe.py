"""Outside text never becomes markup or terminal escape sequences."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace
from rich.console import Console

from tests.app_helpers import FakeSource, builder, make_app, make_snapshot, pilot_test, ready, screen_text
from tui.errors import SourceError
from tui.model import Risk, SectorRow
from tui.widgets.safe import plain

HOSTILE = "[red]x[/red] \x1b[31mboom\x1b[0m \x1b]0;pwned\x07 [bold]end"


def test_plain_strips_escapes_and_controls_and_keeps_brackets():
    assert plain(HOSTILE) == "[red]x[/red] boom [bold]end"
    assert plain("a\nb\tc\r\n d") == "a b c d"
    assert plain("x" * 50, limit=10) == "x" * 9 + "…"
    assert plain(None) == ""


@given(st.text())
def test_plain_never_returns_control_characters(text):
    out = plain(text)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in out)


def test_plain_text_renders_literally():
    from rich.text import Text

    console = Console(record=True, width=80, force_terminal=True, color_system="truecolor")
    console.print(Text(plain(HOSTILE)))  # how every pane shows outside text: never parsed as markup
    assert console.export_text().strip() == "[red]x[/red] boom [bold]end"


@pilot_test
async def test_error_text_is_shown_literally_without_escape_codes():
    def fail():
        raise SourceError(HOSTILE)

    app = make_app(source=FakeSource(fail))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        text = screen_text(app)
        assert "⚠ [red]x[/red] boom [bold]end" in text.splitlines()[0]
        assert "[red]x[/red] boom [bold]end" in text  # in the panes too
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "pwned" not in svg
        note = next(n for n in app._notifications if n.title == "Refresh failed")
        assert "[red]x[/red]" in note.message and not note.markup


@pilot_test
async def test_outside_names_in_panes_are_literal():
    base = make_snapshot()
    sector = replace(base.sectors[0], symbol="[b]X", name="[i]Ev\x1b[2Jil[/i]")
    risk = Risk("volatility", "[i]Vol", "watch", 21.0, "detail \x1b[31m[link=x]y[/link]")
    snap = replace(
        base,
        sectors=(sector, *base.sectors[1:]),
        risks=(risk,),
        data=replace(base.data, banner="[blink]fallback\x1b[5m", errors=("[u]oops",)),
    )
    app = make_app(build=builder(snap))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        text = screen_text(app)
        for literal in ("[b]X", "[i]Evil[/i]", "[i]Vol", "detail [link=x]y[/link]", "[blink]fallback", "[u]oops"):
            assert literal in text, literal
        assert "\x1b" not in app.export_screenshot()


def test_sector_rows_with_missing_values_render_dashes():
    from tui.widgets.palette import Palette
    from tui.widgets.sectors import RETURNS, render_cells

    row = SectorRow("KRE", "Regional Banks", None, None, None, None, None, None, None, None, None, None)
    colours = Palette("#0f0", "#f00", "#ff0", "#fa0", "#0f0", "#00f", "#888")
    cells = render_cells(row, RETURNS, 16, colours, set(), set())
    assert [c.plain for c in cells[2:]] == ["—"] * 5
    assert all(c.justify == "right" for c in cells[2:])
