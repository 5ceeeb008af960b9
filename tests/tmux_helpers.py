"""One tmux for the real-terminal tests: its own server on a unique socket (killed at the end), a session "sw"
running a shell command at a fixed size, and bounded polls of what tmux itself shows."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping


class Tmux:
    SESSION = "sw"

    def __init__(self) -> None:
        self.socket = f"streakwatch-test-{uuid.uuid4().hex[:10]}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # No COLUMNS / LINES (pytest may set them): Textual would take them over the real terminal size.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, check=check, env=env
        )

    def start(self, command: str, env: Mapping[str, str], size: tuple[int, int] = (120, 40)) -> None:
        """A detached session running ``sh -c command`` with ``env`` set in it, no user tmux.conf."""
        width, height = size
        pairs = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        self.run("-f", "/dev/null", "new-session", "-d", "-s", self.SESSION, "-x", str(width), "-y", str(height),
                 *pairs, "sh", "-c", command)  # fmt: skip

    def capture(self) -> str:
        result = self.run("capture-pane", "-p", "-t", self.SESSION, check=False)
        return result.stdout if result.returncode == 0 else ""

    def display(self, format_: str) -> str:
        """tmux's own view of the pane (``#{alternate_on}``, ``#{cursor_flag}`` …)."""
        return self.run("display-message", "-p", "-t", self.SESSION, format_, check=False).stdout.strip()

    def alive(self) -> bool:
        result = self.run("list-panes", "-t", self.SESSION, "-F", "#{pane_dead} #{alternate_on}", check=False)
        return result.returncode == 0 and result.stdout.split()[:1] == ["0"]

    def alternate_on(self) -> bool:
        return self.display("#{alternate_on}") == "1"

    def wait_for(self, predicate: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """Poll the screen (bounded) until ``predicate(screen)``; the screen it held."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen}")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.SESSION, *keys)

    def kill(self) -> None:
        self.run("kill-server", check=False)
