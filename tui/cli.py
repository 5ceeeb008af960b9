"""Command line (SPEC §4): the monitor, or one snapshot to stdout with ``--once``.

Exit codes: 0 ok; 2 bad usage, bad config or bad input data (one clear line on stderr, no traceback); 3 no data
could be had at all.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import threading
from datetime import date
from pathlib import Path
from typing import NoReturn, Sequence

from tui import __version__
from tui.errors import StreakwatchError, UsageError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_DATA = 3
CLOSE_TIMEOUT = 2.0  # seconds exit waits for the source to close (a fetch may hang in a socket)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage dump
        self.exit(EXIT_USAGE, f"streakwatch: {message} (see streakwatch --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="streakwatch",
        description="A terminal monitor for the small-cap vs large-cap rotation (Russell 2000 vs S&P 500).",
    )
    parser.add_argument(
        "--source",
        default="auto",
        metavar="SRC",
        help="auto (default: Yahoo, else cache, else demo), yahoo, demo (SIMULATED), or replay:DIR (CSV per symbol)",
    )
    parser.add_argument("--as-of", metavar="DATE", type=_iso_date, help="watch a past day (replay or demo), YYYY-MM-DD")
    parser.add_argument("--config", metavar="FILE", type=Path, help="TOML config (default: the user config dir)")
    parser.add_argument("--cache", metavar="PATH", type=Path, help="SQLite cache file (default: the user cache dir)")
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument("--json", action="store_true", help="with --once: print the snapshot as JSON")
    parser.add_argument("--version", action="version", version=f"streakwatch {__version__}")
    return parser


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.json and not args.once:
            raise UsageError("--json goes with --once")
        return _run(args)
    except StreakwatchError as exc:
        print(f"streakwatch: {_one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    from tui.config import load_config
    from tui.data.factory import open_source, parse_source

    config = load_config(args.config)
    spec = parse_source(args.source)
    source, clock = open_source(spec, cache_path=args.cache, as_of=args.as_of, refresh=config.refresh)
    try:
        if args.once:
            return _print_once(source, config, as_json=args.json)
        from tui.app import StreakwatchApp
        from tui.snapshot_cache import SnapshotCache, source_key

        key = source_key(spec.kind, directory=spec.directory, as_of=args.as_of, cache_path=args.cache, config=config)
        # Everything imported so far lives as long as the process: out of the collector's way, so the full
        # collections that allocations set off while the first frame is built don't walk it again (~20 ms).
        gc.freeze()
        StreakwatchApp(source=source, config=config, clock=clock, snapshot_cache=SnapshotCache.for_key(key)).run()
        return EXIT_OK
    finally:
        close_quietly(source)


def close_quietly(source, timeout: float = CLOSE_TIMEOUT) -> None:
    """``source.close()`` in a daemon thread, waited for at most ``timeout`` seconds: a fetch hung in a socket
    (holding the source's lock) must not keep the process from exiting."""
    def close() -> None:
        try:
            source.close()
        except Exception:  # closing is best effort on the way out
            pass

    thread = threading.Thread(target=close, name="streakwatch-close", daemon=True)
    thread.start()
    thread.join(timeout)


def _print_once(source, config, *, as_json: bool) -> int:
    from tui.snapshot import build_snapshot

    data = source.fetch(config.symbols())
    snapshot = build_snapshot(data, config)
    if as_json:
        json.dump(snapshot.to_json(), sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        from tui.output.report import print_report

        print_report(snapshot)
    return EXIT_OK


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
