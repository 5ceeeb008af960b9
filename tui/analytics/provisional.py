"""The provisional race of the session in progress (SPEC §1). Never mixed into the completed streak."""

from __future__ import annotations

import math

import pandas as pd

from tui.analytics.sessions import winner_of
from tui.data.base import Quote
from tui.model import Provisional, Side

_SIDE: dict[int, Side] = {1: "small", -1: "large", 0: "none"}


def provisional_race(
    sessions: pd.DataFrame,
    runs: pd.DataFrame,
    small_quote: Quote | None,
    large_quote: Quote | None,
) -> Provisional | None:
    """Each side's change since the last completed close, who leads now, and the streak if the session ended now.

    ``runs`` is ``streak_runs(sessions)``; the streak if the session ended now follows :func:`streak_if_ended`.
    None when a quote is missing or not a usable price, when the two quotes belong to different sessions, or when
    the quotes' session is not after the last completed session (the market has not opened since, so no race).

    The race is only as fresh as the older of the two quotes (``quote_time``); whether that is too old is
    :attr:`Snapshot.provisional_delayed`, judged at each refresh.
    """
    if small_quote is None or large_quote is None or sessions.empty:
        return None
    if not (_usable(small_quote.price) and _usable(large_quote.price)):
        return None
    session = pd.Timestamp(small_quote.session).normalize()
    if session != pd.Timestamp(large_quote.session).normalize() or session <= sessions.index[-1]:
        return None
    small_change = small_quote.price / float(sessions["small_close"].iat[-1]) - 1.0
    large_change = large_quote.price / float(sessions["large_close"].iat[-1]) - 1.0
    leader = _SIDE[int(winner_of(small_change, large_change))]
    quote_time = min(small_quote.time, large_quote.time)  # the race is only as fresh as the older of the two
    if runs.empty:
        streak_leader, streak_length = streak_if_ended("none", 0, leader)
    else:
        streak_leader, streak_length = streak_if_ended(runs["leader"].iat[-1], int(runs["length"].iat[-1]), leader)
    return Provisional(
        session=session.date(),
        small_change=small_change,
        large_change=large_change,
        leader=leader,
        streak_leader=streak_leader,
        streak_length=streak_length,
        quote_time=quote_time,
    )


def streak_if_ended(last_leader: Side, last_length: int, leader: Side) -> tuple[Side, int]:
    """The streak if the session in progress ended with ``leader`` ahead, after a last run of ``last_length``
    sessions won by ``last_leader``: the same leader extends it by one, the other side starts a new one at 1, a
    tie ("none") ends it at 0. The one home of this rule: the provisional race and the pre-market read use it."""
    if leader == "none":
        return "none", 0
    if last_leader == leader:
        return leader, last_length + 1
    return leader, 1


def _usable(price: float) -> bool:
    try:
        return math.isfinite(price) and price > 0
    except TypeError:
        return False
