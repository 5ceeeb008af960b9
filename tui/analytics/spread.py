"""The spread view (SPEC §1, §3 pane 2): daily spread and cumulative relative performance over a window."""

from __future__ import annotations

import pandas as pd

from tui.model import Spread, Streak

RS_SESSIONS = 5


def spread_view(sessions: pd.DataFrame, window: int, streak: Streak | None = None) -> Spread:
    """The last ``window`` sessions of ``sessions`` (from :func:`pair_sessions`).

    ``daily`` is each session's ``small_return - large_return``; ``relative`` is ``(1+R_small)/(1+R_large) - 1``
    with both R cumulative from the close of the session before the window's first session, so its first value
    is that session's own relative return. ``rs_5d`` is ``(1+r5_small)/(1+r5_large)`` over the last five
    sessions, None with fewer than six closes. The window shrinks to what history there is.
    """
    if window < 1:
        raise ValueError(f"spread window must be at least 1 session, not {window}")
    start = max(1, len(sessions) - window)  # row 0 is a base close without a return
    view = sessions.iloc[start:]
    small_close = sessions["small_close"].to_numpy(dtype="float64")
    large_close = sessions["large_close"].to_numpy(dtype="float64")
    relative: tuple[float, ...] = ()
    if len(view):
        base = start - 1
        relative = tuple(
            ((small_close[start:] / small_close[base]) / (large_close[start:] / large_close[base]) - 1.0).tolist()
        )
    rs_5d = None
    if len(sessions) > RS_SESSIONS:
        rs_5d = float(
            (small_close[-1] / small_close[-1 - RS_SESSIONS]) / (large_close[-1] / large_close[-1 - RS_SESSIONS])
        )
    return Spread(
        window=window,
        dates=tuple(view.index.date.tolist()),
        daily=tuple(view["spread"].to_numpy(dtype="float64").tolist()),
        relative=relative,
        rs_5d=rs_5d,
        streak_start=streak.start if streak is not None else None,
    )
