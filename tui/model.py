"""Result types: what the analytics compute and what every output (screen, Rich, JSON) renders.

Frozen records (``Struct``, tui/records.py) with no pandas inside, so they are cheap to pass between threads and
to compare (the UI redraws a pane only when its part of the snapshot changed).
"""

from __future__ import annotations

import base64
import math
from array import array
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal, overload

from msgspec import Struct, field

from tui.data.base import DELAYED_AFTER
from tui.data.market_clock import MarketStatus
from tui.records import value_apart_from

Side = Literal["small", "large", "none"]
RiskStatus = Literal["ok", "watch", "alert", "unknown"]


class LongestSince(Struct, frozen=True):
    """The most recent earlier streak of the same leader at least as long as the current one (SPEC §1)."""

    end: date
    length: int


class StreakRun(Struct, frozen=True):
    """One run of consecutive sessions won by the same side (leader "none" for a tie session)."""

    leader: Side
    start: date
    end: date
    length: int
    small_return: float
    large_return: float


class Streak(Struct, frozen=True):
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


class Provisional(Struct, frozen=True):
    """The race of the session in progress, never mixed into the completed streak."""

    session: date
    small_change: float  # since the last completed close
    large_change: float
    leader: Side  # who leads right now
    streak_leader: Side  # leader of the streak if the session ended now
    streak_length: int  # length of that streak if the session ended now
    quote_time: datetime | None = None  # the older of the two quotes: the race is only as fresh as that


class LeadChange(Struct, frozen=True):
    """The moment one side took the lead from the other during today's race."""

    time: datetime
    leader: Side  # who took it ("small" or "large")


class Gap(Struct, frozen=True):
    """The day's widest gap one way: ``value`` is small's % change less large's (a fraction; negative when the
    large side leads), at ``time``."""

    value: float
    time: datetime


class Today(Struct, frozen=True):
    """Today's race (or the last session's, until the next starts): both sides' % change since the previous
    completed close on one time grid, and what the path says. Never mixed into the completed streak.

    The shares are time-weighted: each point's leader holds until the next point; a level point ("none") counts
    for neither side, so ``share_small + share_large + share_level`` is 1. With no path (``times`` empty) only
    ``note`` says why."""

    session: date | None
    times: tuple[datetime, ...] = ()
    small: tuple[float, ...] = ()  # % change since the previous close, as fractions
    large: tuple[float, ...] = ()
    difference: tuple[float, ...] = ()  # small - large
    leader: Side = "none"  # who leads at the last point
    lead_changes: tuple[LeadChange, ...] = ()
    share_small: float | None = None  # None until the path spans some time
    share_large: float | None = None
    share_level: float | None = None
    widest_small: Gap | None = None  # small's widest lead (None if it never led)
    widest_large: Gap | None = None  # large's widest lead (a negative difference; None if it never led)
    complete: bool = False  # the session has closed: the path runs to its close
    note: str | None = None  # why there is no path (or only part of one), in plain words
    #: When the session's regular trading ends (UTC; 13:00 ET on a half day), from the calendar the data source
    #: used: the race chart's axis runs to it. None when the source did not say (then the regular 16:00 ET).
    session_close: datetime | None = None


class FutureRead(Struct, frozen=True):
    """One index future before the open: its last price against its previous settlement."""

    symbol: str
    change: float  # price / previous_close - 1
    price: float
    previous_close: float
    time: datetime


class Premarket(Struct, frozen=True):
    """The pre-market read (futures, indicative): who the futures favour and what the streak would become if the
    cash session ended that way. Never mixed into the streak. ``leader`` None means unknown, ``note`` says why."""

    small_symbol: str
    large_symbol: str
    small: FutureRead | None
    large: FutureRead | None
    leader: Side | None
    streak_leader: Side | None
    streak_length: int | None
    note: str | None = None


class Spread(Struct, frozen=True):
    """The spread pane's series over its window: daily spread and relative performance, per session (SPEC §1)."""

    window: int
    dates: tuple[date, ...]
    daily: tuple[float, ...]  # small return - large return, per session
    relative: tuple[float, ...]  # (1+R_small)/(1+R_large) - 1, cumulative from the close before the window
    rs_5d: float | None
    streak_start: date | None = None  # first session of the current streak, for highlighting


class SectorRow(Struct, frozen=True):
    """One small-cap sector ETF: its returns over each window and each return less the small-cap index's."""

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
    as_of: date | None = None  # its last valid close on or before the pair's as-of: every window ends there


class Risk(Struct, frozen=True):
    """One rule of the risk checklist (SPEC §5): its status, the value behind it and one line of why."""

    id: str
    label: str
    status: RiskStatus
    value: float | None
    detail: str  # one line of why, or the reason it is unknown
    as_of: date | None = None  # the date of the data the measure was taken on; None when it carries none


class ForwardStat(Struct, frozen=True):
    """Forward relative performance of small vs large N sessions after qualifying streaks ended."""

    horizon: int
    count: int  # sample size
    median: float | None
    share_positive: float | None


class HistoryEntry(StreakRun, frozen=True):
    """A run listed on the history screen, with what followed it."""

    forward: tuple[float | None, ...] = ()  # relative performance after the end, one per horizon


class History(Struct, frozen=True):
    """The history screen: every streak of ``min_length``+ sessions, what followed each, and how the current one
    ranks."""

    min_length: int
    horizons: tuple[int, ...]
    streaks: tuple[HistoryEntry, ...]
    forward: dict[str, tuple[ForwardStat, ...]] = field(default_factory=dict)  # by leader
    current_rank: int | None = None  # 1 = longest among all streaks of the current leader
    current_percentile: float | None = None
    note: str | None = None  # e.g. "not enough history"


class Dropped(Struct, frozen=True):
    """A symbol the live source stopped polling: which, since when, why."""

    symbol: str
    since: datetime
    reason: str


class DataStatus(Struct, frozen=True):
    """Where the data came from and how fresh it is: the status line's and the JSON's ``data``."""

    source: str
    label: str
    stale: bool
    errors: tuple[str, ...]
    fetched_at: datetime | None
    banner: str | None = None
    retry_in: float | None = None
    received_at: datetime | None = None  # live data: when the source last got usable data for the pair
    quote_time: datetime | None = None  # the newest intraday quote's trade time, during a session
    dropped: tuple[Dropped, ...] = ()
    now: datetime | None = None  # the instant the data stands for (a replay: its day's close)


class Snapshot(Struct, frozen=True):
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
    runs: Sequence[StreakRun] = ()  # oldest first; read back from the snapshot cache: PackedRuns
    history: History | None = None
    sessions: int = 0  # number of sessions in the loaded history
    today: Today | None = None  # today's race; None when the source has no intraday path and says nothing
    premarket: Premarket | None = None  # before the open of a session day only
    rotation: RotationMap | None = None  # the rotation map of the sectors and the pair
    pair_name: str = ""  # what the user calls the pair on screen ("Small caps vs total return"); may be empty
    pairs: tuple[PairEntry, ...] = ()  # the board of pairs, the one on screen among them
    #: The market clock at the data's instant, attached by the refresh pipeline (None when the calendar can't place
    #: it, and in a snapshot read back from the snapshot cache, until the first refresh).
    market: MarketStatus | None = None

    # ``market`` is not part of the snapshot's value (tui/records.py): a snapshot read back from the cache is equal
    # to the one written, and a refresh that brings only a later clock changes nothing on the panes.
    __eq__, __hash__ = value_apart_from("market")

    @property
    def simulated(self) -> bool:
        return self.source == "demo"

    @property
    def provisional_delayed(self) -> bool:
        """Whether today's race rests on quotes more than DELAYED_AFTER old at the instant the data stands for. A
        race exists only while its session is in progress, so this is "while the market is open". Computed from
        the data status, which every refresh renews, so a race whose quotes stopped changing turns delayed."""
        race, now = self.provisional, self.data.now
        if race is None or race.quote_time is None or now is None:
            return False
        return now - race.quote_time > DELAYED_AFTER

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Snapshot:
        """Read back :meth:`to_json` (see :func:`snapshot_from_json`)."""
        return snapshot_from_json(value)

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of SPEC §4 (plus a few extra fields)."""
        out: dict[str, Any] = {
            "source": self.source,
            "label": self.data.label,
            "simulated": self.simulated,
            "as_of": self.as_of.isoformat(),
            "pair": {"small": self.small, "large": self.large, "name": self.pair_name},
            "streak": jsonable(self.streak),
            "provisional": None
            if self.provisional is None
            else {**jsonable(self.provisional), "delayed": self.provisional_delayed},
            "today": jsonable(self.today),
            "premarket": jsonable(self.premarket),
            "spread": jsonable(self.spread),
            "sectors": [jsonable(s) for s in self.sectors],
            "risks": [jsonable(r) for r in self.risks],
            "data": {
                "stale": self.data.stale,
                "errors": list(self.data.errors),
                "fetched_at": jsonable(self.data.fetched_at),
                "received_at": jsonable(self.data.received_at),
                "quote_time": jsonable(self.data.quote_time),
                "dropped": [jsonable(d) for d in self.data.dropped],
                "now": jsonable(self.data.now),
                "banner": self.data.banner,
                "sessions": self.sessions,
            },
        }
        if self.history is not None:
            out["history"] = history_json(self.history)
        if self.rotation is not None:
            out["rotation"] = jsonable(self.rotation)
        out["pairs"] = [pair_entry_json(p, active=(p.small, p.large) == (self.small, self.large)) for p in self.pairs]
        return out


def pair_entry_json(entry: PairEntry, active: bool = False) -> dict[str, Any]:
    """One pair of the board: its streak with the fields of SPEC §4, its rarity and 20-session relative
    performance, or the reason it has none; ``active``: the pair every pane shows."""
    return {**jsonable(entry), "active": active}


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
    if isinstance(value, Struct):
        return {name: jsonable(getattr(value, name)) for name in value.__struct_fields__}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    return str(value)


# -- reading JSON back (the snapshot cache's first paint): json + the records only, no pandas -------------------
def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _datetime(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _float(value: Any) -> float | None:
    """A JSON number as the float it was written from (``jsonable`` wrote NaN and infinities as null)."""
    return None if value is None else float(value)


def _build(cls: type[Struct], doc: dict[str, Any] | None, /, **convert: Any) -> Any:
    """``cls(**doc)``, each field named in ``convert`` passed through its converter; None stays None."""
    if doc is None:
        return None
    names = set(cls.__struct_fields__)
    kwargs = {k: (convert[k](v) if k in convert else v) for k, v in doc.items() if k in names}
    return cls(**kwargs)


def _floats(values: Any) -> tuple[float | None, ...]:
    return tuple(_float(v) for v in values)


def _dates(values: Any) -> tuple[date, ...]:
    return tuple(date.fromisoformat(v) for v in values)


def longest_since_from_dict(value: dict[str, Any] | None) -> LongestSince | None:
    return _build(LongestSince, value, end=_date)


def streak_from_dict(value: dict[str, Any]) -> Streak:
    return _build(
        Streak,
        value,
        start=_date,
        end=_date,
        small_return=_float,
        large_return=_float,
        longest_since=longest_since_from_dict,
        percentile=_float,
    )


def provisional_from_dict(value: dict[str, Any] | None) -> Provisional | None:
    return _build(Provisional, value, session=_date, small_change=_float, large_change=_float, quote_time=_datetime)


def today_from_dict(value: dict[str, Any] | None) -> Today | None:
    def gap(doc: dict[str, Any] | None) -> Gap | None:
        return _build(Gap, doc, value=float, time=_datetime)

    return _build(
        Today,
        value,
        session=_date,
        times=lambda v: tuple(datetime.fromisoformat(t) for t in v),
        small=_floats,
        large=_floats,
        difference=_floats,
        lead_changes=lambda v: tuple(_build(LeadChange, c, time=_datetime) for c in v),
        share_small=_float,
        share_large=_float,
        share_level=_float,
        widest_small=gap,
        widest_large=gap,
        session_close=_datetime,
    )


def premarket_from_dict(value: dict[str, Any] | None) -> Premarket | None:
    def read(doc: dict[str, Any] | None) -> FutureRead | None:
        return _build(FutureRead, doc, change=float, price=float, previous_close=float, time=_datetime)

    return _build(Premarket, value, small=read, large=read)


def spread_from_dict(value: dict[str, Any]) -> Spread:
    return _build(Spread, value, dates=_dates, daily=_floats, relative=_floats, rs_5d=_float, streak_start=_date)


def sector_row_from_dict(value: dict[str, Any]) -> SectorRow:
    numbers = {name: _float for name in SectorRow.__struct_fields__ if name.startswith(("return_", "vs_small_"))}
    return _build(SectorRow, value, as_of=_date, **numbers)


def risk_from_dict(value: dict[str, Any]) -> Risk:
    return _build(Risk, value, value=_float, as_of=_date)


def forward_stat_from_dict(value: dict[str, Any]) -> ForwardStat:
    return _build(ForwardStat, value, median=_float, share_positive=_float)


def pair_entry_from_dict(value: dict[str, Any]) -> PairEntry:
    return _build(PairEntry, value, as_of=_date, streak=streak_from_dict, relative_20=_float)  # (None stays None)


def history_from_dict(value: dict[str, Any] | None) -> History | None:
    """The inverse of :func:`history_json` (an entry's forward values are keyed by horizon there)."""
    if value is None:
        return None
    horizons = tuple(value["horizons"])
    streaks = tuple(
        HistoryEntry(
            leader=e["leader"],
            start=date.fromisoformat(e["start"]),
            end=date.fromisoformat(e["end"]),
            length=e["length"],
            small_return=_float(e["small_return"]),  # type: ignore[arg-type]
            large_return=_float(e["large_return"]),  # type: ignore[arg-type]
            forward=tuple(_float(e["forward"].get(str(h))) for h in horizons),
        )
        for e in value["streaks"]
    )
    return History(
        min_length=value["min_length"],
        horizons=horizons,
        streaks=streaks,
        forward={k: tuple(forward_stat_from_dict(s) for s in v) for k, v in value["forward"].items()},
        current_rank=value["current_rank"],
        current_percentile=_float(value["current_percentile"]),
        note=value["note"],
    )


def snapshot_from_json(value: dict[str, Any]) -> Snapshot:
    """The inverse of :meth:`Snapshot.to_json`.

    ``to_json`` (the SPEC §4 contract) leaves out the runs and the source's retry delay; a document that carries
    them as the extra keys ``"runs"`` and ``"retry_in"`` (see :func:`cache_json`) reads back equal to the
    snapshot it was written from, with NaN read back as None, since JSON has no NaN.
    """
    data = value["data"]
    return Snapshot(
        source=value["source"],
        as_of=date.fromisoformat(value["as_of"]),
        small=value["pair"]["small"],
        large=value["pair"]["large"],
        streak=streak_from_dict(value["streak"]),
        provisional=provisional_from_dict(value["provisional"]),
        spread=spread_from_dict(value["spread"]),
        sectors=tuple(sector_row_from_dict(s) for s in value["sectors"]),
        risks=tuple(risk_from_dict(r) for r in value["risks"]),
        data=DataStatus(
            source=value["source"],
            label=value["label"],
            stale=data["stale"],
            errors=tuple(data["errors"]),
            fetched_at=_datetime(data["fetched_at"]),
            banner=data["banner"],
            retry_in=_float(value.get("retry_in")),
            received_at=_datetime(data.get("received_at")),
            quote_time=_datetime(data.get("quote_time")),
            dropped=tuple(_build(Dropped, d, since=_datetime) for d in data.get("dropped", ())),
            now=_datetime(data.get("now")),
        ),
        runs=_runs_from_columns(value.get("runs")),
        history=history_from_dict(value.get("history")),
        sessions=data["sessions"],
        today=today_from_dict(value.get("today")),
        premarket=premarket_from_dict(value.get("premarket")),
        rotation=rotation_from_dict(value.get("rotation")),
        pair_name=value["pair"].get("name", ""),
        pairs=tuple(pair_entry_from_dict(p) for p in value.get("pairs", ())),
    )


def cache_json(snapshot: Snapshot) -> dict[str, Any]:
    """:meth:`Snapshot.to_json` plus what it leaves out (the runs, packed, and the retry delay), so that
    :func:`snapshot_from_json` gives the snapshot back. The runs are thousands of rows: packed columns (dates as
    day ordinals, returns as IEEE doubles, base64) read back in a few milliseconds, exactly."""
    out = snapshot.to_json()
    runs = snapshot.runs
    out["runs"] = {
        "leader": "".join(_LEADER_CODE[r.leader] for r in runs),
        "start": _pack("i", [r.start.toordinal() for r in runs]),
        "end": _pack("i", [r.end.toordinal() for r in runs]),
        "length": _pack("i", [r.length for r in runs]),
        "small_return": _pack("d", [r.small_return for r in runs]),
        "large_return": _pack("d", [r.large_return for r in runs]),
    }
    out["retry_in"] = jsonable(snapshot.data.retry_in)
    return out


_LEADER_CODE = {"small": "s", "large": "l", "none": "n"}
_LEADER_NAME = {v: k for k, v in _LEADER_CODE.items()}


def _pack(kind: str, values: list[Any]) -> str:
    return base64.b64encode(array(kind, values).tobytes()).decode("ascii")


def _unpack(kind: str, text: str) -> array[Any]:
    values = array(kind)
    values.frombytes(base64.b64decode(text, validate=True))
    return values


def _runs_from_columns(columns: dict[str, Any] | None) -> Sequence[StreakRun]:
    if not columns:
        return ()
    return PackedRuns(columns)


class PackedRuns(Sequence[StreakRun]):
    """A snapshot's runs as :func:`cache_json` packs them, each decoded into a :class:`StreakRun` only when read.

    A snapshot read back from the snapshot cache carries thousands of runs; its first paint reads only the last
    few (the streak pane's earlier streaks), the history screen all of them. Decoding all 4,800 at once cost ~8 ms
    of the first frame; the columns themselves unpack in a fraction of a millisecond. They are checked as they
    are unpacked (same lengths, known leaders, valid days), so reading a run later cannot fail. Equal to, and
    hashed like, the tuple of the same runs: a snapshot read back still equals the one it was written from.
    """

    __slots__ = ("_leaders", "_starts", "_ends", "_lengths", "_small", "_large")

    def __init__(self, columns: dict[str, Any]) -> None:
        self._leaders: str = columns["leader"]
        self._starts, self._ends = _unpack("i", columns["start"]), _unpack("i", columns["end"])
        self._lengths = _unpack("i", columns["length"])
        self._small, self._large = _unpack("d", columns["small_return"]), _unpack("d", columns["large_return"])
        n = len(self._leaders)
        if any(len(c) != n for c in (self._starts, self._ends, self._lengths, self._small, self._large)):
            raise ValueError("runs: columns of different lengths")
        if not set(self._leaders) <= _LEADER_NAME.keys():
            raise ValueError("runs: unknown leader code")
        if n and (min(min(self._starts), min(self._ends)) < 1 or max(max(self._starts), max(self._ends)) > _MAX_DAY):
            raise ValueError("runs: a day out of range")

    def __len__(self) -> int:
        return len(self._leaders)

    @overload
    def __getitem__(self, index: int) -> StreakRun: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[StreakRun, ...]: ...

    def __getitem__(self, index: int | slice) -> StreakRun | tuple[StreakRun, ...]:
        if isinstance(index, slice):
            return tuple(self._run(i) for i in range(*index.indices(len(self))))
        if not -len(self) <= index < len(self):
            raise IndexError("run index out of range")
        return self._run(index % len(self))

    def _run(self, i: int) -> StreakRun:
        ordinal = date.fromordinal
        return StreakRun(
            _LEADER_NAME[self._leaders[i]],  # type: ignore[arg-type]
            ordinal(self._starts[i]),
            ordinal(self._ends[i]),
            self._lengths[i],
            self._small[i],
            self._large[i],
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, PackedRuns)):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"PackedRuns({len(self)} runs)"


_MAX_DAY = date.max.toordinal()


# -- the rotation map (tui/analytics/rotation.py) ---------------------------------------------------------------
Quadrant = Literal["leading", "weakening", "lagging", "improving"]
#: The quadrants in clockwise order on the map (x = ratio, y = momentum): top right, bottom right, bottom left,
#: top left. A symbol that gains and then loses relative strength travels them in this order.
QUADRANTS: tuple[Quadrant, ...] = ("leading", "weakening", "lagging", "improving")


class RotationPoint(Struct, frozen=True):
    """One period's position on the map: its date is that of the last close the period holds."""

    date: date
    ratio: float  # relative-strength ratio, centred on 100
    momentum: float  # its momentum, centred on 100


class RotationSeries(Struct, frozen=True):
    """One symbol on the map, against its benchmark (a sector against the small index, the small against the
    large)."""

    symbol: str
    name: str
    benchmark: str
    ratio: float | None  # the current point; None while the history is too short for the formula
    momentum: float | None
    quadrant: Quadrant | None  # None on an axis (a series that never moved against its benchmark)
    periods_in_quadrant: int  # consecutive periods, the current one included, in the current quadrant
    tail: tuple[RotationPoint, ...]  # oldest first, the current point last
    provisional: bool = False  # the current point is the week in progress, not a completed week
    as_of: date | None = None  # the last close the symbol and its benchmark share
    completed: Quadrant | None = None  # the quadrant of the latest completed period (what alerts follow)
    completed_on: date | None = None


class RotationMap(Struct, frozen=True):
    """The rotation map of the sectors and the pair: one series per symbol, each with its tail."""

    period: str  # "weekly" or "daily"
    tail_length: int  # periods per tail, the current one included
    series: tuple[RotationSeries, ...]  # the pair first, then the sectors in configured order


def rotation_point_from_dict(value: dict[str, Any]) -> RotationPoint:
    return _build(RotationPoint, value, date=_date, ratio=float, momentum=float)


def rotation_series_from_dict(value: dict[str, Any]) -> RotationSeries:
    return _build(
        RotationSeries,
        value,
        ratio=_float,
        momentum=_float,
        tail=lambda points: tuple(rotation_point_from_dict(p) for p in points),
        as_of=_date,
        completed_on=_date,
    )


def rotation_from_dict(value: dict[str, Any] | None) -> RotationMap | None:
    """The inverse of ``jsonable(RotationMap)`` (the ``rotation`` key of :meth:`Snapshot.to_json`)."""
    return _build(RotationMap, value, series=lambda series: tuple(rotation_series_from_dict(s) for s in series))


# -- the board of pairs (tui.analytics.pairs) -------------------------------------------------------------------
class PairEntry(Struct, frozen=True):
    """One pair on the board: who leads it and how rare that is, over its own sessions up to the as-of session
    of the pair on screen. ``reason`` says why a pair has no figures (its symbols have no data); then
    ``streak`` is None."""

    small: str
    large: str
    name: str
    as_of: date | None = None  # its last session (earlier than the snapshot's when one of its symbols lags)
    sessions: int = 0
    streak: Streak | None = None
    rank: int | None = None  # among all streaks of the same leader, 1 = longest (ties share the better rank)
    relative_20: float | None = None  # (1+R_small)/(1+R_large) - 1 over its last 20 sessions
    reason: str | None = None
