"""Streaks (SPEC §1): runs of consecutive sessions won by the same side, and the current one.

Runs are found without a loop over sessions: a run starts wherever the winner differs from the previous
session's winner, so the start positions are one ``flatnonzero`` away and the ends follow from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tui.analytics.sessions import winners
from tui.model import LongestSince, Side, Streak, StreakRun

# Indexed by winner + 1 (winner is -1, 0 or 1). A pandas array of the dtype a column of these strings gets, so
# the leader column is a take from it rather than thousands of Python strings for pandas to infer a dtype from.
_LEADERS = pd.Series(["large", "none", "small"]).array
#: A run's leader by its name or by its winner code (see :func:`run_columns`).
_SIDE: dict[Any, Side] = {"large": "large", "none": "none", "small": "small", -1: "large", 0: "none", 1: "small"}


def streak_runs(sessions: pd.DataFrame) -> pd.DataFrame:
    """Every run of consecutive same-winner sessions in ``sessions`` (from :func:`pair_sessions`), oldest first.

    Columns: ``leader`` ("small", "large", or "none" for a run of ties), ``start``/``end`` (Timestamps of its
    first and last session), ``length`` (sessions), ``small_return``/``large_return`` (each side's cumulative
    return from the close of the session before ``start`` to the close of ``end``, taken from the closes), and
    ``start_pos``/``end_pos`` (row positions of start and end in ``sessions``, for later look-ups).
    """
    if len(sessions) < 2:
        return _empty_runs()
    columns = run_columns(
        winners(sessions),
        sessions["small_close"].to_numpy(dtype="float64"),
        sessions["large_close"].to_numpy(dtype="float64"),
        sessions.index.array,  # (picking from the array is cheaper than from the Index, and keeps its dtype)
    )
    columns["leader"] = _LEADERS.take(columns["leader"] + 1)
    return pd.DataFrame(columns, copy=False)  # arrays made just now for this frame: no need to copy them again


def run_columns(won: np.ndarray, small_close: np.ndarray, large_close: np.ndarray, dates: Any) -> dict[str, Any]:
    """The columns of :func:`streak_runs` as arrays, from a pair's session winners (``won[i]`` is session i + 1's,
    as :func:`winners` gives them), closes and dates (at least two sessions). ``leader`` is the winner code of each
    run (1 small, -1 large, 0 ties): the board of pairs works on these arrays without building a frame."""
    n = len(won) + 1
    change = np.ones(len(won), dtype=bool)
    change[1:] = won[1:] != won[:-1]
    starts = np.flatnonzero(change) + 1
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1] = n - 1
    return {
        "leader": won[starts - 1],
        "start": dates[starts],
        "end": dates[ends],
        "length": ends - starts + 1,
        "small_return": small_close[ends] / small_close[starts - 1] - 1.0,
        "large_return": large_close[ends] / large_close[starts - 1] - 1.0,
        "start_pos": starts,
        "end_pos": ends,
    }


def _empty_runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "leader": pd.Series(dtype=object),
            "start": pd.Series(dtype="datetime64[ns]"),
            "end": pd.Series(dtype="datetime64[ns]"),
            "length": pd.Series(dtype="int64"),
            "small_return": pd.Series(dtype="float64"),
            "large_return": pd.Series(dtype="float64"),
            "start_pos": pd.Series(dtype="int64"),
            "end_pos": pd.Series(dtype="int64"),
        }
    )


NO_STREAK = Streak(
    leader="none",
    length=0,
    start=None,
    end=None,
    small_return=None,
    large_return=None,
    longest_since=None,
    record_length=None,
    percentile=None,
)


def current_streak(sessions: pd.DataFrame, runs: pd.DataFrame) -> Streak:
    """The streak ending at the latest session of ``sessions`` (``runs`` = ``streak_runs(sessions)``).

    After a tie, or with fewer than two sessions, the streak is leader "none", length 0, no dates or returns.
    ``longest_since`` is the most recent earlier run of the same leader at least as long (None when the current
    streak is the longest on record); ``record_length`` the longest run of that leader, the current included;
    ``percentile`` the share of that leader's earlier runs strictly shorter than the current one.
    """
    del sessions  # the runs carry everything; kept in the signature so callers pass the pair they computed
    if runs.empty:
        return NO_STREAK
    # Whole columns as arrays, then single values: taking a row (runs.iloc) builds a mixed-type Series each time.
    return streak_of_runs(
        runs["leader"].to_numpy(),
        runs["length"].to_numpy(),
        runs["start"].array,
        runs["end"].array,
        runs["small_return"].array,
        runs["large_return"].array,
    )


def streak_of_runs(
    leaders: np.ndarray, lengths: np.ndarray, starts: Any, ends: Any, small_returns: Any, large_returns: Any
) -> Streak:
    """:func:`current_streak` from the runs' columns as arrays (at least one run): ``leaders`` as the frame's names
    or as :func:`run_columns`'s winner codes, ``starts``/``ends`` arrays of Timestamps."""
    leader: Side = _SIDE[leaders[-1]]
    if leader == "none":
        return NO_STREAK
    length = int(lengths[-1])
    same = leaders == leaders[-1]
    earlier = same.copy()
    earlier[-1] = False
    past = lengths[earlier]
    at_least = np.flatnonzero(earlier & (lengths >= length))
    longest_since = None
    if at_least.size:
        row = at_least[-1]
        longest_since = LongestSince(end=ends[row].date(), length=int(lengths[row]))
    return Streak(
        leader=leader,
        length=length,
        start=starts[-1].date(),
        end=ends[-1].date(),
        small_return=float(small_returns[-1]),
        large_return=float(large_returns[-1]),
        longest_since=longest_since,
        record_length=int(lengths[same].max()),
        percentile=float((past < length).mean()) if past.size else None,
    )


def _run_columns(runs: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        "leader": runs["leader"].to_numpy(dtype=object),
        "start": runs["start"].to_numpy().astype("datetime64[D]"),
        "end": runs["end"].to_numpy().astype("datetime64[D]"),
        "length": runs["length"].to_numpy(),
        "small_return": runs["small_return"].to_numpy(dtype="float64"),
        "large_return": runs["large_return"].to_numpy(dtype="float64"),
    }


def runs_as_model(
    runs: pd.DataFrame, previous: tuple[pd.DataFrame, tuple[StreakRun, ...]] | None = None
) -> tuple[StreakRun, ...]:
    """The runs frame as result records (dates as ``datetime.date``), oldest first.

    ``previous``: an earlier runs frame and its conversion (the last build's). Runs only grow at the end as history
    appends, and stepping a replayed day changes only the last few, so the rows both frames share at the start are
    taken from it (the very same frozen records) and only the rest is converted: thousands of runs, a few new.
    """
    if runs.empty:
        return ()
    columns = _run_columns(runs)
    n = len(runs)
    kept: tuple[StreakRun, ...] = ()
    if previous is not None and not previous[0].empty:
        before, models = _run_columns(previous[0]), previous[1]
        m = min(n, len(models), len(previous[0]))
        same = np.ones(m, dtype=bool)
        for name, values in columns.items():
            same &= values[:m] == before[name][:m]  # NaN never equals: such a row is converted again
        common = m if same.all() else int(np.argmin(same))
        kept = models[:common]
    k = len(kept)
    fresh = tuple(
        StreakRun(
            leader=leader, start=start, end=end, length=int(length), small_return=float(sr), large_return=float(lr)
        )
        for leader, start, end, length, sr, lr in zip(
            columns["leader"][k:].tolist(),
            columns["start"][k:].tolist(),  # datetime64[D] -> datetime.date
            columns["end"][k:].tolist(),
            columns["length"][k:].tolist(),
            columns["small_return"][k:].tolist(),
            columns["large_return"][k:].tolist(),
        )
    )
    return kept + fresh
