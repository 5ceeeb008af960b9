"""CSV import: a file either loads clean or fails with DataFormatError naming the file and the line."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.data.csv_import import read_price_csv
from tui.errors import DataFormatError, UsageError


def write(tmp_path: Path, text: str | bytes, name: str = "^RUT.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


GOOD = """Date,Open,High,Low,Close,Adj Close,Volume
2026-01-02,10,11,9,10.5,10.4,1000
2026-01-05,10.5,12,10,11.5,11.4,2000
2026-01-06,11.5,11.6,10.9,11,10.9,1500
"""


def test_loads_the_canonical_shape(tmp_path):
    frame = read_price_csv(write(tmp_path, GOOD))
    assert list(frame.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert frame.index.name == "Date"
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None
    assert frame.index.dtype == "datetime64[ns]"
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2026-01-02", "2026-01-05", "2026-01-06"]
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert frame.loc["2026-01-05", "close"] == 11.5
    assert frame.loc["2026-01-05", "adj_close"] == 11.4


@pytest.mark.parametrize(
    "text",
    [
        # header case, order, whitespace, underscores, CRLF, a BOM, trailing comma, blank lines
        "date,ADJ CLOSE,close,volume,LOW,high,Open\n"
        "2026-01-02,10.4,10.5,1000,9,11,10\n2026-01-05,11.4,11.5,2000,10,12,10.5\n2026-01-06,10.9,11,1500,10.9,11.6,11.5\n",
        " Date , Open , High , Low , Close , Adj_Close , Volume \r\n"
        " 2026-01-02 , 10 , 11 , 9 , 10.5 , 10.4 , 1000 \r\n"
        "2026-01-05,10.5,12,10,11.5,11.4,2000\r\n\r\n2026-01-06,11.5,11.6,10.9,11,10.9,1500\r\n",
        "\ufeffDATE,OPEN,HIGH,LOW,CLOSE,adjclose,VOLUME,\n"
        "2026-01-06,11.5,11.6,10.9,11,10.9,1500,\n2026-01-02,10,11,9,10.5,10.4,1000,\n"
        "2026-01-05,10.5,12,10,11.5,11.4,2000,\n\n",
        # yfinance writes timestamps with an offset: the date part is the session
        "Date,Open,High,Low,Close,Adj Close,Volume\n2026-01-02 00:00:00-05:00,10,11,9,10.5,10.4,1000\n"
        "2026-01-05T00:00:00Z,10.5,12,10,11.5,11.4,2000\n2026-01-06 00:00,11.5,11.6,10.9,11,10.9,1500\n",
    ],
)
def test_header_and_layout_variants_load_identically(tmp_path, text):
    expected = read_price_csv(write(tmp_path, GOOD, "good.csv"))
    pd.testing.assert_frame_equal(read_price_csv(write(tmp_path, text)), expected)


def test_extra_columns_are_ignored(tmp_path):
    frame = read_price_csv(write(tmp_path, "date,open,high,low,close,volume,wap,count\n2026-01-02,1,2,0.5,1.5,10,,\n"))
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]


def test_adj_close_only_becomes_close(tmp_path):
    frame = read_price_csv(write(tmp_path, "Date,Adj Close\n2026-01-02,5\n2026-01-05,6\n"))
    assert list(frame.columns) == ["close", "adj_close"]
    assert frame["close"].tolist() == [5.0, 6.0]


def test_close_and_adj_close_both_kept(tmp_path):
    frame = read_price_csv(write(tmp_path, "Date,Close,Adj Close\n2026-01-02,5,4.9\n"))
    assert frame.iloc[0].tolist() == [5.0, 4.9]


def test_rows_out_of_order_are_sorted(tmp_path):
    frame = read_price_csv(write(tmp_path, "Date,Close\n2026-01-06,3\n2026-01-02,1\n2026-01-05,2\n"))
    assert frame.index.is_monotonic_increasing
    assert frame["close"].tolist() == [1.0, 2.0, 3.0]


def test_blank_cells_are_nan_and_blank_close_rows_dropped(tmp_path):
    text = "Date,Open,Close,Volume\n2026-01-02,,1,\n2026-01-05,2,,5\n2026-01-06,null,3,N/A\n"
    frame = read_price_csv(write(tmp_path, text))
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2026-01-02", "2026-01-06"]
    assert frame["open"].isna().all() and frame["volume"].isna().all()
    assert frame["close"].tolist() == [1.0, 3.0]


def test_zero_volume_is_fine(tmp_path):
    assert read_price_csv(write(tmp_path, "Date,Close,Volume\n2026-01-02,1,0\n"))["volume"].tolist() == [0.0]


@pytest.mark.parametrize(
    "text, line, pattern",
    [
        ("Date,Close\n2026-01-02,1\n2026-01-05,2\n2026-01-05,3\n", 4, r"duplicate date 2026-01-05 \(also on line 3\)"),
        ("Date,Close\n2026-01-05,2\n2026-01-02,1\n2026-01-05,3\n", 4, r"duplicate date 2026-01-05 \(also on line 2\)"),
        ("Date,Close\n2026-01-02,1\n2026-01-05,abc\n", 3, r"price 'abc' is not a number"),
        ("Date,Close\n2026-01-02,1\n\n2026-01-05,1,\n2026-01-06,-3.2\n", 5, r"negative price -3\.2"),
        ("Date,Close\n2026-01-02,1\n2026-01-05,0\n", 3, r"price 0 is not positive"),
        ("Date,Close\n2026-01-02,inf\n", 2, r"not a finite number"),
        ("Date,Open,Close\n2026-01-02,-1,2\n", 2, r"negative price -1 \(column Open\)"),
        ("Date,Close,Volume\n2026-01-02,1,-5\n", 2, r"negative volume -5"),
        ("Date,Close\n2026-01-02,1\n2026-01-05,1\n2026-13-45,1\n", 4, r"unparseable date '2026-13-45'"),
        ("Date,Close\n01/05/2026,1\n", 2, r"unparseable date '01/05/2026'"),
        ("Date,Close\n,1\n", 2, r"missing date"),
        ("Date,Close\n2026-01-02,1,7\n", 2, r"3 fields, but the header \(line 1\) has 2"),
        ('Date,Close\n2026-01-02,"1\n', 2, r"not valid CSV"),
        ("2026-01-02,1\n2026-01-05,2\n", 1, r"no header row"),
        (
            "Date,Open,Volume\n2026-01-02,1,2\n",
            1,
            r"no Close or Adj Close column \(columns found: 'Date', 'Open', 'Volume'\)",
        ),
        ("When,Close\n2026-01-02,1\n", 1, r"no Date column \(columns found: 'When', 'Close'\)"),
        ("Date,Close,close\n2026-01-02,1,1\n", 1, r"column 'close' appears twice"),
        ("Date,Close\n9999-01-02,1\n", 2, r"out of range"),
        (b"Date,Close\n2026-01-02,1\n2026-01-05,\xff\n", 3, r"not UTF-8"),
        (b"Date,Close\n2026-01-02,\x001\n", 2, r"NUL"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path, text, line, pattern):
    with pytest.raises(DataFormatError) as info:
        read_price_csv(write(tmp_path, text))
    message = str(info.value)
    assert message.startswith(f"^RUT.csv line {line}: "), message
    assert re.search(pattern, message), message


def test_the_first_problem_in_the_file_is_reported(tmp_path):
    # A bad price on line 3 comes before a bad date on line 4, whatever order the checks run in.
    text = "Date,Close\n2026-01-02,1\n2026-01-05,x\nnope,2\n"
    with pytest.raises(DataFormatError, match=r"line 3: price 'x'"):
        read_price_csv(write(tmp_path, text))
    text = "Date,Close\n2026-01-02,1\n2026-01-02,1\n2026-01-05,2\n2026-01-06,-1\n"
    with pytest.raises(DataFormatError, match=r"line 3: duplicate date 2026-01-02 \(also on line 2\)"):
        read_price_csv(write(tmp_path, text))


def test_only_csv_line_breaks_count_as_lines(tmp_path):
    # \x1c and \u2028 are line breaks to str.splitlines, but not to a CSV reader or a text editor.
    text = "Date,Close\n2026-01-02,1\x1c\n2026-01-05,2\u2028\r2026-01-06,abc\r\n"
    with pytest.raises(DataFormatError, match=r"line 4: price 'abc'"):
        read_price_csv(write(tmp_path, text))


def test_quoted_newline_keeps_line_numbers_physical(tmp_path):
    text = 'Date,Close,Note\n2026-01-02,1,"two\nlines"\n2026-01-05,bad,x\n'
    with pytest.raises(DataFormatError, match=r"line 4: price 'bad'"):
        read_price_csv(write(tmp_path, text))


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("", r"^\^RUT\.csv: empty file"),
        ("\n  \n\n", r"^\^RUT\.csv: empty file"),
        ("Date,Close\n", r"^\^RUT\.csv: no data rows"),
        ("Date,Close\n2026-01-02,\n", r"^\^RUT\.csv: no row has a close price"),
    ],
)
def test_empty_inputs(tmp_path, text, pattern):
    with pytest.raises(DataFormatError, match=pattern):
        read_price_csv(write(tmp_path, text))


def test_unreadable_paths(tmp_path):
    with pytest.raises(DataFormatError, match=r"^nothing\.csv: cannot be read"):
        read_price_csv(tmp_path / "nothing.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataFormatError, match=r"^dir\.csv: is a directory"):
        read_price_csv(tmp_path / "dir.csv")


def test_data_format_error_is_a_usage_error():
    # The CLI maps UsageError to exit code 2 (SPEC §4): bad input data is the user's to fix.
    assert issubclass(DataFormatError, UsageError)


def test_long_garbage_cells_are_shortened_in_messages(tmp_path):
    with pytest.raises(DataFormatError) as info:
        read_price_csv(write(tmp_path, "Date,Close\n2026-01-02," + "x" * 10_000 + "\n"))
    assert len(str(info.value)) < 200


def test_real_files_load(replay_dir):
    rut = read_price_csv(replay_dir / "^RUT.csv")
    gspc = read_price_csv(replay_dir / "^GSPC.csv")
    assert len(rut) == 9811 and len(gspc) == 9811
    assert rut.index.equals(gspc.index)
    assert rut.loc["2026-08-21", "close"] == pytest.approx(3017.87)
    assert gspc["open"].isna().all()  # the file has the column, but it is blank


# --- property tests: anything at all either loads clean or raises DataFormatError -------------------------


def check_contract(path: Path) -> None:
    try:
        frame = read_price_csv(path)
    except DataFormatError as exc:
        message = str(exc)
        assert message.startswith(path.name)
        line = re.match(rf"{re.escape(path.name)} line (\d+): ", message)
        if line:  # a line that exists in the file
            assert 1 <= int(line.group(1)) <= len(re.findall(rb"\r\n|\r|\n", path.read_bytes())) + 1, message
        return
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert len(frame) > 0
    closes = frame["close"].to_numpy()
    assert np.isfinite(closes).all() and (closes > 0).all()
    assert set(frame.columns) <= {"open", "high", "low", "close", "adj_close", "volume"}


# The suite's suppressed health checks (tests/conftest.py), and the tmp_path fixture these tests share across examples.
SUPPRESSED = [*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=SUPPRESSED)


@FAST
@given(text=st.text())
def test_arbitrary_text_loads_or_raises_data_format_error(tmp_path, text):
    check_contract(write(tmp_path, text, "any.csv"))


@FAST
@given(data=st.binary())
def test_arbitrary_bytes_load_or_raise_data_format_error(tmp_path, data):
    check_contract(write(tmp_path, data, "any.csv"))


_COLUMN_SPELLINGS = {
    "date": ["Date", "date", " DATE "],
    "open": ["Open", "OPEN"],
    "high": ["High"],
    "low": ["Low", "low "],
    "close": ["Close", "close", " CLOSE"],
    "adj_close": ["Adj Close", "adj_close", "AdjClose"],
    "volume": ["Volume"],
    "extra": ["wap", "Note"],
}
_good_dates = st.dates(min_value=pd.Timestamp("2026-01-01").date(), max_value=pd.Timestamp("2026-06-30").date())
_bad_dates = st.one_of(
    st.sampled_from(["2026-13-45", "2026-02-30", "", "01/02/2026", "0000-00-00", "2026-1-5", "20260105"]),
    st.text(max_size=12),
)
_good_numbers = st.floats(min_value=0.01, max_value=1e6).map(repr)
_bad_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "null", "NaN", "abc", "-0", "0", "1e400", "1,5", " 3 ", "inf", "-inf", "1_000", '"7"']),
    st.text(max_size=8),
)


@st.composite
def near_csv(draw) -> str:
    """Mostly well-formed price files with a few things wrong, so that both outcomes are exercised."""
    chance = lambda n: draw(st.integers(0, n - 1)) == 0  # noqa: E731 - true about once in n draws
    wanted = ["date", "close"] + draw(st.lists(st.sampled_from(list(_COLUMN_SPELLINGS)[1:]), unique=True, max_size=5))
    wanted = list(dict.fromkeys(wanted))
    if chance(15):
        wanted.remove("date")
    if chance(15):
        wanted.remove("close")
    wanted = draw(st.permutations(wanted))
    header = [draw(st.sampled_from(_COLUMN_SPELLINGS[c])) for c in wanted]
    start = draw(_good_dates)
    rows = []
    for i in range(draw(st.integers(0, 12))):
        cells = []
        for column in wanted:
            if column == "date":
                day = start + timedelta(days=i if not chance(20) else 0)  # an occasional duplicate
                cells.append(str(day) if not chance(30) else draw(_bad_dates))
            else:
                cells.append(draw(_good_numbers) if not chance(20) else draw(_bad_numbers))
        if chance(40):
            cells.append(draw(_good_numbers))  # a stray extra field
        elif chance(40) and cells:
            cells.pop()  # a truncated row
        elif chance(40):
            cells = []  # a blank line
        rows.append(cells)
    if draw(st.booleans()):
        rows.reverse()
    sep = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(header)] + [",".join(cells) for cells in rows]
    return sep.join(lines) + draw(st.sampled_from(["", sep]))


@FAST
@given(text=near_csv())
def test_near_csv_loads_or_raises_data_format_error(tmp_path, text):
    check_contract(write(tmp_path, text, "near.csv"))


@settings(max_examples=60, deadline=None, suppress_health_check=SUPPRESSED)
@given(
    closes=st.lists(st.floats(min_value=1e-6, max_value=1e9), min_size=1, max_size=30),
    shuffle=st.randoms(),
)
def test_valid_files_round_trip_in_any_row_order(tmp_path, closes, shuffle):
    days = pd.bdate_range("2020-01-01", periods=len(closes))
    rows = [f"{d:%Y-%m-%d},{c!r}" for d, c in zip(days, closes)]
    shuffle.shuffle(rows)
    frame = read_price_csv(write(tmp_path, "Date,Close\n" + "\n".join(rows) + "\n", "ok.csv"))
    assert list(frame.index) == list(days)
    assert all(math.isclose(a, b) for a, b in zip(frame["close"], closes))


# --- the fast path agrees with the careful one -----------------------------------------------------------


def check_paths_agree(path: Path) -> None:
    """Whatever the fast path accepts, the careful path accepts with the identical frame."""
    from tui.data.csv_import import _read_fast

    fast = _read_fast(path.read_bytes())
    if fast is None:
        return  # the careful path decides alone, as before
    careful = read_price_csv(path, fast=False)  # must not raise: the fast path only takes valid files
    pd.testing.assert_frame_equal(fast, careful, check_exact=True)
    assert (np.signbit(fast.to_numpy()) == np.signbit(careful.to_numpy())).all()  # -0.0 vs 0.0 too


@FAST
@given(text=near_csv())
def test_fast_path_agrees_with_careful_path_on_near_csv(tmp_path, text):
    check_paths_agree(write(tmp_path, text, "near.csv"))


@FAST
@given(text=st.text(alphabet=st.sampled_from(list('0123456789-,.\n\r eE+naulNAUL"\tx')), max_size=200))
def test_fast_path_agrees_with_careful_path_on_csv_like_text(tmp_path, text):
    check_paths_agree(write(tmp_path, "Date,Close,Volume\n" + text, "like.csv"))


@settings(max_examples=60, deadline=None, suppress_health_check=SUPPRESSED)
@given(
    closes=st.lists(st.one_of(st.floats(min_value=1e-6, max_value=1e9), st.none()), min_size=1, max_size=30),
    volumes=st.lists(st.sampled_from(["0", "-0", "-0.0", "12", "1e3", "", "null", "NaN"]), min_size=30, max_size=30),
    crlf=st.booleans(),
)
def test_fast_path_takes_plain_valid_files(tmp_path, closes, volumes, crlf):
    days = pd.bdate_range("2020-01-01", periods=len(closes))
    rows = [f"{d:%Y-%m-%d},{'' if c is None else repr(c)},{v}" for d, c, v in zip(days, closes, volumes)]
    text = ("\r\n" if crlf else "\n").join(["Date,Close,Volume", *rows]) + "\n"
    check_paths_agree(write(tmp_path, text, "plain.csv"))


def test_real_files_take_the_fast_path_and_agree(replay_dir):
    from tui.data.csv_import import _read_fast

    for path in sorted(replay_dir.glob("*.csv")):
        fast = _read_fast(path.read_bytes())
        assert fast is not None, path.name
        pd.testing.assert_frame_equal(fast, read_price_csv(path, fast=False), check_exact=True)


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        GOOD.replace("\n", "\r\n"),
        "\ufeff" + GOOD,
        GOOD + "\n\n",
        "Date,Close,Note\n2026-01-02,1,hello\n\n2026-01-05,NULL,x\n2026-01-06,2,\n",
    ],
)
def test_fast_path_takes_common_plain_layouts(tmp_path, text):
    from tui.data.csv_import import _read_fast

    path = write(tmp_path, text)
    assert _read_fast(path.read_bytes()) is not None
    check_paths_agree(path)
