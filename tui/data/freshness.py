"""How fresh live data is, judged from its age against the market clock (never from which code path ran).

One pure function decides the live label (LIVE / DELAYED / OFFLINE) and whether what is on screen is stale, from
three instants: when Yahoo last answered with usable data for the pair, the time of the newest intraday quote,
and the last completed session the pair's bars reach. The Yahoo source calls it when it builds its answer and the
monitor calls it again on every tick, so a label can never outlive the truth: a fetch that hangs, a backoff that
sends nothing, or a Yahoo that answers with nothing new all turn into "stale" by themselves once enough time
passes. No pandas and no Textual here: the first paint may import it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from tui.data.base import DELAYED_AFTER, LABEL_DELAYED, LABEL_LIVE, LABEL_OFFLINE

if TYPE_CHECKING:
    from tui.config import Refresh

#: Nothing new from Yahoo for this many refresh periods means the data on screen is no longer current.
SILENT_PERIODS = 3
#: ... but never less than this: a very short configured cadence must not flag every slow answer.
MIN_SILENCE = timedelta(minutes=3)
#: After a session completes, the monitor fetches its final bars; a bar still missing this long after is owed.
CLOSE_OWED_AFTER = timedelta(minutes=30)


class Freshness(NamedTuple):
    label: str  # LIVE, DELAYED or OFFLINE
    stale: bool  # the data on screen is older than the market clock says it should be
    reason: str | None  # why it is stale, in plain words; None when it is not


def judge(
    *,
    now: datetime,
    received_at: datetime | None,
    quote_time: datetime | None,
    bars_through: date | None,
    market_open: bool,
    last_completed: date | None,
    completed_at: datetime | None,
    period: float,
    cadence_since: datetime | None = None,
) -> Freshness:
    """The label and staleness of live data at ``now``.

    ``received_at``: when Yahoo last answered with usable data for the pair (None: never). ``quote_time``: the
    newest intraday quote's trade time (None outside a session). ``bars_through``: the pair's last completed
    session on hand. ``last_completed`` / ``completed_at``: the market clock's last completed session and the
    instant its bar became final. ``period``: seconds between refreshes in the current market phase, and
    ``cadence_since``: when that cadence began (the open), if it did; silence is counted from then at the earliest,
    since the slower cadence before it allowed longer.

    OFFLINE when nothing usable came from Yahoo for SILENT_PERIODS refresh periods (at least MIN_SILENCE);
    DELAYED when Yahoo answers but, while the market is open, its newest quote is older than DELAYED_AFTER;
    LIVE otherwise. Stale when OFFLINE, or when a completed session's bar is still missing CLOSE_OWED_AFTER after
    it became final.
    """
    limit = max(timedelta(seconds=SILENT_PERIODS * max(period, 0.0)), MIN_SILENCE)
    if received_at is None:
        return Freshness(LABEL_OFFLINE, True, "no answer from Yahoo yet")
    quiet_since = max(received_at, cadence_since) if cadence_since is not None else received_at
    if now - quiet_since > limit:
        return Freshness(LABEL_OFFLINE, True, f"no new data from Yahoo since {_when(received_at, now)}")
    owed = (
        bars_through is not None
        and last_completed is not None
        and bars_through < last_completed
        and (completed_at is None or now - completed_at > CLOSE_OWED_AFTER)
    )
    if owed:
        return Freshness(LABEL_LIVE, True, f"Yahoo has not sent the {last_completed:%-d %b} close yet")
    if market_open and quote_time is not None and now - quote_time > DELAYED_AFTER:
        return Freshness(LABEL_DELAYED, False, None)
    return Freshness(LABEL_LIVE, False, None)


def judge_now(
    now: datetime,
    *,
    received_at: datetime | None,
    quote_time: datetime | None,
    bars_through: date | None,
    refresh: Refresh,
    retrying: bool = False,
) -> Freshness:
    """:func:`judge` with the market clock's view of ``now`` (the session, its close, the refresh cadence;
    ``retrying``: the last attempt failed and is being retried, which sets the cadence while the market is closed).
    Imports the market clock (and so pandas): for the fetch thread, or once a fetch has imported it."""
    from tui.data.market_clock import Phase, cadence_start, market_status, refresh_period, session_final_at

    status = market_status(now)
    return judge(
        now=now,
        received_at=received_at,
        quote_time=quote_time,
        bars_through=bars_through,
        market_open=status.phase is Phase.OPEN,
        last_completed=status.last_completed,
        completed_at=session_final_at(status.last_completed),
        period=refresh_period(status, refresh, bars_through, retrying),
        cadence_since=cadence_start(status),
    )


def _when(instant: datetime, now: datetime) -> str:
    """ "10:42 ET" the same New York day, "Tue 16:05 ET" within a week, "12 Jan 16:05 ET" before that."""
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    local, today = instant.astimezone(ny), now.astimezone(ny)
    if local.date() == today.date():
        return f"{local:%H:%M} ET"
    if (today.date() - local.date()).days < 7:
        return f"{local:%a %H:%M} ET"
    return f"{local:%-d %b %H:%M} ET"
