"""Refresh cost: CPU time of one full refresh of the default universe with every pane changed, today's race chart
and the rotation map included — in-process, headless — and where that time goes.

The data: the real replay folder (symlinked) plus ``intraday/`` paths for the pair on the two replayed days,
generated here (a Brownian bridge every 5 minutes from the previous close to the day's real close: the real
folder has no intraday data). The clock is after the close, so the race is each day's whole session. The two days
alternate, so every pane — streak, race, spread, sectors, risks, rotation, board — has something new each time.

* parts, outside the app: ``time.thread_time`` of ``source.fetch`` and of ``build_snapshot``;
* render: inside a headless app (120×40), ``show_snapshot`` on every pane (each pane timed) and the composite;
* the cycle: the app's own ``start_refresh`` → worker thread fetch+build → message → panes → composited, timed
  with ``process_time`` (all threads of the process); and inside it, each part measured where it runs: the fetch
  thread (fetch, build, market status and snapshot cache), the UI thread (the panes, the status line, the rest:
  Textual's message dispatch, layout and composite, the event loop), the other threads (Textual's worker,
  starting the fetch thread) as what the process spent beyond those two. Each timing ends when the frame is drawn
  and nothing is pending (``bench.headless.drawn``), not with ``pilot.pause()``: that posts a callback to every
  widget and polls for 20 ms, ~2.5 ms of the harness's own CPU per cycle.

Medians of repeats. Also reported: the refresh that brings nothing new, a live refresh (same closes, the race
moved: the daily part reused), the full refresh with each day's snapshot built beforehand (everything the target
covers but the build: what it leaves the build; interleaved with the full refreshes), and the cold fetch, when the
CSV files are parsed for the first time. The check that the parts add up puts the UI thread's remainder together
from two figures measured apart, the composite of the changed panes (render alone) and the Textual part of the
refresh that brings nothing new (the worker, its messages, the status line: what any refresh costs), and compares
the sum with the whole cycle.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.common import REPLAY_AS_OF, REPLAY_DIR, Opts, Row, log, median, spread

NAME = "refresh"
TARGET_MS = 25.0
DAYS = (date.fromisoformat(REPLAY_AS_OF), date(2026, 1, 14))
BAR_MINUTES = 5
SESSION_BARS = 78  # 09:30 .. 16:00 every 5 minutes: 79 points
#: A live session on the first replayed day (New York time): the race up to then, the closes up to the day before.
LIVE_MOMENTS = (datetime(2026, 1, 15, 11, 30), datetime(2026, 1, 15, 11, 35))


def bench_replay(folder: Path) -> Path:
    """The real replay folder (symlinks) with a generated intraday path for the pair on each of DAYS."""
    import numpy as np

    from tui.config import Config
    from tui.data.market_clock import ET
    from tui.data.replay import ReplaySource

    for csv in REPLAY_DIR.glob("*.csv"):
        (folder / csv.name).symlink_to(csv)
    (folder / "intraday").mkdir()
    config = Config()
    pair = (config.small, config.large)
    daily = ReplaySource(REPLAY_DIR).fetch(list(pair)).closes
    for k, symbol in enumerate(pair):
        closes = daily[symbol].dropna()
        rows = ["Datetime,Close"]
        for day in sorted(DAYS):
            position = closes.index.get_loc(closes.loc[: str(day)].index[-1])
            previous, close = float(closes.iloc[position - 1]), float(closes.iloc[position])
            rng = np.random.default_rng([k, day.toordinal()])
            steps = rng.normal(0.0, 0.0012, SESSION_BARS)
            walk = np.concatenate([[0.0], np.cumsum(steps)])
            bridge = walk - walk[-1] * np.linspace(0.0, 1.0, SESSION_BARS + 1)  # ends where it started
            path = previous * np.exp(bridge + np.linspace(0.0, math.log(close / previous), SESSION_BARS + 1))
            start = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ET)
            for i, price in enumerate(path):
                rows.append(f"{(start + timedelta(minutes=BAR_MINUTES * i)).isoformat()},{price:.4f}")
        (folder / "intraday" / f"{symbol}.csv").write_text("\n".join(rows) + "\n")
    return folder


def parts(folder: Path, repeats: int) -> dict[str, float]:
    from tui.config import Config
    from tui.data.replay import ReplaySource
    from tui.snapshot import build_snapshot

    config = Config()
    symbols = config.symbols()
    source = ReplaySource(folder, as_of=DAYS[0])
    t0 = time.thread_time()
    data = source.fetch(symbols)
    cold = time.thread_time() - t0
    build_snapshot(data, config)
    fetch_t, build_t = [], []
    for i in range(repeats):
        source.set_as_of(DAYS[i % 2])
        t0 = time.thread_time()
        data = source.fetch(symbols)
        t1 = time.thread_time()
        build_snapshot(data, config)
        t2 = time.thread_time()
        fetch_t.append(t1 - t0)
        build_t.append(t2 - t1)
    return {
        "cold_fetch_ms": cold * 1000,
        "fetch_ms": median(fetch_t) * 1000,
        "build_ms": median(build_t) * 1000,
        "fetch_all": [x * 1000 for x in fetch_t],
        "build_all": [x * 1000 for x in build_t],
    }


class Meter:
    """CPU time of wrapped calls, per name, each in the thread it runs in (``time.thread_time``)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.main = threading.get_ident()

    def wrap(self, owner, attribute: str, name: str) -> None:
        inner = getattr(owner, attribute)

        def timed(*args, **kwargs):
            t0 = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.thread_time() - t0

        setattr(owner, attribute, timed)

    def take(self) -> dict[str, float]:
        spent, self.spent = self.spent, {}
        return spent


async def in_app(folder: Path, repeats: int) -> dict:
    from msgspec.structs import replace

    from bench.headless import SIZE, drawn, make_app, wait_for_snapshot
    from tui.config import Config
    from tui.data.base import frozen_clock
    from tui.data.factory import after_close
    from tui.data.replay import ReplaySource
    from tui.snapshot import build_snapshot, data_status

    config = Config()
    source = ReplaySource(folder, as_of=DAYS[0])
    snaps = []
    for day in DAYS:
        source.set_as_of(day)
        snaps.append(build_snapshot(source.fetch(config.symbols()), config))
    assert snaps[0].today is not None and snaps[0].today.times, "the bench replay has no race"
    source.set_as_of(DAYS[0])
    app = make_app(source, config, frozen_clock(after_close(DAYS[0])))
    meter = Meter()
    render_t: list[float] = []
    per_pane: dict[str, list[float]] = {}
    async with app.run_test(size=SIZE) as pilot:
        snap = await wait_for_snapshot(app, None, timeout=60)
        if snap is None:
            raise RuntimeError("the app showed no snapshot within 60 s")
        await pilot.pause()
        # Render only: hand every pane a snapshot that differs from what it shows, wait for the composite.
        for i in range(repeats + 1):
            new = snaps[(i + 1) % 2]
            t0 = time.thread_time()
            for pane in app.panes():
                p0 = time.thread_time()
                pane.show_snapshot(new)
                if i:
                    per_pane.setdefault(pane.id or type(pane).__name__, []).append(time.thread_time() - p0)
            if not await drawn(app):
                raise RuntimeError("the panes were not drawn within 30 s")
            if i:
                render_t.append(time.thread_time() - t0)
        # The app's own cycle, each part measured where it runs.
        pipeline = app.pipeline
        meter.wrap(pipeline, "run", "fetch thread")
        meter.wrap(pipeline.source, "fetch", "fetch")
        meter.wrap(pipeline, "_snapshot_for", "build")
        meter.wrap(app.monitor, "show_snapshot", "panes")
        meter.wrap(app, "_update_chrome", "status line")
        meter.wrap(app.alert_tracker, "update", "alerts")
        import tui.widgets.chart as chart

        meter.wrap(chart, "plot_ansi", "  of which plotext builds the chart")
        meter.wrap(chart, "ansi_strips", "  of which its output decoded")

        # Every pane changes (the day alternates), interleaved with the same refresh given each day's snapshot built
        # beforehand (everything the target covers but the build) so both see the same machine; each kind runs on
        # both days as often (own, given, given, own, ...) ...
        def given_snapshot(data, _config):
            return replace(snaps[DAYS.index(source.as_of)], data=data_status(data))

        own = None
        cycle, given = await cycles(
            app, pilot, source, meter, repeats, DAYS, (own, given_snapshot, given_snapshot, own)
        )
        # ... a live refresh in the session: the same closes, the quotes and today's race moved (5 minutes on) ...
        (live,) = await cycles(app, pilot, source, meter, repeats, LIVE_MOMENTS)
        # ... and a refresh that brings nothing new (the same instant), so no pane redraws.
        (same,) = await cycles(app, pilot, source, meter, repeats, LIVE_MOMENTS[:1])
        await pilot.press("q")
    panes = {name: median(ts) * 1000 for name, ts in per_pane.items()}
    return {
        "render_ms": median(render_t) * 1000,
        "render_all": [x * 1000 for x in render_t],
        "panes_ms": panes,
        "composite_ms": median(render_t) * 1000 - sum(panes.values()),
        "cycle": cycle,
        "live": live,
        "same": same,
        "given": given,
    }


async def cycles(app, pilot, source, meter: Meter, repeats: int, moments: tuple, builds: tuple = (None,)) -> list:
    """Refreshes of the app, the replay's day (or instant) taken in turn from ``moments``, each building its
    snapshot with ``builds[i % len(builds)]`` (None: the pipeline's own build): ``repeats`` of each distinct build
    after one unmeasured refresh. One summary per distinct build, in order: interleaved, they see the same machine."""
    from bench.headless import wait_for_snapshot

    kinds = list(dict.fromkeys(builds))
    rows: list[list[dict[str, float]]] = [[] for _ in kinds]
    i = -1
    while any(len(kind) < repeats for kind in rows):
        i += 1
        build = builds[i % len(builds)]
        kept = rows[kinds.index(build)]  # this build's measured refreshes
        source.set_as_of(moments[(i + 1) % len(moments)])
        app.pipeline._build = build
        old = app.snapshot
        await pilot.pause()
        meter.take()
        t0, m0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
        if not app.start_refresh():
            raise RuntimeError("start_refresh refused (a refresh is already running)")
        got = await wait_for_snapshot(app, old, timeout=30)
        if got is None:
            raise RuntimeError("refresh did not complete within 30 s")
        total, main, wall = time.process_time() - t0, time.thread_time() - m0, time.perf_counter() - w0
        spent = meter.take()
        if i and len(kept) < repeats:
            worker = spent.get("fetch thread", 0.0)
            ui_known = sum(spent.get(k, 0.0) for k in ("panes", "status line", "alerts"))
            kept.append(
                {
                    "total": total,
                    "wall": wall,
                    "fetch": spent.get("fetch", 0.0),
                    "build": spent.get("build", 0.0),
                    "market status, cache": worker - spent.get("fetch", 0.0) - spent.get("build", 0.0),
                    "panes": spent.get("panes", 0.0),
                    "status line": spent.get("status line", 0.0),
                    "alerts": spent.get("alerts", 0.0),
                    "Textual: messages, layout, composite": main - ui_known,
                    "  of which plotext builds the chart": spent.get("  of which plotext builds the chart", 0.0),
                    "  of which its output decoded": spent.get("  of which its output decoded", 0.0),
                    "other threads": total - main - worker,
                }
            )
    app.pipeline._build = None
    return [
        {key: median(r[key] for r in kind) * 1000 for key in kind[0]} | {"all": [r["total"] * 1000 for r in kind]}
        for kind in rows
    ]


def run(opts: Opts) -> list[Row]:
    repeats = opts.repeats(21, 7)
    with tempfile.TemporaryDirectory(prefix="streakwatch-bench-") as tmp:
        folder = bench_replay(Path(tmp))
        p = parts(folder, repeats)
        log(
            opts,
            f"refresh parts: fetch {p['fetch_ms']:.1f} ms, build_snapshot {p['build_ms']:.1f} ms "
            f"(cold fetch {p['cold_fetch_ms']:.0f} ms)",
        )
        a = asyncio.run(in_app(folder, repeats))
    cycle, live, same, given = a["cycle"], a["live"], a["same"], a["given"]
    total = cycle["total"]
    part_names = [k for k in cycle if k not in ("total", "wall", "all")]
    # The cycle from parts each measured on its own: what runs in the fetch thread, the panes and the status line
    # (each timed where it runs), the composite of the changed panes (timed apart, "render alone"), and what every
    # refresh costs Textual whatever it brings: starting the worker, its messages, the status line's repaint (the
    # Textual part of the refresh that brings nothing new, in the same run).
    own_parts = ("fetch", "build", "market status, cache", "panes", "status line", "alerts", "other threads")
    overhead = same["Textual: messages, layout, composite"]
    accounted = sum(cycle[k] for k in own_parts) + a["composite_ms"] + overhead
    log(
        opts,
        f"refresh app: whole cycle {total:.1f} ms CPU ({cycle['wall']:.1f} ms wall): "
        + ", ".join(f"{k} {cycle[k]:.1f}" for k in part_names)
        + f"; render alone {a['render_ms']:.1f} ms ("
        + ", ".join(f"{k} {v:.1f}" for k, v in a["panes_ms"].items())
        + f", composite {a['composite_ms']:.1f}); live {live['total']:.1f} ms: "
        + ", ".join(f"{k} {live[k]:.1f}" for k in part_names)
        + f"; nothing new {same['total']:.1f} ms: "
        + ", ".join(f"{k} {same[k]:.1f}" for k in part_names)
        + f"; snapshots built beforehand {given['total']:.1f} ms: "
        + ", ".join(f"{k} {given[k]:.1f}" for k in part_names),
    )
    rows = [
        Row(
            NAME,
            "one full refresh, every pane changed (race, rotation, board), CPU",
            f"{total:.1f} ms ({spread(cycle['all'])})",
            f"≤ {TARGET_MS:g} ms",
            total <= TARGET_MS,
            total,
            "ms",
            TARGET_MS,
            {"parts": p, "app": a},
        ),
    ]
    for key in part_names:
        rows.append(Row(NAME, f"  {key}", f"{cycle[key]:.1f} ms", value=cycle[key], unit="ms"))
    rows.append(
        Row(
            NAME,
            "  parts measured apart: the cycle's own, the panes' composite, a refresh's messages",
            f"{accounted:.1f} ms = {accounted / total:.0%} of the cycle",
            "within 10 %",
            abs(accounted / total - 1) <= 0.10,
            accounted / total,
            "",
            1.0,
        )
    )

    def info(metric: str, value: float, figure: str = "") -> Row:
        return Row(NAME, metric, figure or f"{value:.1f} ms", value=value, unit="ms")

    rows += [
        info("  render alone: the panes' show_snapshot + composite", a["render_ms"]),
        *(info(f"    pane {k}", v) for k, v in a["panes_ms"].items()),
        info("    composite", a["composite_ms"]),
        info(
            "  fetch outside the app (replay, files parsed)",
            p["fetch_ms"],
            f"{p['fetch_ms']:.1f} ms ({spread(p['fetch_all'])})",
        ),
        info("  build_snapshot outside the app", p["build_ms"], f"{p['build_ms']:.1f} ms ({spread(p['build_all'])})"),
        info(
            "  live refresh: same closes, quotes and race moved (daily part reused), CPU",
            live["total"],
            f"{live['total']:.1f} ms ({spread(live['all'])})",
        ),
        info(
            "  refresh with nothing new (no pane redraws), CPU",
            same["total"],
            f"{same['total']:.1f} ms ({spread(same['all'])})",
        ),
        info(
            "  the full refresh with its snapshots built beforehand (all but the build), CPU",
            given["total"],
            f"{given['total']:.1f} ms ({spread(given['all'])}), {given['total'] / total:.0%} of the full refresh in "
            f"the same minutes: {TARGET_MS - given['total']:.1f} ms of the target left for a build of "
            f"{cycle['build']:.1f} ms",
        ),
        info("  cold fetch (CSV files parsed), once", p["cold_fetch_ms"], f"{p['cold_fetch_ms']:.0f} ms"),
    ]
    return rows
