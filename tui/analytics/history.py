"""Streak history: past long streaks and what small vs large did after they ended."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tui.model import ForwardStat, History, HistoryEntry, Streak

#: Fewer completed outcomes than this for a leader and horizon and the statistics get a warning note.
MIN_SAMPLE = 5


def streak_history(
    sessions: pd.DataFrame,
    runs: pd.DataFrame,
    streak: Streak,
    min_length: int,
    horizons: Sequence[int],
) -> History:
    """Every run (both leaders) of at least ``min_length`` sessions, newest first, with forward outcomes.

    For a run ending at session e, the forward outcome at horizon h is the relative performance
    ``(1+R_small)/(1+R_large) - 1`` from the close of e to the close h sessions later (None when fewer than h
    sessions follow, as for the current streak). ``forward`` holds, per leader and horizon, the number of
    completed outcomes, their median and share positive. ``current_rank`` is the current streak's rank among all
    runs of its leader (1 = longest, ties share the better rank); ``current_percentile`` the share of that
    leader's earlier runs strictly shorter than it.
    """
    horizons = tuple(int(h) for h in horizons)
    if runs.empty:
        return History(
            min_length,
            horizons,
            (),
            {"small": _stats(horizons, {}), "large": _stats(horizons, {})},
            note="not enough history: no completed sessions",
        )
    leaders = runs["leader"].to_numpy()
    lengths = runs["length"].to_numpy()
    long_enough = np.flatnonzero(lengths >= min_length)  # (the few long runs first: comparing strings is dearer)
    chosen = long_enough[leaders[long_enough] != "none"][::-1]  # newest first

    # Relative level small/large: the forward outcome is a ratio of two of its values.
    rel = sessions["small_close"].to_numpy(dtype="float64") / sessions["large_close"].to_numpy(dtype="float64")
    n = len(rel)
    ends = runs["end_pos"].to_numpy()[chosen]
    forward = np.full((len(chosen), len(horizons)), np.nan)
    for j, h in enumerate(horizons):  # bounded by the number of horizons, vectorised over runs
        ok = ends + h < n
        forward[ok, j] = rel[ends[ok] + h] / rel[ends[ok]] - 1.0

    # Column arrays picked by position, not runs.iloc[chosen]: a sub-frame costs more than these few dozen rows.
    # NaN (no outcome yet) becomes None.
    entries = tuple(
        HistoryEntry(
            leader=leader,
            start=start,
            end=end,
            length=length,
            small_return=sr,
            large_return=lr,
            forward=tuple(None if math.isnan(v) else v for v in fwd),
        )
        for leader, start, end, length, sr, lr, fwd in zip(
            leaders[chosen].tolist(),
            runs["start"].array[chosen].date.tolist(),  # what .dt.date gives, on the chosen rows only
            runs["end"].array[chosen].date.tolist(),
            lengths[chosen].tolist(),
            runs["small_return"].to_numpy(dtype="float64")[chosen].tolist(),
            runs["large_return"].to_numpy(dtype="float64")[chosen].tolist(),
            forward.tolist(),
        )
    )

    chosen_leaders = leaders[chosen]
    stats = {
        side: _stats(horizons, {h: forward[chosen_leaders == side, j] for j, h in enumerate(horizons)})
        for side in ("small", "large")
    }

    rank = current_rank(runs, streak)
    percentile = None
    if rank is not None:
        past = lengths[leaders == streak.leader][:-1]  # the last run of this leader is the current streak
        percentile = float((past < streak.length).mean()) if past.size else None

    return History(
        min_length,
        horizons,
        entries,
        stats,
        current_rank=rank,
        current_percentile=percentile,
        note=_note(stats, min_length, len(entries)),
    )


def current_rank(runs: pd.DataFrame, streak: Streak) -> int | None:
    """The current streak's rank among all runs of its leader in ``runs`` (1 = longest, ties share the better
    rank); None when there is no streak (a tie, or no sessions)."""
    if streak.leader == "none" or streak.length == 0 or runs.empty:
        return None
    return rank_of_runs(runs["leader"].to_numpy() == streak.leader, runs["length"].to_numpy(), streak)


def rank_of_runs(same_leader: np.ndarray, lengths: np.ndarray, streak: Streak) -> int | None:
    """:func:`current_rank` from the runs' columns as arrays: which runs have the streak's leader, and every run's
    length."""
    if streak.leader == "none" or streak.length == 0:
        return None
    return int((lengths[same_leader] > streak.length).sum()) + 1


def _stats(horizons: tuple[int, ...], outcomes: dict[int, np.ndarray]) -> tuple[ForwardStat, ...]:
    out = []
    for h in horizons:
        values = outcomes.get(h, np.empty(0))
        values = values[~np.isnan(values)]
        if values.size:
            positive = float(np.count_nonzero(values > 0) / values.size)  # == (values > 0).mean(), exactly
            out.append(ForwardStat(h, int(values.size), _median(values), positive))
        else:
            out.append(ForwardStat(h, 0, None, None))
    return tuple(out)


def _median(values: np.ndarray) -> float:
    """``np.median`` of a non-empty array without NaN, without its overhead (~15 µs, six per refresh): the middle
    value, or the mean of the two middle ones taken as np.mean takes it, (a + b) / 2."""
    ordered = np.sort(values)
    mid = len(ordered) // 2
    return float(ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2)


def _note(stats: dict[str, tuple[ForwardStat, ...]], min_length: int, count: int) -> str | None:
    if count == 0:
        return f"not enough history: no streaks of {min_length}+ sessions"
    thin = [f"{side} after {s.horizon}" for side, per in stats.items() for s in per if s.count < MIN_SAMPLE]
    if not thin:
        return None
    return f"not enough history (fewer than {MIN_SAMPLE} outcomes): " + ", ".join(thin)
