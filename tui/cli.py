"""Command line (SPEC §4): the monitor, or one snapshot to stdout with ``--once``.

Exit codes: 0 ok; 2 bad usage, bad config or bad input data (one clear line on stderr, no traceback); 3 no data
could be had at all; 128 + the signal's number when SIGTERM (143), SIGHUP (129) or SIGINT (130) ended it.
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

from tui import __version__
from tui.errors import QUIT_SIGNALS, Interrupted, StreakwatchError, UsageError, signal_exit_code
from tui.textsafe import plain

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_DATA = 3
CLOSE_TIMEOUT = 2.0  # seconds exit waits for the source to close (a fetch may hang in a socket)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage dump
        # The message echoes what was typed ("unrecognized arguments: ..."), escape sequences and all.
        self.exit(EXIT_USAGE, f"streakwatch: {plain(message)} (see streakwatch --help)\n")


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
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        type=_iso_date,
        help="watch a past day (replay or demo), YYYY-MM-DD, or a moment of it, YYYY-MM-DDTHH:MM (New York time)",
    )
    parser.add_argument("--config", metavar="FILE", type=Path, help="TOML config (default: the user config dir)")
    parser.add_argument("--cache", metavar="PATH", type=Path, help="SQLite cache file (default: the user cache dir)")
    parser.add_argument(
        "--pair", metavar="NAME|N", help="start on this pair of the board: its number, name or SMALL/LARGE"
    )
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument("--json", action="store_true", help="with --once: print the snapshot as JSON")
    parser.add_argument("--version", action="version", version=f"streakwatch {__version__}")
    return parser


def _iso_date(text: str) -> date:
    """A day, or (with a time) a moment of it: a ``datetime``, which is a ``date`` too (see open_source)."""
    try:
        if "T" in text:
            return datetime.fromisoformat(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM): {text!r}"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    with quit_signals_raise():
        try:
            args = build_parser().parse_args(argv)
            try:
                if args.json and not args.once:
                    raise UsageError("--json goes with --once")
                return _run(args)
            except StreakwatchError as exc:
                print(f"streakwatch: {plain(exc)}", file=sys.stderr)  # it quotes paths, keys, CSV cells
                return exc.exit_code
        except Interrupted as exc:  # the source was closed on the way here (the finally in _run)
            return exc.exit_code
        except KeyboardInterrupt:  # a SIGINT that reached Python's own handler (main called from a thread)
            return signal_exit_code(signal.SIGINT)


@contextmanager
def quit_signals_raise() -> Iterator[None]:
    """Outside the monitor's event loop (``--once``, start-up, the way out), SIGTERM, SIGHUP and SIGINT raise
    :class:`Interrupted`: the stack unwinds through every ``finally`` (the source is closed) and ``main`` returns
    128 + the signal's number, without a traceback. While the monitor runs, the app takes them over and quits as
    on `q` (``StreakwatchApp._take_quit_signals``), then hands them back to this handler. The handlers from
    before are put back at the end (``main`` may run inside another program, such as the tests)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal.signal works only in the main thread
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, interrupt) for signum in QUIT_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _run(args: argparse.Namespace) -> int:
    from tui.config import load_config
    from tui.data.factory import open_source, parse_source

    config = load_config(args.config)
    if args.pair is not None:
        config = config.with_active_pair(config.find_pair(args.pair))
    spec = parse_source(args.source)
    source, clock = open_source(
        spec, cache_path=args.cache, as_of=args.as_of, refresh=config.refresh, premarket=config.premarket
    )
    try:
        if args.once:
            return _print_once(source, config, as_json=args.json)
        from tui.app import StreakwatchApp
        from tui.snapshot_cache import SnapshotCache, source_key

        key = source_key(spec.kind, directory=spec.directory, as_of=args.as_of, cache_path=args.cache, config=config)
        # Everything imported so far lives as long as the process: out of the collector's way, so the full
        # collections that allocations set off while the first frame is built don't walk it again (~20 ms).
        gc.freeze()
        app = StreakwatchApp(source=source, config=config, clock=clock, snapshot_cache=SnapshotCache.for_key(key))
        app.run()
        return app.return_code or EXIT_OK  # 128 + N after a quit signal
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

    data = fetch_interruptibly(source, config.symbols())
    snapshot = build_snapshot(data, config)
    if as_json:
        # ensure_ascii escapes every control, format and non-ASCII character as \uXXXX: the text stays whole for
        # the program that reads it, and no byte of it can act on a terminal.
        json.dump(snapshot.to_json(), sys.stdout, indent=2, allow_nan=False, ensure_ascii=True)
        sys.stdout.write("\n")
    else:
        from tui.output.report import print_report

        print_report(snapshot)
    return EXIT_OK


def fetch_interruptibly(source, symbols: Sequence[str]):
    """``source.fetch(symbols)`` in a daemon thread while the main thread waits for it.

    A fetch blocked in C (curl retries a system call a signal interrupts) would hold a quit signal's handler
    back until its timeout; a waiting ``join`` runs it at once. The signal's :class:`Interrupted` then unwinds
    the main thread (``_run`` closes the source) and the abandoned fetch thread ends with the process.
    """
    outcome: dict[str, object] = {}

    def fetch() -> None:
        try:
            outcome["data"] = source.fetch(symbols)
        except BaseException as exc:  # noqa: BLE001 - raised again in the main thread below
            outcome["error"] = exc

    thread = threading.Thread(target=fetch, name="streakwatch-once-fetch", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["data"]


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
