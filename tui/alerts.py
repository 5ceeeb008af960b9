"""Alerts: what changed since the last snapshot that a user watching the rotation wants to be told about.

Pure (no Textual): the app feeds every new snapshot to :meth:`AlertTracker.update` and shows what comes back
(see ``tui.screens.alert_log.announce``). Each event has a stable key; a key is alerted once, so refreshes with
the same data, a retry that brings the same data back, or a replay stepped back and forth never alert twice.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import date, datetime, timezone
from typing import Literal

from msgspec import Struct

from tui.config import Alerts
from tui.fmt import day, display_name, pct, sessions
from tui.model import RotationSeries, Snapshot, Streak
from tui.textsafe import plain

AlertKind = Literal["streak_extended", "streak_broke", "milestone", "record", "risk_changed", "quadrant"]
Severity = Literal["information", "warning", "error"]  # Textual's notification severities

KINDS: tuple[str, ...] = ("streak_extended", "streak_broke", "milestone", "record", "risk_changed", "quadrant")
LOG_SIZE = 200
#: Keys remembered for de-duplication; far more than a session's worth of events, yet bounded.
SEEN_SIZE = 5000
#: A "longest since" closer than this to the streak's start is routine (nearly every extension moves it a
#: little), so it is not alerted; "longest since 2008" is.
MILESTONE_MIN_DAYS = 365
_RISK_SEVERITY: dict[str, Severity] = {"alert": "error", "watch": "warning"}
#: Rotation-map quadrants whose entry is alerted: the two that say who leads and who lags.
ALERTED_QUADRANTS: dict[str, Severity] = {"leading": "information", "lagging": "warning"}


class AlertEvent(Struct, frozen=True):
    kind: str  # one of KINDS
    key: tuple  # stable identity of the event, for de-duplication
    title: str
    message: str  # plain text (outside text already cleaned); show it as Text, never as markup
    severity: Severity
    at: datetime  # when the tracker saw it
    as_of: date | None = None  # the session the event belongs to


class AlertTracker:
    """Compares each snapshot with the previous one and returns the new events.

    The first snapshot is the baseline (no alerts). A snapshot whose session is earlier than the previous one
    (a replay rewound), or of another source or pair, becomes the new baseline silently.
    """

    def __init__(self, settings: Alerts | None = None, *, milestone_min_days: int = MILESTONE_MIN_DAYS) -> None:
        self.settings = settings or Alerts()
        self.milestone_min_days = milestone_min_days
        self.log: deque[AlertEvent] = deque(maxlen=LOG_SIZE)  # oldest first
        self._seen: OrderedDict[tuple, None] = OrderedDict()
        self._previous: Snapshot | None = None
        self._risk_status: dict[str, str] = {}  # last *known* status per risk id (unknown gaps ignored)

    def enabled(self, kind: str) -> bool:
        return bool(getattr(self.settings, kind, False))

    def update(self, snapshot: Snapshot, now: datetime | None = None) -> list[AlertEvent]:
        now = now or datetime.now(timezone.utc)
        previous, self._previous = self._previous, snapshot
        baseline = previous is None or self._rebaseline(previous, snapshot)
        candidates = [] if baseline or previous is None else self._streak_events(previous, snapshot, now)
        candidates += self._risk_events(snapshot, now, baseline)
        if not baseline and previous is not None:
            candidates += _quadrant_events(previous, snapshot, now)

        fresh = []
        for event in candidates:
            if event.key in self._seen:
                continue
            self._remember(event.key)  # remembered even when its kind is off: turning it on later won't replay it
            if self.enabled(event.kind):
                fresh.append(event)
                self.log.append(event)
        return fresh

    # -- internals ------------------------------------------------------------------------------------------

    @staticmethod
    def _rebaseline(previous: Snapshot, snapshot: Snapshot) -> bool:
        return snapshot.as_of < previous.as_of or (snapshot.source, snapshot.small, snapshot.large) != (
            previous.source,
            previous.small,
            previous.large,
        )

    def _remember(self, key: tuple) -> None:
        self._seen[key] = None
        while len(self._seen) > SEEN_SIZE:
            self._seen.popitem(last=False)

    def _streak_events(self, previous: Snapshot, snapshot: Snapshot, now: datetime) -> list[AlertEvent]:
        old, new = previous.streak, snapshot.streak
        events: list[AlertEvent] = []
        name = _names(snapshot)
        same = new.leader != "none" and (new.leader, new.start) == (old.leader, old.start)

        if old.leader != "none" and old.start is not None and not same:
            events.append(self._broke(old, snapshot, name, now))

        if same and new.length > old.length:
            who = name[new.leader]
            events.append(
                AlertEvent(
                    "streak_extended",
                    ("streak_extended", new.leader, new.start, new.length),
                    "Streak extended",
                    f"{who} has won {sessions(new.length)} in a row (since {day(new.start)}); "
                    f"{_returns(new, snapshot)}",
                    "information",
                    now,
                    snapshot.as_of,
                )
            )
            record = _previous_record(old, new)
            if record is not None and new.length > record:
                events.append(
                    AlertEvent(
                        "record",
                        ("record", new.leader, new.start, new.length),
                        "New record",
                        f"{who}: {sessions(new.length)} in a row is the longest streak in the loaded history "
                        f"(record before: {sessions(record)})",
                        "warning",
                        now,
                        snapshot.as_of,
                    )
                )
            elif self._milestone(old, new):
                since = new.longest_since
                assert since is not None
                events.append(
                    AlertEvent(
                        "milestone",
                        ("milestone", new.leader, new.start, since.end),
                        "Longest since " + day(since.end),
                        f"{who}: {sessions(new.length)} in a row is the longest streak since {day(since.end)} "
                        f"(when one lasted {sessions(since.length)})",
                        "information",
                        now,
                        snapshot.as_of,
                    )
                )
        return events

    def _broke(self, old: Streak, snapshot: Snapshot, name: dict[str, str], now: datetime) -> AlertEvent:
        # The final length and the breaker come from the runs when they cover the old streak (several sessions
        # may have passed since the previous snapshot); otherwise from the previous streak and the current one.
        length, end = old.length, old.end
        breaker, broke_on = snapshot.streak.leader, snapshot.streak.start
        runs = snapshot.runs
        for i, run in enumerate(runs):
            if (run.leader, run.start) == (old.leader, old.start):
                length, end = run.length, run.end
                if i + 1 < len(runs):
                    breaker, broke_on = runs[i + 1].leader, runs[i + 1].start
                break
        who = name[old.leader]
        if breaker == "none":
            how = f"{day(broke_on)} was a tie" if broke_on else "a tie session ended it"
        else:
            winner = name.get(breaker, breaker)
            how = f"{winner} won on {day(broke_on)}" if broke_on else f"{winner} won"
        return AlertEvent(
            "streak_broke",
            ("streak_broke", old.leader, old.start),
            "Streak broke",
            f"{who}'s streak ended after {sessions(length)} ({day(old.start)} – {day(end)}): {how}",
            "warning",
            now,
            snapshot.as_of,
        )

    def _milestone(self, old: Streak, new: Streak) -> bool:
        since, before = new.longest_since, old.longest_since
        if since is None or new.start is None:
            return False
        moved = before is None or since.end < before.end
        return moved and (new.start - since.end).days >= self.milestone_min_days

    def _risk_events(self, snapshot: Snapshot, now: datetime, baseline: bool) -> list[AlertEvent]:
        events = []
        for risk in snapshot.risks:
            if risk.status == "unknown":  # missing data is not a market event; keep the last known status
                continue
            before = self._risk_status.get(risk.id)
            self._risk_status[risk.id] = risk.status
            if baseline or before is None or before == risk.status:
                continue
            severity = _RISK_SEVERITY.get(risk.status, "information")
            label = plain(risk.label)
            events.append(
                AlertEvent(
                    "risk_changed",
                    ("risk_changed", risk.id, snapshot.as_of, before, risk.status),
                    f"Risk: {label}",
                    f"{label}: {before} → {risk.status} — {plain(risk.detail)}",
                    severity,
                    now,
                    snapshot.as_of,
                )
            )
        return events


def _quadrant_events(previous: Snapshot, snapshot: Snapshot, now: datetime) -> list[AlertEvent]:
    """A symbol of the rotation map whose latest *completed* period entered Leading or Lagging since the previous
    snapshot. The week in progress is left out: its point moves with every session and may yet turn back."""
    if snapshot.rotation is None:
        return []
    before = {(s.symbol, s.benchmark): s for s in previous.rotation.series} if previous.rotation else {}
    unit = "week" if snapshot.rotation.period == "weekly" else "session"
    events = []
    for series in snapshot.rotation.series:
        old = before.get((series.symbol, series.benchmark))
        entered, on = series.completed, series.completed_on
        if old is None or entered not in ALERTED_QUADRANTS or on is None:
            continue
        if old.completed_on is None or on <= old.completed_on or old.completed == entered:
            continue
        symbol, benchmark = plain(series.symbol), plain(series.benchmark)
        events.append(
            AlertEvent(
                "quadrant",
                ("quadrant", series.symbol, series.benchmark, entered, on),
                f"{symbol} entered {entered.capitalize()}",
                f"{symbol} ({plain(series.name)}) entered {entered.capitalize()} against {benchmark} in the {unit} "
                f"to {day(on)}{_position(series, on)}",
                ALERTED_QUADRANTS[entered],
                now,
                snapshot.as_of,
            )
        )
    return events


def _position(series: RotationSeries, on: date) -> str:
    point = next((p for p in series.tail if p.date == on), None)
    return "" if point is None else f" (ratio {point.ratio:.2f}, momentum {point.momentum:.2f})"


def _names(snapshot: Snapshot) -> dict[str, str]:
    return {"small": plain(display_name(snapshot.small)), "large": plain(display_name(snapshot.large)), "none": "tie"}


def _returns(streak: Streak, snapshot: Snapshot) -> str:
    return f"{plain(snapshot.small)} {pct(streak.small_return)} vs {plain(snapshot.large)} {pct(streak.large_return)}"


def _previous_record(old: Streak, new: Streak) -> int | None:
    """The leader's record as of the previous snapshot (the streak itself included)."""
    return old.record_length if old.leader == new.leader else None
