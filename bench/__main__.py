"""``python -m bench [--quick] [--only NAME ...]``: run the benchmarks, print one table, save the raw results.

Each benchmark runs in a child process of its own (clean memory, imports and environment), one after another so
they do not compete for the two cores. Raw results go to ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

from bench.common import PYTHON, ROOT, Opts, Row, child_env, machine

BENCHMARKS = ("analytics", "refresh", "network", "closed_market", "trading_day", "first_paint", "idle")
CHILD_TIMEOUT = 600
RESULTS = ROOT / "bench" / "results"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 10 s idle window, shorter day")
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a target is missed (default: only when a benchmark fails to run)",
    )
    parser.add_argument("--json", metavar="FILE", help=f"where to write raw results (default {RESULTS}/latest.json)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_child(name: str, opts: Opts) -> tuple[list[dict], float]:
    with tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".json", delete=False) as fh:
        out = fh.name
    argv = [PYTHON, "-m", "bench", "--child", name, "--out", out] + (["--quick"] if opts.quick else [])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(argv, cwd=ROOT, env=child_env(), timeout=CHILD_TIMEOUT)
        rows = json.load(open(out)) if proc.returncode == 0 and os.path.getsize(out) else None
        if rows is None:
            rows = [Row(name, "benchmark", f"FAILED (exit {proc.returncode})", met=False).as_json()]
    except subprocess.TimeoutExpired:
        rows = [Row(name, "benchmark", f"FAILED (over {CHILD_TIMEOUT} s)", met=False).as_json()]
    finally:
        os.unlink(out)
    return rows, time.perf_counter() - t0


def table(rows: list[dict]) -> str:
    head = ("benchmark", "figure", "measured", "target", "met?")
    body = []
    for r in rows:
        met = {True: "yes", False: "NO", None: ""}[r["met"]]
        body.append(
            (r["bench"] if not r["metric"].startswith("  ") else "", r["metric"], r["figure"], r["target_text"], met)
        )
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(b) for b in body)])


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    opts = Opts(quick=args.quick, only=tuple(args.only or ()))
    if args.child:
        module = importlib.import_module(f"bench.{args.child}")
        rows = [r.as_json() for r in module.run(opts)]
        with open(args.out, "w") as fh:
            json.dump(rows, fh, default=str)
        return 0

    names = [n for n in BENCHMARKS if not opts.only or n in opts.only]
    info = machine()
    print(
        f"streakwatch benchmarks{' (--quick)' if opts.quick else ''}: {info['nproc']} CPU ({info['cpu']}), "
        f"Python {info['python']}, load {info['loadavg'][0]}",
        file=sys.stderr,
    )
    started = datetime.now(timezone.utc)
    rows: list[dict] = []
    durations = {}
    for name in names:
        print(f"[{name}] …", file=sys.stderr, flush=True)
        got, seconds = run_child(name, opts)
        durations[name] = seconds
        rows.extend(got)
        print(f"[{name}] {seconds:.0f} s", file=sys.stderr, flush=True)
    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(table(rows))
    targets = [r for r in rows if r["met"] is not None]
    print(
        f"\n{sum(r['met'] for r in targets)}/{len(targets)} targets met · "
        f"{sum(durations.values()):.0f} s · {machine_line(info)}"
    )
    out = args.json or RESULTS / "latest.json"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(
            {
                "started": started.isoformat(),
                "quick": opts.quick,
                "machine": info,
                "durations_s": durations,
                "rows": rows,
            },
            fh,
            indent=1,
            default=str,
        )
    print(f"raw results: {os.path.relpath(out, os.getcwd())}", file=sys.stderr)
    crashed = any(r["figure"].startswith("FAILED") for r in rows)
    return 1 if crashed or (args.strict and not all(r["met"] for r in targets)) else 0


def machine_line(info: dict) -> str:
    return (
        f"{info['nproc']} CPU {info['cpu']}, Python {info['python']}, load {info['loadavg'][0]}"
        f"→{info['loadavg_end'][0]}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
