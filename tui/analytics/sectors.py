"""Small-cap sector returns over several windows, and each against the small-cap index (SPEC §3 pane 3).

Windows are anchored on the small index's own sessions (so every sector and the index are measured over the
same dates), while every column is valued at its *own* last valid close on or before each anchor: thin ETFs
have gaps, and a gap must neither blank the row nor shift the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from tui.analytics.sessions import valid_prices
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
    column has no close after the anchor (nothing observed in the window). ``vs_small_*`` is
    ``(1+r_sector)/(1+r_small)-1`` over the same window.
    """
    sectors = tuple(sectors)
    symbols = list(dict.fromkeys([small, *(s.symbol for s in sectors)]))
    frame = pd.DataFrame(
        {sym: valid_prices(closes[sym]) if sym in closes.columns else np.nan for sym in symbols}, index=closes.index
    )
    if as_of is not None:
        frame = frame.loc[: pd.Timestamp(as_of)]
    calendar = frame.index[frame[small].notna().to_numpy()]
    if as_of is None and len(calendar):
        frame = frame.loc[: calendar[-1]]
    if frame.empty:
        return tuple(_empty_row(s) for s in sectors)

    # Last valid value, and the row position of that value, at every row: a forward fill, once for all columns.
    values = frame.to_numpy(dtype="float64")
    positions = np.where(np.isnan(values), np.nan, np.arange(len(frame), dtype="float64")[:, None])
    filled = pd.DataFrame(values).ffill().to_numpy()
    last_pos = pd.DataFrame(positions).ffill().to_numpy()

    anchors = _anchors(frame.index, calendar, streak, pd.Timestamp(as_of) if as_of is not None else None)
    end = len(frame) - 1
    returns: dict[str, np.ndarray] = {}  # window -> return per column
    for window in WINDOWS:
        row = anchors[window]
        if row is None:
            returns[window] = np.full(len(symbols), np.nan)
            continue
        r = filled[end] / filled[row] - 1.0
        r[~(last_pos[end] > row)] = np.nan  # no close after the anchor: nothing observed (NaN compares False)
        returns[window] = r
    small_col = symbols.index(small)
    out = []
    for sector in sectors:
        col = symbols.index(sector.symbol)
        own = {w: _num(returns[w][col]) for w in WINDOWS}
        vs = {w: _vs(returns[w][col], returns[w][small_col]) for w in WINDOWS}
        last = last_pos[end, col]
        out.append(
            SectorRow(
                symbol=sector.symbol,
                name=sector.name,
                return_1d=own["1d"],
                return_5d=own["5d"],
                return_streak=own["streak"],
                return_1m=own["1m"],
                return_ytd=own["ytd"],
                vs_small_1d=vs["1d"],
                vs_small_5d=vs["5d"],
                vs_small_streak=vs["streak"],
                vs_small_1m=vs["1m"],
                vs_small_ytd=vs["ytd"],
                last_date=None if np.isnan(last) else frame.index[int(last)].date(),
            )
        )
    return tuple(out)


def sector_start(
    closes: pd.DataFrame, sectors: Iterable[Sector], small: str, streak: Streak | None, as_of: date | pd.Timestamp
) -> pd.Timestamp | None:
    """The earliest date that :func:`sector_table` reads for ``as_of``: given only ``closes.loc[start:]`` it
    returns exactly what it returns for the whole history. None when that cannot be told cheaply (then pass it
    all).

    That is the earliest window anchor (which may be a year and more back: YTD anchors on the last session of
    the previous year, the streak window before the streak's start), and, for every column, its last valid close
    on or before that anchor (a thin ETF's value there may come from days before: the window must still see it).
    """
    symbols = [sym for sym in dict.fromkeys([small, *(s.symbol for s in sectors)]) if sym in closes.columns]
    if small not in symbols or any(closes[sym].dtype != np.float64 for sym in symbols):
        return None
    frame = closes[symbols].loc[: pd.Timestamp(as_of)]
    values = frame.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(values) & (values > 0)  # what valid_prices keeps
    calendar = frame.index[valid[:, 0]]
    if len(calendar) == 0:
        return None
    rows = [row for row in _anchors(frame.index, calendar, streak, pd.Timestamp(as_of)).values() if row is not None]
    if not rows:
        return None
    first = min(rows)
    upto = valid[: first + 1]
    seen = upto.any(axis=0)
    last_valid = first - np.argmax(upto[::-1], axis=0)  # per column: its last valid row at or before the anchor
    start = min(first, int(last_valid[seen].min())) if seen.any() else first
    return frame.index[start]


def _anchors(
    index: pd.DatetimeIndex, calendar: pd.DatetimeIndex, streak: Streak | None, as_of: pd.Timestamp | None
) -> dict[str, int | None]:
    """Row position in ``index`` of each window's anchor session, None where the window cannot be formed."""
    anchors: dict[str, int | None] = dict.fromkeys(WINDOWS)
    if len(calendar) == 0:
        return anchors
    latest = as_of if as_of is not None else calendar[-1]

    def on_or_before(day: pd.Timestamp) -> int | None:
        i = calendar.searchsorted(day, side="right") - 1
        return None if i < 0 else index.get_loc(calendar[i])

    def back(sessions: int) -> int | None:
        return index.get_loc(calendar[-1 - sessions]) if len(calendar) > sessions else None

    anchors["1d"] = back(1)
    anchors["5d"] = back(5)
    if streak is not None and streak.start is not None:
        anchors["streak"] = on_or_before(pd.Timestamp(streak.start) - pd.Timedelta(days=1))
    anchors["1m"] = on_or_before(latest - pd.DateOffset(months=1))
    anchors["ytd"] = on_or_before(pd.Timestamp(latest.year - 1, 12, 31))
    return anchors


def _num(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _vs(sector: float, small: float) -> float | None:
    if np.isnan(sector) or np.isnan(small):
        return None
    return float((1.0 + sector) / (1.0 + small) - 1.0)


def _empty_row(sector: Sector) -> SectorRow:
    return SectorRow(sector.symbol, sector.name, *([None] * 10))
