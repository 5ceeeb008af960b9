"""The README's pictures, drawn by the monitor itself: `make screenshots` (SVG into docs/).

Each picture is one entry of SHOTS: the source and frozen clock it runs on, the keys pressed once its data is on
screen, and the file it goes to. Every clock is frozen, so a rerun draws the same pictures from the same data; a new
screen (a pane, a chart) gets its picture by adding one entry here and rerunning `make screenshots`.

Usage: python tools/screenshots.py [--out DIR] [--replay DIR] [--only NAME ...]
(the replay defaults to ../shared/data/market/replay, beside the repository, as the tests find it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere: the package and the tests' helpers beside it

from tests.app_helpers import quiet, settle  # noqa: E402 - the one settle-before-a-picture, shared with the tests
from tui.config import Config  # noqa: E402
from tui.data.factory import open_source, parse_source  # noqa: E402

SIZE = (120, 40)  # columns x rows: the size the layout is designed at
DEFAULT_REPLAY = REPO.parent / "shared" / "data" / "market" / "replay"
JANUARY_2026 = date(2026, 1, 15)  # the 10th session of the Russell 2000's 14-session streak of January 2026
# Friday 20 Nov 2026, 11:30 in New York: the market is open, and the demo's pinned small-cap streak is running.
OPEN_SESSION = datetime(2026, 11, 20, 16, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Shot:
    name: str  # the file: docs/NAME.svg
    title: str  # the SVG's window title
    source: Callable[[Path], str]  # the --source, given the replay folder
    as_of: date | None = None
    clock: datetime | None = None  # None: the source's own (a replay's frozen close)
    keys: tuple[str, ...] = ()  # pressed in turn once the data is on screen
    needs_replay: bool = False


SHOTS = (
    Shot(
        "monitor-replay-2026-01-15",
        "streakwatch — replay of 15 Jan 2026",
        lambda replay: f"replay:{replay}",
        as_of=JANUARY_2026,
        needs_replay=True,
    ),
    Shot(
        "monitor-open-session",
        "streakwatch — demo, market open (11:30 ET)",
        lambda replay: "demo",
        clock=OPEN_SESSION,
    ),
    Shot(
        "history-2026-01-15",
        "streakwatch — streak history, 15 Jan 2026",
        lambda replay: f"replay:{replay}",
        as_of=JANUARY_2026,
        keys=("h",),
        needs_replay=True,
    ),
    Shot(
        "rotation-2026-01-15",
        "streakwatch — rotation map, 15 Jan 2026",
        lambda replay: f"replay:{replay}",
        as_of=JANUARY_2026,
        keys=("3", "v", "m"),
        needs_replay=True,
    ),
    Shot(
        "pairs-2026-01-15",
        "streakwatch — board of pairs, 15 Jan 2026",
        lambda replay: f"replay:{replay}",
        as_of=JANUARY_2026,
        keys=("b",),
        needs_replay=True,
    ),
)


async def draw(shot: Shot, replay: Path) -> str:
    """Run the monitor headless on the shot's data, press its keys, and return the screen as SVG."""
    from tui.app import StreakwatchApp

    frozen = None if shot.clock is None else (lambda: shot.clock)
    source, clock = open_source(parse_source(shot.source(replay)), as_of=shot.as_of, clock=frozen)
    app = StreakwatchApp(source=source, config=Config(), clock=clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for key in shot.keys:
                await pilot.press(key)
                await quiet(pilot)
            return app.export_screenshot(title=shot.title)
    finally:
        source.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="folder for the SVGs (default: docs/)")
    parser.add_argument("--replay", type=Path, default=DEFAULT_REPLAY, help="folder of the real daily CSVs")
    parser.add_argument("--only", nargs="+", choices=[shot.name for shot in SHOTS], help="draw only these")
    args = parser.parse_args(argv)
    shots = [shot for shot in SHOTS if not args.only or shot.name in args.only]
    if any(shot.needs_replay for shot in shots) and not args.replay.is_dir():
        parser.exit(2, f"screenshots: the real market history is not at {args.replay} (give --replay DIR)\n")
    args.out.mkdir(parents=True, exist_ok=True)
    for shot in shots:
        path = args.out / f"{shot.name}.svg"
        path.write_text(asyncio.run(draw(shot, args.replay)), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
