"""The risk checklist: every rule through ok / watch / alert / unknown, and Wilder's RSI."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from msgspec.structs import replace

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
    out[-sessions - 1 :] = np.linspace(level, level * (1 + change), sessions + 1)
    return out


def alternating(up: float, down: float) -> np.ndarray:
    steps = np.where(np.arange(len(DATES)) % 2 == 0, up, -down)
    return 1000 + np.cumsum(steps)


def market(**columns) -> pd.DataFrame:
    base = {
        "HYG": ramp(-0.01),
        "IEF": ramp(0.0),
        "^TNX": 4.0 + np.r_[np.zeros(len(DATES) - 1), 0.10],
        "IJR": ramp(0.0),
        "IWM": ramp(0.01, sessions=5),
        "^VIX": np.full(len(DATES), 15.9),
        "RSP": ramp(0.0),
        "SPY": ramp(0.0),
        "^RUT": alternating(2, 2),
        "^GSPC": np.full(len(DATES), 5000.0),
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


def small_runs(*lengths: int, leader: str = "small") -> pd.DataFrame:
    """Runs alternating with one-session runs of the other side; the last one is the current streak."""
    other = "large" if leader == "small" else "small"
    rows = []
    for length in lengths:
        rows += [(leader, length), (other, 1)]
    rows.pop()  # the current streak ends the history
    return pd.DataFrame(rows, columns=["leader", "length"])


def streak_of(length: int, leader: str = "small") -> Streak:
    return Streak(leader, length, DATES[-length].date(), DATES[-1].date(), 0.0, 0.0, None, length)


# The RSI cannot trigger with these bands: the streak alone decides.
NO_RSI = replace(CONFIG, risks=replace(RiskRules(), extension_rsi=Band(99.0, 99.5)))


def test_extension_watch_at_the_99th_percentile_of_earlier_small_streaks():
    # 100 earlier small streaks: 1 to 9 sessions, 11 of each but one 9 fewer, and one of 12. The 99th
    # percentile (the smallest length at least 99 % of them reach, inverted CDF) is the 99th of the 100 sorted
    # lengths: 9. The record is 12.
    earlier = [length for length in range(1, 10) for _ in range(11)][:99] + [12]
    assert sorted(earlier)[98] == 9 and len(earlier) == 100
    risk = check(streak=streak_of(9), runs=small_runs(*earlier, 9), config=NO_RSI)["extension"]
    assert risk.status == "watch", risk
    assert risk.detail.startswith("small streak 9 ≥ 99th pct (9) of 100 earlier small streaks; RSI ")
    risk = check(streak=streak_of(8), runs=small_runs(*earlier, 8), config=NO_RSI)["extension"]
    assert risk.status == "ok" and risk.detail.startswith("small streak 8 < 99th pct (9) of 100 earlier small")
    risk = check(streak=streak_of(12), runs=small_runs(*earlier, 12), config=NO_RSI)["extension"]
    assert risk.status == "alert" and risk.detail.startswith("small streak 12 ≥ record (12) of 100 earlier")


def test_extension_rates_a_large_cap_streak_by_the_rsi_alone():
    # 2020-03-16 was "large streak 9" with an RSI of 22: a large-cap streak is not small caps running ahead.
    risk = check(streak=streak_of(9, "large"), runs=small_runs(1, 2, 9, leader="large"))["extension"]
    assert risk.status == "ok", risk
    assert risk.detail.startswith("large streak 9: RSI alone; RSI ") and "≤ 70" in risk.detail


def test_extension_long_streak_without_an_rsi():
    runs = small_runs(1, 1, 1, 6)
    risk = check(market().iloc[-10:], streak=streak_of(6), runs=runs, config=NO_RSI)["extension"]
    assert risk.status == "alert" and risk.value is None and "RSI of ^RUT n/a" in risk.detail  # 6 ≥ record 1


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
    for gain, loss in zip(gains[period:], losses[period:]):
        avg_gain = (avg_gain * (period - 1) + gain) / period
        avg_loss = (avg_loss * (period - 1) + loss) / period
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
    day it must agree exactly with the plain definition on the days both series have a valid close."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        closes = market()
        for sym in ("IJR", "IWM"):
            values = 100 * np.cumprod(1 + rng.normal(0, 0.01, len(DATES)))
            values[rng.random(len(DATES)) < 0.3] = np.nan
            values[rng.random(len(DATES)) < 0.05] = 0.0
            values[-1] = 100.0  # both trade on the last day: data older than that is another test's subject
            closes[sym] = values
        start = (DATES[0] + pd.Timedelta(days=int(rng.integers(-3, 60)))).date()
        risk = check(closes, streak=replace(STREAK, start=start))["quality"]
        day = pd.Timestamp(start)
        both = closes[["IJR", "IWM"]].where(closes[["IJR", "IWM"]] > 0).dropna()  # the days both have a close
        before = both[both.index < day]
        if both.index[-1] < day:  # a streak start after the data (the last day always has both)
            assert risk.status == "unknown" and "closes since the streak start" in risk.detail
        elif before.empty:
            assert risk.status == "unknown" and "closes on the same day before the streak start" in risk.detail
        else:
            growth = both.iloc[-1] / before.iloc[-1]
            assert risk.value == growth["IWM"] / growth["IJR"] - 1.0
            assert risk.as_of == both.index[-1].date()


# --- every measure knows its date ---------------------------------------------------------------------------


def test_each_risk_carries_the_date_of_its_data():
    vix = np.full(len(DATES), 15.0)
    vix[-1] = np.nan  # VIX one session behind the pair
    hyg = ramp(-0.01)
    hyg[-2:] = np.nan  # HYG two sessions behind: the HYG/IEF ratio ends with it
    risks = check(market(**{"^VIX": vix, "HYG": hyg}))
    day = [d.date() for d in DATES]
    assert risks["volatility"].as_of == day[-2] and risks["volatility"].status == "ok"
    assert risks["economic"].as_of == day[-3] and risks["economic"].status == "ok"
    for rid in ("rates", "quality", "breadth", "extension"):
        assert risks[rid].as_of == day[-1], rid
    assert risks["valuation"].as_of is None  # fundamentals carry no date


def test_data_more_than_three_sessions_old_is_unknown_with_its_end_date():
    closes = market()
    closes.loc[DATES[-3] :, "HYG"] = np.nan  # ends 3 sessions before the pair: still measured, dated
    risks = check(closes)
    assert risks["economic"].status == "ok" and risks["economic"].as_of == DATES[-4].date()
    closes.loc[DATES[-4], "HYG"] = np.nan  # ends 4 sessions before: unknown
    closes.loc[DATES[-4] :, ["RSP", "SPY"]] = np.nan  # both ends of a ratio stopped the same day
    risks = check(closes)
    # bdate_range("2024-01-01", periods=40) runs to Fri 23 Feb: Mon 19 Feb is 4 sessions before it
    assert DATES[-5] == pd.Timestamp("2024-02-19")
    assert risks["economic"].status == "unknown" and risks["economic"].value is None
    assert risks["economic"].detail == "HYG data ends 19 Feb"
    assert risks["economic"].as_of == date(2024, 2, 19)
    assert risks["breadth"].detail == "RSP and SPY data end 19 Feb"


def test_the_age_is_counted_in_the_pairs_sessions():
    closes = market()
    closes.loc[DATES[-1], "^VIX"] = np.nan
    closes.loc[DATES[-4] : DATES[-2], ["^RUT", "^GSPC"]] = np.nan  # the pair had no session on three weekdays
    vix = risk_checklist(closes, PE, STREAK, RUNS, CONFIG)[3]
    assert vix.status == "ok" and vix.as_of == DATES[-2].date()  # one pair session behind
    closes.loc[DATES[-8] :, "^VIX"] = np.nan  # ends DATES[-9]: pair sessions after it are DATES[-8..-5] and [-1]
    vix = risk_checklist(closes, PE, STREAK, RUNS, CONFIG)[3]
    assert vix.status == "unknown" and vix.detail == f"^VIX data ends {DATES[-9].day} {DATES[-9]:%b}"
