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

REPO = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    def __init__(self, tmp: Path) -> None:
        self.socket = f"streakwatch-test-{uuid.uuid4().hex[:10]}"
        self.tmp = tmp

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # No COLUMNS / LINES (pytest may set them): Textual would take them over the real terminal size.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, check=check, env=env
        )

    def capture(self) -> str:
        result = self.run("capture-pane", "-p", "-t", "sw", check=False)
        return result.stdout if result.returncode == 0 else ""

    def alive(self) -> bool:
        result = self.run("list-panes", "-t", "sw", "-F", "#{pane_dead} #{alternate_on}", check=False)
        return result.returncode == 0 and result.stdout.split()[:1] == ["0"]

    def alternate_on(self) -> bool:
        result = self.run("display-message", "-p", "-t", "sw", "#{alternate_on}", check=False)
        return result.stdout.strip() == "1"

    def wait_for(self, predicate, what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen}")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "sw", *keys)

    def kill(self) -> None:
        self.run("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path):
    session = Tmux(tmp_path)
    yield session
    session.kill()


def test_monitor_in_a_real_terminal(tmux, tmp_path):
    pytest.importorskip("tui.cli")
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm-256color",
    }
    env.pop("STREAKWATCH_YAHOO_URL", None)
    marker = tmp_path / "exited"
    # A shell runs the monitor and then says so, so we can see the terminal given back after `q`.
    command = f'cd {REPO} && {sys.executable} -m tui --source demo; echo "exit=$?" > {marker}; exec sh'
    tmux.run(
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "sw",
        "-x",
        "120",
        "-y",
        "40",
        *[
            arg
            for key in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TERM")
            for arg in ("-e", f"{key}={env[key]}")
        ],
        "sh",
        "-c",
        command,
    )

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
