"""Small-cap sector returns over several windows, and each against the small-cap index (SPEC §3 pane 3).

Windows are anchored on the small index's own sessions, while every column is valued at its *own* last valid
close on or before each anchor: thin ETFs have gaps, and a gap must neither blank the row nor shift the window.
A sector's windows end at its own last close (its ``as_of``), which is older than the pair's as-of when its data
lags; ``vs_small_*`` then measures the small index over exactly the sector's two dates, so a row always compares
like with like.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from tui.analytics.sessions import as_floats, valid_array
from tui.config import Sector
from tui.model import SectorRow, Streak

WINDOWS = ("1d", "5d", "streak", "1m", "ytd")


def sector_table(
    closes: pd.DataFrame,
    sectors: Iterable[Sector],
    small: str,
    streak: Streak | None,
    as_of: date | pd.Timestamp | None = None,
) -> tuple[SectorRow, ...]:
    """One row per configured sector, in the configured order.

    Windows end at ``as_of`` (default: the small index's last close) and start at the close of an anchor
    session of the small index: the previous session (1D), five sessions back (5D), the session before
    ``streak.start`` (streak), the last session on or before ``as_of`` minus one calendar month (1M), and the last
    session of the previous calendar year (YTD). A return is None when the anchor does not exist, when the
    column has no close on or before the anchor (the window reaches before its series begins), or when the
    column has no close after the anchor (nothing observed in the window). Each return runs to the column's own
    last valid close (the row's ``as_of``). ``vs_small_*`` is ``(1+r_sector)/(1+r_small)-1`` with ``r_small``
    taken between exactly the two dates of the sector's return: None when the small index has no close on one
    of them.
    """
    sectors = tuple(sectors)
    index = closes.index
    # Everything below works on row positions in ``closes`` and plain arrays, and reads each column only from the
    # earliest anchor on: pandas' per-call overhead and a pass over decades of history cost far more than this.
    # Rows [0, stop) are closes.loc[:as_of] (the index is ascending, see MarketData).
    stop = len(index) if as_of is None else int(index.searchsorted(pd.Timestamp(as_of), side="right"))
    floats = {
        sym: as_floats(closes[sym])[:stop]
        for sym in dict.fromkeys([small, *(s.symbol for s in sectors)])
        if sym in closes.columns
    }
    calendar = np.empty(0, dtype=np.intp)  # the small index's sessions, as row positions
    if small in floats:
        calendar = np.flatnonzero(~np.isnan(valid_array(floats[small])))
    if as_of is None and len(calendar):
        stop = int(calendar[-1]) + 1
    if stop == 0:
        return tuple(_empty_row(s) for s in sectors)

    anchors = _anchors(index, calendar, streak, pd.Timestamp(as_of) if as_of is not None else None)
    end = stop - 1
    first = min([row for row in anchors.values() if row is not None], default=end)
    observed = {sym: _observed(values[:stop], first) for sym, values in floats.items()}
    small_values = valid_array(floats[small]) if small in floats else np.empty(0)
    out = []
    for sector in sectors:
        seen = observed.get(sector.symbol, np.empty(0, dtype=np.intp))
        spans = _window_spans(seen, anchors)
        values = floats.get(sector.symbol)
        own: dict[str, float | None] = dict.fromkeys(WINDOWS)
        versus: dict[str, float | None] = dict.fromkeys(WINDOWS)
        for window, span in spans.items():
            if span is not None:
                own[window] = _growth(values, *span)
                versus[window] = _vs(own[window], _growth(small_values, *span))  # the index on the same two dates
        out.append(
            SectorRow(
                symbol=sector.symbol,
                name=sector.name,
                return_1d=own["1d"],
                return_5d=own["5d"],
                return_streak=own["streak"],
                return_1m=own["1m"],
                return_ytd=own["ytd"],
                vs_small_1d=versus["1d"],
                vs_small_5d=versus["5d"],
                vs_small_streak=versus["streak"],
                vs_small_1m=versus["1m"],
                vs_small_ytd=versus["ytd"],
                as_of=index[seen[-1]].date() if len(seen) else None,
            )
        )
    return tuple(out)


def _observed(values: np.ndarray, first: int) -> np.ndarray:
    """Row positions, ascending, of the valid closes in ``values`` that windows anchored at row ``first`` or later
    read: those from ``first`` on, preceded by the last one before it when ``first`` has none (a thin ETF's gap,
    or a series that ended: its value at the anchor is that close)."""
    observed = np.flatnonzero(~np.isnan(valid_array(values[first:]))) + first
    if first > 0 and not (len(observed) and observed[0] == first):
        before = np.flatnonzero(~np.isnan(valid_array(values[:first])))  # the whole prefix, only in this case
        observed = np.concatenate([before[-1:], observed])
    return observed


def _window_spans(observed: np.ndarray, anchors: dict[str, int | None]) -> dict[str, tuple[int, int] | None]:
    """The two row positions each window's return is measured between, for one column: its last valid close on
    or before the anchor, and its last valid close (``observed`` as from :func:`_observed`). None without an
    anchor, without a close on or before it, or without one after it (nothing observed in the window)."""
    out: dict[str, tuple[int, int] | None] = dict.fromkeys(WINDOWS)
    if not len(observed):
        return out
    last = int(observed[-1])
    rows = {w: row for w, row in anchors.items() if row is not None and row < last}
    if rows:
        at = np.searchsorted(observed, list(rows.values()), side="right") - 1  # -1: none on or before
        for window, i in zip(rows, at.tolist()):
            if i >= 0:
                out[window] = (int(observed[i]), last)
    return out


def _growth(values: np.ndarray | None, start: int, end: int) -> float | None:
    """``values[end] / values[start] - 1``; None when either is not a valid close."""
    if values is None or not len(values):
        return None
    first, last = values[start], values[end]
    if not (np.isfinite(first) and np.isfinite(last) and first > 0 and last > 0):
        return None
    return float(last / first - 1.0)


def _anchors(
    index: pd.DatetimeIndex, calendar: np.ndarray, streak: Streak | None, as_of: pd.Timestamp | None
) -> dict[str, int | None]:
    """Row position of each window's anchor session, None where the window cannot be formed. ``calendar`` holds
    the row positions of the small index's sessions in ``index``, ascending."""
    anchors: dict[str, int | None] = dict.fromkeys(WINDOWS)
    if len(calendar) == 0:
        return anchors
    latest = as_of if as_of is not None else index[calendar[-1]]

    def on_or_before(day: pd.Timestamp) -> int | None:
        rows = index.searchsorted(day, side="right")  # the rows dated on or before ``day`` are [0, rows)
        i = int(np.searchsorted(calendar, rows, side="left")) - 1
        return None if i < 0 else int(calendar[i])

    def back(sessions: int) -> int | None:
        return int(calendar[-1 - sessions]) if len(calendar) > sessions else None

    anchors["1d"] = back(1)
    anchors["5d"] = back(5)
    if streak is not None and streak.start is not None:
        anchors["streak"] = on_or_before(pd.Timestamp(streak.start) - pd.Timedelta(days=1))
    anchors["1m"] = on_or_before(latest - pd.DateOffset(months=1))
    anchors["ytd"] = on_or_before(pd.Timestamp(latest.year - 1, 12, 31))
    return anchors


def _vs(sector: float | None, small: float | None) -> float | None:
    if sector is None or small is None:
        return None
    return (1.0 + sector) / (1.0 + small) - 1.0


def _empty_row(sector: Sector) -> SectorRow:
    return SectorRow(sector.symbol, sector.name, *([None] * 10))
