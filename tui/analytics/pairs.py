"""The board of pairs: for each configured pair, who leads, for how long, how rare that is, and its relative
performance over the last 20 sessions.

One home for each definition: a pair's sessions, runs, streak, percentile and rank come from the same functions
that compute the pair on screen (``pair_sessions``, ``streak_runs``, ``current_streak``, ``current_rank``), taken
at their array cores (``session_closes``, ``run_columns``, ``streak_of_runs``, ``rank_of_runs``) for the pairs the
caller has not computed: no frame is built for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from tui.analytics.history import current_rank, rank_of_runs
from tui.analytics.sessions import session_closes, session_winners
from tui.analytics.streaks import current_streak, run_columns, streak_of_runs
from tui.config import Pair
from tui.model import PairEntry

#: Relative performance on the board is measured over this many sessions.
RELATIVE_SESSIONS = 20

#: A pair already computed by the caller (the one on screen): its sessions and runs, by (small, large).
Computed = Mapping[tuple[str, str], tuple[pd.DataFrame, pd.DataFrame]]


def pair_board(closes: pd.DataFrame, pairs: Iterable[Pair], computed: Computed | None = None) -> tuple[PairEntry, ...]:
    """One entry per pair, in the order given, each over its own sessions in ``closes`` (which the caller ends at
    the as-of session of the pair on screen). A pair whose symbols have no prices, or no two sessions in common,
    is an entry with the reason and no figures; the others are unaffected. ``computed``: pairs whose sessions and
    runs the caller already has (they are not computed again)."""
    computed = computed or {}
    return tuple(_entry(closes, pair, computed.get((pair.small, pair.large))) for pair in pairs)


def _entry(closes: pd.DataFrame, pair: Pair, known: tuple[pd.DataFrame, pd.DataFrame] | None) -> PairEntry:
    if known is not None:
        return _entry_of_frames(pair, *known, closes)
    if pair.small not in closes.columns or pair.large not in closes.columns:
        return PairEntry(pair.small, pair.large, pair.name, reason=_why_empty(closes, pair))
    # The same definitions as the pair on screen, on arrays by position: for five pairs of ~12k dates, building
    # their sessions and runs as frames cost several times the arithmetic.
    both, small_close, large_close = session_closes(closes, pair.small, pair.large)
    n = len(small_close)
    if n < 2:
        return PairEntry(pair.small, pair.large, pair.name, reason=_why_empty(closes, pair))
    dates = closes.index.array[np.flatnonzero(both)]  # (a take by position: half the cost of the mask)
    columns = run_columns(session_winners(small_close, large_close), small_close, large_close, dates)
    leaders, lengths = columns["leader"], columns["length"]
    streak = streak_of_runs(
        leaders, lengths, columns["start"], columns["end"], columns["small_return"], columns["large_return"]
    )
    return PairEntry(
        small=pair.small,
        large=pair.large,
        name=pair.name,
        as_of=dates[-1].date(),
        sessions=n,
        streak=streak,
        rank=rank_of_runs(leaders == leaders[-1], lengths, streak),
        relative_20=_relative(small_close, large_close, RELATIVE_SESSIONS),
    )


def _entry_of_frames(pair: Pair, sessions: pd.DataFrame, runs: pd.DataFrame, closes: pd.DataFrame) -> PairEntry:
    """The entry of a pair whose sessions and runs the caller computed as frames (the pair on screen)."""
    if len(sessions) < 2:
        return PairEntry(pair.small, pair.large, pair.name, reason=_why_empty(closes, pair))
    streak = current_streak(sessions, runs)
    return PairEntry(
        small=pair.small,
        large=pair.large,
        name=pair.name,
        as_of=sessions.index[-1].date(),
        sessions=len(sessions),
        streak=streak,
        rank=current_rank(runs, streak),
        relative_20=relative_performance(sessions, RELATIVE_SESSIONS),
    )


def _why_empty(closes: pd.DataFrame, pair: Pair) -> str:
    """Why a pair has fewer than two sessions (asked only then: the check costs as much as a pair's sessions)."""
    missing = [s for s in (pair.small, pair.large) if s not in closes.columns or not closes[s].notna().any()]
    if missing:
        return f"no prices for {' and '.join(missing)}"
    return f"{pair.small} and {pair.large} have fewer than two sessions in common"


def relative_performance(sessions: pd.DataFrame, count: int) -> float | None:
    """``(1+R_small)/(1+R_large) - 1`` from the close ``count`` sessions before the last to the last close; None
    with fewer than ``count + 1`` sessions."""
    return _relative(
        sessions["small_close"].to_numpy(dtype="float64"), sessions["large_close"].to_numpy(dtype="float64"), count
    )


def _relative(small: np.ndarray, large: np.ndarray, count: int) -> float | None:
    """:func:`relative_performance` from the pair's session closes as arrays."""
    if len(small) <= count:
        return None
    value = (small[-1] / small[-1 - count]) / (large[-1] / large[-1 - count]) - 1.0
    return float(value) if np.isfinite(value) else None
