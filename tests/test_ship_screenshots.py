"""`make screenshots` (tools/screenshots.py) draws the README's pictures: run it into a temporary folder and read the
pictures back as text, checked against what the replay CSVs say (tests/replay_truth.py), not against the code."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from tests.app_helpers import svg_text
from tests.conftest import REPO
from tests.replay_truth import pair_runs

PICTURES = (
    "monitor-replay-2026-01-15",
    "monitor-open-session",
    "history-2026-01-15",
    "rotation-2026-01-15",
    "pairs-2026-01-15",
)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, str]:
    from tests.conftest import REPLAY_DIR

    if not REPLAY_DIR.is_dir():
        pytest.skip(f"real market history not found at {REPLAY_DIR}")
    out = tmp_path_factory.mktemp("docs")
    result = subprocess.run(
        [sys.executable, "tools/screenshots.py", "--out", str(out), "--replay", str(REPLAY_DIR)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(path.stem for path in out.glob("*.svg")) == sorted(PICTURES)
    return {name: (out / f"{name}.svg").read_text(encoding="utf-8") for name in PICTURES}


def the_january_streak(replay_dir):
    """From ^RUT.csv and ^GSPC.csv: the current run on 15 Jan 2026, the small caps' record so far, and the last
    small-cap run at least as long as the current one before it."""
    runs, _ = pair_runs(replay_dir, "2026-01-15")
    current = runs[-1]
    earlier_small = [run for run in runs[:-1] if run.leader == "small"]
    record = max(run.length for run in [*earlier_small, current])
    longest_since = next(run for run in reversed(earlier_small) if run.length >= current.length)
    return current, record, longest_since


def test_the_replay_picture_is_the_january_2026_streak(pictures, replay_dir):
    current, record, longest_since = the_january_streak(replay_dir)
    assert (current.leader, current.start) == ("small", "2026-01-02")
    text = svg_text(pictures["monitor-replay-2026-01-15"])
    assert "REPLAY" in text and "^RUT vs ^GSPC" in text and "as of 15 Jan 2026" in text
    assert "Russell 2000 ahead" in text and "sessions in a row" in text and "since Fri 2 Jan 2026" in text
    # 6 Jun 2008 (13): written the way the pane writes a day, from the run found in the CSVs.
    end = date.fromisoformat(longest_since.end)
    assert f"Longest since {end.day} {end:%b %Y} ({longest_since.length})" in text
    assert f"Record  {record} sessions" in text
    for pane in ("1 Streak", "2 Spread", "3 Sector winners", "4 Risk checklist"):
        assert pane in text


def test_the_history_picture_names_the_streak_length_from_the_csv(pictures, replay_dir):
    current, _, _ = the_january_streak(replay_dir)
    text = svg_text(pictures["history-2026-01-15"])
    assert f"Russell 2000 has won {current.length} sessions in a row since Fri 2 Jan 2026" in text
    runs, _ = pair_runs(replay_dir, "2026-01-15")
    long_ones = sum(1 for run in runs if run.leader != "none" and run.length >= 7)
    assert f"Streaks of 7+ sessions: {long_ones}" in text


def test_the_open_session_picture_shows_a_provisional_race(pictures):
    text = svg_text(pictures["monitor-open-session"])
    assert "SIMULATED DATA" in text and "OPEN" in text and "as of 19 Nov 2026" in text
    assert "PROVISIONAL" in text and "11:30 ET" in text


def test_the_rotation_picture_is_the_map_with_its_quadrants(pictures):
    text = svg_text(pictures["rotation-2026-01-15"])
    assert "rotation map · weekly" in text
    for label in ("Leading", "Weakening", "Lagging", "Improving", "RUT/SPX", "KRE"):
        assert label in text, label


def test_the_pairs_picture_lists_the_board_with_the_january_streak(pictures, replay_dir):
    current, _, _ = the_january_streak(replay_dir)
    text = svg_text(pictures["pairs-2026-01-15"])
    row = next(line for line in text.splitlines() if "^RUT/^GSPC" in line)
    assert f" {current.length} " in row and "2 Jan" in row  # the streak found in the CSVs
    for pair in ("IWM/SPY", "RSP/SPY", "IWN/IWO", "IJH/SPY", "IWM/QQQ"):
        assert pair in text, pair
