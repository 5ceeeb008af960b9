"""Today's race in a replay (issue 13, item 5): said plainly to be absent, unless the folder holds
``intraday/<symbol>.csv`` (``Datetime,Close``, ISO 8601 with a UTC offset); then the replayed day's path, up to
the time ``--as-of`` gives. Small CSVs written by each test (the real replay folder has no intraday data)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tui.cli import main
from tui.data.replay import ReplaySource
from tui.errors import DataFormatError

NY = ZoneInfo("America/New_York")
DAY = date(2026, 1, 6)
DAILY = {"SMALL": [100.0, 101.0, 102.5, 103.0], "LARGE": [500.0, 499.0, 501.25, 502.0]}
DATES = ["2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07"]
#: The 6th's 5-minute prices from the open, per symbol (the first 9 bars: 09:30 to 10:10).
BARS = {"SMALL": [101.2, 101.4, 101.1, 101.9, 102.0, 102.2, 101.8, 102.4, 102.5], "LARGE": [499.5] * 9}


def write_daily(folder) -> None:
    for symbol, closes in DAILY.items():
        rows = "".join(f"{d},{c}\n" for d, c in zip(DATES, closes))
        (folder / f"{symbol}.csv").write_text("Date,Close\n" + rows)


def bar_times() -> list[datetime]:
    return [datetime(2026, 1, 6, 9, 30, tzinfo=NY) + timedelta(minutes=5 * k) for k in range(9)]


def write_intraday(folder, symbols=("SMALL", "LARGE")) -> None:
    (folder / "intraday").mkdir(exist_ok=True)
    for symbol in symbols:
        # The day before too (a file may hold many days), and one row in UTC ("Z"): any offset is an instant.
        rows = ["Datetime,Close", "2026-01-05T15:55:00-05:00,1.0"]
        for k, (moment, price) in enumerate(zip(bar_times(), BARS[symbol])):
            stamp = moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if k == 4 else moment.isoformat()
            rows.append(f"{stamp},{price}")
        (folder / "intraday" / f"{symbol}.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture
def folder(tmp_path):
    write_daily(tmp_path)
    return tmp_path


def test_without_intraday_files_the_note_says_where_they_would_be(folder):
    data = ReplaySource(folder, as_of=datetime(2026, 1, 6, 10, 0)).fetch(["SMALL", "LARGE"])
    assert data.intraday == {} and data.quotes == {}
    assert (
        data.intraday_note
        == "no intraday data in this replay (it would be in intraday/SMALL.csv and intraday/LARGE.csv)"
    )


def test_a_time_of_day_gives_the_path_up_to_it_and_the_quotes_of_that_moment(folder):
    write_intraday(folder)
    data = ReplaySource(folder, as_of=datetime(2026, 1, 6, 9, 52)).fetch(["SMALL", "LARGE"])
    upto = [t for t in bar_times() if t <= datetime(2026, 1, 6, 9, 52, tzinfo=NY)]  # 09:30 .. 09:50: 5 bars
    assert len(upto) == 5
    assert data.intraday_note is None and data.label == "REPLAY"
    for symbol in ("SMALL", "LARGE"):
        path = data.intraday[symbol]
        assert path.times == tuple(t.astimezone(timezone.utc) for t in upto)
        assert path.prices == tuple(BARS[symbol][:5])
        assert path.previous_close == DAILY[symbol][1]  # the 5th's close
        assert path.session == pd.Timestamp(DAY) and not path.complete
        assert (data.quotes[symbol].price, data.quotes[symbol].time) == (BARS[symbol][4], path.times[-1])
    assert data.closes.index[-1] == pd.Timestamp("2026-01-05")  # the 6th is not complete at 09:52


def test_a_whole_day_gives_the_complete_path(folder):
    write_intraday(folder)
    data = ReplaySource(folder, as_of=DAY).fetch(["SMALL", "LARGE"])
    assert data.intraday["SMALL"].prices == tuple(BARS["SMALL"]) and data.intraday["SMALL"].complete
    assert data.quotes == {} and data.closes.index[-1] == pd.Timestamp(DAY)


def test_a_day_the_files_do_not_cover_is_said(folder):
    write_intraday(folder)
    data = ReplaySource(folder, as_of=datetime(2026, 1, 7, 11, 0)).fetch(["SMALL", "LARGE"])
    assert data.intraday == {}
    assert data.intraday_note == "the intraday files have no prices for SMALL and LARGE on 2026-01-07 by 11:00 ET"


def test_one_missing_file_is_no_race(folder):
    write_intraday(folder, symbols=("SMALL",))
    data = ReplaySource(folder, as_of=datetime(2026, 1, 6, 10, 0)).fetch(["SMALL", "LARGE"])
    assert data.intraday == {} and "intraday/LARGE.csv" in data.intraday_note


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("Datetime,Close\n2026-01-06T09:30:00,101\n", "line 2: not a date and time with a UTC offset"),
        ("Datetime,Close\n2026-01-06T09:30:00-05:00,abc\n", "line 2: not a number: 'abc'"),
        ("Datetime,Close\n2026-01-06T09:30:00-05:00,101\n2026-01-06T09:35:00-05:00,-1\n", "line 3: a price must be"),
        ("Time,Price\n", "line 1: the header needs Datetime and Close columns"),
    ],
)
def test_a_broken_intraday_file_names_its_line(folder, content, words):
    write_intraday(folder)
    (folder / "intraday" / "SMALL.csv").write_text(content)
    with pytest.raises(DataFormatError, match=words):
        ReplaySource(folder, as_of=datetime(2026, 1, 6, 10, 0)).fetch(["SMALL", "LARGE"])


def test_the_command_line_takes_a_time_of_day(folder, capsys, tmp_path):
    write_intraday(folder)
    config = tmp_path / "config.toml"
    config.write_text('[pair]\nsmall = "SMALL"\nlarge = "LARGE"\n')
    code = main(
        ["--source", f"replay:{folder}", "--as-of", "2026-01-06T09:52", "--once", "--json", "--config", str(config)]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["source"] == "replay"
    with pytest.raises(SystemExit) as exited:
        main(["--source", f"replay:{folder}", "--as-of", "2026-01-06T25:00", "--once"])
    assert exited.value.code == 2
    assert "not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)" in capsys.readouterr().err
