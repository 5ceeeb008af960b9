"""The NYSE's sessions over a span of years: each session's opening and closing instant, and the names of the
weekdays without one, as exchange_calendars gives them, kept in a small file between runs.

Why a file: importing ``exchange_calendars`` and building XNYS for 1990-2030 costs ~190 ms of CPU and ~13 MB of
memory (its package imports every exchange's calendar to register them; BENCHMARKS.md), paid on every start
before the first live status, for answers that only change when exchange_calendars does. So the answers are
computed once from exchange_calendars (still the one source of truth for the market's hours), written beside the
other caches and read back in a few milliseconds by later starts, without exchange_calendars or pandas. The file
names the exchange_calendars release it came from and is rebuilt when that changes; a file that cannot be read or
written costs only the build, never an answer.

All days are ``date.toordinal()`` numbers and the instants minutes after midnight UTC of their session's date, so
that the lookups are ``bisect`` on plain lists.
"""

from __future__ import annotations

import json
import os
import warnings
from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from msgspec import Struct, field

UTC = timezone.utc
FORMAT = 1
FILE_NAME = "xnys-schedule.json"
#: Weekdays without a session that no holiday rule names (exchange_calendars' ad hoc closures: storms, mourning).
SPECIAL_CLOSURE = "special closure"


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("streakwatch")) / FILE_NAME


def exchange_calendars_version() -> str:
    """The installed release, without importing the package: the name of its ``.dist-info`` folder beside it
    (~0.3 ms), else its metadata (importlib.metadata's first call costs ~20 ms, a fifth of what this file saves)."""
    import importlib.util

    prefix, suffix = "exchange_calendars-", ".dist-info"
    spec = importlib.util.find_spec("exchange_calendars")
    if spec is not None and spec.origin is not None:
        try:
            with os.scandir(Path(spec.origin).parent.parent) as entries:
                for entry in entries:
                    if entry.name.startswith(prefix) and entry.name.endswith(suffix):
                        return entry.name[len(prefix) : -len(suffix)]
        except OSError:
            pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("exchange_calendars")
    except PackageNotFoundError:  # pragma: no cover - a hard dependency; an odd install still gets answers
        return "unknown"


class Schedule(Struct, frozen=True):
    first: date  # the span exchange_calendars was asked about (inclusive)
    last: date
    days: list[int]  # the sessions' ordinals, ascending
    opens: list[int]  # minutes after the session date's midnight UTC
    closes: list[int]
    holidays: dict[int, str] = field(default_factory=dict)  # weekday ordinal without a session -> its name
    source: str = ""  # the exchange_calendars release the answers came from

    # -- the questions the market clock asks ------------------------------------------------------------------
    def is_session(self, day: date) -> bool:
        return self._position(day) is not None

    def open_close(self, day: date) -> tuple[datetime, datetime]:
        """The session's opening and closing instants (UTC); ``KeyError`` when ``day`` is no session."""
        position = self._position(day)
        if position is None:
            raise KeyError(f"{day} is not a session")
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return (
            midnight + timedelta(minutes=self.opens[position]),
            midnight + timedelta(minutes=self.closes[position]),
        )

    def previous_session(self, day: date) -> date:
        """The last session strictly before ``day``."""
        index = bisect_left(self.days, day.toordinal()) - 1
        return self._day_at(index, day)

    def next_session(self, day: date) -> date:
        """The first session strictly after ``day``."""
        index = bisect_right(self.days, day.toordinal())
        return self._day_at(index, day)

    def session_on_or_before(self, day: date) -> date:
        return self._day_at(bisect_right(self.days, day.toordinal()) - 1, day)

    def session_on_or_after(self, day: date) -> date:
        return self._day_at(bisect_left(self.days, day.toordinal()), day)

    def sessions_between(self, start: date, end: date) -> list[date]:
        """The sessions from ``start`` to ``end`` inclusive."""
        lo = bisect_left(self.days, start.toordinal())
        hi = bisect_right(self.days, end.toordinal())
        return [date.fromordinal(ordinal) for ordinal in self.days[lo:hi]]

    def holiday_name(self, day: date) -> str | None:
        return self.holidays.get(day.toordinal())

    def _position(self, day: date) -> int | None:
        ordinal = day.toordinal()
        index = bisect_left(self.days, ordinal)
        return index if index < len(self.days) and self.days[index] == ordinal else None

    def _day_at(self, index: int, asked: date) -> date:
        if not 0 <= index < len(self.days):
            raise KeyError(f"no session around {asked} between {self.first} and {self.last}")
        return date.fromordinal(self.days[index])

    # -- made from exchange_calendars, kept as JSON ------------------------------------------------------------
    @classmethod
    def from_exchange_calendars(cls, first: date, last: date) -> Schedule:
        """Ask exchange_calendars (imported here, ~70 ms, and XNYS built for the span, ~120 ms)."""
        import numpy as np

        # exchange_calendars trips pandas deprecation warnings while it builds; nothing may reach the terminal
        # under the TUI, and they are not ours to fix.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import exchange_calendars as xcals

            calendar = xcals.get_calendar("XNYS", start=first.isoformat(), end=last.isoformat())
            named = calendar.regular_holidays.holidays(first.isoformat(), last.isoformat(), return_name=True)
            adhoc = list(calendar.adhoc_holidays)
            schedule = calendar.schedule
            days = schedule.index.to_numpy().astype("datetime64[D]")
            instants = {column: schedule[column].dt.tz_convert(None).to_numpy() for column in ("open", "close")}
        midnights = days.astype("datetime64[m]")

        def minutes(column: str) -> list[int]:
            return [int(m) for m in (instants[column].astype("datetime64[m]") - midnights).astype(np.int64)]

        epoch = date(1970, 1, 1).toordinal()
        ordinals = [int(d) + epoch for d in days.astype(np.int64)]
        sessions = set(ordinals)
        holidays: dict[int, str] = {}
        for stamp in adhoc:
            day = stamp.date()
            if first <= day <= last and day.weekday() < 5 and day.toordinal() not in sessions:
                holidays[day.toordinal()] = SPECIAL_CLOSURE
        for stamp, name in named.items():  # a rule's name wins over "special closure" on the same day
            day = stamp.date()
            if day.weekday() < 5 and day.toordinal() not in sessions:
                holidays[day.toordinal()] = str(name)
        return cls(first, last, ordinals, minutes("open"), minutes("close"), holidays, exchange_calendars_version())

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "source": self.source,
                "first": self.first.isoformat(),
                "last": self.last.isoformat(),
                "days": self.days,
                "opens": self.opens,
                "closes": self.closes,
                "holidays": {str(ordinal): name for ordinal, name in sorted(self.holidays.items())},
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Schedule:
        """``ValueError`` (or ``KeyError`` / ``TypeError``) on anything but what :meth:`to_json` wrote."""
        raw: dict[str, Any] = json.loads(text)
        if raw.get("format") != FORMAT:
            raise ValueError(f"schedule format {raw.get('format')!r}, not {FORMAT}")
        days, opens, closes = raw["days"], raw["opens"], raw["closes"]
        if not (len(days) == len(opens) == len(closes)) or any(b <= a for a, b in zip(days, days[1:])):
            raise ValueError("schedule lists of different lengths or days out of order")
        if not all(isinstance(v, int) for column in (days, opens, closes) for v in column):
            raise ValueError("schedule values are not whole numbers")
        holidays = {int(ordinal): str(name) for ordinal, name in raw["holidays"].items()}
        return cls(
            date.fromisoformat(raw["first"]),
            date.fromisoformat(raw["last"]),
            days,
            opens,
            closes,
            holidays,
            str(raw["source"]),
        )


def load(path: Path, first: date, last: date) -> Schedule | None:
    """The schedule kept at ``path`` if it covers ``first``..``last`` and came from the installed
    exchange_calendars; None (to be built) otherwise, or if it cannot be read."""
    try:
        schedule = Schedule.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if schedule.first > first or schedule.last < last or schedule.source != exchange_calendars_version():
        return None
    return schedule


def save(schedule: Schedule, path: Path) -> bool:
    """Write atomically (a reader never sees half a file); False, and nothing left behind, if it cannot be."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".xnys-", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(schedule.to_json())
        os.replace(temporary, path)
        return True
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
