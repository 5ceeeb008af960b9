"""Sector table windows, including thin ETFs with gaps, late starters and missing symbols."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tui.analytics import sector_table
from tui.config import Sector
from tui.model import Streak

SMALL = "^RUT"
DATES = pd.bdate_range("2023-11-20", "2024-01-12")  # spans a year end; no holidays removed (irrelevant here)
N = len(DATES)
FULL, THIN, LATE, ABSENT = (Sector("FULL", "Full"), Sector("THIN", "Thin"), Sector("LATE", "Late"),
                            Sector("GONE", "Absent"))


def streak_from(start: str) -> Streak:
    return Streak("small", 3, date.fromisoformat(start), DATES[-1].date(), 0.0, 0.0, None, 3)


def make_closes() -> pd.DataFrame:
    t = np.arange(N, dtype="float64")
    thin = 200 + 3 * t
    thin[[N - 1, N - 2, N - 6, N - 10]] = np.nan  # no trade on the last day, the 1D and the 5D anchors
    late = np.where(t >= N - 4, 10 + t, np.nan)  # listed four sessions ago
    return pd.DataFrame({SMALL: 100 + t, "FULL": 50 + 2 * t, "THIN": thin, "LATE": late}, index=DATES)


def val(column: str, day: str) -> float:
    """The column's last valid close on or before ``day``, read straight from the frame."""
    return make_closes()[column].loc[:day].dropna().iat[-1]


def ret(column: str, anchor: str, end: str | None = None) -> float:
    return val(column, end or str(DATES[-1].date())) / val(column, anchor) - 1


def rows(**kw):
    table = sector_table(make_closes(), [FULL, THIN, LATE, ABSENT], SMALL, streak_from("2024-01-08"), **kw)
    return {row.symbol: row for row in table}


def test_full_series_windows():
    row = rows()["FULL"]
    assert row.return_1d == pytest.approx(ret("FULL", str(DATES[-2].date())))
    assert row.return_5d == pytest.approx(ret("FULL", str(DATES[-6].date())))
    assert row.return_streak == pytest.approx(ret("FULL", "2024-01-05"))  # close before the streak start
    assert row.return_1m == pytest.approx(ret("FULL", "2023-12-12"))  # 2024-01-12 minus one month
    assert row.return_ytd == pytest.approx(ret("FULL", "2023-12-29"))  # last close of the previous year
    small_ytd = ret(SMALL, "2023-12-29")
    assert row.vs_small_ytd == pytest.approx((1 + row.return_ytd) / (1 + small_ytd) - 1)
    assert row.vs_small_1d == pytest.approx((1 + row.return_1d) / (1 + ret(SMALL, str(DATES[-2].date()))) - 1)
    assert row.last_date == DATES[-1].date()


def test_thin_etf_uses_its_own_last_valid_values():
    row = rows()["THIN"]
    # Last valid THIN close is DATES[-3]; the 1D anchor DATES[-2] has none, so its value there is DATES[-3]'s:
    # nothing was observed inside the 1D window.
    assert row.return_1d is None and row.vs_small_1d is None
    assert row.last_date == DATES[-3].date()
    # 5D anchor DATES[-6] is a gap: the close of DATES[-7] stands in for it.
    assert row.return_5d == pytest.approx(val("THIN", str(DATES[-3].date())) / val("THIN", str(DATES[-7].date())) - 1)
    assert row.return_ytd == pytest.approx(ret("THIN", "2023-12-29"))
    assert row.vs_small_5d == pytest.approx((1 + row.return_5d) / (1 + ret(SMALL, str(DATES[-6].date()))) - 1)


def test_window_reaching_before_the_series_begins_is_none():
    row = rows()["LATE"]
    assert row.return_1d == pytest.approx(ret("LATE", str(DATES[-2].date())))
    assert row.return_5d is None and row.return_1m is None and row.return_ytd is None
    assert row.vs_small_5d is None
    assert row.return_streak is None  # listed on 2024-01-09, after the close before the streak start


def test_sector_without_data_is_a_row_of_none():
    row = rows()["GONE"]
    assert row.name == "Absent"
    assert all(getattr(row, f) is None for f in row.__dataclass_fields__ if f not in ("symbol", "name"))


def test_order_is_the_configured_order():
    assert list(rows()) == ["FULL", "THIN", "LATE", "GONE"]


def test_as_of_truncates_and_moves_the_windows():
    row = rows(as_of=date(2024, 1, 3))["FULL"]
    assert row.last_date == date(2024, 1, 3)
    assert row.return_1d == pytest.approx(ret("FULL", "2024-01-02", "2024-01-03"))
    assert row.return_ytd == pytest.approx(ret("FULL", "2023-12-29", "2024-01-03"))
    assert row.return_1m == pytest.approx(ret("FULL", "2023-12-01", "2024-01-03"))
    assert row.return_streak is None  # the streak (2024-01-08) lies after as_of: its anchor is not the start


def test_no_streak_and_year_not_covered():
    closes = make_closes().loc["2024-01-02":]
    table = sector_table(closes, [FULL], SMALL, None)
    row = table[0]
    assert row.return_streak is None
    assert row.return_ytd is None  # no close of the previous year in the loaded history
    assert row.return_1m is None


def test_empty_closes_and_missing_small_index():
    assert sector_table(pd.DataFrame(), [FULL], SMALL, None)[0].return_1d is None
    table = sector_table(make_closes().drop(columns=[SMALL]), [FULL], SMALL, None)
    assert table[0].return_1d is None and table[0].vs_small_1d is None


def test_nonpositive_prices_are_ignored():
    closes = make_closes()
    closes.loc[DATES[-1], "FULL"] = 0.0
    row = sector_table(closes, [FULL], SMALL, None)[0]
    assert row.last_date == DATES[-2].date()
    assert row.return_1d is None  # its last real close is the 1D anchor itself
    assert row.return_5d == pytest.approx(val("FULL", str(DATES[-2].date())) / val("FULL", str(DATES[-6].date())) - 1)


# --- sector_start: the tail that sector_table reads gives the identical table -----------------------------


def test_the_tail_from_sector_start_gives_the_same_table_on_the_real_history(replay_dir):
    from tui.analytics import current_streak, pair_sessions, streak_runs
    from tui.analytics.sectors import sector_start
    from tui.config import Config
    from tui.data.replay import ReplaySource

    config = Config()
    source = ReplaySource(replay_dir)
    for as_of in [date(2026, 1, 15), date(2026, 1, 2), date(2025, 12, 31), date(2025, 1, 3), date(2024, 3, 29),
                  date(2008, 10, 10), date(2000, 1, 3), date(1996, 5, 7)]:
        source.set_as_of(as_of)
        closes = source.fetch(config.symbols()).closes
        sessions = pair_sessions(closes, config.small, config.large)
        streak = current_streak(sessions, streak_runs(sessions))
        day = sessions.index[-1]
        full = closes.loc[:day]
        start = sector_start(full, config.sectors, config.small, streak, day)
        assert start is not None and len(full.loc[start:]) < 800, as_of  # a real saving: about a year, not all
        assert start <= pd.Timestamp(day.year - 1, 12, 31)
        want = sector_table(full, config.sectors, config.small, streak, day)
        assert sector_table(full.loc[start:], config.sectors, config.small, streak, day) == want, as_of


def test_the_tail_keeps_a_thin_etfs_last_close_before_the_earliest_anchor():
    from tui.analytics.sectors import sector_start

    days = pd.bdate_range("2024-06-03", "2026-01-15")
    rng = np.random.default_rng(7)
    closes = pd.DataFrame(
        {sym: 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))) for sym in ("SMALL", "THIN", "DEAD", "LATE")},
        index=days,
    )
    # Anchors for 2026-01-15: 1M 2025-12-15, YTD 2025-12-31, the streak below 2025-02-28.
    closes.loc["2025-11-01":"2026-01-05", "THIN"] = np.nan  # a gap over the 1M and YTD anchors
    closes.loc["2025-02-01":"2025-03-31", "THIN"] = np.nan  # and one over the streak's
    closes.loc["2025-01-02":, "DEAD"] = np.nan  # stopped trading long before
    closes.loc[:"2025-06-30", "LATE"] = np.nan  # starts after the streak's anchor
    closes.loc["2025-12-12", "SMALL"] = 0.0  # not a price: not a session of the small index
    streak = Streak("small", 40, date(2025, 3, 3), date(2026, 1, 15), 0.1, 0.05, None, 40, 1.0)
    as_of = pd.Timestamp("2026-01-15")
    cases = [
        (["THIN", "LATE", "ABSENT"], None, "2025-10-31"),  # THIN's last close before the 1M anchor
        (["THIN", "LATE", "ABSENT"], streak, "2025-01-31"),  # THIN's last close before the streak's anchor
        (["THIN", "DEAD", "LATE"], None, "2025-01-01"),  # DEAD's last close: its row still shows that date
    ]
    for symbols, streak_, expected in cases:
        sectors = [Sector(s, s) for s in symbols]
        start = sector_start(closes, sectors, "SMALL", streak_, as_of)
        assert start == pd.Timestamp(expected)
        want = sector_table(closes, sectors, "SMALL", streak_, as_of)
        assert sector_table(closes.loc[start:], sectors, "SMALL", streak_, as_of) == want
        # and it is the latest such date: one session later the table changes
        assert sector_table(closes.loc[start + pd.offsets.BDay(1):], sectors, "SMALL", streak_, as_of) != want
