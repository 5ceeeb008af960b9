"""The board of pairs on the real daily history (../shared/data/market/replay): every default pair's streak at a
few dates, against an independent computation from the CSV closes, in plain pandas, here in the test.

Checked by hand in the CSVs (the figures the independent computation gives, written down):

* 2026-01-15: ^RUT/^GSPC small 10 from 2 Jan 2026, rel. 20 +3.96 %; IWM/SPY small 10 from 2 Jan, +3.89 %;
  RSP/SPY small 3 from 13 Jan, +1.88 %; IWN/IWO small 3 from 13 Jan, -0.32 %; IJH/SPY small 6 from 8 Jan,
  +3.62 %; IWM/QQQ small 4 from 12 Jan, +4.40 %.
* 2024-07-16 (the July 2024 small-cap burst): ^RUT/^GSPC small 5 from 10 Jul, +8.15 %; IWM/SPY small 4 from
  11 Jul (on 10 Jul IWM 197.08 → 199.00, +0.98 %, lost to SPY
  542.97 → 548.34, +0.99 %, while ^RUT +1.10 % beat ^GSPC +1.02 %), +8.25 %; IWM/QQQ small 4.
* 2008-06-06: ^RUT/^GSPC and IWM/SPY small 13 from 20 May 2008; RSP/SPY large 2 from 5 Jun.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tui.analytics import pair_board
from tui.config import DEFAULT_PAIRS, Config
from tui.data.replay import ReplaySource

DATES = ("2026-01-15", "2024-07-16", "2008-06-06")


def csv_closes(replay_dir: Path, symbol: str) -> pd.Series:
    frame = pd.read_csv(replay_dir / f"{symbol}.csv", parse_dates=["Date"]).set_index("Date")
    return frame["Close" if "Close" in frame.columns else "Adj Close"].dropna()


def expected_streak(replay_dir: Path, small: str, large: str, as_of: str) -> tuple[str, int, date, float]:
    """(leader, length, start, relative performance over 20 sessions), from the two CSVs alone."""
    pair = [csv_closes(replay_dir, small).rename("s"), csv_closes(replay_dir, large).rename("l")]
    both = pd.concat(pair, axis=1, join="inner").sort_index().dropna()
    both = both[(both.index <= as_of) & (both.s > 0) & (both.l > 0)]
    diff = (both.s.pct_change() - both.l.pct_change()).round(12).iloc[1:]
    winners = ["small" if d > 0 else "large" if d < 0 else "none" for d in diff]
    length = 0
    for winner in reversed(winners):
        if winner != winners[-1]:
            break
        length += 1
    relative = (both.s.iloc[-1] / both.s.iloc[-21]) / (both.l.iloc[-1] / both.l.iloc[-21]) - 1
    return winners[-1], length, diff.index[-length].date(), float(relative)


@pytest.mark.parametrize("as_of", DATES)
def test_every_default_pair_at_a_few_dates(replay_dir, as_of):
    config = Config()
    closes = ReplaySource(replay_dir, as_of=date.fromisoformat(as_of)).fetch(config.symbols()).closes
    board = pair_board(closes, config.board())
    assert [(e.small, e.large, e.name) for e in board] == [(p.small, p.large, p.name) for p in DEFAULT_PAIRS]
    for entry in board:
        leader, length, start, relative = expected_streak(replay_dir, entry.small, entry.large, as_of)
        assert entry.reason is None and entry.streak is not None, entry
        assert (entry.streak.leader, entry.streak.length, entry.streak.start) == (leader, length, start), entry
        assert entry.as_of == date.fromisoformat(as_of)
        assert entry.relative_20 == pytest.approx(relative, abs=1e-12)


def test_the_hand_checked_figures(replay_dir):
    """The figures of the module docstring, so a change in the CSVs or the definitions shows here by name."""
    closes = ReplaySource(replay_dir, as_of=date(2026, 1, 15)).fetch(Config().symbols()).closes
    by_pair = {(e.small, e.large): e for e in pair_board(closes, Config().board())}
    rut = by_pair[("^RUT", "^GSPC")]
    assert (rut.streak.leader, rut.streak.length, rut.streak.start) == ("small", 10, date(2026, 1, 2))
    assert round(rut.relative_20, 4) == 0.0396
    value = by_pair[("IWN", "IWO")]
    assert (value.streak.length, round(value.relative_20, 4)) == (3, -0.0032)
    # The SPEC's worked example holds on the board too: longest since the 13-session streak ending 6 Jun 2008.
    assert (rut.streak.longest_since.end, rut.streak.longest_since.length) == (date(2008, 6, 6), 13)


def test_the_board_in_the_snapshot_matches_the_pair_on_screen(replay_dir):
    """Cycling to IWM/SPY: the panes' streak is the board's IWM/SPY entry, and the JSON names the pair."""
    from tui.snapshot import build_snapshot

    config = Config().with_active_pair(1)
    data = ReplaySource(replay_dir, as_of=date(2024, 7, 16)).fetch(config.symbols())
    snapshot = build_snapshot(data, config)
    assert (snapshot.small, snapshot.large, snapshot.pair_name) == ("IWM", "SPY", "Small caps vs total return")
    entry = next(e for e in snapshot.pairs if (e.small, e.large) == ("IWM", "SPY"))
    assert entry.streak == snapshot.streak
    assert (snapshot.streak.length, snapshot.streak.start) == (4, date(2024, 7, 11))
    doc = snapshot.to_json()
    assert doc["pair"] == {"small": "IWM", "large": "SPY", "name": "Small caps vs total return"}
    assert [p["active"] for p in doc["pairs"]] == [False, True, False, False, False, False]
    assert doc["pairs"][1]["streak"]["length"] == 4 and doc["pairs"][1]["streak"]["start"] == "2024-07-11"
