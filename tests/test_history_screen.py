"""Pilot tests for the history screen and the alert log, in a minimal host app (not the monitor itself)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from tui.alerts import AlertEvent
from tui.config import Alerts
from tui.model import (
    DataStatus,
    ForwardStat,
    History,
    HistoryEntry,
    LongestSince,
    Snapshot,
    Spread,
    Streak,
    StreakRun,
)
from tui.screens.alert_log import AlertLogScreen, announce
from tui.screens.history import HistoryScreen

ENTRIES = (
    HistoryEntry("small", date(2026, 1, 2), date(2026, 1, 22), 14, 0.0954, 0.0099, (None, None, None)),
    HistoryEntry("large", date(2021, 11, 12), date(2021, 12, 1), 13, -0.1086, -0.0293, (-0.011, -0.016, -0.059)),
    HistoryEntry("small", date(2008, 5, 20), date(2008, 6, 6), 13, 0.0026, -0.0462, (-0.034, 0.062, -0.050)),
    HistoryEntry("small", date(1996, 4, 16), date(1996, 5, 7), 16, 0.0364, -0.0066, (-0.010, -0.093, -0.096)),
)
STATS = {
    "small": (ForwardStat(20, 2, -0.022, 0.0), ForwardStat(60, 2, -0.0155, 0.5), ForwardStat(120, 2, -0.073, 0.0)),
    "large": (ForwardStat(20, 1, -0.011, 0.0), ForwardStat(60, 1, -0.016, 0.0), ForwardStat(120, 1, -0.059, 0.0)),
}
THIN = "not enough history (fewer than 5 outcomes): small after 20, large after 20"


def snapshot(entries=ENTRIES, note: str | None = THIN, rank: int | None = 2) -> Snapshot:
    streak = Streak(
        "small", 14, date(2026, 1, 2), date(2026, 1, 22), 0.0954, 0.0099, LongestSince(date(1996, 5, 7), 16), 16, 0.9995
    )
    runs = tuple(
        StreakRun(e.leader, e.start, e.end, e.length, e.small_return, e.large_return) for e in reversed(entries)
    )
    history = History(10, (20, 60, 120), tuple(entries), STATS, current_rank=rank, current_percentile=0.9995, note=note)
    return Snapshot(
        source="replay",
        as_of=date(2026, 1, 22),
        small="^RUT",
        large="^GSPC",
        streak=streak,
        provisional=None,
        spread=Spread(60, (), (), (), None),
        sectors=(),
        risks=(),
        data=DataStatus("replay", "REPLAY", False, (), None),
        runs=runs,
        history=history,
        sessions=9674,
    )


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.notes: list[tuple[str, str, bool]] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield Static("host")

    def notify(self, message, *, title="", severity="information", timeout=None, markup=True) -> None:
        self.notes.append((message, severity, markup))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def bell(self) -> None:
        self.bells += 1


def run(test) -> None:
    """Run a Pilot coroutine (the project has no async pytest plugin)."""

    async def main():
        app = Host()
        async with app.run_test(size=(130, 40)) as pilot:
            await test(app, pilot)

    asyncio.run(main())


def cell_text(table: DataTable, row: int, column: int) -> str:
    return str(table.get_row_at(row)[column])


def test_rows_summary_and_forward_table():
    async def test(app, pilot):
        await app.push_screen(HistoryScreen(snapshot()))
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#history-table", DataTable)
        assert table.row_count == 4
        assert [cell_text(table, r, 2) for r in range(4)] == ["2026-01-22", "2021-12-01", "2008-06-06", "1996-05-07"]
        assert "now" in cell_text(table, 0, 0) and "^RUT" in cell_text(table, 0, 0)
        assert cell_text(table, 2, 6) == "-3.40%"  # forward 20 of the 2008 streak, sign kept
        summary = str(screen.query_one("#history-summary", Static).content)
        assert "Russell 2000 has won 14 sessions" in summary and "Rank 2 of 3 small-cap streaks" in summary
        assert "99.95%" in summary and "Longest since Tue 7 May 1996" in summary
        forward = screen.query_one("#history-forward", Static).content
        assert forward.row_count == 7  # three horizons per leader and a spacer

    run(test)


def test_sort_cycles_and_reverses_and_headers_sort():
    async def test(app, pilot):
        await app.push_screen(HistoryScreen(snapshot()))
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#history-table", DataTable)
        await pilot.press("s")  # end -> length, longest first
        assert screen.sort_key == "length" and screen.sort_descending
        assert [cell_text(table, r, 3) for r in range(4)] == ["16", "14", "13", "13"]
        await pilot.press("S")
        assert cell_text(table, 0, 3) == "13" and cell_text(table, 3, 3) == "16"
        for _ in range(len(screen.sort_columns) - 1):
            await pilot.press("s")
        assert screen.sort_key == "end"  # a full cycle comes back
        await pilot.press("s", "s", "s", "s")  # -> the first forward column
        assert screen.sort_key == "fwd20"
        assert cell_text(table, 3, 6) == "—"  # the current streak has no outcome yet: last either way
        await pilot.press("S")
        assert cell_text(table, 3, 6) == "—"
        await pilot.click("#history-table", offset=(3, 1))  # the "Leader" header
        assert screen.sort_key == "leader"
        assert [cell_text(table, r, 0).split()[0] for r in range(4)] == ["^GSPC", "^RUT", "^RUT", "^RUT"]

    run(test)


def test_thin_history_note_is_shown_and_escape_closes():
    async def test(app, pilot):
        await app.push_screen(HistoryScreen(snapshot()))
        await pilot.pause()
        note = app.screen.query_one("#history-note", Static)
        assert note.display and str(note.content) == THIN
        await pilot.press("escape")
        assert not isinstance(app.screen, HistoryScreen)
        await app.push_screen(HistoryScreen(snapshot(note=None)))
        await pilot.pause()
        assert not app.screen.query_one("#history-note", Static).display
        await pilot.press("h")
        assert not isinstance(app.screen, HistoryScreen)

    run(test)


def test_no_streaks_says_so_honestly():
    async def test(app, pilot):
        await app.push_screen(
            HistoryScreen(snapshot(entries=(), note="not enough history: no streaks of 10+ sessions", rank=None))
        )
        await pilot.pause()
        assert app.screen.query_one("#history-table", DataTable).row_count == 0
        assert "no streaks of 10+" in str(app.screen.query_one("#history-note", Static).content)

    run(test)


def test_new_snapshot_while_open_keeps_the_sort():
    async def test(app, pilot):
        screen = HistoryScreen(snapshot())
        await app.push_screen(screen)
        await pilot.press("s")
        screen.set_snapshot(snapshot(entries=ENTRIES[1:]))
        await pilot.pause()
        table = screen.query_one("#history-table", DataTable)
        assert table.row_count == 3 and screen.sort_key == "length" and cell_text(table, 0, 3) == "16"

    run(test)


AT = datetime(2026, 1, 23, 21, 30, tzinfo=timezone.utc)


def event(message: str, at: datetime = AT, kind: str = "risk_changed") -> AlertEvent:
    return AlertEvent(kind, (kind, message), "Risk: [b]x", message, "warning", at, date(2026, 1, 23))


def test_alert_log_newest_first_and_empty_state():
    async def test(app, pilot):
        await app.push_screen(AlertLogScreen([]))
        await pilot.pause()
        assert "No alerts yet" in str(app.screen.query_one("#alert-log", Static).content)
        await pilot.press("escape")
        assert not isinstance(app.screen, AlertLogScreen)
        older = event("first one", AT.replace(hour=15))
        newer = event("second one", kind="streak_broke")
        await app.push_screen(AlertLogScreen([older, newer]))
        await pilot.pause()
        table = app.screen.query_one("#alert-log", Static).content
        messages = [str(cell) for cell in table.columns[3].cells]
        assert messages == ["second one", "first one"]
        assert [str(cell) for cell in table.columns[2].cells] == ["broke", "risk"]
        # New York time, whatever the machine's zone: 21:30 and 15:30 UTC in January are 16:30 and 10:30 ET.
        assert [str(cell) for cell in table.columns[0].cells] == ["2026-01-23 16:30:00", "2026-01-23 10:30:00"]

    run(test)


def test_outside_text_in_alerts_renders_literally():
    hostile = "VIX [red]31[/red] \x1b[31mhot\x1b[0m"

    async def test(app, pilot):
        await app.push_screen(AlertLogScreen([event(hostile)]))
        await pilot.pause()
        svg = app.export_screenshot()
        assert "[red]31[/red]" in svg.replace("&#160;", " ")
        assert "\x1b" not in svg and "[31m" not in svg
        announce(app, [event(hostile)], Alerts(bell=True))
        announce(app, [], Alerts(bell=True))  # nothing new: no bell
        message, severity, markup = app.notes[-1]
        assert markup is False and "[red]31[/red]" in message and "\x1b" not in message
        assert severity == "warning" and app.bells == 1
        announce(app, [event("quiet")], Alerts(bell=False))
        assert app.bells == 1

    run(test)
