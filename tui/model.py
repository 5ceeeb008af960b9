"""Result types: what the analytics compute and what every output (screen, Rich, JSON) renders.

Plain frozen dataclasses with no pandas inside, so they are cheap to pass between threads and to compare
(the UI redraws a pane only when its part of the snapshot changed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from typing import Any, Literal

Side = Literal["small", "large", "none"]
RiskStatus = Literal["ok", "watch", "alert", "unknown"]


@dataclass(frozen=True)
class LongestSince:
    end: date
    length: int


@dataclass(frozen=True)
class StreakRun:
    """One run of consecutive sessions won by the same side (leader "none" for a tie session)."""

    leader: Side
    start: date
    end: date
    length: int
    small_return: float
    large_return: float


@dataclass(frozen=True)
class Streak:
    """The current streak ending at the latest completed session (SPEC §1)."""

    leader: Side
    length: int
    start: date | None
    end: date | None
    small_return: float | None
    large_return: float | None
    longest_since: LongestSince | None
    record_length: int | None
    percentile: float | None = None  # share (0-1) of past streaks of this leader that are shorter


@dataclass(frozen=True)
class Provisional:
    """The race of the session in progress, never mixed into the completed streak."""

    session: date
    small_change: float  # since the last completed close
    large_change: float
    leader: Side  # who leads right now
    streak_leader: Side  # leader of the streak if the session ended now
    streak_length: int  # length of that streak if the session ended now
    quote_time: datetime | None = None


@dataclass(frozen=True)
class Spread:
    window: int
    dates: tuple[date, ...]
    daily: tuple[float, ...]  # small return - large return, per session
    relative: tuple[float, ...]  # (1+R_small)/(1+R_large) - 1, cumulative from the close before the window
    rs_5d: float | None
    streak_start: date | None = None  # first session of the current streak, for highlighting


@dataclass(frozen=True)
class SectorRow:
    symbol: str
    name: str
    return_1d: float | None
    return_5d: float | None
    return_streak: float | None
    return_1m: float | None
    return_ytd: float | None
    vs_small_1d: float | None
    vs_small_5d: float | None
    vs_small_streak: float | None
    vs_small_1m: float | None
    vs_small_ytd: float | None
    last_date: date | None = None


@dataclass(frozen=True)
class Risk:
    id: str
    label: str
    status: RiskStatus
    value: float | None
    detail: str  # one line of why, or the reason it is unknown


@dataclass(frozen=True)
class ForwardStat:
    """Forward relative performance of small vs large N sessions after qualifying streaks ended."""

    horizon: int
    count: int  # sample size
    median: float | None
    share_positive: float | None


@dataclass(frozen=True)
class HistoryEntry:
    leader: Side
    start: date
    end: date
    length: int
    small_return: float
    large_return: float
    forward: tuple[float | None, ...] = ()  # relative performance after the end, one per horizon


@dataclass(frozen=True)
class History:
    min_length: int
    horizons: tuple[int, ...]
    streaks: tuple[HistoryEntry, ...]
    forward: dict[str, tuple[ForwardStat, ...]] = field(default_factory=dict)  # by leader
    current_rank: int | None = None  # 1 = longest among all streaks of the current leader
    current_percentile: float | None = None
    note: str | None = None  # e.g. "not enough history"


@dataclass(frozen=True)
class DataStatus:
    source: str
    label: str
    stale: bool
    errors: tuple[str, ...]
    fetched_at: datetime | None
    banner: str | None = None
    retry_in: float | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything the monitor shows for one refresh."""

    source: str
    as_of: date  # latest completed session
    small: str
    large: str
    streak: Streak
    provisional: Provisional | None
    spread: Spread
    sectors: tuple[SectorRow, ...]
    risks: tuple[Risk, ...]
    data: DataStatus
    runs: tuple[StreakRun, ...] = ()
    history: History | None = None
    sessions: int = 0  # number of sessions in the loaded history

    @property
    def simulated(self) -> bool:
        return self.source == "demo"

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of SPEC §4 (plus a few extra fields)."""
        out: dict[str, Any] = {
            "source": self.source,
            "label": self.data.label,
            "simulated": self.simulated,
            "as_of": self.as_of.isoformat(),
            "pair": {"small": self.small, "large": self.large},
            "streak": jsonable(self.streak),
            "provisional": jsonable(self.provisional),
            "spread": jsonable(self.spread),
            "sectors": [jsonable(s) for s in self.sectors],
            "risks": [jsonable(r) for r in self.risks],
            "data": {
                "stale": self.data.stale,
                "errors": list(self.data.errors),
                "fetched_at": jsonable(self.data.fetched_at),
                "banner": self.data.banner,
                "sessions": self.sessions,
            },
        }
        if self.history is not None:
            out["history"] = history_json(self.history)
        return out


def history_json(history: History) -> dict[str, Any]:
    return {
        "min_length": history.min_length,
        "horizons": list(history.horizons),
        "streaks": [
            {
                "leader": e.leader,
                "start": e.start.isoformat(),
                "end": e.end.isoformat(),
                "length": e.length,
                "small_return": jsonable(e.small_return),
                "large_return": jsonable(e.large_return),
                "forward": {str(h): jsonable(v) for h, v in zip(history.horizons, e.forward)},
            }
            for e in history.streaks
        ],
        "forward": {leader: [jsonable(s) for s in stats] for leader, stats in history.forward.items()},
        "current_rank": history.current_rank,
        "current_percentile": jsonable(history.current_percentile),
        "note": history.note,
    }


def jsonable(value: Any) -> Any:
    """Dataclasses, dates, tuples and floats to JSON values; NaN and infinities become null (never made up)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    return str(value)
