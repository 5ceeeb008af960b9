"""--once --format text|json|csv: the versioned JSON against docs/snapshot.schema.json, the two CSV tables against
the replay CSVs, and the option checks, exit codes, --version and --help of the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timezone

import jsonschema
import pytest

from tests.conftest import REPO
from tests.replay_truth import pair_runs, read_closes
from tui.cli import main

SCHEMA = json.loads((REPO / "docs" / "snapshot.schema.json").read_text(encoding="utf-8"))
JANUARY_STREAK = "2026-01-15"  # the 10th session of the small caps' 14-session streak of January 2026


def validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator().iter_errors(document)
    ]


def run_once(capsys, *args: str) -> str:
    code = main([*args, "--once"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


# -- JSON ---------------------------------------------------------------------------------------------------------
def test_replay_json_is_versioned_and_matches_the_schema(capsys, replay_dir):
    doc = json.loads(run_once(capsys, "--source", f"replay:{replay_dir}", "--as-of", JANUARY_STREAK, "--json"))
    assert list(doc)[0] == "schema_version" and doc["schema_version"] == 1
    assert doc["history"]["streaks"], "the schema must have met a non-empty history"
    assert schema_errors(doc) == []


def test_format_json_is_the_same_document_as_json(capsys, replay_dir):
    args = ("--source", f"replay:{replay_dir}", "--as-of", JANUARY_STREAK)
    by_flag = json.loads(run_once(capsys, *args, "--json"))
    by_format = json.loads(run_once(capsys, *args, "--format", "json"))
    by_flag["data"].pop("fetched_at"), by_format["data"].pop("fetched_at")  # the wall clock of each run
    assert by_flag == by_format


def test_open_session_json_with_todays_race_matches_the_schema():
    """The demo at a frozen 11:30 ET on a trading day: the provisional race is there, and valid."""
    from tui.config import Config
    from tui.data.demo import DemoSource
    from tui.output.formats import snapshot_document
    from tui.snapshot import build_snapshot

    open_session = datetime(2026, 1, 15, 16, 30, tzinfo=timezone.utc)
    source = DemoSource(lambda: open_session)
    config = Config()
    doc = json.loads(json.dumps(snapshot_document(build_snapshot(source.fetch(config.symbols()), config))))
    assert doc["provisional"] is not None and doc["provisional"]["session"] == "2026-01-15"
    assert schema_errors(doc) == []


def test_the_schema_is_strict_about_what_exists(capsys):
    """An unknown key, a missing one or a wrong type is refused: a schema that accepts anything checks nothing."""
    doc = json.loads(run_once(capsys, "--source", "demo", "--as-of", "2026-11-20", "--json"))
    assert schema_errors(doc) == []
    assert schema_errors({**doc, "surprise": 1}) != []
    assert schema_errors({key: value for key, value in doc.items() if key != "streak"}) != []
    assert schema_errors({**doc, "streak": {**doc["streak"], "length": "10"}}) != []
    assert schema_errors({**doc, "sectors": [{**doc["sectors"][0], "extra": None}]}) != []
    assert schema_errors({**doc, "schema_version": 2}) != []


# -- CSV ----------------------------------------------------------------------------------------------------------
def read_table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_sectors_csv_has_every_sector_with_its_figures(capsys, replay_dir):
    text = run_once(capsys, "--source", f"replay:{replay_dir}", "--as-of", JANUARY_STREAK, "--format", "csv",
                    "--table", "sectors")  # fmt: skip
    rows = read_table(text)
    assert text.splitlines()[0] == (
        "symbol,name,as_of,return_1d,return_5d,return_streak,return_1m,return_ytd,"
        "vs_small_1d,vs_small_5d,vs_small_streak,vs_small_1m,vs_small_ytd"
    )
    assert [row["symbol"] for row in rows] == [
        "KRE", "PSCI", "PSCH", "PSCD", "PSCT", "PSCF", "PSCE", "PSCM", "PSCU", "PSCC"
    ]  # fmt: skip
    kre = rows[0]
    assert (kre["name"], kre["as_of"]) == ("Regional Banks", JANUARY_STREAK)
    # From KRE.csv: 1D from the 14 Jan close; Streak and YTD from the 31 Dec 2025 close (the session before the
    # streak's first, 2 Jan, is also the last of 2025); vs ^RUT over the same dates.
    kre_closes = read_closes(replay_dir, "KRE", JANUARY_STREAK)
    rut = read_closes(replay_dir, "^RUT", JANUARY_STREAK)
    assert float(kre["return_1d"]) == pytest.approx(kre_closes["2026-01-15"] / kre_closes["2026-01-14"] - 1, abs=1e-12)
    streak_return = kre_closes["2026-01-15"] / kre_closes["2025-12-31"] - 1
    assert float(kre["return_streak"]) == pytest.approx(streak_return, abs=1e-12)
    assert float(kre["return_ytd"]) == pytest.approx(streak_return, abs=1e-12)
    rut_streak = rut["2026-01-15"] / rut["2025-12-31"] - 1
    assert float(kre["vs_small_streak"]) == pytest.approx((1 + streak_return) / (1 + rut_streak) - 1, abs=1e-12)


def test_history_csv_lists_every_long_streak_newest_first(capsys, replay_dir):
    text = run_once(capsys, "--source", f"replay:{replay_dir}", "--as-of", JANUARY_STREAK, "--format", "csv",
                    "--table", "history")  # fmt: skip
    rows = read_table(text)
    assert list(rows[0]) == [
        "leader", "start", "end", "length", "small_return", "large_return", "forward_20", "forward_60", "forward_120"
    ]  # fmt: skip
    runs, sessions = pair_runs(replay_dir, JANUARY_STREAK)
    long_runs = [run for run in reversed(runs) if run.leader != "none" and run.length >= 7]
    assert [(r["leader"], r["start"], r["end"], int(r["length"])) for r in rows] == [
        (run.leader, run.start, run.end, run.length) for run in long_runs
    ]
    assert (rows[0]["start"], rows[0]["end"], rows[0]["length"]) == ("2026-01-02", "2026-01-15", "10")
    assert (rows[0]["forward_20"], rows[0]["forward_60"], rows[0]["forward_120"]) == ("", "", "")  # not yet known
    # The first streak with a 20-session outcome: (1+R_small)/(1+R_large) - 1 from its end to 20 sessions later.
    run, row = next((run, row) for run, row in zip(long_runs, rows) if row["forward_20"])
    _, small_end, large_end = sessions[run.end_index]
    _, small_later, large_later = sessions[run.end_index + 20]
    expected = (small_later / small_end) / (large_later / large_end) - 1
    assert float(row["forward_20"]) == pytest.approx(expected, abs=1e-12)


def test_csv_cells_from_outside_are_plain(capsys, tmp_path, replay_dir):
    """A sector name from the config with an escape sequence and a line break: one clean cell, no control byte."""
    config = tmp_path / "c.toml"
    config.write_text('[[sectors]]\nsymbol = "KRE"\nname = "Banks\\u001b[31m red\\nnext"\n', encoding="utf-8")
    text = run_once(capsys, "--source", f"replay:{replay_dir}", "--as-of", JANUARY_STREAK, "--config", str(config),
                    "--format", "csv", "--table", "sectors")  # fmt: skip
    assert "\x1b" not in text
    assert [row["name"] for row in read_table(text)] == ["Banks red next"]


def test_csv_piped_into_a_reader_that_stops_early_exits_141_quietly():
    """`streakwatch --once --format csv ... | head -1`, when head has gone before the output comes: no traceback,
    the shell's status for SIGPIPE. (The reader's end is closed at once: the few kilobytes of a table would all
    fit in the pipe's buffer if it were closed after the first line, and the run would end 0, correctly.)"""
    options = "--source demo --as-of 2026-11-20 --once --format csv --table history".split()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO
    )
    process.stdout.close()  # long before the snapshot is built (imports alone take longer than this)
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == b""


# -- options, --version, --help -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--once", "--format", "csv"], "--format csv needs --table (history or sectors)"),
        (["--once", "--table", "sectors"], "--table goes with --format csv"),
        (["--once", "--format", "json", "--table", "history"], "--table goes with --format csv"),
        (["--once", "--json", "--format", "csv", "--table", "history"], "--json and --format csv disagree"),
        (["--format", "json"], "--format goes with --once"),
        (["--once", "--format", "xml"], "invalid choice: 'xml'"),
        (["--once", "--format", "csv", "--table", "risks"], "invalid choice: 'risks'"),
    ],
)
def test_output_options_that_mean_nothing_exit_2_with_one_line(capsys, args, message):
    try:
        code = main(["--source", "demo", *args])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_version_names_the_key_dependencies_without_importing_pandas():
    probe = (
        "import sys\nfrom tui.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit as exc:\n"
        "    print('exit', exc.code)\nprint('pandas imported:', 'pandas' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO)
    from importlib import metadata

    lines = result.stdout.splitlines()
    assert lines[0].startswith("streakwatch ") and lines[-2:] == ["exit 0", "pandas imported: False"]
    for name in ("textual", "pandas", "yfinance", "rich", "curl_cffi", "exchange_calendars"):
        assert f"{name} {metadata.version(name)}" in lines
    serve = [line for line in lines if line.startswith("textual-serve ")]
    assert len(serve) == 1  # the optional extra: its version, or how to install it


def test_help_shows_an_example_per_source_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    examples = out.split("examples, one per source:")[1]
    for source_example in ("streakwatch  ", "--source yahoo", "--source replay:DIR --as-of", "--source demo"):
        assert source_example in examples
    assert "--format csv --table sectors" in examples and "streakwatch serve" in examples
    codes = out.split("exit codes:")[1]
    for code in ("0 ", "2 ", "3 ", "129 130 143", "141 "):
        assert code in codes
