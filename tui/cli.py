"""Command line (SPEC §4): the monitor, one snapshot to stdout with ``--once``, or ``serve`` (tui/serve.py).

Exit codes (EXIT_CODES below, shown by --help and in the README): 0 ok; 2 bad usage, bad config or bad input data
(one clear line on stderr, no traceback); 3 no data could be had at all; 128 + the signal's number when SIGTERM
(143), SIGHUP (129) or SIGINT (130) ended it; 141 when the reader of ``--once``'s output closed the pipe.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

from tui import __version__, collector
from tui.errors import QUIT_SIGNALS, Interrupted, StreakwatchError, UsageError, signal_exit_code
from tui.output.formats import CSV_TABLES, FORMATS
from tui.textsafe import plain

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_DATA = 3
CLOSE_TIMEOUT = 2.0  # seconds exit waits for the source to close (a fetch may hang in a socket)

EXIT_CODES = """exit codes:
  0            ok
  2            bad usage, config or input data (one line on stderr)
  3            no data could be had (no answer from the source, no cache)
  129 130 143  ended by SIGHUP, SIGINT, SIGTERM (128 + the signal's number), the terminal given back
  141          the program reading --once's output closed the pipe early (as SIGPIPE would)"""

EXAMPLES = """examples, one per source:
  streakwatch                                        auto: Yahoo, else the cache, else the demo (labelled)
  streakwatch --source yahoo                         live Yahoo Finance data only
  streakwatch --source replay:DIR --as-of 2026-01-15 a folder of CSVs (^RUT.csv, ^GSPC.csv ...) on a past day
  streakwatch --source demo                          the offline simulation, labelled SIMULATED
  streakwatch --once --json --source demo            one snapshot as JSON (schema: docs/snapshot.schema.json)
  streakwatch --once --format csv --table sectors    the sector table as CSV
  streakwatch serve --source demo                    the monitor in a web browser (pip install 'streakwatch[serve]')"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage dump
        # The message echoes what was typed ("unrecognized arguments: ..."), escape sequences and all.
        self.exit(EXIT_USAGE, f"streakwatch: {plain(message)} (see streakwatch --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="streakwatch",
        description="A terminal monitor for the small-cap vs large-cap rotation (Russell 2000 vs S&P 500).\n"
        "`streakwatch serve --help` for the browser view.",
        epilog=f"{EXAMPLES}\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_options(parser)
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="with --once: text (default: the four panes as tables), json (one object, with schema_version), "
        "or csv (one table, chosen by --table)",
    )
    parser.add_argument(
        "--table",
        choices=CSV_TABLES,
        help="with --format csv: history (every streak of history.min_length+ sessions, newest first, with what "
        "followed it) or sectors (the sector table)",
    )
    parser.add_argument("--json", action="store_true", help="with --once: the same as --format json")
    parser.add_argument(
        "--version", action=_VersionAction, help="show the versions of streakwatch and its dependencies, then exit"
    )
    return parser


class _VersionAction(argparse.Action):
    """argparse's "version" action, with the text gathered only when asked for (it reads package metadata)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser, namespace, values, option_string=None) -> NoReturn:  # type: ignore[override]
        print(version_text())  # on stdout, like argparse's own version action (parser.exit writes to stderr)
        parser.exit(EXIT_OK)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """The options that say what to watch: shared by the monitor, ``--once`` and ``serve``."""
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


# "name[extra] >= 1.0 ; extra == 'serve'": the distribution name, and the extra it belongs to, if any.
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_REQUIREMENT_EXTRA = re.compile(r"extra\s*==\s*[\"']([^\"']+)[\"']")
_VERSION_EXTRAS = ("serve",)  # optional features whose presence --version reports; test and lint tools are not


def version_text() -> str:
    """``streakwatch X`` and the installed version of each dependency the package declares (and of the optional
    ``serve`` extra's), read from the installed metadata: nothing is imported, so pandas costs no start-up here."""
    from importlib import metadata  # ~20 ms of imports (email, zipfile): only for --version

    lines = [f"streakwatch {__version__}", f"Python {sys.version.split()[0]}"]
    try:
        requirements = metadata.requires("streakwatch") or []
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "\n".join([*lines, "(not installed as a package: dependency versions unknown)"])
    for requirement in requirements:
        name, extra = _REQUIREMENT_NAME.match(requirement), _REQUIREMENT_EXTRA.search(requirement)
        if name is None or (extra is not None and extra.group(1) not in _VERSION_EXTRAS):
            continue
        try:
            lines.append(f"{name.group(1)} {metadata.version(name.group(1))}")
        except metadata.PackageNotFoundError:
            hint = f" (optional: pip install 'streakwatch[{extra.group(1)}]')" if extra else ""
            lines.append(f"{name.group(1)} not installed{hint}")
    return "\n".join(lines)


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


def build_serve_parser() -> argparse.ArgumentParser:
    from tui.serve import DEFAULT_HOST, DEFAULT_PORT

    parser = _Parser(
        prog="streakwatch serve",
        description="Serve the monitor to a web browser (textual-serve; pip install 'streakwatch[serve]'). Each "
        "browser tab runs its own monitor with the options below. The page needs nothing from the internet.",
        epilog="examples:\n"
        "  streakwatch serve --source demo                      http://127.0.0.1:8000 on this machine only\n"
        "  streakwatch serve --host 0.0.0.0 --port 8080 --public-url http://HOST:8080\n"
        "                                                       anyone who can reach the machine (warned)\n\n"
        f"{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_options(parser)
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}, this machine only); any other address is reachable "
        "by others, who can then use the monitor: a warning says so",
    )
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL browsers reach the server at, when it is not http://HOST:PORT (a proxy, a wildcard --host)",
    )
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (1-65535): {text!r}")
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    """Check the monitor's options here, where a mistake can be said on the command line, then serve."""
    from tui.config import load_config
    from tui.data.factory import parse_source
    from tui.serve import serve

    config = load_config(args.config)
    parse_source(args.source)
    options = ["--source", args.source]
    if args.pair is not None:
        config.find_pair(args.pair)  # a pair the board does not have is said here, not in every browser tab
        options += ["--pair", args.pair]
    if args.as_of is not None:
        options += ["--as-of", args.as_of.isoformat()]
    if args.config is not None:
        options += ["--config", str(args.config.resolve())]
    if args.cache is not None:
        options += ["--cache", str(args.cache.resolve())]
    return serve(options, host=args.host, port=args.port, public_url=args.public_url)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with quit_signals_raise():
        try:
            serving = argv[:1] == ["serve"]  # the browser view (tui/serve.py), with options of its own
            args = build_serve_parser().parse_args(argv[1:]) if serving else build_parser().parse_args(argv)
            try:
                if serving:
                    return _serve(args)
                check_output_options(args)
                return _run(args)
            except StreakwatchError as exc:
                print(f"streakwatch: {plain(exc)}", file=sys.stderr)  # it quotes paths, keys, CSV cells
                return exc.exit_code
        except Interrupted as exc:  # the source was closed on the way here (the finally in _run)
            return exc.exit_code
        except KeyboardInterrupt:  # a SIGINT that reached Python's own handler (main called from a thread)
            return signal_exit_code(signal.SIGINT)
        except BrokenPipeError:  # `streakwatch --once ... | head -3`: the reader has all it wanted
            return reader_gone()


def reader_gone() -> int:
    """The program reading stdout closed it: stop quietly with the shell's status for SIGPIPE (141), as `cat`
    would. Stdout is pointed at /dev/null first, so the interpreter's own flush at exit has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor behind stdout (a test's capture): nothing to flush
        pass
    return signal_exit_code(signal.SIGPIPE)


def check_output_options(args: argparse.Namespace) -> None:
    """Settle ``args.format`` (``--json`` is ``--format json``) and refuse combinations that mean nothing."""
    if args.json:
        if args.format not in (None, "json"):
            raise UsageError(f"--json and --format {args.format} disagree: give one of them")
        args.format = "json"
    if args.json and not args.once:
        raise UsageError("--json goes with --once")
    if args.format is not None and not args.once:
        raise UsageError("--format goes with --once")
    if args.format == "csv" and args.table is None:
        raise UsageError(f"--format csv needs --table ({' or '.join(CSV_TABLES)}): one table per run")
    if args.table is not None and args.format != "csv":
        raise UsageError("--table goes with --format csv")


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
    if args.once:
        return _run_source(args)
    collector.hold()  # until the monitor's first frame (tui/collector.py)
    try:
        return _run_source(args)
    finally:
        collector.release()  # (the first frame already did, unless the monitor never got that far)


def _run_source(args: argparse.Namespace) -> int:
    from tui.config import load_config
    from tui.data.factory import open_source, parse_source

    config = load_config(args.config)
    if args.pair is not None:
        config = config.with_active_pair(config.find_pair(args.pair))
    spec = parse_source(args.source)
    from tui.data import market_clock, xnys_schedule

    market_clock.use_schedule_file(xnys_schedule.default_path())  # later starts skip exchange_calendars
    source, clock = open_source(
        spec, cache_path=args.cache, as_of=args.as_of, refresh=config.refresh, premarket=config.premarket
    )
    try:
        if args.once:
            return _print_once(source, config, output=args.format or "text", table=args.table)
        from tui.app import StreakwatchApp
        from tui.snapshot_cache import SnapshotCache, source_key

        key = source_key(spec.kind, directory=spec.directory, as_of=args.as_of, cache_path=args.cache, config=config)
        # Everything imported so far lives as long as the process: out of the collector's way, so that once it
        # runs again (after the first frame) it never walks these objects again.
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


def _print_once(source, config, *, output: str, table: str | None) -> int:
    from tui.output.formats import write_csv, write_json
    from tui.snapshot import build_snapshot

    data = fetch_interruptibly(source, config.symbols())
    snapshot = build_snapshot(data, config)
    if output == "json":
        write_json(snapshot, sys.stdout)
    elif output == "csv":
        assert table is not None  # check_output_options
        write_csv(snapshot, table, sys.stdout)
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
