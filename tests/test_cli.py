"""The command line: --once output for each source, the JSON contract, and exit codes (SPEC §4)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO
from tui.cli import main


def run_json(capsys, *args: str) -> dict:
    code = main([*args, "--once", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_replay_json_matches_the_contract(capsys, replay_dir):
    doc = run_json(capsys, "--source", f"replay:{replay_dir}", "--as-of", "2026-01-15")
    assert doc["source"] == "replay" and doc["as_of"] == "2026-01-15"
    assert doc["pair"] == {"small": "^RUT", "large": "^GSPC", "name": "Russell 2000 vs S&P 500"}  # the board's name
    streak = doc["streak"]
    assert (streak["leader"], streak["length"]) == ("small", 10)
    assert (streak["start"], streak["end"]) == ("2026-01-02", "2026-01-15")
    assert streak["longest_since"] == {"end": "2008-06-06", "length": 13}
    assert streak["record_length"] == 16
    # Streak returns from the closes of the session before the start (2025-12-31) to the end.
    closes = {s: pd.read_csv(replay_dir / f"{s}.csv", index_col="Date")["Close"] for s in ("^RUT", "^GSPC")}
    for side, symbol in (("small", "^RUT"), ("large", "^GSPC")):
        expected = closes[symbol]["2026-01-15"] / closes[symbol]["2025-12-31"] - 1
        assert streak[f"{side}_return"] == pytest.approx(expected, abs=1e-6)
    assert doc["provisional"] is None
    spread = doc["spread"]
    assert spread["window"] == 60 and len(spread["dates"]) == len(spread["daily"]) == len(spread["relative"]) == 60
    assert spread["dates"][-1] == "2026-01-15" and spread["rs_5d"] > 0
    assert [s["symbol"] for s in doc["sectors"]][:3] == ["KRE", "PSCI", "PSCH"]
    for row in doc["sectors"]:
        assert set(row) >= {
            "symbol",
            "name",
            "return_1d",
            "return_5d",
            "return_streak",
            "return_1m",
            "return_ytd",
            "vs_small_streak",
        }
    assert all(row["as_of"] == "2026-01-15" for row in doc["sectors"])  # every ETF has a 2026-01-15 close
    risks = {r["id"]: r for r in doc["risks"]}
    assert list(risks) == ["economic", "rates", "quality", "volatility", "breadth", "valuation", "extension"]
    # Each measure, from the rows of the replay CSVs. The 20-session changes run from 2025-12-16 (20 rows before
    # 2026-01-15 in HYG.csv, IEF.csv, RSP.csv, SPY.csv and ^TNX.csv alike, no gaps) to 2026-01-15:
    # HYG 77.936638 -> 78.674873, IEF 94.377441 -> 94.448311: HYG/IEF (78.674873/94.448311) /
    # (77.936638/94.377441) - 1 = +0.87 %, above the -2 % watch line: ok.
    assert risks["economic"]["status"] == "ok"
    assert risks["economic"]["value"] == pytest.approx((78.674873 / 94.448311) / (77.936638 / 94.377441) - 1, abs=1e-9)
    assert risks["economic"]["detail"].startswith("HYG/IEF +0.9% over 20 sessions")
    # ^TNX 4.149 -> 4.160: +1.1 bp (watch above +25 bp).
    assert risks["rates"]["status"] == "ok" and risks["rates"]["value"] == pytest.approx(1.1, abs=1e-9)
    # Over the streak, from 2025-12-31 (the close before its start) to 2026-01-15: IWM 245.139938 -> 264.409760,
    # IJR 119.628738 -> 128.468018; IWM ahead by (264.409760/245.139938) / (128.468018/119.628738) - 1 = 0.44 %.
    assert risks["quality"]["status"] == "ok"
    iwm_ahead = (264.40976 / 245.139938) / (128.468018 / 119.628738) - 1
    assert risks["quality"]["value"] == pytest.approx(iwm_ahead, abs=1e-9)
    assert risks["volatility"]["status"] == "ok" and risks["volatility"]["value"] == pytest.approx(15.84, abs=0.01)
    # RSP 189.976105 -> 197.942703, SPY 673.291870 -> 688.580688: RSP/SPY +1.88 % (watch below -1 %).
    assert risks["breadth"]["status"] == "ok"
    rsp_spy = (197.942703 / 688.580688) / (189.976105 / 673.29187) - 1
    assert risks["breadth"]["value"] == pytest.approx(rsp_spy, abs=1e-9)
    assert risks["valuation"]["status"] == "unknown" and risks["valuation"]["as_of"] is None  # no P/E in a replay
    for rid in ("economic", "rates", "quality", "volatility", "breadth", "extension"):
        assert risks[rid]["as_of"] == "2026-01-15", rid
    assert doc["data"]["stale"] is False
    assert doc["history"]["min_length"] == 7


def test_demo_json_is_labelled_simulated(capsys):
    doc = run_json(capsys, "--source", "demo", "--as-of", "2026-11-20")
    assert doc["source"] == "demo" and doc["label"] == "SIMULATED" and doc["simulated"] is True
    assert doc["streak"]["length"] >= 1 and doc["as_of"] == "2026-11-20"


def test_readable_report_for_demo_says_simulated(capsys):
    assert main(["--source", "demo", "--as-of", "2026-11-20", "--once"]) == 0
    out = capsys.readouterr().out
    assert "SIMULATED" in out and "Streak" in out and "Risk checklist" in out


def test_outside_text_is_printed_literally(capsys, tmp_path, replay_dir):
    config = tmp_path / "c.toml"
    config.write_text('[[sectors]]\nsymbol = "KRE"\nname = "[b]Bk[/b]\\u001b[31m"\n', encoding="utf-8")
    assert main(["--source", f"replay:{replay_dir}", "--as-of", "2026-01-15", "--config", str(config), "--once"]) == 0
    out = capsys.readouterr().out
    assert "[b]Bk[/b]" in out and "\x1b" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nope"], "unknown --source"),
        (["--source", "replay:/definitely/not/here"], "not found"),
        (["--source", "replay"], "needs a folder"),
        (["--json"], "--json goes with --once"),
        (["--as-of", "2026-02-30"], "not a date"),
        (["--source", "yahoo", "--as-of", "2026-01-15", "--once"], "--as-of works with"),
        (["--config", "/definitely/not/here.toml", "--once"], "config file not found"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_usage_exits_2_with_one_line(capsys, args, message):
    assert exit_code(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def exit_code(args: list[str]) -> int:
    """main() returns its code; argparse's own errors leave through SystemExit."""
    try:
        return main(args)
    except SystemExit as exc:
        return exc.code


def test_as_of_outside_the_data_exits_2(capsys, replay_dir):
    assert main(["--source", f"replay:{replay_dir}", "--as-of", "2030-01-02", "--once"]) == 2
    assert "after the last date" in capsys.readouterr().err


def test_pair_without_common_sessions_exits_2(capsys, tmp_path):
    (tmp_path / "AAA.csv").write_text("Date,Close\n2026-01-05,10\n2026-01-06,11\n", encoding="utf-8")
    (tmp_path / "BBB.csv").write_text("Date,Close\n2026-02-05,10\n2026-02-06,11\n", encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text('[pair]\nsmall = "AAA"\nlarge = "BBB"\n', encoding="utf-8")
    assert main(["--source", f"replay:{tmp_path}", "--config", str(config), "--once"]) == 2
    assert "in common" in capsys.readouterr().err


def test_malformed_csv_exits_2_naming_file_and_line(capsys, tmp_path):
    (tmp_path / "^RUT.csv").write_text("Date,Close\n2026-01-05,10\n2026-01-06,abc\n", encoding="utf-8")
    (tmp_path / "^GSPC.csv").write_text("Date,Close\n2026-01-05,10\n2026-01-06,11\n", encoding="utf-8")
    assert main(["--source", f"replay:{tmp_path}", "--once"]) == 2
    err = capsys.readouterr().err
    assert "^RUT.csv" in err and "line 3" in err


def test_console_entry_points_run(tmp_path):
    """`python -m tui` works as a real process, and prints nothing but the JSON on stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--source", "demo", "--as-of", "2026-11-20", "--once", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["label"] == "SIMULATED"
    assert result.stderr == ""
