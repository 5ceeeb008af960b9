"""Every figure knows its date: a sector row, a risk or today's race on older data is dimmed and shows its date,
never passing for a figure of the pair's as-of session."""

from __future__ import annotations

from datetime import date, datetime, timezone

from msgspec.structs import replace
from rich.style import Style

from tests.app_helpers import make_app, make_snapshot, pilot_test, provisional, ready, screen_text
from tui.model import Risk
from tui.widgets.palette import Palette
from tui.widgets.risks import checklist
from tui.widgets.sectors import RETURNS, name_text, render_cells
from tui.widgets.streak import StreakPart, race

COLOURS = Palette("#00ff00", "#ff0000", "#ffff00", "#ffaa00", "#00ff00", "#0000ff", "#888888")
AS_OF = date(2026, 1, 15)  # make_snapshot's session


def lines(stack) -> list:
    """The Text objects of a Stack of Grid blocks, row by row: (symbol, head), ("", why), ..."""
    return [row for block in stack.blocks for row in block.rows]


def test_a_dated_sector_row_shows_its_date_and_every_cell_is_dimmed():
    row = make_snapshot().sectors[0]  # KRE, Regional Banks
    cells = render_cells(row, RETURNS, 20, COLOURS, set(), set(), dated="13 Jan", dated_style="dim")
    assert cells[1].plain == "Regi. Banks  13 Jan"  # 19 cells: the name shortened, the date at the right
    assert all(Style.parse(c.style).dim for c in cells), [c.style for c in cells]
    current = render_cells(row, RETURNS, 20, COLOURS, set(), set())
    assert current[1].plain == "Regional Banks"
    assert not any(Style.parse(c.style or "none").dim for c in current[:2])
    assert [c.plain for c in cells[2:]] == [c.plain for c in current[2:]]  # the same figures, only dated


def test_name_and_date_share_the_name_column():
    assert name_text("Regional Banks", 15, "31 Jul") == "Regi. B… 31 Jul"
    assert name_text("Utilities", 19, "31 Jul") == "Utilities    31 Jul"
    assert name_text("Utilities", 9, "31 Jul") == "31 Jul"  # no room for a readable name: the date wins
    assert name_text("Utilities", 19, None) == "Utilities"


def test_a_dated_risk_is_dimmed_with_the_date_of_its_data_after_its_why():
    vix = Risk("volatility", "Liquidity / volatility", "ok", 16.01, "VIX 16.0 < 20", date(2026, 8, 20))
    hyg = Risk("economic", "Economic sensitivity", "unknown", None, "HYG and IEF data end 31 Jul", date(2026, 7, 31))
    rsi = Risk("extension", "Chasing the streak", "ok", 52.6, "RSI 52.6 ≤ 70", date(2026, 8, 21))
    rows = lines(checklist((vix, hyg, rsi), COLOURS, date(2026, 8, 21), "dim"))
    by_label = {head.plain.split("  ")[0].strip(): (head, why) for (_, head), (_, why) in zip(rows[::2], rows[1::2])}
    head, why = by_label["Liquidity / volatility"]
    assert why.plain == "VIX 16.0 < 20 · 20 Aug" and head.plain.rstrip().endswith("16.0")
    assert all(Style.parse(str(span.style)).dim for span in head.spans + why.spans if span.end > span.start)
    assert by_label["Economic sensitivity"][1].plain == "HYG and IEF data end 31 Jul"  # says its age itself
    assert by_label["Chasing the streak"][1].plain == "RSI 52.6 ≤ 70"  # today's: no date


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 1, 16, hour, minute, second, tzinfo=timezone.utc)


def test_a_race_is_delayed_when_its_older_quote_is_more_than_twenty_minutes_old():
    race = provisional()  # quotes of 17:30 UTC
    snapshot = make_snapshot(provisional=race)
    data = snapshot.data
    assert replace(snapshot, data=replace(data, now=at(17, 50))).provisional_delayed is False  # exactly 20 min
    assert replace(snapshot, data=replace(data, now=at(17, 50, 1))).provisional_delayed is True
    assert replace(snapshot, data=replace(data, now=None)).provisional_delayed is False  # no instant: nothing said
    assert make_snapshot(data=replace(data, now=at(18, 0))).provisional_delayed is False  # no race
    # The same race, renewed with a later data status (a refresh whose quotes did not move), turns delayed.
    stale = replace(snapshot, data=replace(data, now=at(18, 0)))
    assert stale.to_json()["provisional"]["delayed"] is True and stale.to_json()["data"]["now"].startswith("2026")


def test_a_race_on_delayed_quotes_is_dimmed_and_its_quote_time_stands_out():
    snapshot = make_snapshot()
    fresh = provisional()  # quotes of 17:30 UTC = 12:30 ET
    part = StreakPart(snapshot.small, snapshot.large, snapshot.streak, fresh)
    rows = lines(race(part, COLOURS, "dim"))
    assert not any(span.style == "dim" for span in rows[1][1].spans)
    delayed = lines(race(replace(part, delayed=True), COLOURS, "dim"))
    stamp, now, outcome = delayed[0][1], delayed[1][1], delayed[2][1]
    assert stamp.plain.endswith("12:30 ET") and "dim" not in str(stamp.spans[-1].style)
    assert any(span.style == "dim" and span.end - span.start == len(now) for span in now.spans)
    assert any(span.style == "dim" and span.end - span.start == len(outcome) for span in outcome.spans)


@pilot_test
async def test_the_screen_shows_old_figures_with_their_dates_at_100_by_30():
    base = make_snapshot()
    kre = replace(base.sectors[0], as_of=date(2026, 1, 13))  # two sessions before the pair's 15 Jan
    # A watch (listed near the top, visible without scrolling at 100×30) measured on the day before.
    vix = replace(base.risks[3], status="watch", value=21.0, detail="VIX 21.0 ≥ 20", as_of=date(2026, 1, 14))
    current = tuple(replace(r, as_of=AS_OF) for r in base.sectors[1:])
    snapshot = replace(
        base,
        sectors=(kre, *current),
        risks=(*base.risks[:3], vix, *base.risks[4:]),
        provisional=provisional(),
        data=replace(base.data, now=at(18, 0)),
    )  # quotes 30 min old
    assert snapshot.provisional_delayed
    app = make_app(build=lambda data, config: snapshot, clock=lambda: datetime(2026, 1, 16, 18, 0, tzinfo=timezone.utc))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        text = screen_text(app)
        kre_line = next(line for line in text.splitlines() if " KRE " in line)
        assert "13 Jan" in kre_line
        assert sum("13 Jan" in line for line in text.splitlines()) == 1  # only the lagging row is dated
        assert "VIX 21.0 ≥ 20 · 14 Jan" in text
        assert "12:30 ET" in text
