"""Analytics: pure, vectorised functions from pandas data to the result records of :mod:`tui.model`.

No Textual, no I/O, no clock: everything they need is passed in, so they run the same on live, replayed and
simulated data. The usual order::

    sessions = pair_sessions(closes, small, large)
    runs = streak_runs(sessions)
    streak = current_streak(sessions, runs)
    ... provisional_race, today_race, premarket_read, spread_view, sector_table, risk_checklist, streak_history,
    rotation_map
    pair_board(closes, config.board())   # every configured pair at once
"""

from tui.analytics.history import streak_history
from tui.analytics.pairs import pair_board
from tui.analytics.provisional import provisional_race
from tui.analytics.risks import risk_checklist, wilder_rsi
from tui.analytics.rotation import rotation_map
from tui.analytics.sectors import sector_table
from tui.analytics.sessions import pair_sessions
from tui.analytics.spread import spread_view
from tui.analytics.streaks import current_streak, runs_as_model, streak_runs
from tui.analytics.today import premarket_read, today_race

__all__ = [
    "current_streak",
    "pair_board",
    "pair_sessions",
    "premarket_read",
    "provisional_race",
    "risk_checklist",
    "rotation_map",
    "runs_as_model",
    "sector_table",
    "spread_view",
    "streak_history",
    "streak_runs",
    "today_race",
    "wilder_rsi",
]
