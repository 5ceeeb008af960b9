"""Issue 11: files that are not config or CSV files, and dates at the edges of what Python and pandas represent.

Each case is served or refused with one line on stderr and exit 2, never a traceback, and at a cost bounded by the
caps (256 KiB per config, 8 MiB per CSV), not by the file: endless devices, FIFOs and sparse gigabyte files are
refused before being read. The worst cases run as real processes under a 512 MiB address-space limit and a
timeout, so reading one of them whole would fail the test rather than the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.conftest import REPO
from tui.cli import main
from tui.config import load_config
from tui.data import market_clock
from tui.data.files import FileRefused, read_capped
from tui.errors import ConfigError, DataFormatError, UsageError

MEMORY_LIMIT = 512 * 2**20  # a Python running the monitor needs ~200 MiB of address space
TWO_GIB = 2 * 2**30


def run_limited(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    """``python -m tui ARGS`` under MEMORY_LIMIT of address space; the process and its wall time."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        preexec_fn=limit,
    )
    return result, time.monotonic() - started


def one_line(err: str) -> str:
    """The single stderr line of a refusal (no traceback, nothing else)."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("streakwatch: ") and "Traceback" not in err
    return lines[0]


def cli(capsys, *args: str) -> tuple[int, str]:
    """main(ARGS) in this process: the exit code and stderr."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    return code, capsys.readouterr().err


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def write_pair(folder, small_rows: str, large_rows: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "^RUT.csv").write_text("Date,Close\n" + small_rows, encoding="utf-8")
    (folder / "^GSPC.csv").write_text("Date,Close\n" + large_rows, encoding="utf-8")


# --- config files that are not config files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/dev/zero", "is a pipe, device or socket, not a regular file"),
        ("/dev/urandom", "is a pipe, device or socket, not a regular file"),
    ],
)
def test_endless_devices_as_config_are_refused_at_once(path, reason):
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    result, seconds = run_limited("--config", path, "--source", "demo", "--once")
    assert result.returncode == 2
    assert one_line(result.stderr) == f"streakwatch: {path}: {reason}"
    assert seconds < 20  # reading /dev/zero would not end; under the memory limit it would die with a traceback


def test_fifo_directory_and_sparse_file_as_config_are_refused(capsys, tmp_path, fifo):
    sparse = tmp_path / "huge.toml"
    with open(sparse, "wb") as f:
        f.truncate(TWO_GIB)  # no writer, no blocks: only reading it would cost
    cases = [
        (fifo, "is a pipe, device or socket, not a regular file"),  # opening it for reading would wait forever
        (tmp_path, "is a directory, not a file"),
        (sparse, "is 2 GiB, over the limit of 256 KiB"),
    ]
    for path, reason in cases:
        started = time.monotonic()
        code, err = cli(capsys, "--config", str(path), "--source", "demo", "--once")
        assert code == 2
        assert one_line(err) == f"streakwatch: {path}: {reason}"
        assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", 1),  # tomllib: RecursionError
        ("a = " + "{b = " * 40_000 + "1" + "}" * 40_000 + "\n", 1),
        ("[pair]\n" + "a" + ".a" * 100_000 + " = 1\n", 2),  # tomllib: every prefix of the key kept, memory n**2
        ("# a comment\n[" + "a." * 100_000 + "a]\n", 2),
        ("horizons = [\n" + "[\n" * 20 + "]\n" * 20 + "]\n", 17),  # spread over lines: still counted
    ],
    ids=["arrays", "inline-tables", "dotted-key", "table-header", "multi-line"],
)
def test_config_nested_thousands_deep_is_refused_before_parsing(tmp_path, text, line):
    path = tmp_path / "deep.toml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path} line {line}: nested too deeply (more than 16 levels of arrays, tables or dotted keys)"
    )
    assert time.monotonic() - started < 2


def test_brackets_dots_and_hashes_inside_strings_are_not_nesting(tmp_path):
    """The depth scan steps over every kind of string and comment, as TOML does."""
    deep = "[" * 40 + "." * 40
    text = (
        f"# {deep} a comment\n"
        f'[display]\ntheme = "{deep}\\" # {deep}"\n'
        f"[export]\ndirectory = '{deep}'\n"
        f'[[sectors]]\nsymbol = "KRE"\nname = """\n{deep}\n""{deep}\n"""\n'
        f"[[sectors]]\nsymbol = \"IWM\"\nname = '''{deep}\n{deep}'''\n"
    )
    path = tmp_path / "strings.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert config.display.theme == f'{deep}" # {deep}'
    assert config.export.directory == deep
    assert [s.name for s in config.sectors] == [f'{deep}\n""{deep}\n', f"{deep}\n{deep}"]


def test_a_number_of_thousands_of_digits_is_refused_in_one_line(capsys, tmp_path):
    path = tmp_path / "digits.toml"
    path.write_text("[risks]\nlookback = " + "9" * 5000 + "\n", encoding="utf-8")
    code, err = cli(capsys, "--config", str(path), "--source", "demo", "--once")
    assert code == 2
    assert one_line(err) == (
        f"streakwatch: {path}: not valid TOML: Exceeds the limit (4300 digits) for integer string conversion"
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[risks.volatility]\nwatch = nan\n", "risks.volatility.watch"),  # used to switch the rule off
        ("[refresh]\nopen_seconds = inf\n", "refresh.open_seconds"),  # used to crash the first paint
        ("[risks.extension_rsi]\nalert = -inf\n", "risks.extension_rsi.alert"),
    ],
)
def test_non_finite_config_values_exit_2_naming_key_and_file(capsys, tmp_path, text, key):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    code, err = cli(capsys, "--config", str(path), "--source", "demo", "--once")
    assert code == 2
    line = one_line(err)
    assert f"{path}: '{key}' must be a finite number" in line


# --- read_capped: the one bounded reader of user-named files --------------------------------------------------


def test_read_capped_stops_past_the_cap_when_the_size_is_unknown(tmp_path, monkeypatch):
    """A file whose size stat does not tell (/proc says 0) or that grows while read is still refused."""
    path = tmp_path / "grows.csv"
    path.write_bytes(b"x" * 10_000)
    real_fstat = os.fstat

    class NoSize:
        def __init__(self, result):
            self.st_mode, self.st_size = result.st_mode, 0

    monkeypatch.setattr(os, "fstat", lambda fd: NoSize(real_fstat(fd)))
    with pytest.raises(FileRefused, match=r"^is over the limit of 1000 bytes$"):
        read_capped(path, 1000)
    assert read_capped(path, 10_000) == b"x" * 10_000  # exactly at the cap: read whole


# --- replay CSVs that are not price files -------------------------------------------------------------------


def test_sparse_gigabyte_csv_is_refused_by_its_size_without_reading_it(tmp_path):
    write_pair(tmp_path, "2026-01-05,10\n2026-01-06,11\n", "2026-01-05,10\n2026-01-06,11\n")
    with open(tmp_path / "^RUT.csv", "r+b") as f:
        f.truncate(TWO_GIB)
    result, seconds = run_limited("--source", f"replay:{tmp_path}", "--once")
    assert result.returncode == 2
    assert one_line(result.stderr) == "streakwatch: ^RUT.csv: is 2 GiB, over the limit of 8 MiB"
    assert seconds < 30  # a whole read would need 2 GiB: over the limit, a MemoryError


def test_fifo_and_device_csvs_are_refused_without_blocking(tmp_path, fifo):
    with pytest.raises(DataFormatError, match=r"^pipe: is a pipe, device or socket, not a regular file$"):
        read_price_csv_timed(fifo)
    if os.path.exists("/dev/zero"):
        with pytest.raises(DataFormatError, match=r"^zero: is a pipe, device or socket, not a regular file$"):
            read_price_csv_timed("/dev/zero")


def read_price_csv_timed(path):
    from tui.data.csv_import import read_price_csv

    started = time.monotonic()
    try:
        return read_price_csv(path)
    finally:
        assert time.monotonic() - started < 5


def test_a_fifo_named_like_a_replay_file_is_not_taken_for_one(capsys, tmp_path):
    write_pair(tmp_path, "2026-01-05,10\n2026-01-06,11\n", "2026-01-05,10\n2026-01-06,11\n")
    (tmp_path / "^RUT.csv").unlink()
    os.mkfifo(tmp_path / "^RUT.csv")
    code, err = cli(capsys, "--source", f"replay:{tmp_path}", "--once")
    assert code == 2
    assert one_line(err) == f"streakwatch: no replay file for the pair (^RUT.csv) in {tmp_path}"


# --- dates at the edges -------------------------------------------------------------------------------------

CALENDAR = "is outside the dates the market calendar covers (1679-01-01 to 2260-12-31)"
LIVE = "--as-of works with --source replay:DIR and --source demo, not with live data"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1678-06-01", "2261-01-01"])
@pytest.mark.parametrize("source", ["replay", "demo", "yahoo", "auto"])
def test_as_of_beyond_the_calendar_is_refused_in_one_line_by_every_source(capsys, tmp_path, source, day):
    write_pair(tmp_path, "2026-01-05,10\n2026-01-06,11\n", "2026-01-05,10\n2026-01-06,12\n")
    spec = f"replay:{tmp_path}" if source == "replay" else source
    code, err = cli(capsys, "--source", spec, "--as-of", day, "--once", "--cache", str(tmp_path / "c.sqlite"))
    assert code == 2
    expected = LIVE if source in ("yahoo", "auto") else f"--as-of {day} {CALENDAR}"
    assert one_line(err) == f"streakwatch: {expected}"


def test_as_of_after_today_is_refused_by_every_source(capsys, tmp_path, monkeypatch):
    write_pair(tmp_path, "2026-01-05,10\n2026-01-06,11\n", "2026-01-05,10\n2026-01-06,12\n")
    # The command's clock, pinned (read apart from it, the real one could cross a midnight between the two): 04:30
    # UTC on Monday 30 Nov 2026 is still Sunday the 29th in New York, the day "today" means.
    monkeypatch.setattr("tui.data.factory.utc_now", lambda: datetime(2026, 11, 30, 4, 30, tzinfo=timezone.utc))
    today = date(2026, 11, 29)
    later = today + timedelta(days=1)  # already the date in UTC
    expected = {
        f"replay:{tmp_path}": f"--as-of {later} is after the last date in the data (2026-01-06)",
        "demo": f"--as-of {later} is in the future: the demo shows days up to today ({today})",
        "yahoo": LIVE,
        "auto": LIVE,
    }
    for spec, message in expected.items():
        code, err = cli(capsys, "--source", spec, "--as-of", later.isoformat(), "--once")
        assert (code, one_line(err)) == (2, f"streakwatch: {message}")


def test_demo_before_its_first_session_is_refused_and_after_it_served(capsys):
    code, err = cli(capsys, "--source", "demo", "--as-of", "1900-01-01", "--once")
    assert code == 2
    assert one_line(err) == "streakwatch: the demo simulates sessions from 2000-01-03: nothing to show as of 1900-01-01"
    code, err = cli(capsys, "--source", "demo", "--as-of", "2000-01-04", "--once", "--json")
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("rows", "args", "expected"),
    [
        # dates pandas cannot hold: refused by the reader, with the line
        ("0001-01-01,10\n2026-01-06,11\n", [], "^RUT.csv line 2: date '0001-01-01' is out of range"),
        ("2026-01-05,10\n9999-12-31,11\n", [], "^RUT.csv line 3: date '9999-12-31' is out of range"),
        # dates pandas holds but the market calendar does not: refused when the replay would stand on them
        ("1678-01-03,10\n1678-01-04,11\n", [], f"the last date in the data (1678-01-04) {CALENDAR}"),
        ("2261-12-28,10\n2261-12-29,11\n", [], f"the last date in the data (2261-12-29) {CALENDAR}"),
        (
            "2261-12-28,10\n2261-12-29,11\n",
            ["--as-of", "2100-01-05"],
            "--as-of 2100-01-05 is before the first date in the data (2261-12-28)",
        ),
    ],
)
def test_csv_dates_at_the_edges_are_refused_in_one_line(capsys, tmp_path, rows, args, expected):
    write_pair(tmp_path, rows, rows.replace(",1", ",2"))
    code, err = cli(capsys, "--source", f"replay:{tmp_path}", *args, "--once")
    assert code == 2
    assert one_line(err) == f"streakwatch: {expected}"


def test_csv_dates_far_ahead_are_served_as_of_their_day(capsys, tmp_path):
    days = ("2100-01-04", "2100-01-05", "2100-01-06")
    write_pair(
        tmp_path,
        "".join(f"{d},{c}\n" for d, c in zip(days, (10, 11, 12))),
        "".join(f"{d},{c}\n" for d, c in zip(days, (10, 12, 11))),
    )
    assert main(["--source", f"replay:{tmp_path}", "--as-of", "2100-01-05", "--once", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    doc = json.loads(out)
    assert doc["as_of"] == "2100-01-05"
    assert (doc["streak"]["leader"], doc["streak"]["length"]) == ("large", 1)  # 11/10 < 12/10 on 5 January


def test_a_refused_date_leaves_a_real_process_with_one_line():
    result, _ = run_limited("--source", "demo", "--as-of", "9999-12-31", "--once")
    assert result.returncode == 2
    assert one_line(result.stderr) == f"streakwatch: --as-of 9999-12-31 {CALENDAR}"
    assert result.stdout == ""


def test_market_clock_places_its_first_and_last_day_and_refuses_beyond():
    first = market_clock.market_status(market_clock.after_close(market_clock.FIRST_DAY))
    assert first.now.date() == date(1679, 1, 1)
    last = market_clock.market_status(market_clock.after_close(market_clock.LAST_DAY))
    assert last.last_completed <= date(2260, 12, 31)
    for day in (date(1, 1, 1), date(1678, 12, 31), date(2261, 1, 1), date(9999, 12, 31)):
        with pytest.raises(UsageError, match=rf"^{day} is outside the dates the market calendar covers"):
            market_clock.market_status(market_clock.after_close(day))
        with pytest.raises(UsageError, match="outside the dates the market calendar covers"):
            market_clock.session_dates(min(day, date(2000, 1, 3)), max(day, date(2000, 1, 3)))


def test_demo_world_never_reaches_past_the_calendar():
    from tui.data.demo import _horizon

    assert _horizon(date(2026, 11, 30)) == date(2027, 12, 31)
    assert _horizon(date(2260, 6, 1)) == market_clock.LAST_DAY
