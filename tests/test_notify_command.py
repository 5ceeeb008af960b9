"""Desktop notifications by a user's command (``[alerts] command``), run for real: small Python scripts stand in
for notify-send. The command gets its arguments literally (no shell) and sanitised, never blocks the caller,
is stopped at its timeout with everything it started, keeps its output off the terminal, and a failure is said
once. Every wait is bounded."""

from __future__ import annotations

import json
import os
import sys
import time

from tui.config import Alerts
from tui.notify import TITLE_PREFIX, DesktopNotifier

WAIT = 20.0  # seconds for a short Python script to start and finish on a loaded 2-core machine

# Writes its arguments, as JSON, to the file named by its first argument.
RECORD_ARGV = "import json, sys; open(sys.argv[1], 'w', encoding='utf-8').write(json.dumps(sys.argv[2:]))"


def notifier(command, timeout=5.0):
    told: list[str] = []
    written: list[str] = []
    settings = Alerts(desktop="always", command=tuple(command))
    return DesktopNotifier(settings, write=written.append, tell=told.append, env={}, timeout=timeout), told, written


def test_hostile_text_arrives_as_literal_sanitised_arguments(tmp_path):
    out = tmp_path / "argv.json"
    desktop, told, written = notifier([sys.executable, "-c", RECORD_ARGV, str(out), "{title}", "--", "{body}"])
    assert desktop.method == "command"  # a command given implies "command" under auto
    desktop.send("Risk: $(touch pwned)", "$(rm -rf /); ls `id` | cat\x1b]0;owned\x07 && \x1b[2J\tend\x9b1m\n")
    assert desktop.wait_idle(WAIT)
    # By hand: the shell syntax stays as typed; the OSC, BEL, CSI (7- and 8-bit) go; tab and newline become spaces.
    assert json.loads(out.read_text(encoding="utf-8")) == [
        TITLE_PREFIX + "Risk: $(touch pwned)",
        "--",
        "$(rm -rf /); ls `id` | cat && end",
    ]
    assert not (tmp_path / "pwned").exists() and not told and not written


def test_sending_never_waits_for_the_command(tmp_path):
    desktop, told, _ = notifier([sys.executable, "-c", "import time; time.sleep(3)"])
    started = time.monotonic()
    desktop.send("Streak broke", "over")
    desktop.send("Streak extended", "again")
    assert time.monotonic() - started < 0.5
    assert desktop.wait_idle(WAIT) and not told


def test_a_command_that_hangs_is_stopped_at_its_timeout_with_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    # A script that starts a long sleep, tells its pid, and sleeps itself: both must be gone after the timeout.
    script = (
        "import subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(60)"
    )
    desktop, told, _ = notifier([sys.executable, "-c", script], timeout=3.0)
    started = time.monotonic()
    desktop.send("Streak broke", "over")
    assert desktop.wait_idle(WAIT)
    assert 3.0 <= time.monotonic() - started < WAIT
    assert told == [
        f"The notification command {os.path.basename(sys.executable)!r} did not finish within 3 s and was "
        "stopped; alerts are still shown here."
    ]
    child = int(pid_file.read_text())
    deadline = time.monotonic() + WAIT
    while _alive(child) and time.monotonic() < deadline:  # the orphan is reaped by init (bounded wait)
        time.sleep(0.05)
    assert not _alive(child), "the command's own child outlived the timeout"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its reaper is gone for our purpose
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_missing_command_is_said_once_and_never_raises(tmp_path):
    missing = str(tmp_path / "no-such-notifier")
    desktop, told, _ = notifier([missing, "{title}"])
    for _ in range(3):
        desktop.send("Streak broke", "over")
    assert desktop.wait_idle(WAIT)
    assert told == ["The notification command 'no-such-notifier' was not found; alerts are still shown here."]


def test_a_failing_command_is_said_with_its_status_and_first_words_once(tmp_path):
    script = "import sys; sys.stderr.write('Cannot autolaunch D-Bus\\x1b[31m without X11\\n' * 50); sys.exit(3)"
    desktop, told, _ = notifier([sys.executable, "-c", script])
    desktop.send("Streak broke", "over")
    desktop.send("Risk: Volatility", "watch")
    assert desktop.wait_idle(WAIT)
    assert len(told) == 1
    name = os.path.basename(sys.executable)
    assert told[0].startswith(
        f"The notification command {name!r} failed (exit status 3): Cannot autolaunch D-Bus without X11"
    )
    assert "\x1b" not in told[0] and len(told[0]) < 300


def test_the_commands_output_never_reaches_the_terminal(capfd):
    desktop, told, _ = notifier([sys.executable, "-c", "import sys; print('LEAK out'); sys.stderr.write('LEAK err')"])
    desktop.send("Streak broke", "over")
    assert desktop.wait_idle(WAIT) and not told
    captured = capfd.readouterr()
    assert "LEAK" not in captured.out and "LEAK" not in captured.err
