"""The risk checklist: every rule through ok / watch / alert / unknown, and Wilder's RSI."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tui.analytics import current_streak, pair_sessions, risk_checklist, streak_runs, wilder_rsi
from tui.config import Band, Config, RiskRules
from tui.model import Streak

CONFIG = Config()
DATES = pd.bdate_range("2024-01-01", periods=40)
IDS = ["economic", "rates", "quality", "volatility", "breadth", "valuation", "extension"]
PE = {"IWM": {"trailing_pe": 17.0}, "SPY": {"trailing_pe": 25.0}}
STREAK_START = DATES[-5].date()
STREAK = Streak("small", 5, STREAK_START, DATES[-1].date(), 0.03, 0.01, None, 5)


def ramp(change: float, sessions: int = 20, level: float = 100.0) -> np.ndarray:
    """Flat, then a straight move of ``change`` over the last ``sessions`` sessions."""
    out = np.full(len(DATES), level)
    out[-sessions - 1:] = np.linspace(level, level * (1 + change), sessions + 1)
    return out


def alternating(up: float, down: float) -> np.ndarray:
    steps = np.where(np.arange(len(DATES)) % 2 == 0, up, -down)
    return 1000 + np.cumsum(steps)


def market(**columns) -> pd.DataFrame:
    base = {
        "HYG": ramp(-0.01), "IEF": ramp(0.0),
        "^TNX": 4.0 + np.r_[np.zeros(len(DATES) - 1), 0.10],
        "IJR": ramp(0.0), "IWM": ramp(0.01, sessions=5),
        "^VIX": np.full(len(DATES), 15.9),
        "RSP": ramp(0.0), "SPY": ramp(0.0),
        "^RUT": alternating(2, 2), "^GSPC": np.full(len(DATES), 5000.0),
    }
    base.update(columns)
    return pd.DataFrame({k: v for k, v in base.items() if v is not None}, index=DATES, dtype="float64")


# Past small streaks of 1..20 sessions, then the current one (STREAK, 5): well below the 90th percentile.
RUNS = pd.DataFrame({"leader": ["small"] * 21, "length": [*range(1, 21), 5]})


def check(closes=None, fundamentals=PE, streak=STREAK, runs=RUNS, config=CONFIG):
    closes = market() if closes is None else closes
    risks = risk_checklist(closes, fundamentals, streak, runs, config)
    assert [r.id for r in risks] == IDS
    return {r.id: r for r in risks}


def test_all_ok_with_values_and_details():
    risks = check()
    assert {r.status for r in risks.values()} == {"ok"}, risks
    assert risks["economic"].value == pytest.approx(-0.01)
    assert "HYG/IEF -1.0% over 20 sessions" in risks["economic"].detail
    assert risks["rates"].value == pytest.approx(10.0)
    assert risks["quality"].value == pytest.approx(0.01)
    assert risks["quality"].detail.startswith("IWM ahead of IJR by 1.0% over the streak")
    assert risks["volatility"].value == 15.9 and risks["volatility"].detail == "VIX 15.9 < 20"
    assert risks["valuation"].value == pytest.approx(17 / 25)
    assert risks["extension"].value == pytest.approx(50.0, abs=5)
    assert risks["volatility"].label == "Liquidity / volatility"
    assert all(r.detail and "\n" not in r.detail for r in risks.values())


@pytest.mark.parametrize(
    "rid, columns, status",
    [
        ("economic", {"HYG": ramp(-0.03)}, "watch"),
        ("economic", {"HYG": ramp(-0.05)}, "alert"),
        ("economic", {"IEF": ramp(0.05)}, "alert"),  # the ratio, not HYG alone
        ("rates", {"^TNX": 4.0 + np.r_[np.zeros(len(DATES) - 1), 0.30]}, "watch"),
        ("rates", {"^TNX": 4.0 + np.r_[np.zeros(len(DATES) - 1), 0.60]}, "alert"),
        ("rates", {"^TNX": 4.0 - np.r_[np.zeros(len(DATES) - 1), 0.60]}, "ok"),
        ("quality", {"IWM": ramp(0.03, sessions=5)}, "watch"),
        ("quality", {"IWM": ramp(0.05, sessions=5)}, "alert"),
        ("quality", {"IJR": ramp(0.05, sessions=5)}, "ok"),  # quality leading is fine
        ("volatility", {"^VIX": np.full(len(DATES), 20.0)}, "watch"),
        ("volatility", {"^VIX": np.full(len(DATES), 30.0)}, "alert"),
        ("breadth", {"RSP": ramp(-0.015)}, "watch"),
        ("breadth", {"SPY": ramp(0.03)}, "alert"),
        ("extension", {"^RUT": alternating(3, 1)}, "watch"),  # RSI ~75
        ("extension", {"^RUT": 1000 + np.arange(len(DATES)) * 5.0}, "alert"),  # only gains: RSI 100
    ],
)
def test_statuses(rid, columns, status):
    risk = check(market(**columns))[rid]
    assert risk.status == status, risk
    assert risk.value is not None


def test_threshold_details_name_the_numbers():
    risks = check(market(**{"HYG": ramp(-0.03), "^VIX": np.full(len(DATES), 31.0)}))
    assert risks["economic"].detail.startswith("HYG/IEF -3.0% over 20 sessions")
    assert "-2.0%" in risks["economic"].detail
    assert risks["volatility"].detail == "VIX 31.0 ≥ 30"


@pytest.mark.parametrize(
    "rid, columns, reason",
    [
        ("economic", {"HYG": None}, "no data for HYG"),
        ("economic", {"IEF": np.full(len(DATES), np.nan)}, "no data for IEF"),
        ("rates", {"^TNX": None}, "no data for ^TNX"),
        ("quality", {"IJR": None}, "no data for IJR"),
        ("volatility", {"^VIX": None}, "no data for ^VIX"),
        ("breadth", {"RSP": None}, "no data for RSP"),
        ("extension", {"^RUT": None}, "no data for ^RUT"),
    ],
)
def test_unknown_with_reason(rid, columns, reason):
    risk = check(market(**columns))[rid]
    assert risk.status == "unknown" and risk.value is None
    assert reason in risk.detail


def test_unknown_when_history_is_too_short():
    risks = check(market().iloc[-10:])
    assert risks["economic"].status == "unknown" and "not enough data for HYG/IEF" in risks["economic"].detail
    assert risks["rates"].status == "unknown"
    assert risks["extension"].status == "unknown"  # 10 closes < 15 for a 14-session RSI
    assert risks["volatility"].status == "ok"  # a level needs one close


def test_each_measure_uses_its_own_last_valid_values():
    vix = np.full(len(DATES), 15.0)
    vix[-1] = np.nan
    vix[-2] = 25.0
    assert check(market(**{"^VIX": vix}))["volatility"].value == 25.0
    tnx = 4.0 + np.r_[np.zeros(len(DATES) - 2), 0.30, np.nan]
    assert check(market(**{"^TNX": tnx}))["rates"].value == pytest.approx(30.0)


def test_quality_needs_a_streak_and_history_before_it():
    assert check(streak=replace(STREAK, leader="none", length=0, start=None, end=None))["quality"].detail == (
        "no current streak"
    )
    closes = market()
    closes.loc[: pd.Timestamp(STREAK_START), "IJR"] = np.nan  # IJR only from the streak start
    assert check(closes)["quality"].status == "unknown"


@pytest.mark.parametrize(
    "fundamentals, status, reason",
    [
        ({"IWM": {"trailing_pe": 23.0}, "SPY": {"trailing_pe": 25.0}}, "watch", None),
        ({"IWM": {"trailing_pe": 26.0}, "SPY": {"trailing_pe": 25.0}}, "alert", None),
        ({"SPY": {"trailing_pe": 25.0}}, "unknown", "no P/E for IWM"),
        ({"IWM": {"trailing_pe": 17.0}, "SPY": {"trailing_pe": float("nan")}}, "unknown", "no P/E for SPY"),
        ({"IWM": {"trailing_pe": -3.0}, "SPY": {"trailing_pe": 25.0}}, "unknown", "no P/E for IWM"),
        ({}, "unknown", "no P/E for IWM"),
        (None, "unknown", "no P/E for IWM"),
    ],
)
def test_valuation(fundamentals, status, reason):
    risk = check(fundamentals=fundamentals)["valuation"]
    assert risk.status == status
    if reason:
        assert risk.detail == reason


def test_extension_watch_from_a_long_streak_alone():
    # Small runs of 1 then a current run of 6: at or above the 90th percentile of past small runs.
    winners = [1, -1] * 12 + [1] * 6
    small = [1000.0]
    for w in winners:
        small.append(small[-1] * (1.001 if w == 1 else 0.999))
    dates = pd.bdate_range("2024-01-01", periods=len(small))
    closes = pd.DataFrame({"^RUT": small, "^GSPC": 1000.0}, index=dates)
    sessions = pair_sessions(closes, "^RUT", "^GSPC")
    runs = streak_runs(sessions)
    streak = current_streak(sessions, runs)
    config = replace(CONFIG, risks=replace(RiskRules(), extension_rsi=Band(99.0, 99.5)))  # RSI cannot trigger
    risk = risk_checklist(closes, PE, streak, runs, config)[-1]
    assert risk.status == "watch", risk
    assert "small streak 6 ≥ 90th pct" in risk.detail and "earlier streaks" in risk.detail
    # Without enough closes for the RSI, the long streak alone still says watch.
    risk = risk_checklist(closes.iloc[-10:], PE, streak, runs, config)[-1]
    assert risk.status == "watch" and risk.value is None and "RSI of ^RUT n/a" in risk.detail


def test_extension_unknown_without_rsi_or_long_streak():
    assert check(market(**{"^RUT": None}))["extension"].detail == "no data for ^RUT"
    risk = check(market().iloc[-12:])["extension"]
    assert risk.status == "unknown" and risk.detail == "not enough data for the 14-session RSI of ^RUT"


def test_thresholds_come_from_the_config():
    config = replace(CONFIG, risks=replace(RiskRules(), volatility=Band(10.0, 15.0), lookback=5))
    risks = risk_checklist(market(), PE, STREAK, RUNS, config)
    assert risks[3].status == "alert"
    assert "over 5 sessions" in risks[0].detail


def _rsi_reference(closes: list[float], period: int) -> float:
    """Wilder's RSI written out as the textbook loop."""
    deltas = np.diff(closes)
    gains = [max(d, 0.0) for d in deltas]
    losses = [max(-d, 0.0) for d in deltas]
    avg_gain = sum(gains[:period]) / period
    avg_loss = sum(losses[:period]) / period
    for g, l in zip(gains[period:], losses[period:]):
        avg_gain = (avg_gain * (period - 1) + g) / period
        avg_loss = (avg_loss * (period - 1) + l) / period
    return 100 - 100 / (1 + avg_gain / avg_loss)


def test_wilder_rsi_matches_the_textbook_loop():
    rng = np.random.default_rng(3)
    closes = list(100 * np.cumprod(1 + rng.normal(0, 0.01, 300)))
    assert wilder_rsi(pd.Series(closes), 14) == pytest.approx(_rsi_reference(closes, 14), rel=1e-10)
    assert wilder_rsi(pd.Series(closes[:15]), 14) == pytest.approx(_rsi_reference(closes[:15], 14), rel=1e-10)
    assert wilder_rsi(pd.Series(closes[:14]), 14) is None
    assert wilder_rsi(pd.Series([1.0] * 20), 14) == 50.0
    assert wilder_rsi(pd.Series(np.arange(1.0, 21.0)), 14) == 100.0


def test_quality_on_gappy_closes_matches_the_series_definition():
    """The quality rule finds its closes by row position; with gaps, non-prices and streak starts on any calendar
    day it must agree exactly with the plain definition on each series' valid closes."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        closes = market()
        for sym in ("IJR", "IWM"):
            values = 100 * np.cumprod(1 + rng.normal(0, 0.01, len(DATES)))
            values[rng.random(len(DATES)) < 0.3] = np.nan
            values[rng.random(len(DATES)) < 0.05] = 0.0
            closes[sym] = values
        start = (DATES[0] + pd.Timedelta(days=int(rng.integers(-3, 60)))).date()
        risk = check(closes, streak=replace(STREAK, start=start))["quality"]
        day = pd.Timestamp(start)
        growth = {}
        for sym in ("IJR", "IWM"):
            series = closes[sym][closes[sym] > 0].dropna()
            before = series[series.index < day]
            growth[sym] = None if before.empty or series.index[-1] < day else series.iat[-1] / before.iat[-1]
        if None in growth.values():
            assert risk.status == "unknown" and "close around the streak start" in risk.detail
        else:
            assert risk.value == growth["IWM"] / growth["IJR"] - 1.0
