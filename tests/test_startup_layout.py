"""Start-up cost: no layout pass spent twice on the same terminal size, nothing imported that a start without
a config file does not use, the garbage collector held off only until the first frame."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from textual import events

from tests.app_helpers import make_app, pilot_test, ready, settle
from tui import collector
from tui.cli import main

SIZE = (120, 40)
REPO = Path(__file__).resolve().parent.parent


@pilot_test
async def test_a_resize_to_the_size_already_laid_out_costs_no_layout():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the first refresh drawn: its own layout passes are not what is counted here
        screen = app.monitor
        layouts = []
        real_layout = screen._refresh_layout
        screen._refresh_layout = lambda *a, **k: (layouts.append(a), real_layout(*a, **k))[1]
        # What Textual's driver does at start-up: report the size the screen already has.
        screen.post_message(events.Resize(app.size, app.size))
        await pilot.pause()
        assert layouts == []
        streak = app.pane("streak")
        assert streak.size.width > 0 and streak.size.height > 0


@pilot_test
async def test_a_real_resize_still_lays_the_screen_out_and_moves_the_breakpoints():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        wide = app.pane("streak").size
        assert app.screen.has_class("-wide")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.screen.has_class("-narrow") and app.screen.has_class("-short")
        narrow = app.pane("streak").size
        assert narrow != wide and narrow.height < wide.height  # laid out again (narrow: one column of panes)
        await pilot.resize_terminal(*SIZE)  # and back: a size seen before is not a size already laid out
        await pilot.pause()
        assert app.screen.has_class("-wide") and app.pane("streak").size == wide


NO_TOML_SCRIPT = """
import sys
import tui.cli
from tui.app import StreakwatchApp
from tui.config import load_config
from tui.snapshot_cache import SnapshotCache
config = load_config()  # XDG_CONFIG_HOME is empty: the defaults
assert config.path is None, config.path
assert "tomllib" not in sys.modules
"""


def test_a_start_without_a_config_file_does_not_import_the_toml_parser(tmp_path):
    """tomllib costs ~3.5 ms on the way to the first frame; it is imported only to read a file."""
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run(
        [sys.executable, "-c", NO_TOML_SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pilot_test
async def test_the_collector_held_by_the_command_line_runs_again_once_the_first_frame_is_out():
    assert gc.isenabled()
    collector.hold()  # what the command line does before it imports the monitor
    try:
        assert not gc.isenabled()
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert gc.isenabled()
    finally:
        collector.release()
    assert gc.isenabled()


def test_holding_the_collector_leaves_a_caller_s_own_choice_alone():
    gc.disable()  # someone else turned automatic collection off: hold and release must not turn it on
    try:
        collector.hold()
        collector.release()
        assert not gc.isenabled()
    finally:
        gc.enable()
    collector.release()  # without a hold: nothing to do
    assert gc.isenabled()


def test_a_monitor_that_fails_before_its_first_frame_gives_the_collector_back(tmp_path, capsys):
    """A bad source stops the command line before any frame: the collector must not stay off in the process."""
    assert main(["--source", f"replay:{tmp_path / 'nowhere'}"]) == 2
    assert "streakwatch:" in capsys.readouterr().err
    assert gc.isenabled()
