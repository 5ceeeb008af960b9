"""Sector table windows, including thin ETFs with gaps, late starters and missing symbols."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.analytics import sector_table
from tui.config import Sector
from tui.model import Streak

SMALL = "^RUT"
DATES = pd.bdate_range("2023-11-20", "2024-01-12")  # spans a year end; no holidays removed (irrelevant here)
N = len(DATES)
FULL, THIN, LATE, ABSENT = (
    Sector("FULL", "Full"),
    Sector("THIN", "Thin"),
    Sector("LATE", "Late"),
    Sector("GONE", "Absent"),
)


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
    assert row.as_of == DATES[-1].date()


def test_thin_etf_uses_its_own_last_valid_values():
    row = rows()["THIN"]
    # Last valid THIN close is DATES[-3]; the 1D anchor DATES[-2] has none, so its value there is DATES[-3]'s:
    # nothing was observed inside the 1D window.
    assert row.return_1d is None and row.vs_small_1d is None
    assert row.as_of == DATES[-3].date()
    # 5D anchor DATES[-6] is a gap: the close of DATES[-7] stands in for it.
    assert row.return_5d == pytest.approx(val("THIN", str(DATES[-3].date())) / val("THIN", str(DATES[-7].date())) - 1)
    assert row.return_ytd == pytest.approx(ret("THIN", "2023-12-29"))
    # vs small compares the same two dates as THIN's own 5D return: DATES[-7] to DATES[-3], not the index's 5D.
    small_same_dates = ret(SMALL, str(DATES[-7].date()), str(DATES[-3].date()))
    assert row.vs_small_5d == pytest.approx((1 + row.return_5d) / (1 + small_same_dates) - 1)
    assert row.vs_small_ytd == pytest.approx(
        (1 + row.return_ytd) / (1 + ret(SMALL, "2023-12-29", str(DATES[-3].date()))) - 1
    )


def test_a_lagging_sector_ends_at_its_own_date_and_compares_the_same_dates():
    closes = make_closes()
    closes.loc[DATES[-2] :, "FULL"] = np.nan  # its data ends two sessions before the index's
    row = sector_table(closes, [FULL], SMALL, streak_from("2024-01-08"))[0]
    assert row.as_of == DATES[-3].date()
    assert row.return_1d is None and row.return_5d is not None  # the 1D anchor DATES[-2] is after its last close
    # FULL = 50 + 2t and SMALL = 100 + t: 5D from t = N-6 to its last close t = N-3, the index over those dates.
    t0, t1 = N - 6, N - 3
    assert row.return_5d == pytest.approx((50 + 2 * t1) / (50 + 2 * t0) - 1)
    assert row.vs_small_5d == pytest.approx(((50 + 2 * t1) / (50 + 2 * t0)) / ((100 + t1) / (100 + t0)) - 1)


def test_vs_small_is_none_when_the_index_has_no_close_on_one_of_the_dates():
    closes = make_closes()
    closes.loc[DATES[-6], "FULL"] = np.nan  # no FULL trade on the 5D anchor: it is valued at DATES[-7]'s close,
    closes.loc[DATES[-7], SMALL] = np.nan  # a day the index has no close, so the two cannot be compared
    row = sector_table(closes, [FULL], SMALL, None)[0]
    assert row.return_5d == pytest.approx(ret("FULL", str(DATES[-7].date())))
    assert row.vs_small_5d is None
    assert row.vs_small_1d is not None


def test_window_reaching_before_the_series_begins_is_none():
    row = rows()["LATE"]
    assert row.return_1d == pytest.approx(ret("LATE", str(DATES[-2].date())))
    assert row.return_5d is None and row.return_1m is None and row.return_ytd is None
    assert row.vs_small_5d is None
    assert row.return_streak is None  # listed on 2024-01-09, after the close before the streak start


def test_sector_without_data_is_a_row_of_none():
    row = rows()["GONE"]
    assert row.name == "Absent"
    assert all(getattr(row, f) is None for f in row.__struct_fields__ if f not in ("symbol", "name"))


def test_order_is_the_configured_order():
    assert list(rows()) == ["FULL", "THIN", "LATE", "GONE"]


def test_as_of_truncates_and_moves_the_windows():
    row = rows(as_of=date(2024, 1, 3))["FULL"]
    assert row.as_of == date(2024, 1, 3)
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
    assert row.as_of == DATES[-2].date()
    assert row.return_1d is None  # its last real close is the 1D anchor itself
    assert row.return_5d == pytest.approx(val("FULL", str(DATES[-2].date())) / val("FULL", str(DATES[-6].date())) - 1)


# --- the row-position implementation against the plain pandas definition --------------------------------------


def reference_table(closes, sectors, small, streak, as_of=None):
    """sector_table written the plain way: a frame of valid closes, each window read off by date."""
    from tui.model import SectorRow

    def valid_prices(series):  # a close is a finite, positive number
        values = pd.to_numeric(series, errors="coerce").astype("float64")
        return values.where(np.isfinite(values) & (values > 0))

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
        return tuple(SectorRow(s.symbol, s.name, *([None] * 10)) for s in sectors)
    last_date = frame.apply(lambda column: column.last_valid_index())
    latest = pd.Timestamp(as_of) if as_of is not None else (calendar[-1] if len(calendar) else None)

    def on_or_before(day):
        before = calendar[calendar <= day]
        return before[-1] if len(before) else None

    anchors = dict.fromkeys(("1d", "5d", "streak", "1m", "ytd"))
    if len(calendar):
        anchors["1d"] = calendar[-2] if len(calendar) > 1 else None
        anchors["5d"] = calendar[-6] if len(calendar) > 5 else None
        if streak is not None and streak.start is not None:
            anchors["streak"] = on_or_before(pd.Timestamp(streak.start) - pd.Timedelta(days=1))
        anchors["1m"] = on_or_before(latest - pd.DateOffset(months=1))
        anchors["ytd"] = on_or_before(pd.Timestamp(latest.year - 1, 12, 31))

    def window_span(sym, anchor):
        """The dates the column's return runs between: its last close on or before the anchor, its last close."""
        seen = last_date[sym]
        if anchor is None or seen is None or pd.isna(seen) or seen <= anchor:
            return None  # no anchor, or nothing observed after it
        before = frame[sym].loc[:anchor].dropna()
        return None if before.empty else (before.index[-1], seen)

    def growth(sym, span):
        start, end = frame.at[span[0], sym], frame.at[span[1], sym]
        return None if np.isnan(start) or np.isnan(end) else float(end / start - 1.0)

    def vs(own, base):
        return None if own is None or base is None else float((1.0 + own) / (1.0 + base) - 1.0)

    rows = []
    for sector in sectors:
        spans = [window_span(sector.symbol, anchors[w]) for w in anchors]
        own = [None if span is None else growth(sector.symbol, span) for span in spans]
        base = [None if span is None else growth(small, span) for span in spans]  # the index on the same dates
        seen = last_date[sector.symbol]
        rows.append(
            SectorRow(
                sector.symbol,
                sector.name,
                *own,
                *(vs(o, b) for o, b in zip(own, base)),
                None if seen is None or pd.isna(seen) else seen.date(),
            )
        )
    return tuple(rows)


def test_the_hand_made_frame_matches_the_reference():
    sectors = [FULL, THIN, LATE, ABSENT]
    for as_of in (None, date(2024, 1, 3), date(2024, 1, 12), date(2023, 12, 29), date(2023, 11, 20)):
        for streak in (None, streak_from("2024-01-08"), streak_from("2023-12-01")):
            got = sector_table(make_closes(), sectors, SMALL, streak, as_of)
            assert got == reference_table(make_closes(), sectors, SMALL, streak, as_of), (as_of, streak)


def test_the_real_history_matches_the_reference(replay_dir):
    from tui.analytics import current_streak, pair_sessions, streak_runs
    from tui.config import Config
    from tui.data.replay import ReplaySource

    config = Config()
    source = ReplaySource(replay_dir)
    for as_of in [
        date(2026, 1, 15),
        date(2026, 1, 2),
        date(2025, 12, 31),
        date(2025, 1, 3),
        date(2024, 3, 29),
        date(2008, 10, 10),
        date(2000, 1, 3),
        date(1996, 5, 7),
    ]:
        source.set_as_of(as_of)
        closes = source.fetch(config.symbols()).closes
        sessions = pair_sessions(closes, config.small, config.large)
        streak = current_streak(sessions, streak_runs(sessions))
        day = sessions.index[-1]
        for kw in ({"as_of": day}, {}):
            want = reference_table(closes.loc[:day], config.sectors, config.small, streak, **kw)
            assert sector_table(closes.loc[:day], config.sectors, config.small, streak, **kw) == want, as_of
        # as_of before the last row: the rows after it are not read
        earlier = day - pd.Timedelta(days=9)
        want = reference_table(closes, config.sectors, config.small, streak, earlier)
        assert sector_table(closes, config.sectors, config.small, streak, earlier) == want, as_of


def test_thin_dead_and_late_columns_match_the_reference():
    days = pd.bdate_range("2024-06-03", "2026-01-15")
    rng = np.random.default_rng(7)
    closes = pd.DataFrame(
        {sym: 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))) for sym in ("SMALL", "THIN", "DEAD", "LATE")},
        index=days,
    )
    closes.loc["2025-11-01":"2026-01-05", "THIN"] = np.nan  # a gap over the 1M and YTD anchors
    closes.loc["2025-02-01":"2025-03-31", "THIN"] = np.nan  # and one over the streak's
    closes.loc["2025-01-02":, "DEAD"] = np.nan  # stopped trading long before
    closes.loc[:"2025-06-30", "LATE"] = np.nan  # starts after the streak's anchor
    closes.loc["2025-12-12", "SMALL"] = 0.0  # not a price: not a session of the small index
    closes.loc["2026-01-15", "SMALL"] = np.nan  # the small index has no close on the last day
    sectors = [Sector(s, s) for s in ("THIN", "DEAD", "LATE", "ABSENT", "SMALL")]
    streak = Streak("small", 40, date(2025, 3, 3), date(2026, 1, 15), 0.1, 0.05, None, 40, 1.0)
    for as_of in (None, pd.Timestamp("2026-01-15"), date(2026, 1, 14), date(2025, 12, 31), date(2025, 1, 2)):
        for streak_ in (None, streak):
            want = reference_table(closes, sectors, "SMALL", streak_, as_of)
            assert sector_table(closes, sectors, "SMALL", streak_, as_of) == want, (as_of, streak_)


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(
        st.tuples(*[st.one_of(st.floats(1.0, 2.0), st.just(np.nan), st.just(0.0), st.just(-1.0), st.just(np.inf))] * 3),
        min_size=0,
        max_size=60,
    ),
    as_of_offset=st.one_of(st.none(), st.integers(-5, 70)),
    streak_offset=st.one_of(st.none(), st.integers(0, 70)),
)
def test_random_frames_match_the_reference(data, as_of_offset, streak_offset):
    days = pd.bdate_range("2023-11-01", periods=len(data))  # spans a year end from about 45 rows
    closes = pd.DataFrame(data or None, columns=["SMALL", "A", "B"], index=days, dtype="float64")
    first = pd.Timestamp("2023-11-01")
    as_of = None if as_of_offset is None else first + pd.offsets.BDay(as_of_offset)
    streak = None
    if streak_offset is not None:
        start = (first + pd.offsets.BDay(streak_offset)).date()
        streak = Streak("small", 1, start, start, 0.0, 0.0, None, 1)
    sectors = [Sector("A", "A"), Sector("B", "B"), Sector("C", "absent")]
    want = reference_table(closes, sectors, "SMALL", streak, as_of)
    assert sector_table(closes, sectors, "SMALL", streak, as_of) == want
