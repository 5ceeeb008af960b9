"""Pair sessions (SPEC §1): the dates on which both symbols have a close, with returns and the winner.

Every other analytic starts from the frame built here, so the definitions of *session*, *return* and *tie* live
in exactly one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The difference of two returns is rounded to this many decimals before comparing (SPEC §1 tie rule).
TIE_DECIMALS = 12

COLUMNS = ("small_close", "large_close", "small_return", "large_return", "spread", "winner")


def as_floats(series: pd.Series) -> np.ndarray:
    """``series`` as a float64 array, anything that is not a number as NaN (a float64 column is not copied)."""
    if series.dtype != np.float64:
        series = pd.to_numeric(series, errors="coerce").astype("float64")
    return series.to_numpy()


def valid_array(values: np.ndarray) -> np.ndarray:
    """A float64 array with anything that cannot be a price (NaN, inf, zero, negative) set to NaN."""
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(values) & (values > 0)
    return np.where(keep, values, np.nan)


def valid_values(series: pd.Series) -> np.ndarray:
    """``series`` as a float64 array with anything that cannot be a price (not a number, NaN, inf, zero,
    negative) set to NaN. An array, not a Series: the analytics read most series by position, and building a
    Series for each costs more than the arithmetic on it."""
    return valid_array(as_floats(series))


def winner_of(small_return: np.ndarray | float, large_return: np.ndarray | float) -> np.ndarray:
    """1 where small won, -1 where large won, 0 for a tie (difference is 0 after rounding to 12 decimals)."""
    diff = np.round(np.asarray(small_return, dtype="float64") - np.asarray(large_return, dtype="float64"), TIE_DECIMALS)
    return np.sign(np.nan_to_num(diff, nan=0.0)).astype("int8")  # NaN (no return) would be an invalid cast


def session_closes(closes: pd.DataFrame, small: str, large: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pair's sessions as arrays: which rows of ``closes`` are sessions (both symbols have a finite positive
    close; a boolean mask), and the two closes on those rows. Both symbols must be columns of ``closes``."""
    small_close = valid_values(closes[small])
    large_close = valid_values(closes[large])
    both = ~(np.isnan(small_close) | np.isnan(large_close))
    return both, small_close[both], large_close[both]


def session_returns(close: np.ndarray) -> np.ndarray:
    """Close-to-close returns over a pair's sessions: the first (the base close) NaN."""
    returns = np.full(len(close), np.nan)
    returns[1:] = close[1:] / close[:-1] - 1.0
    return returns


def session_winners(small_close: np.ndarray, large_close: np.ndarray) -> np.ndarray:
    """The winner of every session but the base one (what :func:`winners` gives for the frame), from the closes
    of :func:`session_closes`: the frame-free path of the board of pairs."""
    if len(small_close) < 2:
        return np.empty(0, dtype="int8")
    return winner_of(session_returns(small_close)[1:], session_returns(large_close)[1:])


def pair_sessions(closes: pd.DataFrame, small: str, large: str) -> pd.DataFrame:
    """The sessions of the pair ``small``/``large`` from a closes frame (see :class:`tui.data.base.MarketData`).

    Rows are the dates on which both symbols have a finite positive close, ascending. Columns:

    * ``small_close``, ``large_close`` — the closes;
    * ``small_return``, ``large_return`` — close-to-close from the previous *pair session*, so a date on which
      one symbol is missing is skipped and the next return spans the gap;
    * ``spread`` — ``small_return - large_return``;
    * ``winner`` — nullable ``Int8``: 1 small, -1 large, 0 tie.

    The first row is the base close only: its returns are NaN and its winner is ``<NA>``. A symbol absent from
    ``closes`` means no sessions (an empty frame with these columns), not an error: the caller reports it.
    """
    if small not in closes.columns or large not in closes.columns or closes.empty:
        return _empty(closes.index[:0] if isinstance(closes.index, pd.DatetimeIndex) else None)
    both, small_close, large_close = session_closes(closes, small, large)
    small_ret = session_returns(small_close)
    large_ret = session_returns(large_close)
    no_winner = np.zeros(len(small_ret), dtype=bool)
    no_winner[:1] = True  # the base row
    winner = pd.arrays.IntegerArray(winner_of(small_ret, large_ret), no_winner)
    # One frame built from finished arrays: cheaper than a frame of two Series, dropna and four column inserts.
    # They are this call's own, so the frame may keep them rather than copy them (copy=False).
    return pd.DataFrame(
        {
            "small_close": small_close,
            "large_close": large_close,
            "small_return": small_ret,
            "large_return": large_ret,
            "spread": small_ret - large_ret,
            "winner": winner,
        },
        index=closes.index[both],
        copy=False,
    )


def _empty(index: pd.DatetimeIndex | None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {name: pd.Series(dtype="float64") for name in COLUMNS[:-1]},
        index=index if index is not None else pd.DatetimeIndex([]),
    )
    frame["winner"] = pd.array([], dtype="Int8")
    return frame


def winners(sessions: pd.DataFrame) -> np.ndarray:
    """The winner of every session that has one (all rows but the base row), as a plain int8 array."""
    if len(sessions) < 2:
        return np.empty(0, dtype="int8")
    return sessions["winner"].to_numpy(dtype="int8", na_value=0)[1:]  # (slicing the Series first costs more)
