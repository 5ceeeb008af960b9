"""ReplaySource: past days from one CSV per symbol, as if they were today."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import tui.data.replay as replay_module
from tui.data.base import LABEL_REPLAY
from tui.data.csv_import import read_price_csv
from tui.data.replay import ReplaySource
from tui.errors import DataFormatError, UsageError

# --- small hand-made folders (no ../shared needed) ----------------------------------------------------------


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "SMALL.csv").write_text("Date,Close\n2026-01-02,100\n2026-01-05,101\n2026-01-06,103\n2026-01-07,102\n")
    (tmp_path / "LARGE.csv").write_text("Date,Close\n2026-01-02,50\n2026-01-05,50.5\n2026-01-06,50.2\n2026-01-07,51\n")
    # A holiday for one symbol only, and a row after the pair's last common day.
    (tmp_path / "SECT.csv").write_text("Date,Close\n2026-01-02,10\n2026-01-06,11\n2026-01-07,12\n2026-01-08,13\n")
    return tmp_path


def test_fetch_unions_dates_and_keeps_requested_order(folder):
    data = ReplaySource(folder).fetch(["SMALL", "LARGE", "SECT"])
    assert list(data.closes.columns) == ["SMALL", "LARGE", "SECT"]
    assert list(data.closes.index.strftime("%Y-%m-%d")) == ["2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07"]
    assert pd.isna(data.closes.loc["2026-01-05", "SECT"])
    assert data.closes.index.name == "Date" and data.closes.index.dtype == "datetime64[ns]"
    assert all(dtype == float for dtype in data.closes.dtypes)  # noqa: E721  (numpy dtype equality, not a type check)


def test_the_parsed_closes_are_kept_as_one_block_so_each_fetch_copies_one_array(folder):
    # A frame with a block per column (as pandas' concat leaves it) is merged into one on every copy: each fetch,
    # which copies the rows up to its day out of the parsed frame kept between fetches, would pay for it.
    source = ReplaySource(folder)
    data = source.fetch(["SMALL", "LARGE", "SECT", "ABSENT"])
    assert source._combined is not None and source._combined.closes._mgr.nblocks == 1
    assert data.closes["ABSENT"].isna().all() and data.closes.loc["2026-01-06", "SECT"] == 11


def test_metadata(folder):
    newest = folder / "SECT.csv"
    os.utime(newest, (1_800_000_000, 1_800_000_000))
    os.utime(folder / "SMALL.csv", (1_700_000_000, 1_700_000_000))
    os.utime(folder / "LARGE.csv", (1_700_000_000, 1_700_000_000))
    data = ReplaySource(folder).fetch(["SMALL", "LARGE", "SECT"])
    assert data.source == "replay" and data.label == LABEL_REPLAY and not data.simulated
    assert data.quotes == {} and data.fundamentals == {} and data.errors == []
    assert data.fetched_at == datetime.fromtimestamp(1_800_000_000, tz=timezone.utc)
    # The last common session, just after its close (16:15 New York = 21:15 UTC in January).
    assert data.now == datetime(2026, 1, 7, 21, 15, tzinfo=timezone.utc)


def test_as_of_truncates_every_symbol(folder):
    source = ReplaySource(folder, as_of=date(2026, 1, 5))
    data = source.fetch(["SMALL", "LARGE", "SECT"])
    assert data.closes.index[-1] == pd.Timestamp("2026-01-05")
    assert data.now == datetime(2026, 1, 5, 21, 15, tzinfo=timezone.utc)
    source.set_as_of(date(2026, 1, 6))
    assert source.fetch(["SMALL", "LARGE"]).closes.index[-1] == pd.Timestamp("2026-01-06")
    source.set_as_of(None)
    assert source.fetch(["SMALL", "LARGE"]).closes.index[-1] == pd.Timestamp("2026-01-07")
    assert source.date_range == (date(2026, 1, 2), date(2026, 1, 7))


def test_as_of_with_a_time_watches_that_moment_of_the_day(folder):
    # 09:30 New York time: the session of the 6th has just opened, so its close is not a completed session yet.
    data = ReplaySource(folder, as_of=datetime(2026, 1, 6, 9, 30)).fetch(["SMALL", "LARGE"])
    assert data.closes.index[-1] == pd.Timestamp("2026-01-05")
    assert data.now == datetime(2026, 1, 6, 14, 30, tzinfo=timezone.utc)
    # 16:10 is the close plus its grace: the day is complete. A pandas midnight is the day itself.
    assert ReplaySource(folder, as_of=datetime(2026, 1, 6, 16, 10)).fetch(["SMALL", "LARGE"]).closes.index[-1] == (
        pd.Timestamp("2026-01-06")
    )
    assert ReplaySource(folder, as_of=pd.Timestamp("2026-01-06")).fetch(["SMALL", "LARGE"]).now == datetime(
        2026, 1, 6, 21, 15, tzinfo=timezone.utc
    )


def test_summer_time_close_in_utc(tmp_path):
    (tmp_path / "A.csv").write_text("Date,Close\n2026-07-01,1\n")
    (tmp_path / "B.csv").write_text("Date,Close\n2026-07-01,2\n")
    assert ReplaySource(tmp_path).fetch(["A", "B"]).now == datetime(2026, 7, 1, 20, 15, tzinfo=timezone.utc)


def test_symbols_without_a_file_are_listed_once(folder):
    data = ReplaySource(folder).fetch(["SMALL", "LARGE", "HYG", "IEF", "^TNX", "HYG"])
    assert data.errors == ["no replay file for: HYG, IEF, ^TNX"]
    assert list(data.closes.columns) == ["SMALL", "LARGE", "HYG", "IEF", "^TNX"]
    assert data.closes[["HYG", "IEF", "^TNX"]].isna().all().all()


def test_file_names_match_case_insensitively(folder):
    data = ReplaySource(folder).fetch(["small", "Large", "sect"])
    assert list(data.closes.columns) == ["small", "Large", "sect"]
    assert data.closes["sect"].notna().sum() == 3


@pytest.mark.parametrize("pair", [["NOPE", "LARGE"], ["SMALL", "NOPE"]])
def test_missing_pair_file_is_a_usage_error(folder, pair):
    with pytest.raises(UsageError, match=rf"NOPE\.csv.*{folder.name}"):
        ReplaySource(folder).fetch([*pair, "SECT"])


def test_missing_directory_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="replay directory not found"):
        ReplaySource(tmp_path / "absent")


@pytest.mark.parametrize(
    "as_of, message",
    [
        (date(2030, 1, 1), r"--as-of 2030-01-01 is after the last date in the data \(2026-01-07\)"),
        (date(2026, 1, 8), r"after the last date"),  # SECT has it, the pair does not
        (date(2025, 12, 31), r"--as-of 2025-12-31 is before the first date in the data \(2026-01-02\)"),
    ],
)
def test_as_of_outside_the_pair_data(folder, as_of, message):
    with pytest.raises(UsageError, match=message):
        ReplaySource(folder, as_of=as_of).fetch(["SMALL", "LARGE", "SECT"])


def test_pair_without_common_dates(tmp_path):
    (tmp_path / "A.csv").write_text("Date,Close\n2026-01-02,1\n")
    (tmp_path / "B.csv").write_text("Date,Close\n2026-01-05,2\n")
    with pytest.raises(UsageError, match="no date in common"):
        ReplaySource(tmp_path).fetch(["A", "B"])


def test_malformed_file_propagates(folder):
    (folder / "SECT.csv").write_text("Date,Close\n2026-01-02,1\n2026-01-05,-1\n")
    with pytest.raises(DataFormatError, match=r"SECT\.csv line 3: negative price"):
        ReplaySource(folder).fetch(["SMALL", "LARGE", "SECT"])


@pytest.fixture
def parse_count(monkeypatch) -> dict[str, int]:
    counts: dict[str, int] = {}

    def counting(path):
        counts[Path(path).name] = counts.get(Path(path).name, 0) + 1
        return read_price_csv(path)

    monkeypatch.setattr(replay_module, "read_price_csv", counting)
    return counts


def test_files_are_parsed_once_and_reread_when_changed(folder, parse_count):
    source = ReplaySource(folder)
    first = source.fetch(["SMALL", "LARGE", "SECT"])
    source.set_as_of(date(2026, 1, 5))
    source.fetch(["SMALL", "LARGE", "SECT"])
    source.fetch(["SMALL", "LARGE", "SECT"])
    assert parse_count == {"SMALL.csv": 1, "LARGE.csv": 1, "SECT.csv": 1}

    (folder / "SMALL.csv").write_text("Date,Close\n2026-01-02,100\n2026-01-05,999\n2026-01-06,103\n2026-01-07,102\n")
    os.utime(folder / "SMALL.csv", (2_000_000_000, 2_000_000_000))
    source.set_as_of(None)
    again = source.fetch(["SMALL", "LARGE", "SECT"])
    assert parse_count == {"SMALL.csv": 2, "LARGE.csv": 1, "SECT.csv": 1}
    assert again.closes.loc["2026-01-05", "SMALL"] == 999
    assert first.closes.loc["2026-01-05", "SMALL"] == 101  # an earlier result is not changed behind its back


def test_returned_frames_do_not_alias_the_parsed_cache(folder):
    source = ReplaySource(folder)
    closes = source.fetch(["SMALL", "LARGE"]).closes
    closes.iloc[:, :] = -1.0
    assert source.fetch(["SMALL", "LARGE"]).closes.loc["2026-01-02", "SMALL"] == 100


def test_needs_two_symbols(folder):
    with pytest.raises(UsageError):
        ReplaySource(folder).fetch(["SMALL"])


# --- the real history in ../shared --------------------------------------------------------------------------


def test_real_data_as_of_worked_example_day(replay_dir):
    data = ReplaySource(replay_dir, as_of=date(2026, 1, 15)).fetch(["^RUT", "^GSPC", "IWM", "HYG", "IEF", "^TNX"])
    closes = data.closes
    assert closes.index[-1] == pd.Timestamp("2026-01-15")
    assert data.label == LABEL_REPLAY
    assert data.errors == []  # HYG, IEF and ^TNX have real history now (SOURCES.md)
    for symbol in ("^RUT", "^GSPC", "IWM", "HYG", "IEF", "^TNX"):
        raw = pd.read_csv(replay_dir / f"{symbol}.csv", index_col="Date", parse_dates=True)["Close"]
        raw = raw.loc[:"2026-01-15"]
        column = closes[symbol].dropna()
        assert list(column.index) == list(raw.index)
        assert column.to_numpy() == pytest.approx(raw.to_numpy(), rel=0, abs=0)
    # The rows of the day in the CSVs: HYG 78.674873, IEF 94.448311, ^TNX 4.160 (a yield in percent).
    assert closes.loc["2026-01-15", ["HYG", "IEF", "^TNX"]].tolist() == [78.674873, 94.448311, 4.16]
    # Each starts where its file starts (SOURCES.md): HYG 2007-04-11, IEF 2002-07-30, ^TNX 1976-08-03.
    firsts = [closes[s].first_valid_index() for s in ("HYG", "IEF", "^TNX")]
    assert firsts == [pd.Timestamp("2007-04-11"), pd.Timestamp("2002-07-30"), pd.Timestamp("1976-08-03")]
    # The pair trades on the same days: no session of one without the other, from the pair's first day
    # (1987-09-10) on; ^TNX's rows reach back to 1976 but fall on no other day (SOURCES.md).
    pair = closes.loc["1987-09-10":, ["^RUT", "^GSPC"]]
    assert pair.notna().all().all() and closes.loc[:"1987-09-09", ["^RUT", "^GSPC"]].isna().all().all()


def test_real_data_latest_day_and_bounds(replay_dir):
    source = ReplaySource(replay_dir)
    data = source.fetch(["^RUT", "^GSPC", "SPY"])
    assert data.closes.index[-1] == pd.Timestamp("2026-08-21")
    assert source.date_range == (date(1987, 9, 10), date(2026, 8, 21))
    with pytest.raises(UsageError, match=r"--as-of 2030-01-01 is after the last date in the data \(2026-08-21\)"):
        ReplaySource(replay_dir, as_of=date(2030, 1, 1)).fetch(["^RUT", "^GSPC"])
    with pytest.raises(UsageError, match=r"before the first date in the data \(1987-09-10\)"):
        ReplaySource(replay_dir, as_of=date(1980, 1, 1)).fetch(["^RUT", "^GSPC"])


def test_real_data_missing_pair(replay_dir):
    with pytest.raises(UsageError, match=r"NOSUCH\.csv"):
        ReplaySource(replay_dir).fetch(["NOSUCH", "^GSPC"])


def test_real_data_second_fetch_does_not_reparse(replay_dir, parse_count):
    source = ReplaySource(replay_dir, as_of=date(2026, 1, 15))
    symbols = ["^RUT", "^GSPC", "IWM", "^VIX"]
    source.fetch(symbols)
    source.set_as_of(date(2025, 6, 2))
    data = source.fetch(symbols)
    assert data.closes.index[-1] == pd.Timestamp("2025-06-02")
    assert sum(parse_count.values()) == len(symbols)
