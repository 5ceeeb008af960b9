"""What the real replay CSVs say, computed here the plain way (a loop over the rows), never by the analytics under
test: the expected values of the output-format and screenshot tests."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


def read_closes(replay_dir: Path, symbol: str, up_to: str) -> dict[str, float]:
    """Date (ISO) -> Close, for the rows on or before ``up_to``."""
    with open(replay_dir / f"{symbol}.csv", newline="", encoding="utf-8") as handle:
        return {row["Date"]: float(row["Close"]) for row in csv.DictReader(handle) if row["Date"] <= up_to}


@dataclass(frozen=True)
class Run:
    leader: str  # "small", "large", or "none" for a session the two indexes tied
    start: str
    end: str
    length: int
    end_index: int  # position of the end session among the common sessions


def pair_runs(replay_dir: Path, up_to: str, small: str = "^RUT", large: str = "^GSPC") -> tuple[list[Run], list]:
    """Runs of sessions won by the same index, oldest first, over the dates both have a close; and those sessions
    as (date, small close, large close)."""
    small_closes, large_closes = read_closes(replay_dir, small, up_to), read_closes(replay_dir, large, up_to)
    sessions = [(day, small_closes[day], large_closes[day]) for day in sorted(small_closes) if day in large_closes]
    runs: list[Run] = []
    for i in range(1, len(sessions)):
        day, small_close, large_close = sessions[i]
        _, small_before, large_before = sessions[i - 1]
        small_return, large_return = small_close / small_before - 1, large_close / large_before - 1
        leader = "small" if small_return > large_return else "large" if large_return > small_return else "none"
        if runs and runs[-1].leader == leader:
            last = runs[-1]
            runs[-1] = Run(leader, last.start, day, last.length + 1, i)
        else:
            runs.append(Run(leader, day, day, 1, i))
    return runs, sessions
