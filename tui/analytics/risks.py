"""The risk checklist (SPEC §5): seven rules, each ok / watch / alert, or unknown with the reason.

Units of ``Risk.value``: fractions for changes of ratios (-0.012 = -1.2 %), basis points for the 10-year yield,
the VIX level, the P/E ratio IWM ÷ SPY, and the RSI (0-100) for extension.

Each risk carries the date of its data (``as_of``). A measure whose data ends more than ``STALE_SESSIONS`` of the
pair's sessions before the pair's as-of is ``unknown`` ("HYG data ends 31 Jul"): it no longer says anything about
today.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
import pandas as pd
from msgspec.structs import replace

from tui.analytics.sessions import as_floats, pair_sessions, valid_values
from tui.config import Band, Config
from tui.fmt import short_date
from tui.model import Risk, RiskStatus, Streak

#: A measure whose data ends more than this many of the pair's sessions before the pair's as-of is unknown.
STALE_SESSIONS = 3

LABELS = {
    "economic": "Economic sensitivity",
    "rates": "Rate relief reversing",
    "quality": "Earnings quality",
    "volatility": "Liquidity / volatility",
    "breadth": "Narrow rally",
    "valuation": "Valuation gap closing",
    "extension": "Chasing the streak",
}


def risk_checklist(
    closes: pd.DataFrame,
    fundamentals: Mapping[str, Mapping[str, float]] | None,
    streak: Streak,
    runs: pd.DataFrame,
    config: Config,
    sessions: pd.DatetimeIndex | None = None,
) -> tuple[Risk, ...]:
    """The seven risks of SPEC §5 in order: economic, rates, quality, volatility, breadth, valuation, extension.

    ``closes`` is the closes frame (completed sessions up to as-of); each measure reads its own series' valid
    values, so a symbol with gaps or a shorter history is measured on what it has, and dates the risk with its
    last close. ``runs`` is ``streak_runs(...)`` of the pair, for the extension rule's history of streak lengths;
    ``sessions`` the pair's session dates (default: those of ``closes``), which count how old a measure's data is.
    """
    rules = config.risks
    sym = config.risk_symbols
    fundamentals = fundamentals or {}
    prices = _Prices(closes)
    if sessions is None:
        sessions = pair_sessions(closes, config.small, config.large).index
    measured = (
        (
            _ratio_change("economic", prices, sym.credit, sym.treasuries, rules.lookback, rules.economic),
            (sym.credit, sym.treasuries),
        ),
        (_rates(prices, sym.ten_year, rules.lookback, rules.rates), (sym.ten_year,)),
        (
            _quality(prices, sym.quality_small, sym.broad_small, streak, rules.quality),
            (sym.quality_small, sym.broad_small),
        ),
        (_volatility(prices, sym.volatility, rules.volatility), (sym.volatility,)),
        (
            _ratio_change("breadth", prices, sym.equal_weight, sym.cap_weight, rules.lookback, rules.breadth),
            (sym.equal_weight, sym.cap_weight),
        ),
        (_valuation(fundamentals, sym.broad_small, sym.cap_weight, rules.valuation), ()),
        (
            _extension(
                prices, config.small, streak, runs, rules.extension_percentile, rules.extension_rsi, rules.rsi_period
            ),
            (config.small,),
        ),
    )
    return tuple(_unless_too_old(risk, symbols, prices, sessions) for risk, symbols in measured)


def _unless_too_old(risk: Risk, symbols: tuple[str, ...], prices: _Prices, sessions: pd.DatetimeIndex) -> Risk:
    """``risk``, or ``unknown`` when its data ends more than STALE_SESSIONS pair sessions before the last one."""
    if risk.as_of is None or not len(sessions):
        return risk
    behind = len(sessions) - int(sessions.searchsorted(pd.Timestamp(risk.as_of), side="right"))
    if behind <= STALE_SESSIONS:
        return risk
    today = sessions[-1].date()
    ends: dict[date, list[str]] = {}
    for symbol in symbols:
        last = prices.last_date(symbol)
        if last is not None and last <= risk.as_of:  # the series that stopped (not one with closes since)
            ends.setdefault(last, []).append(symbol)
    if ends:
        reason = ", ".join(
            f"{' and '.join(names)} data {'end' if len(names) > 1 else 'ends'} {short_date(day, today)}"
            for day, names in sorted(ends.items())
        )
    else:  # each has later closes, never on the same day
        reason = f"no {'/'.join(symbols)} close in common since {short_date(risk.as_of, today)}"
    return replace(risk, status="unknown", value=None, detail=reason)


class _Prices:
    """The valid closes of each symbol of one closes frame, as arrays by row, each computed once per checklist
    (several rules read the same symbols, and a Series per read costs more than the arithmetic on it)."""

    def __init__(self, closes: pd.DataFrame) -> None:
        self.closes = closes
        self._valid: dict[str, np.ndarray] = {}

    def __getitem__(self, symbol: str) -> np.ndarray:
        """``valid_values(closes[symbol])``, once per symbol: NaN where there is no usable close."""
        if symbol not in self._valid:
            self._valid[symbol] = valid_values(self.closes[symbol])
        return self._valid[symbol]

    def missing(self, *symbols: str) -> str | None:
        """The reason a measure cannot run for lack of data ("no data for HYG"), or None."""
        for symbol in symbols:
            if symbol not in self.closes.columns or np.isnan(self[symbol]).all():
                return f"no data for {symbol}"
        return None

    def observed(self, symbol: str) -> np.ndarray:
        """Row positions of the symbol's valid closes, ascending."""
        return np.flatnonzero(~np.isnan(self[symbol]))

    def day(self, row: int) -> date:
        """The date of row ``row``."""
        return self.closes.index[row].date()

    def last_date(self, symbol: str) -> date | None:
        """The date of the symbol's last valid close, None without one."""
        if symbol not in self.closes.columns:
            return None
        observed = self.observed(symbol)
        return self.day(int(observed[-1])) if len(observed) else None


# --- measures -------------------------------------------------------------------------------------------------


def _ratio_change(rid: str, prices: _Prices, num: str, den: str, lookback: int, band: Band) -> Risk:
    """Change of num/den over ``lookback`` sessions on which both have a close; below the band is bad."""
    missing = prices.missing(num, den)
    if missing:
        return _unknown(rid, missing)
    ratio = prices[num] / prices[den]
    rows = np.flatnonzero(~np.isnan(ratio))  # the dates on which both have a close
    ratio = ratio[rows]
    if len(ratio) <= lookback:
        return _unknown(rid, f"not enough data for {num}/{den} ({len(ratio)} sessions, need {lookback + 1})")
    change = float(ratio[-1] / ratio[-1 - lookback] - 1.0)
    status = _below(change, band)
    return Risk(
        rid,
        LABELS[rid],
        status,
        change,
        f"{num}/{den} {_pct(change)} over {lookback} sessions{_band_text(status, band, 'below', _pct)}",
        prices.day(int(rows[-1])),
    )


def _rates(prices: _Prices, symbol: str, lookback: int, band: Band) -> Risk:
    rid = "rates"
    if prices.missing(symbol):
        return _unknown(rid, f"no data for {symbol}")
    # Yields are quoted in percent and may in principle be zero or negative: only require finite values.
    raw = as_floats(prices.closes[symbol])
    rows = np.flatnonzero(np.isfinite(raw))
    yields = raw[rows]
    if len(yields) <= lookback:
        return _unknown(rid, f"not enough data for {symbol} ({len(yields)} sessions, need {lookback + 1})")
    bp = float(100.0 * (yields[-1] - yields[-1 - lookback]))
    status = _above(bp, band)
    return Risk(
        rid,
        LABELS[rid],
        status,
        bp,
        f"10-year yield {bp:+.0f} bp over {lookback} sessions to {yields[-1]:.2f}%"
        f"{_band_text(status, band, 'above', lambda v: f'{v:+.0f} bp')}",
        prices.day(int(rows[-1])),
    )


def _quality(prices: _Prices, quality: str, broad: str, streak: Streak, band: Band) -> Risk:
    """How far the broad index (profitable and unprofitable) is ahead of the quality one over the streak, both
    measured between the same two dates: their last common close before the streak start and their last
    common close."""
    rid = "quality"
    if streak.start is None:
        return _unknown(rid, "no current streak")
    missing = prices.missing(quality, broad)
    if missing:
        return _unknown(rid, missing)
    # Rows dated before the streak start are [0, start) (the index is ascending, see MarketData).
    start = int(prices.closes.index.searchsorted(pd.Timestamp(streak.start), side="left"))
    common = np.flatnonzero(~np.isnan(prices[quality] + prices[broad]))  # rows where both have a close
    before = int(np.searchsorted(common, start, side="left"))  # how many common closes precede the streak
    if len(common) and common[-1] < start:  # nothing since the streak began: dated, so an old end is said so
        return Risk(
            rid,
            LABELS[rid],
            "unknown",
            None,
            f"no {quality} and {broad} closes since the streak start {streak.start.isoformat()}",
            prices.day(int(common[-1])),
        )
    if before == 0 or not len(common):  # none before it
        return _unknown(
            rid, f"no {quality} and {broad} closes on the same day before the streak start {streak.start.isoformat()}"
        )
    first, last = common[before - 1], common[-1]
    returns = {symbol: prices[symbol][last] / prices[symbol][first] for symbol in (quality, broad)}
    ahead = float(returns[broad] / returns[quality] - 1.0)
    status = _above(ahead, band)
    by = f"{abs(ahead) * 100:.1f}%"
    lead = f"{broad} ahead of {quality} by {by}" if ahead >= 0 else f"{quality} ahead of {broad} by {by}"
    return Risk(
        rid,
        LABELS[rid],
        status,
        ahead,
        f"{lead} over the streak{_band_text(status, band, 'above', _pct)}",
        prices.day(int(last)),
    )


def _volatility(prices: _Prices, symbol: str, band: Band) -> Risk:
    rid = "volatility"
    if prices.missing(symbol):
        return _unknown(rid, f"no data for {symbol}")
    last = int(prices.observed(symbol)[-1])
    level = float(prices[symbol][last])
    status: RiskStatus = "alert" if level >= band.alert else "watch" if level >= band.watch else "ok"
    if status == "ok":
        detail = f"VIX {level:.1f} < {band.watch:g}"
    else:
        detail = f"VIX {level:.1f} ≥ {(band.alert if status == 'alert' else band.watch):g}"
    return Risk(rid, LABELS[rid], status, level, detail, prices.day(last))


def _valuation(fundamentals: Mapping[str, Mapping[str, float]], small: str, large: str, band: Band) -> Risk:
    """The ratio of trailing P/Es. The fundamentals carry no date, so neither does this risk (``as_of`` None)."""
    rid = "valuation"
    pes = {}
    for symbol in (small, large):
        pe = (fundamentals.get(symbol) or {}).get("trailing_pe")
        if not isinstance(pe, (int, float)) or not np.isfinite(pe) or pe <= 0:
            return _unknown(rid, f"no P/E for {symbol}")
        pes[symbol] = float(pe)
    ratio = pes[small] / pes[large]
    status = _above(ratio, band)
    return Risk(
        rid,
        LABELS[rid],
        status,
        ratio,
        f"P/E {small} {pes[small]:.1f} ÷ {large} {pes[large]:.1f} = {ratio:.2f}"
        f"{_band_text(status, band, 'above', lambda v: f'{v:.2f}')}",
    )


def _extension(
    prices: _Prices, small: str, streak: Streak, runs: pd.DataFrame, percentile: float, band: Band, period: int
) -> Risk:
    """Chasing the streak (SPEC §5). A small-cap streak at or above ``percentile`` of the earlier small-cap streaks
    is watch, one as long as the longest of them alert; the small index's RSI above ``band.watch`` is watch,
    above ``band.alert`` alert; the worse of the two counts. A large-cap streak is no small-cap extension: the RSI
    alone rates it."""
    rid = "extension"
    missing = prices.missing(small)
    observed = prices.observed(small) if not missing else None
    rsi = None if observed is None else wilder_rsi(prices[small][observed], period)
    as_of = None if observed is None else prices.day(int(observed[-1]))
    parts = []
    streak_status: RiskStatus = "ok"
    if streak.leader == "small" and streak.length > 0 and not runs.empty:
        lengths = runs["length"].to_numpy()[runs["leader"].to_numpy() == "small"][:-1]  # earlier runs only
        if lengths.size:
            cut = int(np.percentile(lengths, percentile, method="inverted_cdf"))  # a streak length that occurred
            record = int(lengths.max())
            earlier = f"of {lengths.size} earlier small streaks"
            if streak.length >= record:
                streak_status = "alert"
                parts.append(f"small streak {streak.length} ≥ record ({record}) {earlier}")
            else:
                streak_status = "watch" if streak.length >= cut else "ok"
                parts.append(
                    f"small streak {streak.length} {'≥' if streak_status == 'watch' else '<'} "
                    f"{percentile:g}th pct ({cut}) {earlier}"
                )
    elif streak.leader == "large" and streak.length > 0:
        parts.append(f"large streak {streak.length}: RSI alone")
    if rsi is None:
        if streak_status != "ok":
            return Risk(rid, LABELS[rid], streak_status, None, "; ".join(parts + [f"RSI of {small} n/a"]), as_of)
        return _unknown(rid, missing or f"not enough data for the {period}-session RSI of {small}")
    rsi_status: RiskStatus = "alert" if rsi > band.alert else "watch" if rsi > band.watch else "ok"
    if rsi > band.alert:
        parts.append(f"RSI {rsi:.1f} > {band.alert:g}")
    elif rsi > band.watch:
        parts.append(f"RSI {rsi:.1f} > {band.watch:g}")
    else:
        parts.append(f"RSI {rsi:.1f} ≤ {band.watch:g}")
    status = max(streak_status, rsi_status, key=_SEVERITY.index)
    return Risk(rid, LABELS[rid], status, rsi, "; ".join(parts), as_of)


def wilder_rsi(closes: pd.Series | np.ndarray, period: int = 14) -> float | None:
    """Wilder's RSI of the last close: averages seeded with the simple mean of the first ``period`` changes,
    then smoothed with alpha = 1/period. None with fewer than ``period + 1`` closes."""
    values = np.asarray(closes, dtype="float64")
    values = values[np.isfinite(values)]
    if len(values) <= period:
        return None
    gains, losses = _wilder_averages(values, period)
    last = len(values) - 1 - period  # the first `period` changes make the seed, one average per change after it
    avg_gain, avg_loss = float(gains[last]), float(losses[last])
    if avg_loss == 0.0:
        return 50.0 if avg_gain == 0.0 else 100.0
    return float(100.0 - 100.0 / (1.0 + avg_gain / avg_loss))


def _wilder_averages(values: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilder's average gain and loss after each close of ``values`` from close ``period`` on."""
    delta = np.diff(values)
    return _wilder(np.clip(delta, 0.0, None), period), _wilder(np.clip(-delta, 0.0, None), period)


def _wilder(x: np.ndarray, period: int) -> np.ndarray:
    # Seeding: replace the first `period` changes by their mean, then the recursive smoothing is an EWM.
    seeded = np.concatenate(([x[:period].mean()], x[period:]))
    return pd.Series(seeded).ewm(alpha=1.0 / period, adjust=False).mean().to_numpy()


# --- helpers --------------------------------------------------------------------------------------------------


_SEVERITY: tuple[RiskStatus, ...] = ("ok", "watch", "alert")


def _unknown(rid: str, reason: str) -> Risk:
    return Risk(rid, LABELS[rid], "unknown", None, reason)


def _below(value: float, band: Band) -> RiskStatus:
    return "alert" if value < band.alert else "watch" if value < band.watch else "ok"


def _above(value: float, band: Band) -> RiskStatus:
    return "alert" if value > band.alert else "watch" if value > band.watch else "ok"


def _band_text(status: RiskStatus, band: Band, side: str, fmt: Callable[[float], str]) -> str:
    """The threshold that decided the status, e.g. " (watch below -2.0%)"."""
    if status == "alert":
        return f" (alert {side} {fmt(band.alert)})"
    if status == "watch":
        return f" (watch {side} {fmt(band.watch)}, alert {fmt(band.alert)})"
    return f" (watch {side} {fmt(band.watch)})"


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}%"  # the same form as every percentage on screen: "+1.2%", "-2.0%"
