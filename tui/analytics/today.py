"""Today's race and the pre-market read (issue 13): pure functions from the source's paths and futures quotes.

Plain Python over a few dozen points (78 five-minute bars in a session): no pandas frame to build, so the race
costs well under a millisecond per refresh.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from tui.analytics.provisional import streak_if_ended
from tui.analytics.sessions import TIE_DECIMALS
from tui.data.base import FuturesQuote, IntradayPath
from tui.model import FutureRead, Gap, LeadChange, Premarket, Side, Streak, Today


def side_of(difference: float) -> Side:
    """Who leads on a difference of % changes: the session rule (SPEC §1), a tie after rounding to 12 decimals."""
    rounded = round(difference, TIE_DECIMALS)
    return "small" if rounded > 0 else "large" if rounded < 0 else "none"


def today_race(small: IntradayPath | None, large: IntradayPath | None, note: str | None = None) -> Today | None:
    """The pair's race through one session from their two paths, or None when there is neither a path nor a note.

    **Time grid.** The union of both paths' times from the first time both have a price. At a time only one side
    has a point, the other carries its last price forward; nothing is drawn before a side's first price or
    after the last point of both (no future is made up).

    **Lead changes** are the sign changes of the difference with level points (an exact tie after rounding to 12
    decimals) skipped: small ahead, level, large ahead is one change, at the first point large is ahead; small,
    level, small is none. **Shares** are time-weighted: each point's leader holds until the next point, so the last
    point has no weight yet. **Widest gaps**: the largest difference each way and the first time it was reached.

    ``note`` (the source's reason there is no path, e.g. a replay) is kept, and completed by what is missing.
    The session's close (``session_close``, for the chart's time axis) is the paths' own, as their source's
    calendar gave it.
    """
    if small is None or large is None:
        if small is None and large is None:
            return None if note is None else Today(session=None, note=note)
        have = small if small is not None else large
        assert have is not None
        reason = f"only {have.symbol} has an intraday path"
        return Today(
            session=have.session.date(),
            note=f"{note} ({reason})" if note else reason,
            session_close=have.session_close,
        )
    assert small is not None and large is not None
    if small.session != large.session:
        reason = f"{small.symbol} and {large.symbol} paths are of different sessions"
        return Today(session=max(small.session, large.session).date(), note=f"{note} ({reason})" if note else reason)

    times, small_prices, large_prices = _common_grid(small, large)
    small_change = tuple(p / small.previous_close - 1.0 for p in small_prices)
    large_change = tuple(p / large.previous_close - 1.0 for p in large_prices)
    difference = tuple(a - b for a, b in zip(small_change, large_change))
    sides = [side_of(d) for d in difference]
    shares = _shares(times, sides)
    return Today(
        session=small.session.date(),
        times=times,
        small=small_change,
        large=large_change,
        difference=difference,
        leader=sides[-1] if sides else "none",
        lead_changes=_lead_changes(times, sides),
        share_small=shares[0],
        share_large=shares[1],
        share_level=shares[2],
        widest_small=_widest(times, difference, +1),
        widest_large=_widest(times, difference, -1),
        complete=small.complete and large.complete,
        note=(note or "no usable intraday prices yet") if not times else None,
        session_close=small.session_close or large.session_close,
    )


def _common_grid(
    small: IntradayPath, large: IntradayPath
) -> tuple[tuple[datetime, ...], tuple[float, ...], tuple[float, ...]]:
    """Both paths on the union of their times, from the first time both have a usable price, last price carried."""
    a = [(t, p) for t, p in zip(small.times, small.prices) if _usable(p)]
    b = [(t, p) for t, p in zip(large.times, large.prices) if _usable(p)]
    if not a or not b or not (_usable(small.previous_close) and _usable(large.previous_close)):
        return (), (), ()
    start = max(a[0][0], b[0][0])
    grid = sorted({t for t, _ in a if t >= start} | {t for t, _ in b if t >= start})
    times: list[datetime] = []
    small_out: list[float] = []
    large_out: list[float] = []
    i = j = 0
    last_a = last_b = math.nan
    for t in grid:
        while i < len(a) and a[i][0] <= t:
            last_a = a[i][1]
            i += 1
        while j < len(b) and b[j][0] <= t:
            last_b = b[j][1]
            j += 1
        times.append(t)
        small_out.append(last_a)
        large_out.append(last_b)
    return tuple(times), tuple(small_out), tuple(large_out)


def _lead_changes(times: tuple[datetime, ...], sides: list[Side]) -> tuple[LeadChange, ...]:
    changes = []
    held: Side = "none"
    for t, side in zip(times, sides):
        if side == "none":
            continue
        if held != "none" and side != held:
            changes.append(LeadChange(t, side))
        held = side
    return tuple(changes)


def _shares(times: tuple[datetime, ...], sides: list[Side]) -> tuple[float | None, float | None, float | None]:
    held = {"small": 0.0, "large": 0.0, "none": 0.0}
    for k in range(len(times) - 1):
        held[sides[k]] += (times[k + 1] - times[k]).total_seconds()
    total = sum(held.values())
    if total <= 0:
        return None, None, None
    return held["small"] / total, held["large"] / total, held["none"] / total


def _widest(times: tuple[datetime, ...], difference: tuple[float, ...], sign: int) -> Gap | None:
    best: Gap | None = None
    for t, d in zip(times, difference):
        if side_of(d) != ("small" if sign > 0 else "large"):
            continue
        if best is None or d * sign > best.value * sign:
            best = Gap(d, t)
    return best


def premarket_read(
    small_symbol: str,
    large_symbol: str,
    futures: Mapping[str, FuturesQuote],
    streak: Streak,
    note: str | None = None,
) -> Premarket:
    """What the index futures imply before the open: each future's change since its previous settlement, who
    leads, and the streak if the cash session ended that way (:func:`streak_if_ended`, the provisional race's
    rule). Unknown (``leader`` None) with the reason when a future is missing or has no usable price."""
    reads = {symbol: _future_read(futures.get(symbol)) for symbol in (small_symbol, large_symbol)}
    small, large = reads[small_symbol], reads[large_symbol]
    if small is None or large is None:
        missing = " and ".join(s for s, r in ((small_symbol, small), (large_symbol, large)) if r is None)
        reason = f"no futures quote for {missing}"
        return Premarket(
            small_symbol,
            large_symbol,
            small,
            large,
            None,
            None,
            None,
            f"{reason}: {note}" if note else reason,
        )
    leader = side_of(small.change - large.change)
    streak_leader, streak_length = streak_if_ended(streak.leader, streak.length, leader)
    return Premarket(small_symbol, large_symbol, small, large, leader, streak_leader, streak_length, note)


def _future_read(quote: FuturesQuote | None) -> FutureRead | None:
    if quote is None or not (_usable(quote.price) and _usable(quote.previous_close)):
        return None
    return FutureRead(
        quote.symbol, quote.price / quote.previous_close - 1.0, quote.price, quote.previous_close, quote.time
    )


def _usable(price: float) -> bool:
    try:
        return math.isfinite(price) and price > 0
    except TypeError:
        return False
