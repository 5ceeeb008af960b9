"""First data on screen: process start → the streak visible, monitor vs a bare Textual app, same run.

Three starts are timed against the same bare app, alternating with it:

* **warm**: the snapshot cache holds the last good snapshot (a user's every start after the first): the first
  frame with data, and the whole screen complete (the spread chart drawn, no "drawing…" left anywhere);
* **empty cache, replay** and **empty cache, demo** (a new user's first start, each run in a fresh cache
  directory): the first frame (the panes' "Loading" message) and the first frame with data.

Beside the bare app, each round also times it importing pandas before its first frame (``--with-pandas``): no
start that shows data computed with pandas can come sooner, so it is the floor of the empty-cache target.

Both programs run under a 120×40 pseudo-terminal (TERM=xterm-256color); their output is fed to a small screen
emulator (:mod:`bench.term`). The monitor counts as painted when the streak pane shows the expected streak length
in Textual's big-digit font *and* its "in a row" headline; the bare app when its label is visible. The expected
length is computed here from the replay data (never typed in). Runs alternate (bare, monitor, monitor, bare, …)
after one unmeasured warm-up run of each, so byte-code and file caches are warm and machine noise hits both sides.

Both sides start from byte-compiled modules: the bare app's Textual was compiled when pip installed it, and the
monitor's own package is compiled here first (``compileall``, as a non-editable install would), since an editable
checkout under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile its ~40 modules on every start.
"""

from __future__ import annotations

import compileall
import tempfile
from pathlib import Path

from bench.common import (
    PYTHON,
    REPLAY_AS_OF,
    REPLAY_DIR,
    ROOT,
    Opts,
    Row,
    child_env,
    log,
    median,
    proc_cpu_seconds,
    spread,
)
from bench.term import PtyProgram, number_finder

NAME = "first_paint"
TARGET_RATIO = 1.5  # warm cache: first frame with data ÷ bare app (issue 16, target 1)
TARGET_COMPLETE_S = 1.0  # warm cache: process start → whole screen drawn, chart included (issue 16, target 1)
TARGET_COLD_RATIO = 2.5  # empty cache: first frame with data ÷ bare app, replay and demo (issue 16, target 2)
TARGET_LOADING_RATIO = TARGET_RATIO  # empty cache: the loading frame comes as soon as a warm start's data would
TIMEOUT = 60.0


def expected_streak(source_text: str | None = None) -> int:
    """The streak length the monitor must show for ``--source source_text --as-of REPLAY_AS_OF`` (default: the
    replay), computed from the data through the same factory the monitor uses."""
    from datetime import date

    from tui.config import Config
    from tui.data.factory import open_source, parse_source
    from tui.snapshot import build_snapshot

    config = Config()
    source, _clock = open_source(
        parse_source(source_text or replay_source()),
        as_of=date.fromisoformat(REPLAY_AS_OF),
        refresh=config.refresh,
        premarket=config.premarket,
    )
    try:
        return build_snapshot(source.fetch(config.symbols()), config).streak.length
    finally:
        source.close()


def replay_source() -> str:
    return f"replay:{REPLAY_DIR}"


def monitor_argv(source_text: str | None = None) -> list[str]:
    return [PYTHON, "-m", "tui", "--source", source_text or replay_source(), "--as-of", REPLAY_AS_OF]


def bare_argv(*options: str) -> list[str]:
    return [PYTHON, str(ROOT / "bench" / "bare_app.py"), *options]


def isolated_env(home: Path) -> dict[str, str]:
    """No user config or cache can change what the monitor does."""
    return child_env(XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))


def monitor_painted(length: int):
    shows_number = number_finder(str(length))

    def check(lines: list[str]) -> bool:
        return any("in a row" in line for line in lines) and shows_number(lines)

    return check


def screen_complete(painted):
    """Data on screen and nothing left to draw: no pane still loading, no chart still "drawing…"."""

    def check(lines: list[str]) -> bool:
        return painted(lines) and not any("drawing…" in line or "Loading" in line for line in lines)

    return check


def loading_shown(lines: list[str]) -> bool:
    """The monitor's first frame: its panes say "Loading" (or already show data)."""
    return any("Loading" in line or "in a row" in line for line in lines)


def bare_painted(lines: list[str]) -> bool:
    from bench.bare_app import TEXT

    return any(TEXT in line for line in lines)


def time_once(argv: list[str], predicate, env: dict[str, str]) -> tuple[float | None, str]:
    times, cpu, screen = time_stages(argv, [predicate], env)
    return times[0], screen


def time_stages(argv: list[str], stages, env: dict[str, str]) -> tuple[list[float | None], list[float], str]:
    """Seconds from spawn to each of ``stages`` (predicates met one after another, on the same run), and the
    program's CPU seconds (all its threads) by then: wall time rises with the machine's load, CPU time much less."""
    prog = PtyProgram(argv, env, cwd=str(ROOT))
    times: list[float | None] = []
    cpu: list[float] = []
    try:
        for stage in stages:
            t = prog.wait_for(stage, TIMEOUT)
            times.append(t)
            if t is None:
                break
            cpu.append(proc_cpu_seconds(prog.pid))
        screen = prog.screen.text()
    finally:
        prog.quit()
    return times + [None] * (len(stages) - len(times)), cpu, screen


def app_available() -> bool:
    return (ROOT / "tui" / "app.py").is_file()


class Start:
    """One way of starting the monitor, timed stage by stage against the bare app."""

    def __init__(self, label: str, argv: list[str], stages: list, names: list[str], empty_cache: bool) -> None:
        self.label, self.argv, self.stages, self.names, self.empty_cache = label, argv, stages, names, empty_cache
        self.times: list[list[float]] = [[] for _ in stages]
        self.cpu: list[list[float]] = [[] for _ in stages]
        self.failed: str | None = None

    def env(self, home: Path, run: int) -> dict[str, str]:
        # An empty cache: a cache folder no run has used; warm: the one folder every warm run shares.
        return isolated_env(home / f"cold-{self.label}-{run}" if self.empty_cache else home)


def run(opts: Opts) -> list[Row]:
    if not app_available():
        return [Row(NAME, "first data on screen (ratio)", "n/a: tui/app.py missing", f"≤ {TARGET_RATIO}", None)]
    n = opts.repeats(7, 3)
    compileall.compile_dir(ROOT / "tui", quiet=1)  # see the module docstring
    painted = monitor_painted(expected_streak())
    demo_painted = monitor_painted(expected_streak("demo"))
    starts = [
        Start("warm", monitor_argv(), [painted, screen_complete(painted)], ["data", "complete"], False),
        Start("replay", monitor_argv(), [loading_shown, painted], ["loading", "data"], True),
        Start("demo", monitor_argv("demo"), [loading_shown, demo_painted], ["loading", "data"], True),
    ]
    bare: list[float] = []
    bare_cpu: list[float] = []
    with_pandas: list[float] = []  # the bare app importing pandas first: the floor of any start with pandas data
    with tempfile.TemporaryDirectory(prefix="streakwatch-bench-") as tmp:
        home = Path(tmp)
        # Warm-up, unmeasured: byte code and file caches, and the warm start's snapshot cache.
        t, screen = time_once(bare_argv(), bare_painted, isolated_env(home))
        if t is None:
            return [_failed("bare", screen)]
        for start in starts:
            times, _cpu, screen = time_stages(start.argv, start.stages, start.env(home, -1))
            if None in times:
                return [_failed(f"monitor ({start.label})", screen)]
        for i in range(n):
            order: list[Start | None] = [None, *starts]  # None: the bare app
            if i % 2:
                order.reverse()
            for start in order:
                if start is None:
                    (t,), cpu, screen = time_stages(bare_argv(), [bare_painted], isolated_env(home))
                    if t is None:
                        log(opts, f"first_paint: bare timed out; last screen:\n{screen}")
                    else:
                        bare.append(t)
                        bare_cpu.extend(cpu)
                    t, screen = time_once(bare_argv("--with-pandas"), bare_painted, isolated_env(home))
                    if t is None:
                        log(opts, f"first_paint: bare with pandas timed out; last screen:\n{screen}")
                    else:
                        with_pandas.append(t)
                    continue
                times, cpu, screen = time_stages(start.argv, start.stages, start.env(home, i))
                if None in times:
                    log(opts, f"first_paint: {start.label} timed out; last screen:\n{screen}")
                    continue
                for got, t in zip(start.times, times):
                    got.append(t)
                for got, c in zip(start.cpu, cpu):
                    got.append(c)
            log(
                opts,
                f"first_paint run {i + 1}/{n}: bare {bare[-1] * 1000:.0f} ms; "
                + "; ".join(
                    f"{s.label} " + ", ".join(f"{name} {ts[-1] * 1000:.0f}" for name, ts in zip(s.names, s.times))
                    for s in starts
                    if s.times[0]
                ),
            )
    if not bare or not all(s.times[-1] for s in starts):
        return [Row(NAME, "first data on screen (ratio)", "FAILED: no complete run", f"≤ {TARGET_RATIO}", False)]
    base = median(bare)
    warm, replay, demo = starts
    detail = {
        "runs": n,
        "bare_s": bare,
        "bare_cpu_s": bare_cpu,
        "bare_with_pandas_s": with_pandas,
        **{f"{s.label}_{k}_s": ts for s in starts for k, ts in zip(s.names, s.times)},
        **{f"{s.label}_{k}_cpu_s": cs for s in starts for k, cs in zip(s.names, s.cpu)},
    }
    return [
        _ratio_row("warm cache: first frame with data ÷ bare app", warm.times[0], base, TARGET_RATIO, detail),
        _ms_row("  process start → streak visible (snapshot cache)", warm.times[0]),
        _ms_row("  bare Textual app → label visible", bare),
        _cpu_row("  CPU by then, monitor / bare (10 ms ticks; the load moves it less)", warm.cpu[0], bare_cpu),
        Row(
            NAME,
            "warm cache: process start → whole screen drawn (chart included)",
            f"{median(warm.times[1]) * 1000:.0f} ms ({spread(x * 1000 for x in warm.times[1])})",
            f"≤ {TARGET_COMPLETE_S * 1000:.0f} ms",
            median(warm.times[1]) <= TARGET_COMPLETE_S,
            median(warm.times[1]) * 1000,
            "ms",
            TARGET_COMPLETE_S * 1000,
        ),
        _ratio_row("empty cache, replay: first frame with data ÷ bare", replay.times[1], base, TARGET_COLD_RATIO),
        _ratio_row("  replay: loading frame ÷ bare", replay.times[0], base, TARGET_LOADING_RATIO),
        _ms_row("  replay: process start → loading frame / data", replay.times[0], replay.times[1]),
        _cpu_row("  replay: CPU by the data, monitor / bare", replay.cpu[1], bare_cpu),
        _ratio_row("empty cache, demo: first frame with data ÷ bare", demo.times[1], base, TARGET_COLD_RATIO),
        _ratio_row("  demo: loading frame ÷ bare", demo.times[0], base, TARGET_LOADING_RATIO),
        _ms_row("  demo: process start → loading frame / data", demo.times[0], demo.times[1]),
        _cpu_row("  demo: CPU by the data, monitor / bare", demo.cpu[1], bare_cpu),
        *([_floor_row(with_pandas, base)] if with_pandas else []),
    ]


def _floor_row(with_pandas: list[float], base: float) -> Row:
    """The least a start with pandas data on its first frame can take, beside the empty-cache target: the bare app
    importing pandas before its first frame, reading and computing nothing."""
    ratio = median(with_pandas) / base
    figure = (
        f"{ratio:.2f}× ({median(with_pandas) * 1000:.0f} ms, {spread(x * 1000 for x in with_pandas)}), "
        f"against {TARGET_COLD_RATIO}× for the empty cache's data"
    )
    return Row(NAME, "  the bare app importing pandas before its first frame ÷ bare", figure, value=ratio, unit="x")


def _failed(what: str, screen: str) -> Row:
    return Row(
        NAME,
        "first data on screen (ratio)",
        f"FAILED: {what} never painted in {TIMEOUT:.0f} s",
        f"≤ {TARGET_RATIO}",
        False,
        detail={"screen": screen},
    )


def _ratio_row(metric: str, times: list[float], base: float, target: float, detail: dict | None = None) -> Row:
    ratio = median(times) / base
    return Row(NAME, metric, f"{ratio:.2f}×", f"≤ {target}", ratio <= target, ratio, "x", target, detail or {})


def _ms_row(metric: str, *samples: list[float]) -> Row:
    figure = " / ".join(f"{median(s) * 1000:.0f} ms ({spread(x * 1000 for x in s)})" for s in samples)
    return Row(NAME, metric, figure, value=median(samples[-1]) * 1000, unit="ms")


def _cpu_row(metric: str, monitor: list[float], bare: list[float]) -> Row:
    ratio = median(monitor) / median(bare)
    figure = f"{median(monitor) * 1000:.0f} / {median(bare) * 1000:.0f} ms CPU ({ratio:.2f}×)"
    return Row(NAME, metric, figure, value=ratio, unit="x")
