"""The risk checklist (SPEC §5): seven rules, each ok / watch / alert, or unknown with the reason.

Units of ``Risk.value``: fractions for changes of ratios (-0.012 = -1.2 %), basis points for the 10-year yield,
the VIX level, the P/E ratio IWM ÷ SPY, and the RSI (0-100) for extension.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tui.analytics.sessions import as_floats, valid_values
from tui.config import Band, Config
from tui.model import Risk, RiskStatus, Streak

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
) -> tuple[Risk, ...]:
    """The seven risks of SPEC §5 in order: economic, rates, quality, volatility, breadth, valuation, extension.

    ``closes`` is the closes frame (completed sessions up to as-of); each measure reads its own series' valid
    values, so a symbol with gaps or a shorter history is measured on what it has. ``runs`` is
    ``streak_runs(...)`` of the pair, for the extension rule's history of streak lengths.
    """
    rules = config.risks
    sym = config.risk_symbols
    fundamentals = fundamentals or {}
    prices = _Prices(closes)
    return (
        _ratio_change("economic", prices, sym.credit, sym.treasuries, rules.lookback, rules.economic),
        _rates(prices, sym.ten_year, rules.lookback, rules.rates),
        _quality(prices, sym.quality_small, sym.broad_small, streak, rules.quality),
        _volatility(prices, sym.volatility, rules.volatility),
        _ratio_change("breadth", prices, sym.equal_weight, sym.cap_weight, rules.lookback, rules.breadth),
        _valuation(fundamentals, sym.broad_small, sym.cap_weight, rules.valuation),
        _extension(
            prices, config.small, streak, runs, rules.extension_percentile, rules.extension_rsi, rules.rsi_period
        ),
    )


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


# --- measures -------------------------------------------------------------------------------------------------


def _ratio_change(rid: str, prices: _Prices, num: str, den: str, lookback: int, band: Band) -> Risk:
    """Change of num/den over ``lookback`` sessions on which both have a close; below the band is bad."""
    missing = prices.missing(num, den)
    if missing:
        return _unknown(rid, missing)
    ratio = prices[num] / prices[den]
    ratio = ratio[~np.isnan(ratio)]
    if len(ratio) <= lookback:
        return _unknown(rid, f"not enough data for {num}/{den} ({len(ratio)} sessions, need {lookback + 1})")
    change = float(ratio[-1] / ratio[-1 - lookback] - 1.0)
    status = _below(change, band)
    return Risk(rid, LABELS[rid], status, change,
                f"{num}/{den} {_pct(change)} over {lookback} sessions{_band_text(status, band, 'below', _pct)}")


def _rates(prices: _Prices, symbol: str, lookback: int, band: Band) -> Risk:
    rid = "rates"
    if prices.missing(symbol):
        return _unknown(rid, f"no data for {symbol}")
    # Yields are quoted in percent and may in principle be zero or negative: only require finite values.
    raw = as_floats(prices.closes[symbol])
    yields = raw[np.isfinite(raw)]
    if len(yields) <= lookback:
        return _unknown(rid, f"not enough data for {symbol} ({len(yields)} sessions, need {lookback + 1})")
    bp = float(100.0 * (yields[-1] - yields[-1 - lookback]))
    status = _above(bp, band)
    return Risk(rid, LABELS[rid], status, bp,
                f"10-year yield {bp:+.0f} bp over {lookback} sessions to {yields[-1]:.2f}%"
                f"{_band_text(status, band, 'above', lambda v: f'{v:+.0f} bp')}")


def _quality(prices: _Prices, quality: str, broad: str, streak: Streak, band: Band) -> Risk:
    """How far the broad index (profitable and unprofitable) is ahead of the quality one over the streak."""
    rid = "quality"
    if streak.start is None:
        return _unknown(rid, "no current streak")
    missing = prices.missing(quality, broad)
    if missing:
        return _unknown(rid, missing)
    # Rows dated before the streak start are [0, start) (the index is ascending, see MarketData).
    start = int(prices.closes.index.searchsorted(pd.Timestamp(streak.start), side="left"))
    returns = {}
    for symbol in (quality, broad):
        values, observed = prices[symbol], prices.observed(symbol)
        before = int(np.searchsorted(observed, start, side="left"))  # how many valid closes precede the streak
        if before == 0 or observed[-1] < start:  # none before it, or none since
            return _unknown(rid, f"no {symbol} close around the streak start {streak.start.isoformat()}")
        returns[symbol] = values[observed[-1]] / values[observed[before - 1]]
    ahead = float(returns[broad] / returns[quality] - 1.0)
    status = _above(ahead, band)
    by = f"{abs(ahead) * 100:.1f}%"
    lead = f"{broad} ahead of {quality} by {by}" if ahead >= 0 else f"{quality} ahead of {broad} by {by}"
    return Risk(rid, LABELS[rid], status, ahead,
                f"{lead} over the streak{_band_text(status, band, 'above', _pct)}")


def _volatility(prices: _Prices, symbol: str, band: Band) -> Risk:
    rid = "volatility"
    if prices.missing(symbol):
        return _unknown(rid, f"no data for {symbol}")
    level = float(prices[symbol][prices.observed(symbol)[-1]])
    status: RiskStatus = "alert" if level >= band.alert else "watch" if level >= band.watch else "ok"
    if status == "ok":
        detail = f"VIX {level:.1f} < {band.watch:g}"
    else:
        detail = f"VIX {level:.1f} ≥ {(band.alert if status == 'alert' else band.watch):g}"
    return Risk(rid, LABELS[rid], status, level, detail)


def _valuation(fundamentals: Mapping[str, Mapping[str, float]], small: str, large: str, band: Band) -> Risk:
    rid = "valuation"
    pes = {}
    for symbol in (small, large):
        pe = (fundamentals.get(symbol) or {}).get("trailing_pe")
        if not isinstance(pe, (int, float)) or not np.isfinite(pe) or pe <= 0:
            return _unknown(rid, f"no P/E for {symbol}")
        pes[symbol] = float(pe)
    ratio = pes[small] / pes[large]
    status = _above(ratio, band)
    return Risk(rid, LABELS[rid], status, ratio,
                f"P/E {small} {pes[small]:.1f} ÷ {large} {pes[large]:.1f} = {ratio:.2f}"
                f"{_band_text(status, band, 'above', lambda v: f'{v:.2f}')}")


def _extension(prices: _Prices, small: str, streak: Streak, runs: pd.DataFrame, percentile: float,
               band: Band, period: int) -> Risk:
    """Watch when the streak is long for its leader or the small index is overbought; alert when very overbought."""
    rid = "extension"
    missing = prices.missing(small)
    rsi = None if missing else wilder_rsi(prices[small][prices.observed(small)], period)
    parts = []
    long_streak = False
    if streak.leader != "none" and streak.length > 0 and not runs.empty:
        lengths = runs["length"].to_numpy()[runs["leader"].to_numpy() == streak.leader][:-1]  # earlier runs only
        if lengths.size:
            cut = float(np.percentile(lengths, percentile))
            long_streak = streak.length >= cut
            parts.append(f"{streak.leader} streak {streak.length} {'≥' if long_streak else '<'} "
                         f"{percentile:g}th pct ({cut:.1f}) of {lengths.size} earlier streaks")
    if rsi is None:
        if long_streak:
            return Risk(rid, LABELS[rid], "watch", None, "; ".join(parts + [f"RSI of {small} n/a"]))
        return _unknown(rid, missing or f"not enough data for the {period}-session RSI of {small}")
    status: RiskStatus = "alert" if rsi > band.alert else "watch" if (rsi > band.watch or long_streak) else "ok"
    if rsi > band.alert:
        parts.append(f"RSI {rsi:.1f} > {band.alert:g}")
    elif rsi > band.watch:
        parts.append(f"RSI {rsi:.1f} > {band.watch:g}")
    else:
        parts.append(f"RSI {rsi:.1f} ≤ {band.watch:g}")
    return Risk(rid, LABELS[rid], status, rsi, "; ".join(parts))


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


def _unknown(rid: str, reason: str) -> Risk:
    return Risk(rid, LABELS[rid], "unknown", None, reason)


def _below(value: float, band: Band) -> RiskStatus:
    return "alert" if value < band.alert else "watch" if value < band.watch else "ok"


def _above(value: float, band: Band) -> RiskStatus:
    return "alert" if value > band.alert else "watch" if value > band.watch else "ok"


def _band_text(status: RiskStatus, band: Band, side: str, fmt) -> str:
    """The threshold that decided the status, e.g. " (watch below -2.0%)"."""
    if status == "alert":
        return f" (alert {side} {fmt(band.alert)})"
    if status == "watch":
        return f" (watch {side} {fmt(band.watch)}, alert {fmt(band.alert)})"
    return f" (watch {side} {fmt(band.watch)})"


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}%"  # the same form as every percentage on screen: "+1.2%", "-2.0%"
