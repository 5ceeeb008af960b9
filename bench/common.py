"""Shared helpers: result rows, medians, and /proc readers (no psutil)."""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPLAY_DIR = Path(os.environ.get("STREAKWATCH_REPLAY_DIR", ROOT.parent / "shared" / "data" / "market" / "replay"))
REPLAY_AS_OF = "2026-01-15"
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Opts:
    quick: bool = False
    only: tuple[str, ...] = ()
    verbose: bool = False

    def repeats(self, full: int, quick: int) -> int:
        return quick if self.quick else full


@dataclass
class Row:
    """One line of the table. ``value``/``target`` are numbers for the JSON; ``figure``/``target_text`` for people."""

    bench: str
    metric: str
    figure: str
    target_text: str = ""
    met: bool | None = None  # None: no target (informational)
    value: float | None = None
    unit: str = ""
    target: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def median(xs) -> float:
    xs = list(xs)
    return statistics.median(xs) if xs else float("nan")


def spread(xs) -> str:
    """min–max of a sample, for the detail column."""
    xs = list(xs)
    if not xs:
        return ""
    fmt = ".0f" if max(abs(x) for x in xs) >= 100 else ".3g"
    return f"{min(xs):{fmt}}–{max(xs):{fmt}}"


def log(opts: Opts, *parts: Any) -> None:
    print("  ·", *parts, file=sys.stderr, flush=True)


# -- /proc ---------------------------------------------------------------------------------------------------


def proc_cpu_seconds(pid: int | str = "self") -> float:
    """utime+stime of every thread of ``pid`` (also threads that ended) plus waited-for children, in seconds."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        raw = fh.read().decode()
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "; comm may contain spaces
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / CLK_TCK


def proc_sched_ns(pid: int | str = "self") -> int:
    """Sum of on-CPU nanoseconds of the live threads of ``pid`` (finer than clock ticks; ended threads are lost)."""
    total = 0
    task_dir = f"/proc/{pid}/task"
    for tid in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
    return total


def proc_status_kb(key: str, pid: int | str = "self") -> int:
    """A ``kB`` field of /proc/<pid>/status, e.g. VmRSS, VmHWM."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def rss_mb(pid: int | str = "self") -> float:
    return proc_status_kb("VmRSS", pid) / 1024


def machine() -> dict[str, Any]:
    import platform

    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(open("/proc/meminfo").readline().split()[1])  # MemTotal
    except (OSError, ValueError):
        mem_kb = 0
    load = os.getloadavg()
    versions = {}
    for mod in ("textual", "pandas", "numpy", "yfinance", "plotext"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod)
        except Exception:
            versions[mod] = None
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "cpu": model,
        "mem_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": [round(x, 2) for x in load],
        "versions": versions,
    }


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env
