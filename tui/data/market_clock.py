"""The market clock: where the NYSE session stands at an instant, from the XNYS exchange calendar.

Everything here is a pure function of ``now`` (a timezone-aware instant), so tests and replays can freeze time.
The calendar's answers (tui.data.xnys_schedule: the sessions, their hours, the holidays' names) are made once,
lazily, because importing ``exchange_calendars`` and building XNYS costs ~0.2 s that the first paint must not
pay: the refresh thread calls :func:`warm_up` before its first fetch, and with a schedule file
(:func:`use_schedule_file`, set by the command line) every start after the first reads them back in a few
milliseconds instead. Importing this module, and asking it anything but :func:`session_dates`, costs no pandas.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from msgspec import Struct

from tui.data import xnys_schedule
from tui.data.xnys_schedule import Schedule
from tui.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from tui.config import Refresh

ET = ZoneInfo("America/New_York")
UTC = timezone.utc

#: Final prints may still arrive after the closing bell; a session counts as completed only after this (SPEC §1).
GRACE = timedelta(minutes=10)

#: A past day watched "as of" that day (replay, pinned demo) stands as it was at this time: after the regular close
#: plus GRACE, so its bar is final (a half day closed even earlier).
AS_OF_TIME = time(16, 15)  # ET

PRE_MARKET_START = time(4, 0)  # ET
AFTER_HOURS_END = time(20, 0)  # ET
REGULAR_CLOSE = time(16, 0)  # ET; anything earlier is a half day

# The calendar must cover 1990 (long replay histories) to at least the end of 2027; exchange_calendars' default
# ends one year after *today*, which would make results depend on the wall clock, so the bounds are fixed and
# widened on demand only if a date outside them is asked about.
_FIRST = date(1990, 1, 1)
_LAST = date(2030, 12, 31)

#: The days the clock can place: the calendar reaches a year past any day asked about, and exchange_calendars works
#: on pandas' nanosecond timestamps (1677-09-21 to 2262-04-11). Outside, :func:`check_day` refuses with one line.
FIRST_DAY = date(1679, 1, 1)
LAST_DAY = date(2260, 12, 31)


class Phase(str, Enum):
    PRE_MARKET = "pre-market"
    OPEN = "open"
    AFTER_HOURS = "after-hours"
    CLOSED = "closed"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


class MarketStatus(Struct, frozen=True):
    now: datetime  # UTC
    phase: Phase
    session: date | None  # today's session date (America/New_York) if today is a trading day, else None
    open: datetime | None  # today's open (UTC) if there is a session today
    close: datetime | None  # today's close (UTC) if there is a session today
    half_day: bool  # today closes early
    last_completed: date  # latest completed session (close + GRACE passed), SPEC §1
    next_open: datetime  # next regular open (UTC) strictly after ``now`` unless the market is opening right now
    holiday_name: str | None  # the holiday's name on a weekday without a session, when the calendar knows it


_lock = threading.Lock()
_schedule: Schedule | None = None
#: Where the schedule is kept between runs (set by the command line; None: built in memory each run, as in tests).
_schedule_file: Path | None = None


def use_schedule_file(path: Path | None) -> None:
    """Keep the XNYS schedule at ``path`` between runs (tui.data.xnys_schedule): read from there when it covers
    what is asked, written there when it had to be built."""
    global _schedule_file
    _schedule_file = path


def check_day(day: date, what: str | None = None) -> None:
    """Raise a one-line :class:`UsageError` naming ``what`` (default: the day) if the clock cannot place ``day``."""
    if isinstance(day, datetime):
        day = day.date()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(f"{what or day} is outside the dates the market calendar covers ({FIRST_DAY} to {LAST_DAY})")


def _calendar(*dates: date) -> Schedule:
    """The XNYS schedule, read or built wider if any of ``dates`` (with a year's margin) falls outside it."""
    global _schedule
    for day in dates:
        check_day(day)
    lo, hi = (_FIRST, _LAST) if _schedule is None else (_schedule.first, _schedule.last)
    need_lo = min([lo, *(d - timedelta(days=366) for d in dates)])
    need_hi = max([hi, *(d + timedelta(days=366) for d in dates)])
    if _schedule is not None and need_lo >= lo and need_hi <= hi:
        return _schedule
    with _lock:
        if _schedule is None or need_lo < _schedule.first or need_hi > _schedule.last:
            path = _schedule_file
            found = xnys_schedule.load(path, need_lo, need_hi) if path is not None else None
            if found is None:
                found = Schedule.from_exchange_calendars(need_lo, need_hi)
                if path is not None:
                    xnys_schedule.save(found, path)  # (a failure costs the next run the build, nothing else)
            _schedule = found
        return _schedule


def warm_up() -> None:
    """Read or build the XNYS schedule now, so that the first :func:`market_status` does not pay for it.
    Idempotent and thread-safe: meant for a background thread at start; a call while another thread is
    building waits for that build instead of starting a second one."""
    _calendar()


def is_warm() -> bool:
    """Whether the schedule is at hand, so that :func:`market_status` costs microseconds, not a build."""
    return _schedule is not None


def _utc(now: datetime) -> datetime:
    # The Clock contract is tz-aware UTC; a naive instant is taken as UTC rather than as local time.
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


# The last answer of market_status: a refresh asks about the same instant for every symbol and bar.
_last_status: tuple[datetime, MarketStatus] | None = None


def market_status(now: datetime) -> MarketStatus:
    """Where the NYSE stands at ``now``: phase, today's session times and the latest completed session."""
    global _last_status
    now = _utc(now)
    last = _last_status
    if last is not None and last[0] == now:
        return last[1]
    status = _market_status(now)
    _last_status = (now, status)
    return status


def _market_status(now: datetime) -> MarketStatus:
    local = now.astimezone(ET)
    today = local.date()
    schedule = _calendar(today)

    if schedule.is_session(today):
        open_, close = schedule.open_close(today)
        half_day = close.astimezone(ET).time() < REGULAR_CLOSE
        pre_start = datetime.combine(today, PRE_MARKET_START, tzinfo=ET)
        post_end = datetime.combine(today, AFTER_HOURS_END, tzinfo=ET)
        if now < pre_start:
            phase = Phase.CLOSED
        elif now < open_:
            phase = Phase.PRE_MARKET
        elif now < close:
            phase = Phase.OPEN
        elif now < post_end:
            phase = Phase.AFTER_HOURS
        else:
            phase = Phase.CLOSED
        last_completed = today if now >= close + GRACE else schedule.previous_session(today)
        next_open = open_ if now < open_ else schedule.open_close(schedule.next_session(today))[0]
        return MarketStatus(now, phase, today, open_, close, half_day, last_completed, next_open, None)

    phase = Phase.WEEKEND if today.weekday() >= 5 else Phase.HOLIDAY
    last_completed = schedule.session_on_or_before(today)
    next_open = schedule.open_close(schedule.session_on_or_after(today))[0]
    name = schedule.holiday_name(today) if phase is Phase.HOLIDAY else None
    return MarketStatus(now, phase, None, None, None, False, last_completed, next_open, name)


def is_session_complete(session: date, now: datetime) -> bool:
    """SPEC §1: any date before today (ET) is complete; today only once its close + GRACE has passed."""
    if isinstance(session, datetime):
        session = session.date()
    today = _utc(now).astimezone(ET).date()
    if session < today:
        return True
    if session > today:
        return False
    status = market_status(now)
    return status.session == session and status.last_completed == session


def sessions_complete(sessions: pd.DatetimeIndex | np.ndarray, now: datetime) -> np.ndarray:
    """:func:`is_session_complete` for many dates at once, as a boolean array in the same order.

    ``sessions`` are exchange dates as tz-naive midnights (a ``DatetimeIndex`` or a ``datetime64`` array). Dates
    before today (ET) are complete and dates after it are not, by comparison alone; only today itself needs the
    calendar, and it is asked once, whatever the number of dates.
    """
    import numpy as np

    days = np.asarray(sessions, dtype="datetime64[D]")
    today = np.datetime64(_utc(now).astimezone(ET).date(), "D")
    done = days < today
    at_today = days == today
    if at_today.any():
        done[at_today] = is_session_complete(_utc(now).astimezone(ET).date(), now)
    return done


def last_completed_session(now: datetime) -> date:
    return market_status(now).last_completed


def bars_owed(status: MarketStatus, bars_through: date | None) -> bool:
    """Whether the bars on hand (the pair's last completed session, ``bars_through``; None: none yet) lack the
    latest completed session: then the market closed with a final bar the monitor has not fetched yet."""
    return bars_through is None or bars_through < status.last_completed


def refresh_delay(status: MarketStatus, refresh: Refresh, bars_through: date | None) -> float:
    """Seconds until the next refresh (SPEC §3), ``bars_through`` being the last completed session on hand.

    Open: the fast cadence, cut short at the session's completion. Just after the close: wake exactly when the
    session completes (+1 s) so a single end-of-day refresh picks up the final bar. Otherwise the phase's period
    (:func:`refresh_period`: the slow cadence while a final bar is still owed or the pre-market read moves, the
    idle one once nothing can change until then), cut short so polling resumes at the next session day's
    pre-market (:data:`PRE_MARKET_START`) and at the open.
    """
    final = status.close + GRACE if status.close is not None else None
    if status.phase is Phase.OPEN:
        until_final = (final - status.now).total_seconds() + 1.0 if final is not None else refresh.open_seconds
        return float(min(refresh.open_seconds, until_final))
    if status.close is not None and final is not None and status.close <= status.now < final:
        return (final - status.now).total_seconds() + 1.0
    until_open = (status.next_open - status.now).total_seconds()
    wake = [refresh_period(status, refresh, bars_through), max(until_open, 0.0)]
    premarket = premarket_start(status.next_open.astimezone(ET).date())
    if status.now < premarket:
        wake.append((premarket - status.now).total_seconds())
    return float(min(wake))


def refresh_period(status: MarketStatus, refresh: Refresh, bars_through: date | None, retrying: bool = False) -> float:
    """Seconds between two refreshes in ``status``'s phase: the cadence that "a few refresh periods" of silence
    is measured in (see tui.data.freshness), so it must be the one :func:`refresh_delay` keeps.

    Open: ``open_seconds``. A session day's pre-market (from 04:00 ET): ``closed_seconds``, so that the index
    futures' read moves. Otherwise closed (after-hours, nights, weekends, holidays) with the last completed
    session's bar still owed: ``closed_seconds``, until it arrives. Closed with it on hand: ``idle_seconds``,
    because nothing the monitor shows can change before the next pre-market (after-hours prices move neither a
    completed streak nor the provisional race, which runs only during the session). But while a failure is
    being ``retrying`` (the source or the app backs off), the retries come at least every ``closed_seconds``
    (the backoff's cap), so silence then is measured in those.
    """
    if status.phase is Phase.OPEN:
        return float(refresh.open_seconds)
    if retrying or status.phase is Phase.PRE_MARKET or bars_owed(status, bars_through):
        return float(refresh.closed_seconds)
    # Idle never polls faster than while a close is owed (closed_seconds may be configured above idle_seconds).
    return float(max(refresh.idle_seconds, refresh.closed_seconds))


def cadence_start(status: MarketStatus) -> datetime | None:
    """When the current cadence began, if it began recently enough to matter: the open while the market is
    open, the pre-market's start during it (the idle cadence before either allowed hours of silence that the
    faster one does not)."""
    if status.phase is Phase.OPEN:
        return status.open
    if status.phase is Phase.PRE_MARKET and status.session is not None:
        return premarket_start(status.session)
    return None


def premarket_start(day: date) -> datetime:
    """The instant (UTC) session day ``day``'s pre-market begins: :data:`PRE_MARKET_START` New York time."""
    return datetime.combine(day, PRE_MARKET_START, tzinfo=ET).astimezone(UTC)


def session_hours(day: date) -> tuple[datetime, datetime] | None:
    """Session ``day``'s opening and closing instants (UTC; the close is 13:00 ET on a half day); None when ``day``
    is no session."""
    try:
        return _calendar(day).open_close(day)
    except (KeyError, UsageError):  # not a session, or outside anything the calendar can place
        return None


def session_final_at(day: date) -> datetime | None:
    """The instant (UTC) the bar of session ``day`` became final: its close (early on a half day) plus GRACE;
    None when ``day`` is no session."""
    hours = session_hours(day)
    return hours[1] + GRACE if hours is not None else None


def session_dates(start: date, end: date) -> pd.DatetimeIndex:
    """XNYS sessions from ``start`` to ``end`` inclusive, as tz-naive midnights (empty if ``end < start``)."""
    if isinstance(start, datetime):
        start = start.date()
    if isinstance(end, datetime):
        end = end.date()
    import numpy as np
    import pandas as pd

    if end < start:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    days = _calendar(start, end).sessions_between(start, end)
    return pd.DatetimeIndex(np.array(days, dtype="datetime64[D]").astype("datetime64[ns]"))


def after_close(day: date) -> datetime:
    """An instant just after ``day``'s close and grace period, when its bar is final (UTC)."""
    return datetime.combine(day, AS_OF_TIME, ET).astimezone(UTC)
