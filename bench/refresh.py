"""Refresh cost: CPU time of one full refresh of the default universe — fetch (replay, files already parsed),
analytics (``build_snapshot``) and render (the panes updated and composited) — in-process, headless.

* parts, outside the app: ``time.process_time`` of ``source.fetch`` and of ``build_snapshot``;
* render: inside a headless app (120×40), ``show_snapshot`` on every pane with a snapshot that differs in every
  pane (two replay days alternate), until the screen is composited;
* total: the app's own cycle — ``start_refresh`` → worker thread fetch+build → message → panes → composited —
  measured with ``process_time`` (all threads of the process), again alternating the replay day so every pane
  really redraws.

Medians of repeats. Also reported once: the cold fetch, when the CSV files are parsed for the first time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date

from bench.common import REPLAY_AS_OF, REPLAY_DIR, Opts, Row, log, median, spread

NAME = "refresh"
TARGET_MS = 50.0
DAYS = (date.fromisoformat(REPLAY_AS_OF), date(2026, 1, 14))


def parts(repeats: int) -> dict[str, float]:
    from tui.config import Config
    from tui.data.replay import ReplaySource
    from tui.snapshot import build_snapshot

    config = Config()
    symbols = config.symbols()
    source = ReplaySource(REPLAY_DIR, as_of=DAYS[0])
    t0 = time.process_time()
    data = source.fetch(symbols)
    cold = time.process_time() - t0
    build_snapshot(data, config)
    fetch_t, build_t = [], []
    for i in range(repeats):
        source.set_as_of(DAYS[i % 2])
        t0 = time.process_time()
        data = source.fetch(symbols)
        t1 = time.process_time()
        build_snapshot(data, config)
        t2 = time.process_time()
        fetch_t.append(t1 - t0)
        build_t.append(t2 - t1)
    return {
        "cold_fetch_ms": cold * 1000,
        "fetch_ms": median(fetch_t) * 1000,
        "build_ms": median(build_t) * 1000,
        "fetch_all": [x * 1000 for x in fetch_t],
        "build_all": [x * 1000 for x in build_t],
    }


async def in_app(repeats: int) -> dict[str, float]:
    from bench.headless import SIZE, make_app, wait_for_snapshot
    from tui.config import Config
    from tui.data.base import frozen_clock
    from tui.data.factory import after_close
    from tui.data.replay import ReplaySource
    from tui.snapshot import build_snapshot

    config = Config()
    source = ReplaySource(REPLAY_DIR, as_of=DAYS[0])
    snaps = []
    for day in DAYS:
        source.set_as_of(day)
        snaps.append(build_snapshot(source.fetch(config.symbols()), config))
    source.set_as_of(DAYS[0])
    app = make_app(source, config, frozen_clock(after_close(DAYS[0])))
    render_t: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        snap = await wait_for_snapshot(app, pilot, None, timeout=60)
        if snap is None:
            raise RuntimeError("the app showed no snapshot within 60 s")
        await pilot.pause()
        # Render only: hand every pane a snapshot that differs from what it shows, wait for the composite.
        for i in range(repeats + 1):
            new = snaps[(i + 1) % 2]
            t0 = time.process_time()
            for pane in app.panes():
                pane.show_snapshot(new)
            await pilot.pause()
            if i:
                render_t.append(time.process_time() - t0)
        # The app's own cycle, worker thread included: every pane changes (the day alternates) ...
        cycle_t = await cycles(app, pilot, source, repeats, alternate=True)
        # ... and the everyday case: a refresh that brings nothing new (same day), so no pane redraws.
        same_t = await cycles(app, pilot, source, repeats, alternate=False)
        await pilot.press("q")
    return {
        "render_ms": median(render_t) * 1000,
        "cycle_ms": median(c for c, _ in cycle_t) * 1000,
        "cycle_wall_ms": median(w for _, w in cycle_t) * 1000,
        "unchanged_ms": median(c for c, _ in same_t) * 1000,
        "render_all": [x * 1000 for x in render_t],
        "cycle_all": [c * 1000 for c, _ in cycle_t],
        "unchanged_all": [c * 1000 for c, _ in same_t],
    }


async def cycles(app, pilot, source, repeats: int, *, alternate: bool) -> list[tuple[float, float]]:
    from bench.headless import wait_for_snapshot

    out = []
    for i in range(repeats + 1):
        if alternate:
            source.set_as_of(DAYS[(i + 1) % 2])
        old = app.snapshot
        await pilot.pause()
        t0 = time.process_time()
        w0 = time.perf_counter()
        if not app.start_refresh():
            raise RuntimeError("start_refresh refused (a refresh is already running)")
        got = await wait_for_snapshot(app, pilot, old, timeout=30)
        if got is None:
            raise RuntimeError("refresh did not complete within 30 s")
        if i:
            out.append((time.process_time() - t0, time.perf_counter() - w0))
    return out


def run(opts: Opts) -> list[Row]:
    repeats = opts.repeats(21, 7)
    p = parts(repeats)
    log(
        opts,
        f"refresh parts: fetch {p['fetch_ms']:.1f} ms, build_snapshot {p['build_ms']:.1f} ms "
        f"(cold fetch {p['cold_fetch_ms']:.0f} ms)",
    )
    rows_parts = [
        Row(
            NAME,
            "  fetch (replay, files parsed)",
            f"{p['fetch_ms']:.1f} ms ({spread(p['fetch_all'])})",
            value=p["fetch_ms"],
            unit="ms",
        ),
        Row(
            NAME,
            "  build_snapshot (all analytics)",
            f"{p['build_ms']:.1f} ms ({spread(p['build_all'])})",
            value=p["build_ms"],
            unit="ms",
        ),
    ]
    try:
        a = asyncio.run(in_app(repeats))
    except Exception as exc:  # the app is not usable headless: report the parts we have
        log(opts, f"refresh: app cycle failed: {type(exc).__name__}: {exc}")
        total = p["fetch_ms"] + p["build_ms"]
        return [
            Row(
                NAME,
                "one full refresh, CPU (fetch+analytics; render n/a)",
                f"{total:.1f} ms + render n/a",
                f"< {TARGET_MS:g} ms",
                None,
                total,
                "ms",
                TARGET_MS,
                {"parts": p, "error": str(exc)},
            ),
            *rows_parts,
        ]
    log(
        opts,
        f"refresh app: render {a['render_ms']:.1f} ms, whole cycle {a['cycle_ms']:.1f} ms CPU "
        f"({a['cycle_wall_ms']:.1f} ms wall); unchanged data {a['unchanged_ms']:.1f} ms",
    )
    total = a["cycle_ms"]
    return [
        Row(
            NAME,
            "one full refresh, CPU (fetch+analytics+render)",
            f"{total:.1f} ms ({spread(a['cycle_all'])})",
            f"< {TARGET_MS:g} ms",
            total < TARGET_MS,
            total,
            "ms",
            TARGET_MS,
            {"parts": p, "app": a},
        ),
        *rows_parts,
        Row(
            NAME,
            "  render (4 panes updated + composited)",
            f"{a['render_ms']:.1f} ms ({spread(a['render_all'])})",
            value=a["render_ms"],
            unit="ms",
        ),
        Row(
            NAME,
            "  refresh with nothing new (no pane redraws), CPU",
            f"{a['unchanged_ms']:.1f} ms ({spread(a['unchanged_all'])})",
            value=a["unchanged_ms"],
            unit="ms",
        ),
        Row(
            NAME,
            "  cold fetch (CSV files parsed), once",
            f"{p['cold_fetch_ms']:.0f} ms",
            value=p["cold_fetch_ms"],
            unit="ms",
        ),
    ]
