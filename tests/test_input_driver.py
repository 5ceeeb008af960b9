"""The input thread sleeps while no key comes (tui/input_driver.py), and the keyboard still works.

Textual's own Linux driver wakes its input thread ten times a second for as long as the app runs; a monitor
left open all day should not. The monitor runs for real in a pseudo-terminal; its wake-ups are the kernel's count
of voluntary context switches over all its threads (/proc), against the same monitor on Textual's own driver
(``TEXTUAL_DRIVER``), which the app honours as given. Counts, not times: a loaded machine changes neither.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.pty_helpers import PtyMonitor, monitor_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and the Linux driver")

FIRST_FRAME_SECONDS = 45.0
WINDOW_SECONDS = 3.0
TEXTUALS_DRIVER = "textual.drivers.linux_driver:LinuxDriver"
# A pinned day: the demo's clock stands after that day's close, so its next refresh is hours away whatever the real
# time. On the real clock a refresh falls into the window when the test runs seconds before a bell (the open, the
# close, the final bars, the pre-market) and costs ~20 wake-ups, more than a third of Textual's count.
IDLE_DEMO = ["--source", "demo", "--as-of", "2026-11-20"]


def wake_ups(pid: int) -> int:
    """Voluntary context switches of every thread of ``pid`` so far (a thread that ended is not counted)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except OSError:  # the thread ended between the listing and the read
            continue
        total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("voluntary_ctxt")))
    return total


def idle_wake_ups(tmp_path: Path, driver: str | None) -> int:
    env = monitor_env(tmp_path)
    env.pop("TEXTUAL_DRIVER", None)
    if driver is not None:
        env["TEXTUAL_DRIVER"] = driver
    monitor = PtyMonitor(IDLE_DEMO, env)
    try:
        monitor.wait_for(b"in a row", FIRST_FRAME_SECONDS)
        monitor.drain(quiet=1.0)
        before = wake_ups(monitor.process.pid)
        deadline = time.monotonic() + WINDOW_SECONDS
        while time.monotonic() < deadline:
            monitor._read(0.2)  # keep the terminal drained: a full pty would block the monitor's writes
        return wake_ups(monitor.process.pid) - before
    finally:
        monitor.close()


def test_an_idle_monitor_wakes_a_fraction_as_often_as_on_textuals_driver(tmp_path):
    textuals = idle_wake_ups(tmp_path / "textual", TEXTUALS_DRIVER)
    ours = idle_wake_ups(tmp_path / "ours", None)
    # Textual's loop: select(0.1) → ~10 wake-ups a second, ~30 in the window (CI once counted 29: the window is
    # timed, so the nominal count is not a floor). Half of it still proves the count measures that loop. Ours: none
    # of its own (the app's tick is 10 s, and no refresh is due: IDLE_DEMO).
    nominal = WINDOW_SECONDS * 10
    assert textuals >= nominal / 2, f"Textual's driver woke only {textuals} times: nothing was measured"
    assert ours * 3 <= textuals, f"ours woke {ours} times in {WINDOW_SECONDS} s, Textual's {textuals}"


def test_escape_alone_and_arrow_keys_still_reach_the_app_and_q_quits(tmp_path):
    """A lone ESC is told from the start of a sequence by time: the sleeping thread must still time it out.
    An arrow key (ESC [ B) must stay one key. And ``q`` must end the process: its exit flag wakes the thread."""
    monitor = PtyMonitor(["--source", "demo"], monitor_env(tmp_path))
    asleep = 1.5  # long past the settle time after the last input: the input thread blocks in select
    try:
        monitor.wait_for(b"in a row", FIRST_FRAME_SECONDS)
        time.sleep(asleep)
        mark = len(monitor.output)
        os.write(monitor.master, b"b")
        monitor.wait_for(b"pairs", 10.0, since=mark)  # the board's title
        time.sleep(asleep)
        monitor.drain()
        mark = len(monitor.output)
        os.write(monitor.master, b"\x1b[B")  # Down, in one read: the board's cursor moves, nothing closes
        monitor.drain(quiet=1.0)
        assert monitor.process.poll() is None
        assert b"1 Streak" not in monitor.text_since(mark), "Down was read as Escape: the board closed"
        time.sleep(asleep)
        mark = len(monitor.output)
        os.write(monitor.master, b"\x1b")  # Escape alone: only the ESC delay tells it from a sequence
        monitor.wait_for(b"1 Streak", 5.0, since=mark)  # the board closed: the main screen is drawn again
        time.sleep(asleep)
        os.write(monitor.master, b"q")
        assert monitor.wait_exit(10.0) == 0
    finally:
        monitor.close()


def test_the_app_picks_the_quiet_driver_and_falls_back_to_textuals_where_it_cannot_be_built(monkeypatch):
    """On a Textual whose key parser moved, the monitor must still start: on Textual's own driver."""
    from textual import constants
    from textual.drivers.linux_driver import LinuxDriver

    from tests.app_helpers import make_app
    from tui.input_driver import QuietLinuxDriver

    monkeypatch.setattr(constants, "DRIVER", None)
    app = make_app()
    assert app.get_driver_class() is QuietLinuxDriver
    monkeypatch.setitem(sys.modules, "tui.input_driver", None)  # importing it now raises ImportError
    assert app.get_driver_class() is LinuxDriver
