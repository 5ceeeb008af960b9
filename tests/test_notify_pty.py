"""The issue's pty test: the real monitor in a pseudo-terminal, every byte it writes read back. An alert while the
terminal has the focus stays in the monitor; after the terminal reports focus-out (``ESC [ O``) the next alert
also goes out as an OSC 9 desktop notification (the sequence for an unknown terminal), with no control byte of
the alert's text inside it.

The alerts come from the simplest real path: a replay folder holding the real ^RUT and ^GSPC history up to
13 Jan 2026, inside the 14-session small-cap streak of January 2026. The replay source re-reads a file whose
stamp changed, and the config refreshes every 5 s, so appending the next real session's closes makes the
streak-extended alert on the next refresh, with no key pressed (a key would tell Textual the terminal has the
focus again). The same again with the monitor inside tmux, set up as the README says. Every wait is bounded.
Skipped without ../shared (and the tmux case without tmux).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid

import pytest

from tests.pty_helpers import REPO, PtyMonitor, monitor_env

FIRST_FRAME_SECONDS = 45.0  # start-up on a loaded 2-core machine; each wait ends as soon as its bytes are there
ALERT_SECONDS = 45.0  # the next 5 s refresh, and its fetch and build (the whole history) under load
EXIT_SECONDS = 10.0
PAIR = ("^RUT", "^GSPC")
FIRST_DAY, FOCUSED_DAY, UNFOCUSED_DAY = "2026-01-13", "2026-01-14", "2026-01-15"

FOCUS_OUT = b"\x1b[O"  # what a terminal with focus reporting (DEC mode 1004, which Textual turns on) sends
OSC9 = re.compile(rb"\x1b\]9;(.*?)\x07", re.DOTALL)
# Variables by which tui/notify.py recognises a terminal: removed, so this one is unknown and gets OSC 9.
TERMINAL_HINTS = ("TERM_PROGRAM", "LC_TERMINAL", "KITTY_WINDOW_ID", "WEZTERM_PANE", "WT_SESSION", "VTE_VERSION")
requires_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def replay_until(source, folder, last_day: str) -> None:
    """Write each pair file with the real rows up to ``last_day``, replacing the old file in one step (the
    monitor may be reading it)."""
    for symbol in PAIR:
        lines = (source / f"{symbol}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [lines[0], *(line for line in lines[1:] if line[:10] <= last_day)]
        partial = folder / f".{symbol}.csv.new"
        partial.write_text("".join(kept), encoding="utf-8")
        os.replace(partial, folder / f"{symbol}.csv")


def tmux_program(tmp_path, monitor_args: list[str]) -> tuple[list[str], str]:
    """tmux (its own server, on a unique socket) running the monitor, set up as the README says: passthrough
    allowed, focus events forwarded. Returns the command and the socket's name."""
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g allow-passthrough on\nset -g focus-events on\nset -g status off\n", encoding="utf-8")
    socket = f"streakwatch-notify-{uuid.uuid4().hex[:10]}"
    monitor = shlex.join([sys.executable, "-m", "tui", *monitor_args])
    return ["tmux", "-L", socket, "-f", str(conf), "new-session", "-s", "sw", "-c", str(REPO), monitor], socket


WHERE = ["terminal", pytest.param("tmux", marks=[pytest.mark.tmux, requires_tmux])]


@pytest.mark.realdata
@pytest.mark.parametrize("where", WHERE)
def test_an_unfocused_alert_goes_out_as_one_clean_osc_and_a_focused_one_does_not(tmp_path, replay_dir, where):
    """In tmux the monitor sees TMUX, wraps the sequence in tmux's passthrough, and tmux (allow-passthrough on)
    hands the OSC 9 to the outer terminal, the pty read here; the focus-out reaches the monitor through tmux
    (focus-events on)."""
    folder = tmp_path / "replay"
    folder.mkdir()
    replay_until(replay_dir, folder, FIRST_DAY)
    config = tmp_path / "config.toml"
    config.write_text("[refresh]\nopen_seconds = 5\nclosed_seconds = 5\nidle_seconds = 5\n", encoding="utf-8")
    env = {k: v for k, v in monitor_env(tmp_path).items() if k not in TERMINAL_HINTS}
    args = ["--source", f"replay:{folder}", "--config", str(config)]
    program, socket = tmux_program(tmp_path, args) if where == "tmux" else (None, None)

    monitor = PtyMonitor(args, env, cwd=REPO, program=program)
    try:
        monitor.wait_for(b"13 Jan", FIRST_FRAME_SECONDS)  # the first snapshot: the baseline, no alert
        monitor.drain()

        replay_until(replay_dir, folder, FOCUSED_DAY)  # focused: the alert stays in the monitor
        monitor.wait_for(b"Streak extended", ALERT_SECONDS)
        monitor.drain()
        before_blur = len(monitor.output)
        assert b"]9;" not in monitor.output, "a desktop notification while the terminal had the focus"

        os.write(monitor.master, FOCUS_OUT)
        monitor.drain()
        replay_until(replay_dir, folder, UNFOCUSED_DAY)
        monitor.wait_for(b"\x1b]9;", ALERT_SECONDS)  # (text() keeps OSCs: it drops only CSI sequences)
        monitor.drain()

        os.write(monitor.master, b"q")
        assert monitor.wait_exit(EXIT_SECONDS) == 0
    finally:
        monitor.close()
        if socket is not None:
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=20, check=False)

    after = monitor.output[before_blur:]
    assert b"\x1bPtmux;" not in after, "the passthrough reached the outer terminal still wrapped"
    notifications = OSC9.findall(after)
    assert notifications, "no OSC 9 after the focus-out"
    assert any(b"Streak extended" in payload for payload in notifications)
    for payload in notifications:
        text = payload.decode("utf-8")  # what the terminal reads: characters, after UTF-8 decoding
        assert text.startswith("streakwatch: ")
        controls = [ch for ch in text if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F]
        assert not controls, f"control characters inside the notification: {text!r}"
