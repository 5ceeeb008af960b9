"""Real history with lagging symbols: every figure carries the date of its own data (SPEC §4, §5).

A replay folder is copied from ../shared with some files cut short, as when an ETF lags, Yahoo stops answering
for a symbol or a vendor's file ends earlier. Every expected figure is read off the CSV rows quoted in comments.
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.app_helpers import pilot_test, ready, screen_text
from tui.cli import main

AS_OF = "2026-01-15"  # the worked example: ^RUT ahead 10 sessions from 2026-01-02
FULL = ("^RUT", "^GSPC", "PSCI", "IEF", "IJR", "IWM", "RSP", "SPY")
ENDS = {  # symbol: its last row in the copy
    "KRE": "2026-01-13",  # two of the pair's sessions before 2026-01-15: dated, still measured
    "^VIX": "2026-01-14",  # one session before
    "^TNX": "2026-01-12",  # three sessions before: the most that is still measured
    "HYG": "2026-01-08",  # five sessions before (01-09, 01-12, 01-13, 01-14, 01-15): unknown
}


@pytest.fixture
def lagging(replay_dir, tmp_path) -> Path:
    for symbol in FULL:
        shutil.copy(replay_dir / f"{symbol}.csv", tmp_path / f"{symbol}.csv")
    for symbol, last in ENDS.items():
        lines = (replay_dir / f"{symbol}.csv").read_text(encoding="utf-8").splitlines()
        kept = [lines[0]] + [line for line in lines[1:] if line[:10] <= last]
        (tmp_path / f"{symbol}.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return tmp_path


def config(tmp_path: Path) -> Path:
    """The default sectors cut to two, so the folder needs no more files."""
    path = tmp_path / "two-sectors.toml"
    path.write_text(
        '[[sectors]]\nsymbol = "KRE"\nname = "Regional Banks"\n\n[[sectors]]\nsymbol = "PSCI"\nname = "Industrials"\n',
        encoding="utf-8",
    )
    return path


def snapshot_json(capsys, folder: Path, as_of: str = AS_OF) -> dict:
    code = main(["--source", f"replay:{folder}", "--as-of", as_of, "--config", str(config(folder)), "--once", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_a_lagging_sector_is_measured_to_its_own_date_against_the_index_on_the_same_dates(capsys, lagging):
    doc = snapshot_json(capsys, lagging)
    assert doc["as_of"] == AS_OF and doc["data"]["stale"] is False  # the source is fine: one symbol lags
    kre, psci = doc["sectors"]
    assert kre["as_of"] == "2026-01-13" and psci["as_of"] == AS_OF
    # 1D: the anchor is the index's previous session, 2026-01-14, after KRE's last close: nothing to measure.
    assert kre["return_1d"] is None and kre["vs_small_1d"] is None
    # 5D: the anchor is 2026-01-08 (five ^RUT sessions back: 01-14, 01-13, 01-12, 01-09, 01-08).
    # KRE 2026-01-08 67.293350 -> 2026-01-13 65.474609; ^RUT over the same dates 2603.91 -> 2633.11.
    assert kre["return_5d"] == pytest.approx(65.474609 / 67.29335 - 1, abs=1e-9)
    assert kre["vs_small_5d"] == pytest.approx((65.474609 / 67.29335) / (2633.11 / 2603.91) - 1, abs=1e-9)
    # Streak and YTD: from 2025-12-31 (the close before the streak's start, the last of 2025):
    # KRE 64.061127 -> 65.474609, ^RUT 2481.91 -> 2633.11 (not to ^RUT's 2026-01-15 close, 2674.56).
    for window in ("streak", "ytd"):
        assert kre[f"return_{window}"] == pytest.approx(65.474609 / 64.061127 - 1, abs=1e-9)
        assert kre[f"vs_small_{window}"] == pytest.approx((65.474609 / 64.061127) / (2633.11 / 2481.91) - 1, abs=1e-9)
    # 1M: from 2025-12-15 (2026-01-15 less a month, a session): KRE 66.069534, ^RUT 2530.67.
    assert kre["vs_small_1m"] == pytest.approx((65.474609 / 66.069534) / (2633.11 / 2530.67) - 1, abs=1e-9)


def test_risks_carry_their_dates_and_data_too_old_is_unknown(capsys, lagging):
    risks = {r["id"]: r for r in snapshot_json(capsys, lagging)["risks"]}
    # VIX ends 2026-01-14 at 16.75: measured, dated.
    assert risks["volatility"]["status"] == "ok" and risks["volatility"]["value"] == 16.75
    assert risks["volatility"]["as_of"] == "2026-01-14"
    # ^TNX ends 2026-01-12, three sessions before: the 20-session change runs to its own last row.
    tnx = pd.read_csv(lagging / "^TNX.csv", index_col="Date")["Close"]
    assert tnx.index[-1] == "2026-01-12"
    assert risks["rates"]["status"] != "unknown" and risks["rates"]["as_of"] == "2026-01-12"
    assert risks["rates"]["value"] == pytest.approx(100 * (tnx.iloc[-1] - tnx.iloc[-21]), abs=1e-9)
    # HYG ends 2026-01-08, five sessions before: no longer says anything about 2026-01-15.
    assert risks["economic"]["status"] == "unknown" and risks["economic"]["value"] is None
    assert risks["economic"]["detail"] == "HYG data ends 8 Jan" and risks["economic"]["as_of"] == "2026-01-08"
    assert risks["breadth"]["as_of"] == AS_OF and risks["breadth"]["status"] != "unknown"


def test_the_readable_report_dates_old_figures(capsys, lagging):
    assert main(["--source", f"replay:{lagging}", "--as-of", AS_OF, "--config", str(config(lagging)), "--once"]) == 0
    out = capsys.readouterr().out
    kre = next(line for line in out.splitlines() if "KRE" in line)
    psci = next(line for line in out.splitlines() if "PSCI" in line)
    assert "13 Jan" in kre and "Jan" not in psci
    assert "VIX 16.8 < 20 · 14 Jan" in out and "HYG data ends 8 Jan" in out


@pilot_test
async def test_the_screen_dates_old_figures_at_100_by_30(lagging):
    from tui.app import StreakwatchApp
    from tui.config import load_config
    from tui.data.factory import open_source, parse_source

    source, clock = open_source(parse_source(f"replay:{lagging}"), as_of=date.fromisoformat(AS_OF))
    app = StreakwatchApp(source=source, config=load_config(config(lagging)), clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = screen_text(app).splitlines()
        kre = next(line for line in lines if " KRE " in line)
        assert "13 Jan" in kre
        assert not any("13 Jan" in line for line in lines if " PSCI " in line)
        assert any("HYG data ends 8 Jan" in line for line in lines)


# --- the extension rule on the real history (SPEC §5) ----------------------------------------------------------


def pair_closes(replay_dir: Path, day: str) -> pd.DataFrame:
    closes = {
        s: pd.read_csv(replay_dir / f"{s}.csv", index_col="Date", parse_dates=True)["Close"] for s in ("^RUT", "^GSPC")
    }
    return pd.concat(closes, axis=1).dropna().loc[:day]


def run_lengths(closes: pd.DataFrame) -> list[tuple[int, int]]:
    """(side, length) of each run of session winners, written out plainly: +1 small, -1 large, 0 tie."""
    returns = closes.pct_change().iloc[1:]
    sides = np.sign((returns["^RUT"] - returns["^GSPC"]).round(12)).astype(int).tolist()
    runs: list[tuple[int, int]] = []
    for side in sides:
        if runs and runs[-1][0] == side:
            runs[-1] = (side, runs[-1][1] + 1)
        else:
            runs.append((side, 1))
    return runs


def textbook_rsi(closes: list[float], period: int = 14) -> float:
    """Wilder's RSI as the loop in his book (the ^RUT closes here: its dates are the pair's, see SOURCES.md)."""
    deltas = np.diff(closes)
    gains, losses = np.clip(deltas, 0, None), np.clip(-deltas, 0, None)
    avg_gain, avg_loss = gains[:period].mean(), losses[:period].mean()
    for gain, loss in zip(gains[period:], losses[period:]):
        avg_gain = (avg_gain * (period - 1) + gain) / period
        avg_loss = (avg_loss * (period - 1) + loss) / period
    return 100 - 100 / (1 + avg_gain / avg_loss)


def test_extension_on_the_worked_example_day(capsys, replay_dir):
    closes = pair_closes(replay_dir, AS_OF)
    runs = run_lengths(closes)
    assert runs[-1] == (1, 10)
    earlier = sorted(length for side, length in runs[:-1] if side == 1)
    pct99 = earlier[math.ceil(0.99 * len(earlier)) - 1]  # the smallest length at least 99 % of them reach
    assert max(earlier) > 10 > pct99
    rsi = textbook_rsi(closes["^RUT"].tolist())
    assert rsi > 70
    doc = run_json_default(capsys, replay_dir)
    risk = next(r for r in doc["risks"] if r["id"] == "extension")
    assert risk["status"] == "watch" and risk["value"] == pytest.approx(rsi, rel=1e-9)
    assert risk["detail"] == (
        f"small streak 10 ≥ 99th pct ({pct99}) of {len(earlier)} earlier small streaks; RSI {rsi:.1f} > 70"
    )


def test_extension_rates_a_large_cap_streak_by_the_rsi_alone(capsys, replay_dir):
    closes = pair_closes(replay_dir, "2020-03-16")
    assert run_lengths(closes)[-1] == (-1, 9)  # the S&P 500 ahead 9 sessions into the March 2020 crash
    rsi = textbook_rsi(closes["^RUT"].tolist())
    doc = run_json_default(capsys, replay_dir, "2020-03-16")
    risk = next(r for r in doc["risks"] if r["id"] == "extension")
    assert risk["status"] == "ok" and risk["detail"] == f"large streak 9: RSI alone; RSI {rsi:.1f} ≤ 70"


def run_json_default(capsys, replay_dir: Path, as_of: str = AS_OF) -> dict:
    assert main(["--source", f"replay:{replay_dir}", "--as-of", as_of, "--once", "--json"]) == 0
    return json.loads(capsys.readouterr().out)
