"""Idle cost: CPU of the running monitor over a window with no new data (replay source: nothing ever changes).

The monitor runs under a pseudo-terminal exactly as a user would run it; after first paint and a settle period,
CPU time is read from /proc/<pid>/stat (utime+stime of all its threads, incl. ended ones, plus waited-for
children) at both ends of the window. Also reported: scheduler nanoseconds of live threads (finer grained), the
bytes the monitor wrote to the terminal (redraws), and context switches per second (timer wake-ups).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Opts, Row, log, proc_cpu_seconds, proc_sched_ns
from bench.first_paint import TIMEOUT, app_available, expected_streak, isolated_env, monitor_argv, monitor_painted
from bench.term import PtyProgram

NAME = "idle"
TARGET_PCT = 0.5
SETTLE = 3.0


def ctx_switches(pid: int) -> int:
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in open(f"/proc/{pid}/task/{tid}/status"):
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def run(opts: Opts) -> list[Row]:
    if not app_available():
        return [Row(NAME, "idle CPU", "n/a: tui/app.py missing", f"< {TARGET_PCT} %", None)]
    window = 10.0 if opts.quick else 60.0
    with tempfile.TemporaryDirectory(prefix="streakwatch-bench-") as tmp:
        prog = PtyProgram(monitor_argv(), isolated_env(Path(tmp)), cwd=str(ROOT))
        try:
            if prog.wait_for(monitor_painted(expected_streak()), TIMEOUT) is None:
                return [
                    Row(
                        NAME,
                        "idle CPU",
                        "FAILED: monitor never painted",
                        f"< {TARGET_PCT} %",
                        False,
                        detail={"screen": prog.screen.text()},
                    )
                ]
            prog.drain(SETTLE)
            pid = prog.pid
            threads = len(os.listdir(f"/proc/{pid}/task"))
            cpu0, ns0, cs0, t0 = proc_cpu_seconds(pid), proc_sched_ns(pid), ctx_switches(pid), time.perf_counter()
            written = prog.drain(window)
            cpu1, ns1, cs1, t1 = proc_cpu_seconds(pid), proc_sched_ns(pid), ctx_switches(pid), time.perf_counter()
        finally:
            prog.quit()
    wall = t1 - t0
    pct = (cpu1 - cpu0) / wall * 100
    pct_ns = (ns1 - ns0) / 1e9 / wall * 100
    log(
        opts,
        f"idle: {pct:.2f} % (ticks), {pct_ns:.2f} % (schedstat), {written} bytes, "
        f"{(cs1 - cs0) / wall:.1f} ctx switches/s over {wall:.0f} s, {threads} threads",
    )
    detail = {
        "window_s": wall,
        "cpu_s": cpu1 - cpu0,
        "sched_pct": pct_ns,
        "bytes_written": written,
        "ctx_switches_per_s": (cs1 - cs0) / wall,
        "threads": threads,
    }
    return [
        Row(
            NAME,
            f"idle CPU over {wall:.0f} s, % of one core",
            f"{pct:.2f} % (schedstat {pct_ns:.2f} %)",
            f"< {TARGET_PCT} %",
            pct < TARGET_PCT,
            pct,
            "%",
            TARGET_PCT,
            detail,
        ),
        Row(
            NAME,
            "  idle terminal output / wake-ups",
            f"{written / wall:.0f} B/s, {(cs1 - cs0) / wall:.1f} ctx sw/s",
            value=written / wall,
            unit="B/s",
        ),
    ]
