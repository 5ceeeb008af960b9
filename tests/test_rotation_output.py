"""The rotation map in the outputs: `--once --json` (``rotation``), the readable `--once` report, the snapshot
cache's read-back."""

from __future__ import annotations

import json

from tui.cli import main
from tui.model import snapshot_from_json


def test_json_carries_each_symbols_ratio_momentum_quadrant_and_tail(capsys, replay_dir, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[rotation]\ntail = 3\n")
    code = main(
        ["--source", f"replay:{replay_dir}", "--as-of", "2026-01-15", "--config", str(config), "--once", "--json"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    rotation = doc["rotation"]
    assert (rotation["period"], rotation["tail_length"]) == ("weekly", 3)
    symbols = [(s["symbol"], s["benchmark"]) for s in rotation["series"]]
    assert symbols[0] == ("^RUT", "^GSPC") and ("KRE", "^RUT") in symbols and len(symbols) == 11
    pair = rotation["series"][0]
    assert pair["quadrant"] == "leading" and pair["provisional"] is True  # Thursday: the week is not over
    assert [p["date"] for p in pair["tail"]] == ["2026-01-02", "2026-01-09", "2026-01-15"]
    assert (pair["ratio"], pair["momentum"]) == (pair["tail"][-1]["ratio"], pair["tail"][-1]["momentum"])
    assert (pair["completed"], pair["completed_on"]) == ("leading", "2026-01-09")
    # The snapshot cache reads the document back to the same map.
    assert snapshot_from_json(doc).rotation.series[0].tail[-1].ratio == pair["ratio"]


def test_readable_report_lists_the_rotation(capsys, replay_dir):
    assert main(["--source", f"replay:{replay_dir}", "--as-of", "2026-01-15", "--once"]) == 0
    out = capsys.readouterr().out
    assert "Rotation map (weekly; * the week in progress)" in out
    row = next(line for line in out.splitlines() if "PSCT" in line and "^RUT" in line)
    assert "Weakening*" in row and "101.31" in row
