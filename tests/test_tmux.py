"""The real thing in a real terminal: `python -m tui --source demo` under tmux, driven by keys.

Polls capture-pane (bounded) instead of sleeping; a unique tmux socket; the server is always killed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.tmux_helpers import Tmux

REPO = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def tmux():
    session = Tmux()
    yield session
    session.kill()


def test_monitor_in_a_real_terminal(tmux, tmp_path):
    pytest.importorskip("tui.cli")
    env = {f"XDG_{kind}_HOME": str(tmp_path / kind.lower()) for kind in ("CONFIG", "CACHE", "DATA", "STATE")}
    marker = tmp_path / "exited"
    # A shell runs the monitor and then says so, so we can see the terminal given back after `q`.
    command = f'cd {REPO} && {sys.executable} -m tui --source demo; echo "exit=$?" > {marker}; exec sh'
    tmux.start(command, {**env, "TERM": "xterm-256color"})

    screen = tmux.wait_for(
        lambda s: (
            all(p in s for p in ("1 Streak", "2 Spread", "3 Sector winners", "4 Risk checklist"))
            and "SIMULATED" in s
            and "Loading" not in s
        ),
        "the four panes with data",
    )
    assert tmux.alternate_on()

    tmux.keys("m")  # maximize the focused (streak) pane
    screen = tmux.wait_for(lambda s: "1 Streak" in s and "2 Spread" not in s, "the streak pane maximized")
    tmux.keys("m")  # restore
    screen = tmux.wait_for(lambda s: "2 Spread" in s and "1 Streak" in s, "the panes restored")

    tmux.keys("?")
    screen = tmux.wait_for(lambda s: "Focus the Streak pane" in s and "Quit streakwatch" in s, "the help screen")
    tmux.keys("Escape")
    screen = tmux.wait_for(lambda s: "Focus the Streak pane" not in s and "1 Streak" in s, "help closed")

    started = time.monotonic()
    tmux.keys("q")
    tmux.wait_for(lambda s: marker.exists(), "the process to exit", timeout=10)
    assert time.monotonic() - started < 5
    assert marker.read_text().strip() == "exit=0"
    # The terminal is given back: alternate screen off, the monitor's screen gone.
    deadline = time.monotonic() + 5
    while tmux.alternate_on() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tmux.alternate_on()
    screen = tmux.capture()
    assert "Risk checklist" not in screen
