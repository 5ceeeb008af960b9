"""The monitor for real, in a pseudo-terminal: every byte it writes is kept (tests/test_signals.py,
tests/test_sanitiser.py). Every wait is bounded."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_CSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")


def monitor_env(tmp_path: Path, yahoo_url: str | None = None) -> dict[str, str]:
    """The environment of a monitor under test: a real terminal type, its own config and cache folders, Yahoo
    at ``yahoo_url`` (a loopback server) or not set at all."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX", "STREAKWATCH_YAHOO_URL")}
    env.update(
        {
            "TERM": "xterm-256color",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        }
    )
    if yahoo_url is not None:
        env["STREAKWATCH_YAHOO_URL"] = yahoo_url
    return env


class PtyMonitor:
    """``python -m tui`` on the slave side of a pty (120 x 40); everything it writes is kept in ``output``.
    ``program`` runs something else there instead (``args`` then unused): tmux with the monitor inside it."""

    def __init__(
        self, args: list[str], env: dict[str, str], cwd: Path = REPO, program: list[str] | None = None
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.master = master
        self.process = subprocess.Popen(
            program or [sys.executable, "-m", "tui", *args],
            cwd=cwd,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.output = b""

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout``; False once the other side is closed."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every holder of the slave side has closed it
            return False
        self.output += data
        return bool(data)

    def text(self) -> bytes:
        """The output without its CSI sequences: a word drawn in several styles (a toast over a pane) is one word
        again. For finding what is shown; the raw ``output`` is what the terminal received."""
        return _CSI.sub(b"", self.output)

    def text_since(self, mark: int) -> bytes:
        """``text()`` of what was written after ``len(output)`` was ``mark``."""
        return _CSI.sub(b"", self.output[mark:])

    def wait_for(self, needle: bytes, timeout: float, since: int = 0) -> None:
        """Until ``needle`` is shown (in what was written after ``since``, a ``len(output)``)."""
        deadline = time.monotonic() + timeout
        while needle not in self.text_since(since) and time.monotonic() < deadline:
            if not self._read(0.1):
                break
        assert needle in self.text_since(since), (
            f"no {needle!r} within {timeout} s; exit {self.process.poll()}; last output: {self.output[-2000:]!r}"
        )

    def drain(self, quiet: float = 0.3) -> None:
        """Read until the monitor has written nothing for ``quiet`` seconds (bounded: it idles between ticks)."""
        deadline = time.monotonic() + 5.0
        before = -1
        while len(self.output) != before and time.monotonic() < deadline:
            before = len(self.output)
            self._read(quiet)

    def wait_exit(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.1):
            pass
        return self.process.wait(timeout=max(deadline - time.monotonic(), 0.1))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self.master)
