"""The rotation map: where each symbol stands against its benchmark (relative strength) and where it is heading
(the momentum of that strength), both centred on 100.

The commercial charts of this kind use proprietary formulas; this is a documented approximation that reads only
data up to each period's own date, so a replay of a past day and the live monitor on that day agree. Per symbol
``P`` against its benchmark ``B``, on the periods' closes (weekly by default)::

    RS        = 100 · P / B
    R         = 100 · EMA10(RS) / EMA30(RS)                      # EMA_n: span n, alpha 2/(n+1), seeded at the
    ratio     = 100 + (R − 100) / SD52(R − 100)                  #   first value, as pandas' ewm(adjust=False)
    M         = 100 · ratio_t / ratio_{t−4}
    momentum  = 100 + (M − 100) / SD52(M − 100)

``SD52`` is the sample standard deviation (ddof 1) of the last 52 periods, needing all 52: a ratio exists from a
symbol's 52nd common period, a momentum from its 107th (two years of weeks). Where ``SD52`` is zero (the series
never moved against its benchmark) the value is 100: a flat series, or a benchmark against itself, sits at
(100, 100). Scaling ``P`` or ``B`` by a constant changes nothing (every step is a ratio of like quantities).

Quadrants: Leading (ratio > 100, momentum > 100), Weakening (ratio > 100, momentum < 100), Lagging (both below),
Improving (ratio < 100, momentum > 100); a point on an axis has none.

Periods: ``weekly`` takes each week's last close on which the symbol and its benchmark both have one (weeks end on
Friday, W-FRI); the current week, while it is not over (the as-of session falls before its Friday), is a point
too, marked provisional: its value moves with each session until the week closes. ``daily`` takes every common
session (the same parameters, counted in sessions). A symbol's periods are its own common closes with its
benchmark, so a thin ETF's missing day neither blanks nor shifts its series.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from tui.analytics.sessions import as_floats, valid_array
from tui.model import QUADRANTS, RotationMap, RotationPoint, RotationSeries

SHORT_SPAN = 10  # periods of the fast EMA of RS
LONG_SPAN = 30  # periods of the slow EMA of RS
SD_WINDOW = 52  # periods of the standard deviation that scales both axes
MOMENTUM_LAG = 4  # periods over which the momentum compares the ratio
#: A standard deviation at or below this (in points of R or M) is no variation at all: the EMAs of a constant
#: differ from it by rounding only, which divided by an SD of the same size would be noise, not a signal.
FLAT_SD = 1e-9
CENTRE = 100.0
FRIDAY = 4  # date.weekday()


def rotation_map(
    closes: pd.DataFrame,
    members: Sequence[tuple[str, str, str]],
    as_of: date,
    *,
    period: str = "weekly",
    tail: int = 8,
) -> RotationMap:
    """The map of ``members`` — (symbol, name, benchmark) each — from a closes frame (ascending dates), as of
    ``as_of``: the pair's latest completed session. Nothing after it is read."""
    if period not in ("weekly", "daily"):
        raise ValueError(f"unknown rotation period {period!r}")
    stop = int(closes.index.searchsorted(pd.Timestamp(as_of), side="right"))  # rows up to as_of, never after
    days = closes.index[:stop].to_numpy(dtype="datetime64[D]").astype(np.int64)  # since 1970-01-01, a Thursday
    wanted = dict.fromkeys(sym for symbol, _, benchmark in members for sym in (symbol, benchmark))
    columns = {sym: valid_array(as_floats(closes[sym])[:stop]) for sym in wanted if sym in closes.columns}
    present = {sym: ~np.isnan(values) for sym, values in columns.items()}
    weeks = _week(days) if period == "weekly" else None
    rows = [_period_rows(present.get(symbol), present.get(benchmark), weeks) for symbol, _, benchmark in members]
    strength = [100.0 * columns[s][r] / columns[b][r] if len(r) else np.empty(0) for (s, _, b), r in zip(members, rows)]
    axes = _axes(strength)
    as_of_week = _week(np.int64((as_of - date(1970, 1, 1)).days))
    week_open = period == "weekly" and as_of.weekday() < FRIDAY
    series = []
    for (symbol, name, benchmark), r, own in zip(members, rows, axes):
        provisional = bool(len(r) and week_open and _week(days[r[-1]]) == as_of_week)
        series.append(_series(symbol, name, benchmark, *own, days[r], tail, provisional))
    return RotationMap(period=period, tail_length=tail, series=tuple(series))


def _week(day: Any) -> Any:
    """The week (Saturday to Friday) of a day counted from 1970-01-01 (a Thursday; day 2 is a Saturday); a number
    or an array of them."""
    return (day - 2) // 7


def _period_rows(price: np.ndarray | None, benchmark: np.ndarray | None, weeks: np.ndarray | None) -> np.ndarray:
    """Row positions of a symbol's periods: the rows where it and its benchmark both have a close (``price`` and
    ``benchmark`` say where each has one), only each week's last when ``weeks`` gives each row's week."""
    if price is None or benchmark is None:
        return np.empty(0, dtype=np.intp)
    rows = np.flatnonzero(price & benchmark)
    if weeks is not None and len(rows):
        week = weeks[rows]
        rows = rows[np.append(week[1:] != week[:-1], True)]
    return rows


def _axes(strength: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Ratio, momentum and quadrant codes of each series, in order. Series of similar length (within a factor of
    two: the sector ETFs) are computed together, one array for the group; a much longer one (the pair, from 1987)
    on its own, so the short ones are not padded to its length (that padding had doubled the cost)."""
    order = sorted(range(len(strength)), key=lambda k: -len(strength[k]))
    groups: list[list[int]] = []
    for k in order:
        if groups and 2 * len(strength[k]) >= len(strength[groups[-1][0]]):
            groups[-1].append(k)
        else:
            groups.append([k])
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [None] * len(strength)  # type: ignore[list-item]
    for group in groups:
        ratio, momentum = _ratio_and_momentum([strength[k] for k in group])
        codes = _quadrant_codes(ratio, momentum)
        for column, k in enumerate(group):
            n = len(strength[k])  # column ``column``, rows [0, n): the series' own periods
            out[k] = (ratio[:n, column], momentum[:n, column], codes[:n, column])
    return out


def _ratio_and_momentum(strength: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Both axes for every series at once: the series are packed into the columns of one array, each from row 0
    (NaN below a shorter one), so each step is one pass over all of them and each column holds only its own
    periods. Row ``i`` of column ``k`` is period ``i`` of series ``k``."""
    length = max((len(s) for s in strength), default=0)
    packed = np.full((length, len(strength)), np.nan)
    for k, values in enumerate(strength):
        packed[: len(values), k] = values
    ratio = _normalised(100.0 * _ema(packed, SHORT_SPAN) / _ema(packed, LONG_SPAN))
    lagged = np.full_like(ratio, np.nan)
    lagged[MOMENTUM_LAG:] = ratio[:-MOMENTUM_LAG]
    return ratio, _normalised(100.0 * ratio / lagged)


#: Periods per block of :func:`_ema`: the block's weights grow as (1 − alpha)^−i, which for a span of 10 reaches
#: about 1e87 at 1,000 periods, far inside a double's range.
EMA_BLOCK = 1000


def _ema(values: np.ndarray, span: int) -> np.ndarray:
    """Exponential moving average down each column, alpha = 2/(span+1), seeded at row 0 (pandas'
    ``ewm(span, adjust=False).mean()``): ``y_t = (1−alpha)·y_{t−1} + alpha·x_t``.

    Unrolled, a block of rows after ``y_s`` is ``y_{s+j} = r^j·(y_s + alpha·Σ_{i≤j} r^−i·x_{s+i})`` with
    r = 1 − alpha: a cumulative sum per block instead of a loop over the rows."""
    alpha = 2.0 / (span + 1.0)
    r = 1.0 - alpha
    out = np.empty_like(values)
    if not len(values):
        return out
    out[0] = values[0]
    for start in range(1, len(values), EMA_BLOCK):
        block = values[start : start + EMA_BLOCK]
        steps = np.arange(1, len(block) + 1, dtype=np.float64)[:, None]
        grow = r**-steps
        out[start : start + len(block)] = (out[start - 1] + alpha * np.cumsum(block * grow, axis=0)) / grow
    return out


def _normalised(level: np.ndarray) -> np.ndarray:
    """``100 + (x − 100) / SD52(x − 100)`` down each column; 100 where the deviation has no spread at all, NaN
    until a column has 52 values."""
    deviation = level - CENTRE
    spread = _rolling_sd(deviation, SD_WINDOW)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(spread > FLAT_SD, deviation / spread, 0.0)
    return np.where(np.isnan(spread), np.nan, CENTRE + scaled)


def _rolling_sd(values: np.ndarray, window: int) -> np.ndarray:
    """Sample standard deviation (ddof 1) of each trailing ``window`` of each column, NaN unless all ``window``
    values are there. Running sums of the values and of their squares: the deviations are of order 1 and a
    column holds a few thousand, so the sums lose nothing that matters at the precision shown."""
    out = np.full(values.shape, np.nan)
    if len(values) < window:
        return out
    present = ~np.isnan(values)
    zeroed = np.where(present, values, 0.0)

    def window_sums(x: np.ndarray) -> np.ndarray:
        total = np.cumsum(x, axis=0)
        total[window:] -= total[:-window].copy()
        return total[window - 1 :]

    count = window_sums(present.astype(np.float64))
    first = window_sums(zeroed)
    second = window_sums(zeroed * zeroed)
    variance = np.maximum(second - first * first / window, 0.0) / (window - 1)
    out[window - 1 :] = np.where(count == window, np.sqrt(variance), np.nan)
    return out


def _quadrant_codes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index into QUADRANTS per period; -1 where a value is missing or on an axis."""
    with np.errstate(invalid="ignore"):
        codes = np.where(x > CENTRE, np.where(y > CENTRE, 0, 1), np.where(y > CENTRE, 3, 2))
        placed = (x != CENTRE) & (y != CENTRE) & ~np.isnan(x) & ~np.isnan(y)
    return np.where(placed, codes, -1)


def _series(
    symbol: str,
    name: str,
    benchmark: str,
    x: np.ndarray,
    y: np.ndarray,
    codes: np.ndarray,
    days: np.ndarray,
    tail: int,
    provisional: bool,
) -> RotationSeries:
    """One symbol's entry from its own periods' values, quadrant codes and dates (days since 1970-01-01)."""
    as_of = _day(days[-1]) if len(days) else None
    known = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if not len(known) or known[-1] != len(x) - 1:  # the current period has no point (too little history)
        return RotationSeries(symbol, name, benchmark, None, None, None, 0, (), provisional, as_of)
    head = codes[-1]
    changed = np.flatnonzero(codes != head)
    run = len(codes) - (int(changed[-1]) + 1 if len(changed) else 0)
    points = tuple(RotationPoint(_day(days[i]), float(x[i]), float(y[i])) for i in known[-tail:].tolist())
    done = len(x) - 2 if provisional else len(x) - 1  # the latest completed period
    completed = QUADRANTS[codes[done]] if done >= 0 and codes[done] >= 0 else None
    return RotationSeries(
        symbol=symbol,
        name=name,
        benchmark=benchmark,
        ratio=float(x[-1]),
        momentum=float(y[-1]),
        quadrant=QUADRANTS[head] if head >= 0 else None,
        periods_in_quadrant=run,
        tail=points,
        provisional=provisional,
        as_of=as_of,
        completed=completed,
        completed_on=_day(days[done]) if done >= 0 and completed is not None else None,
    )


_EPOCH = date(1970, 1, 1).toordinal()


def _day(days_since_epoch: np.integer) -> date:
    return date.fromordinal(_EPOCH + int(days_since_epoch))
