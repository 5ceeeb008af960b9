"""The board of pairs: for each configured pair, who leads, for how long, how rare that is, and its relative
performance over the last 20 sessions.

One home for each definition: a pair's sessions, runs, streak, percentile and rank come from the same functions
that compute the pair on screen (``pair_sessions``, ``streak_runs``, ``current_streak``, ``current_rank``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from tui.analytics.history import current_rank
from tui.analytics.sessions import pair_sessions
from tui.analytics.streaks import current_streak, streak_runs
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
    sessions, runs = known if known is not None else (pair_sessions(closes, pair.small, pair.large), None)
    if len(sessions) < 2:
        return PairEntry(pair.small, pair.large, pair.name, reason=_why_empty(closes, pair))
    if runs is None:
        runs = streak_runs(sessions)
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
    if len(sessions) <= count:
        return None
    small = sessions["small_close"].to_numpy(dtype="float64")
    large = sessions["large_close"].to_numpy(dtype="float64")
    value = (small[-1] / small[-1 - count]) / (large[-1] / large[-1 - count]) - 1.0
    return float(value) if np.isfinite(value) else None
