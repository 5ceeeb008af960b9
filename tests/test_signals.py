"""SIGTERM, SIGHUP and an outside SIGINT end streakwatch the way `q` does: the terminal given back, the cache
closed, and the shell's exit status 128 + the signal's number (143, 129, 130).

The monitor runs for real, in a pseudo-terminal (every byte it writes is read back) and under tmux (the
terminal's own state is read after the kill). Its source is ``auto`` against a Yahoo that refuses connections
on loopback, so it shows the SIMULATED fallback while its SQLite cache is open. The cache is the observable for
"closed": in WAL mode SQLite keeps a ``-wal`` file beside the database while a connection is open and removes it
when the last one closes cleanly; a process killed outright leaves it behind. Every wait is bounded.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

from tests.pty_helpers import REPO, PtyMonitor, monitor_env
from tests.tmux_helpers import Tmux
from tui.data.yahoo_session import DEFAULT_TIMEOUT

QUIT_SIGNALS = [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]
QUIT_IDS = ["SIGTERM", "SIGHUP", "SIGINT"]
FIRST_FRAME_SECONDS = 45.0  # start-up on a loaded 2-core machine; the wait ends as soon as the frame is there
EXIT_SECONDS = 10.0

# DEC private modes the monitor turns on and must turn off again ("h" sets, "l" resets).
ALT_SCREEN, CURSOR_VISIBLE = "1049", "25"
MOUSE_MODES = ("1000", "1003", "1006")
_MODE = re.compile(rb"\x1b\[\?([0-9;]+)([hl])")


def terminal_modes(output: bytes) -> dict[str, bool]:
    """The DEC private modes a terminal would be left with after ``output``: mode -> set."""
    modes: dict[str, bool] = {}
    for match in _MODE.finditer(output):
        for mode in match.group(1).decode().split(";"):
            modes[mode] = match.group(2) == b"h"
    return modes


@pytest.fixture
def refusing_yahoo():
    """A loopback port bound but not listening: every connection is refused at once, and no other process can
    take the port while the test runs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.mark.parametrize(("signum", "status"), QUIT_SIGNALS, ids=QUIT_IDS)
def test_a_quit_signal_gives_the_terminal_back_and_closes_the_cache(tmp_path, refusing_yahoo, signum, status):
    cache = tmp_path / "bars.sqlite"
    wal = cache.with_name(cache.name + "-wal")
    monitor = PtyMonitor(["--source", "auto", "--cache", str(cache)], monitor_env(tmp_path, refusing_yahoo))
    try:
        monitor.wait_for(b"SIMULATED", FIRST_FRAME_SECONDS)  # Yahoo refused, no cached bars: the demo fallback
        monitor.drain()
        on_screen = terminal_modes(monitor.output)
        assert on_screen[ALT_SCREEN] and not on_screen[CURSOR_VISIBLE] and all(on_screen[m] for m in MOUSE_MODES)
        assert wal.exists(), "the cache should be open (in WAL mode) while the monitor runs"
        before = len(monitor.output)

        monitor.process.send_signal(signum)
        assert monitor.wait_exit(EXIT_SECONDS) == status
    finally:
        monitor.close()

    left = terminal_modes(monitor.output)
    assert not left[ALT_SCREEN], "still in the alternate screen"
    assert left[CURSOR_VISIBLE], "the cursor is still hidden"
    assert not any(left[m] for m in MOUSE_MODES), "mouse tracking is still on"
    after = monitor.output[before:]
    assert b"\x1b[?1049l" in after and b"\x1b[?25h" in after  # written after the signal, not before it
    assert b"Traceback" not in monitor.output
    assert not wal.exists(), "the cache was not closed: its -wal file is left behind"


def test_a_quit_signal_during_a_once_fetch_exits_143_at_once(tmp_path):
    """A Yahoo that accepts the connection and never answers: the fetch hangs inside curl until its timeout.
    SIGTERM must not wait for it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)  # the kernel completes the handshakes; nobody ever reads the requests
    cache = tmp_path / "bars.sqlite"
    env = monitor_env(tmp_path, f"http://127.0.0.1:{server.getsockname()[1]}")
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "--once", "--source", "yahoo", "--cache", str(cache)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        ready, _, _ = select.select([server], [], [], FIRST_FRAME_SECONDS)
        assert ready, "the fetch never connected"
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=EXIT_SECONDS + DEFAULT_TIMEOUT)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
        server.close()
    assert process.returncode == 143
    assert took < DEFAULT_TIMEOUT / 2, f"exit waited {took:.1f} s, as if for the hung request"
    assert out == b"" and err == b"", (out, err)  # no traceback, no half report
    assert not cache.with_name(cache.name + "-wal").exists(), "the cache was not closed"


@pytest.mark.tmux
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_kill_term_in_tmux_leaves_a_usable_terminal(tmp_path, refusing_yahoo):
    """What a user sees: `kill -TERM` the monitor, then read tmux's own view of the terminal."""
    env = monitor_env(tmp_path, refusing_yahoo)
    pid_file, marker = tmp_path / "pid", tmp_path / "exited"
    tmux = Tmux()

    def wait(predicate, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert predicate(), f"timed out waiting for {what}; screen:\n{tmux.capture()}"

    # The shell writes the monitor's pid, and its exit status once it ends, then stays as the user's shell.
    command = (
        f"cd {REPO} && {{ {sys.executable} -m tui --source auto --cache {tmp_path / 'bars.sqlite'} & "
        f'echo $! > {pid_file}; wait $!; echo "exit=$?" > {marker}; }}; exec sh'
    )
    try:
        keys = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TERM", "STREAKWATCH_YAHOO_URL")
        tmux.start(command, {key: env[key] for key in keys})
        tmux.wait_for(lambda screen: "SIMULATED" in screen, "the first frame", FIRST_FRAME_SECONDS)
        state = "#{alternate_on} #{cursor_flag} #{mouse_any_flag}"
        assert tmux.display(state).split() == ["1", "0", "1"]

        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        wait(marker.exists, "the monitor to exit", EXIT_SECONDS)
        assert marker.read_text().strip() == "exit=143"
        wait(
            lambda: tmux.display(state).split() == ["0", "1", "0"],
            "alternate screen off, cursor shown, mouse off",
            EXIT_SECONDS,
        )
        screen = tmux.capture()
        assert "Risk checklist" not in screen and "SIMULATED" not in screen  # the last frame is gone
    finally:
        tmux.kill()


def test_main_gives_the_signal_handlers_back(capsys):
    """``main`` may run inside another program (these tests do): its handlers last only as long as the call."""
    from tui.cli import main

    before = [signal.getsignal(signum) for signum, _status in QUIT_SIGNALS]
    assert main(["--once", "--json", "--source", "demo", "--as-of", "2026-01-15"]) == 0
    assert '"source": "demo"' in capsys.readouterr().out
    assert [signal.getsignal(signum) for signum, _status in QUIT_SIGNALS] == before
