"""First data on screen: process start → the streak visible, monitor vs a bare Textual app, same run.

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

from bench.common import PYTHON, REPLAY_AS_OF, REPLAY_DIR, ROOT, Opts, Row, child_env, log, median, spread
from bench.term import PtyProgram, number_finder

NAME = "first_paint"
TARGET_RATIO = 1.8
TIMEOUT = 60.0


def expected_streak() -> int:
    from datetime import date

    from tui.config import Config
    from tui.data.replay import ReplaySource
    from tui.snapshot import build_snapshot

    config = Config()
    source = ReplaySource(REPLAY_DIR, as_of=date.fromisoformat(REPLAY_AS_OF))
    return build_snapshot(source.fetch(config.symbols()), config).streak.length


def monitor_argv() -> list[str]:
    return [PYTHON, "-m", "tui", "--source", f"replay:{REPLAY_DIR}", "--as-of", REPLAY_AS_OF]


def bare_argv() -> list[str]:
    return [PYTHON, str(ROOT / "bench" / "bare_app.py")]


def isolated_env(home: Path) -> dict[str, str]:
    """No user config or cache can change what the monitor does."""
    return child_env(XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))


def monitor_painted(length: int):
    shows_number = number_finder(str(length))

    def check(lines: list[str]) -> bool:
        return any("in a row" in line for line in lines) and shows_number(lines)

    return check


def bare_painted(lines: list[str]) -> bool:
    from bench.bare_app import TEXT

    return any(TEXT in line for line in lines)


def time_once(argv: list[str], predicate, env: dict[str, str]) -> tuple[float | None, str]:
    prog = PtyProgram(argv, env, cwd=str(ROOT))
    try:
        t = prog.wait_for(predicate, TIMEOUT)
        screen = prog.screen.text()
    finally:
        prog.quit()
    return t, screen


def app_available() -> bool:
    return (ROOT / "tui" / "app.py").is_file()


def run(opts: Opts) -> list[Row]:
    if not app_available():
        return [Row(NAME, "first data on screen (ratio)", "n/a: tui/app.py missing", f"≤ {TARGET_RATIO}", None)]
    n = opts.repeats(7, 3)
    length = expected_streak()
    compileall.compile_dir(ROOT / "tui", quiet=1)  # see the module docstring
    painted = monitor_painted(length)
    with tempfile.TemporaryDirectory(prefix="streakwatch-bench-") as tmp:
        env = isolated_env(Path(tmp))
        for argv, pred, what in ((bare_argv(), bare_painted, "bare"), (monitor_argv(), painted, "monitor")):
            t, screen = time_once(argv, pred, env)  # warm-up, unmeasured
            if t is None:
                log(opts, f"first_paint: {what} never painted; last screen:\n{screen}")
                return [
                    Row(
                        NAME,
                        "first data on screen (ratio)",
                        f"FAILED: {what} never painted in {TIMEOUT:.0f} s",
                        f"≤ {TARGET_RATIO}",
                        False,
                        detail={"screen": screen},
                    )
                ]
        bare, mon, ratios = [], [], []
        for i in range(n):
            order = [("bare", bare_argv(), bare_painted), ("monitor", monitor_argv(), painted)]
            if i % 2:
                order.reverse()
            got = {}
            for what, argv, pred in order:
                t, screen = time_once(argv, pred, env)
                if t is None:
                    log(opts, f"first_paint: {what} timed out; last screen:\n{screen}")
                got[what] = t
            if got["bare"] is None or got["monitor"] is None:
                continue
            bare.append(got["bare"])
            mon.append(got["monitor"])
            ratios.append(got["monitor"] / got["bare"])
            log(
                opts,
                f"first_paint run {i + 1}/{n}: bare {got['bare'] * 1000:.0f} ms, "
                f"monitor {got['monitor'] * 1000:.0f} ms",
            )
    if not ratios:
        return [Row(NAME, "first data on screen (ratio)", "FAILED: no complete run", f"≤ {TARGET_RATIO}", False)]
    ratio = median(mon) / median(bare)
    detail = {
        "runs": len(ratios),
        "bare_s": bare,
        "monitor_s": mon,
        "pair_ratios": ratios,
        "median_pair_ratio": median(ratios),
        "streak_marker": length,
    }
    return [
        Row(
            NAME,
            "first data on screen: monitor ÷ bare app",
            f"{ratio:.2f}× (pairwise {median(ratios):.2f}×)",
            f"≤ {TARGET_RATIO}",
            ratio <= TARGET_RATIO,
            ratio,
            "x",
            TARGET_RATIO,
            detail,
        ),
        Row(
            NAME,
            "  monitor, process start → streak visible",
            f"{median(mon) * 1000:.0f} ms ({spread(x * 1000 for x in mon)})",
            value=median(mon) * 1000,
            unit="ms",
        ),
        Row(
            NAME,
            "  bare Textual app → label visible",
            f"{median(bare) * 1000:.0f} ms ({spread(x * 1000 for x in bare)})",
            value=median(bare) * 1000,
            unit="ms",
        ),
    ]
