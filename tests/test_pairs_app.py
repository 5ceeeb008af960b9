"""The board of pairs and pair cycling in the monitor, on the real history (replay as of 2026-01-15): Pilot tests
of what a user does and sees, and pictures (SVG snapshots) of the board and of the monitor on another pair."""

from __future__ import annotations

from datetime import date

import pytest

from tests.app_helpers import frozen_clock, pilot_test, quiet, screen_text, settle, settle_then, status_line, until
from tui.app import StreakwatchApp
from tui.config import Config

STATE_SIZE = (100, 30)
AS_OF = date(2026, 1, 15)


class CountingReplay:
    """The replay source, counting its fetches (a switch of pair must not fetch)."""

    def __init__(self, replay_dir, as_of: date) -> None:
        from tui.data.replay import ReplaySource

        self.inner = ReplaySource(replay_dir, as_of=as_of)
        self.name = self.inner.name
        self.fetches = 0

    def fetch(self, symbols):
        self.fetches += 1
        return self.inner.fetch(symbols)

    def close(self) -> None:
        self.inner.close()


def replay_app(replay_dir, as_of: date = AS_OF) -> StreakwatchApp:
    from tui.data.market_clock import after_close

    source = CountingReplay(replay_dir, as_of)
    return StreakwatchApp(source=source, config=Config(), clock=frozen_clock(after_close(as_of)))


@pilot_test
async def test_cycling_moves_every_pane_the_status_line_and_the_json_to_the_next_pair(replay_dir):
    app = replay_app(replay_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = app.snapshot
        assert (first.small, first.large) == ("^RUT", "^GSPC")
        assert "^RUT vs ^GSPC" in status_line(app)
        fetches = app.source.fetches

        await pilot.press("c")
        await until(lambda: app.snapshot.small == "IWM")
        await quiet(pilot)
        now = app.snapshot
        assert (now.small, now.large, now.pair_name) == ("IWM", "SPY", "Small caps vs total return")
        assert app.source.fetches == fetches  # rebuilt from the data at hand
        assert "IWM vs SPY" in status_line(app)
        # Every pane shows its part of the new pair's snapshot: streak, spread, sectors (vs IWM), risks.
        for pane in app.panes():
            assert pane._part == pane.part(now), pane.id
        assert now.spread != first.spread and now.sectors != first.sectors
        assert now.streak.small_return != first.streak.small_return  # IWM's return, not the index's
        text = screen_text(app)
        assert "IWM ahead" in text or "Russell 2000 ETF" in text
        doc = now.to_json()
        assert doc["pair"] == {"small": "IWM", "large": "SPY", "name": "Small caps vs total return"}
        assert [p["active"] for p in doc["pairs"]] == [False, True, False, False, False, False]
        assert list(app.alert_tracker.log) == []  # another pair is a new baseline, not a broken streak

        # The history screen follows the pair on screen too.
        await pilot.press("h")
        await pilot.pause()
        assert "Pair: Russell 2000 ETF vs S&P 500 ETF" in screen_text(app)
        await pilot.press("escape")

        for expected in ("RSP", "IWN", "IJH", "IWM", "^RUT"):  # round the board and back to the start
            await pilot.press("c")
            await until(lambda expected=expected: app.snapshot.small == expected and not app.fetching)
        assert app.snapshot.large == "^GSPC" and app.source.fetches == fetches


@pilot_test
async def test_the_board_sorts_and_enter_puts_the_chosen_pair_on_screen(replay_dir):
    from textual.widgets import DataTable

    from tui.screens.pairs import PairsScreen

    app = replay_app(replay_dir)
    async with app.run_test(size=STATE_SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, PairsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 6 and app.screen.cursor_position() == 0  # on the pair on screen
        keys = lambda: [row.value for row in table.rows]  # noqa: E731  (board positions, top to bottom)
        await pilot.press("s")  # by streak length: RUT 10, IWM/SPY 10 (configured order), IJH 6, IWM/QQQ 4, ...
        assert keys() == ["0", "1", "4", "5", "2", "3"]
        await pilot.press("s")  # by rarity: IWM/SPY 99.88 %, RUT 99.71 %, IJH 97.3 %, IWM/QQQ 88.8 %, ...
        assert keys() == ["1", "0", "4", "5", "3", "2"]
        await pilot.press("s")  # by 20-session relative performance: IWM/QQQ +4.40 %, RUT +3.96 %, ...
        assert keys() == ["5", "0", "1", "4", "2", "3"]
        assert "sorted by relative performance over 20 sessions" in screen_text(app)
        await pilot.press("down", "down", "down", "down")  # the cursor on IWN/IWO (row 5 of this order)
        assert app.screen.cursor_position() == 3
        await pilot.press("enter")
        await until(lambda: app.snapshot.small == "IWN" and not app.fetching)
        assert not isinstance(app.screen, PairsScreen)
        assert "IWN vs IWO" in status_line(app)


@pilot_test
async def test_escape_closes_the_board_without_changing_the_pair(replay_dir):
    app = replay_app(replay_dir)
    async with app.run_test(size=STATE_SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b", "down", "escape")
        await quiet(pilot)
        assert len(app.screen_stack) == 1 and app.snapshot.small == "^RUT" and app.pipeline.active == 0


@pilot_test
async def test_the_open_board_redraws_only_when_what_it_shows_changed(replay_dir):
    from msgspec.structs import replace

    from tui.screens.pairs import PairsScreen

    app = replay_app(replay_dir)
    async with app.run_test(size=STATE_SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        board = app.screen
        assert isinstance(board, PairsScreen)
        drawn = []
        board._render_all = lambda: drawn.append(1)  # type: ignore[method-assign]
        snapshot = app.snapshot
        app.snapshot_signal.publish(replace(snapshot, data=replace(snapshot.data, errors=("a new status",))))
        await pilot.pause()  # (a signal calls its subscribers through their message queue)
        assert (
            board.snapshot.data.errors == ("a new status",) and drawn == []
        )  # a refresh that changes nothing the board shows
        app.snapshot_signal.publish(replace(snapshot, pairs=snapshot.pairs[:-1]))
        await pilot.pause()
        assert drawn == [1]


# -- pictures ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(100, 30), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_board_2026_01_15(snap_compare, replay_dir, size):
    assert snap_compare(replay_app(replay_dir), terminal_size=size, run_before=settle_then("b"))


def test_monitor_cycled_to_small_value_vs_growth(snap_compare, replay_dir):
    """Three presses of c: IWN vs IWO on every pane, and named in the status line."""
    assert snap_compare(replay_app(replay_dir), terminal_size=STATE_SIZE, run_before=settle_then("c", "c", "c"))
