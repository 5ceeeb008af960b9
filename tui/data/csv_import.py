"""Reading a daily price CSV that a user may have made by hand (SPEC §2, ``replay:DIR``).

The contract: a file either loads into a clean frame (unique ascending dates, positive finite closes) or fails
with one :class:`DataFormatError` that names the file and the 1-based line (header = line 1) of the first
problem. No pandas or csv exception escapes.

Two paths give the same result:

* the **fast path** (:func:`_read_fast`) takes only plain files — printable ASCII, no quotes, ``\n`` or ``\r\n``
  line ends, the header on line 1, every row exactly as wide as the header, ISO dates — and hands them to
  ``pandas.read_csv`` (C parser) with vectorised checks on whole arrays. At the first thing it does not like
  (anything that would be an error, or merely unusual) it gives up and returns None;
* the **careful path** (:func:`_read_careful`) then reads the file again: tokenising by the stdlib ``csv``
  reader, because we need the physical line of every row for the messages and pandas hides blank lines and
  quoted newlines from its row numbers. Converting the cells and every check is vectorised pandas work on whole
  columns; the offending line is looked up only once a check has failed.

So every error message comes from the careful path, and a file the fast path accepts is one the careful path
would have accepted with the same frame (``tests/test_csv_import.py`` checks both paths agree).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from tui.data.cache import BAR_COLUMNS
from tui.data.files import FileRefused, read_capped
from tui.errors import DataFormatError

#: Output columns, in order: the cache's bars. Volume is not a price: zero is fine, only negative is rejected.
COLUMNS = BAR_COLUMNS

# Header spellings (after lower-casing and dropping spaces, underscores and dashes) -> our names.
_HEADER_ALIASES = {
    "date": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "adjclose": "adj_close",
    "adjustedclose": "adj_close",
    "volume": "volume",
}

# Cells meaning "no value". Yahoo exports write "null"; spreadsheets write "N/A" or "NaN".
_MISSING = {"", "nan", "null", "n/a", "na", "none"}

# A plain ISO date, optionally followed by a time and a UTC offset (yfinance writes "2026-01-05 00:00:00-05:00").
# The date part is taken as the exchange date; the time is not used.
_DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")

_NEWLINE = re.compile(r"\r\n|\r|\n")
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")

_MAX_SHOWN = 40  # longest cell text quoted in a message; a garbage cell can be megabytes


def read_price_csv(path: str | Path, *, fast: bool = True) -> pd.DataFrame:
    """Load one symbol's daily prices.

    Returns a frame indexed by a tz-naive ``DatetimeIndex`` named ``Date`` (ascending, unique, midnight), with
    the float columns of :data:`COLUMNS` that the file has. ``close`` is always present: when the file has only
    ``Adj Close`` that column is used as the close. Rows with a blank close are dropped.

    ``fast=False`` skips the fast path (tests compare both paths).
    """
    path = Path(path)
    name = path.name or str(path)
    raw = _read_bytes(path, name)
    if fast:
        frame = _read_fast(raw)
        if frame is not None:
            return frame
    return _read_careful(raw, name)


def _read_careful(raw: bytes, name: str) -> pd.DataFrame:
    """The line-by-line reader: slower, but it knows the line of every problem (see the module docstring)."""
    rows, lines = _tokenise(raw, name)
    header_at = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_at is None:
        raise DataFormatError(f"{name}: empty file")
    header_line = lines[header_at]
    columns = _read_header(rows[header_at], name, header_line)

    body = [(row, line) for row, line in zip(rows[header_at + 1 :], lines[header_at + 1 :]) if _non_blank(row)]
    if not body:
        raise DataFormatError(f"{name}: no data rows after the header (line {header_line})")
    width = len(rows[header_at])
    problems: list[tuple[int, str]] = []
    for row, line in body:
        # Extra trailing empty cells (a trailing comma) are harmless; anything else is a broken row.
        if len(row) != width and not (len(row) > width and not any(c.strip() for c in row[width:])):
            problems.append((line, f"{len(row)} fields, but the header (line {header_line}) has {width}"))
            break  # the first is enough; the rest are checked after the cheap ones below

    line_no = np.fromiter((line for _, line in body), dtype=np.int64, count=len(body))
    cells = {
        ours: pd.Series([row[i].strip() if i < len(row) else "" for row, _ in body], dtype=object)
        for ours, i in columns.items()
    }
    dates, date_problems = _parse_dates(cells["date"], line_no)
    problems += date_problems
    values: dict[str, pd.Series] = {}
    for col in COLUMNS:
        if col in cells:
            series, problem = _to_numbers(cells[col], line_no, col)
            values[col] = series
            if problem:
                problems.append(problem)
    problems += _duplicates(dates, line_no)
    if problems:
        line, message = min(problems, key=lambda p: p[0])  # the first problem in the file, whatever kind
        raise DataFormatError(f"{name} line {line}: {message}")

    frame = _assemble({col: values[col].to_numpy(dtype=float) for col in values}, dates)
    if frame.empty:
        raise DataFormatError(f"{name}: no row has a close price")
    return frame


def _assemble(values: dict[str, np.ndarray], dates: np.ndarray) -> pd.DataFrame:
    """The checked columns (file order of rows) as the result frame: closes only, sorted, our column order."""
    frame = pd.DataFrame(values)
    frame.index = pd.DatetimeIndex(dates, name="Date")
    if "close" not in frame:
        frame["close"] = frame["adj_close"]
    frame = frame[frame["close"].notna()]
    frame = frame.sort_index(kind="stable")
    return frame[[c for c in COLUMNS if c in frame.columns]]


# --- the fast path ------------------------------------------------------------------------------------------

# Bytes a plain file consists of: printable ASCII except the quote, and line ends. Anything else (tabs, quotes,
# non-ASCII, NUL...) goes to the careful path, whose stripping and quoting rules then apply unchanged.
_PLAIN = bytes([*range(0x20, 0x7F), 0x0A, 0x0D]).replace(b'"', b"")
# Every spelling of the missing markers, as read_csv matches na_values exactly (the careful path lower-cases).
_MISSING_SPELLINGS = sorted(
    {"".join(chars) for word in _MISSING for chars in itertools.product(*((c.lower(), c.upper()) for c in word))}
)
_EARLIEST_DAY = np.datetime64("1678-01-01", "D")
_LATEST_DAY = np.datetime64("2261-12-31", "D")
_DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9]


def _read_fast(raw: bytes) -> pd.DataFrame | None:
    """The frame of a plain, valid file; None when anything is unusual or wrong (then the careful path decides)."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if raw.translate(None, _PLAIN):
        return None
    if b"\r" in raw:
        if raw.count(b"\r") != raw.count(b"\r\n"):
            return None  # a bare CR ends a line for csv, not for our line arithmetic
        raw = raw.replace(b"\r\n", b"\n")
    end = raw.find(b"\n")
    header = (raw if end < 0 else raw[:end]).decode("ascii").split(",")
    if not any(cell.strip() for cell in header):
        return None
    try:
        columns = _read_header(header, "", 1)
    except DataFormatError:
        return None
    width = len(header)

    # Every line after the header is empty (skipped, as blank) or has exactly width - 1 commas.
    buf = np.frombuffer(raw, dtype=np.uint8)
    breaks = np.flatnonzero(buf == 0x0A)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(buf)]))
    commas = np.flatnonzero(buf == 0x2C)
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    body = slice(1, None)
    empty = ends[body] == starts[body]
    if not (empty | (fields[body] == width)).all() or empty.all():
        return None

    date_col = columns["date"]
    numeric = {ours: i for ours, i in columns.items() if ours != "date"}
    try:
        table = pd.read_csv(
            io.BytesIO(raw),
            header=None,
            skiprows=1,
            usecols=sorted(columns.values()),
            dtype={date_col: object, **{i: "float64" for i in numeric.values()}},
            keep_default_na=False,
            na_values=_MISSING_SPELLINGS,
            skip_blank_lines=True,
            engine="c",
        )
    except Exception:  # a cell that is not a number, or anything else read_csv objects to
        return None
    if len(table) != int((~empty).sum()):
        return None

    dates = _fast_dates(table[date_col].to_numpy())
    if dates is None:
        return None
    values: dict[str, np.ndarray] = {}
    for col in COLUMNS:
        if col not in numeric:
            continue
        v = table[numeric[col]].to_numpy(dtype="float64")
        if col == "volume":
            # Negative volume is an error; -0 is read as -0.0 here but as 0 by the careful path.
            if (np.isinf(v) | (v < 0) | ((v == 0) & np.signbit(v))).any():
                return None
        elif (np.isinf(v) | (v <= 0)).any():
            return None
        values[col] = v
    frame = _assemble(values, dates)
    return None if frame.empty else frame


def _fast_dates(cells: np.ndarray) -> np.ndarray | None:
    """Plain YYYY-MM-DD cells as datetime64[ns], unique and in range; None for anything else."""
    try:
        text = cells.astype("S")  # ASCII str -> fixed-width bytes; a NaN (blank cell) becomes b"nan"
    except (TypeError, ValueError, UnicodeError):
        return None
    if text.dtype.itemsize != 10:
        return None
    grid = text.view(np.uint8).reshape(-1, 10)
    digits = grid[:, _DATE_DIGITS]
    if not (((digits >= 0x30) & (digits <= 0x39)).all() and (grid[:, 4] == 0x2D).all() and (grid[:, 7] == 0x2D).all()):
        return None
    try:
        days = text.astype("datetime64[D]")  # rejects impossible days (2026-02-30) and months
    except ValueError:
        return None
    if len(days) and (days.min() < _EARLIEST_DAY or days.max() > _LATEST_DAY):
        return None
    if len(days) > 1 and not (days[1:] > days[:-1]).all():
        ordered = np.sort(days)
        if (ordered[1:] == ordered[:-1]).any():
            return None  # a duplicate date: the careful path names both lines
    return days.astype("datetime64[ns]")


# --- the careful path ---------------------------------------------------------------------------------------


#: Largest CSV read. The longest daily history there is (^GSPC since 1927, every column) is ~2.7 MB; the careful
#: path holds each cell as a Python string (~20x the file's size), so this also bounds its memory (~150 MB).
MAX_CSV_BYTES = 8 * 2**20


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        return read_capped(path, MAX_CSV_BYTES)
    except FileRefused as exc:
        raise DataFormatError(f"{name}: {exc}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise DataFormatError(f"{name}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None


def _tokenise(raw: bytes, name: str) -> tuple[list[list[str]], list[int]]:
    """All rows as lists of cells, plus the physical line each row starts on."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = len(_NEWLINE_BYTES.findall(raw, 0, exc.start)) + 1
        raise DataFormatError(f"{name} line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
    if "\x00" in text:
        line = len(_NEWLINE.findall(text, 0, text.index("\x00"))) + 1
        raise DataFormatError(f"{name} line {line}: contains a NUL byte (binary file?)")

    rows: list[list[str]] = []
    lines: list[int] = []
    # newline="": lines end at \n, \r\n or \r only (not at the other Unicode breaks str.splitlines knows),
    # and the endings stay in the text so that quoted newlines remain inside their cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for row in reader:
            rows.append(row)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataFormatError(f"{name} line {reader.line_num}: not valid CSV ({exc})") from None
    return rows, lines


def _read_header(header: list[str], name: str, line: int) -> dict[str, int]:
    found = [cell.strip() for cell in header]
    columns: dict[str, int] = {}
    for i, cell in enumerate(found):
        ours = _HEADER_ALIASES.get(re.sub(r"[\s_\-]+", "", cell.lower()))
        if ours is None:
            continue  # extra columns (IB's wap/count, a dividend column...) are ignored
        if ours in columns:
            raise DataFormatError(f"{name} line {line}: column {_shown(cell)} appears twice")
        columns[ours] = i
    shown = ", ".join(_shown(c) for c in found)
    if "date" not in columns:
        if found and _DATE_RE.match(found[0]):
            raise DataFormatError(f"{name} line {line}: no header row (the file starts with data: {_shown(found[0])})")
        raise DataFormatError(f"{name} line {line}: no Date column (columns found: {shown})")
    if "close" not in columns and "adj_close" not in columns:
        raise DataFormatError(f"{name} line {line}: no Close or Adj Close column (columns found: {shown})")
    return columns


def _parse_dates(cells: pd.Series, line_no: np.ndarray) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Cells to datetime64[ns] (the unit the rest of the app uses), and the first problems found."""
    blank = cells.eq("").to_numpy()
    shaped = cells.str.match(_DATE_RE).fillna(False).astype(bool)
    parsed = pd.to_datetime(cells.str.slice(0, 10).where(shaped), format="%Y-%m-%d", errors="coerce")
    bad = ~blank & parsed.isna().to_numpy()
    # Nanosecond timestamps end in 2262; no market has data before 1678 either.
    outside = (parsed.notna() & ((parsed < _EARLIEST) | (parsed > _LATEST))).to_numpy()
    problems = []
    if blank.any():
        problems.append((int(line_no[np.argmax(blank)]), "missing date"))
    if bad.any():
        at = int(np.argmax(bad))
        problems.append((int(line_no[at]), f"unparseable date {_shown(cells.iloc[at])} (expected YYYY-MM-DD)"))
    if outside.any():
        at = int(np.argmax(outside))
        problems.append((int(line_no[at]), f"date {_shown(cells.iloc[at])} is out of range"))
    return parsed.where(~pd.Series(outside)).to_numpy(dtype="datetime64[ns]"), problems


def _duplicates(dates: np.ndarray, line_no: np.ndarray) -> list[tuple[int, str]]:
    """The first repeated date. Judged on every dated row, including ones later dropped for a blank close:
    two rows for one day mean the file is not what the user thinks it is."""
    index = pd.DatetimeIndex(dates)
    dup = index.duplicated(keep="first") & ~index.isna()
    if not dup.any():
        return []
    at = int(np.argmax(dup))
    first = int(line_no[np.flatnonzero(index == index[at])[0]])
    return [(int(line_no[at]), f"duplicate date {index[at].date()} (also on line {first})")]


_EARLIEST = pd.Timestamp("1678-01-01")
_LATEST = pd.Timestamp("2261-12-31")


def _to_numbers(cells: pd.Series, line_no: np.ndarray, col: str) -> tuple[pd.Series, tuple[int, str] | None]:
    """Cells to floats, and the first problem (by line) in the column, if any."""
    missing = cells.str.lower().isin(_MISSING).to_numpy()
    numbers = pd.to_numeric(cells.where(~missing), errors="coerce")
    # to_numeric may hand back Python ints (huge integers) in an object column; force plain floats.
    try:
        values = numbers.to_numpy(dtype=float, na_value=np.nan)
    except (OverflowError, TypeError, ValueError):
        values = np.array([_safe_float(v) for v in numbers], dtype=float)
    label = "volume" if col == "volume" else "price"
    # (rows that fail, the message for the first: its cell as written and its value)
    checks: list[tuple[np.ndarray, Callable[[str, float], str]]] = [
        (~missing & np.isnan(values), lambda s, v: f"{label} {_shown(s)} is not a number"),
        (np.isinf(values), lambda s, v: f"{label} {_shown(s)} is not a finite number"),
        (values < 0, lambda s, v: f"negative {label} {_shown(s)[1:-1]}"),
    ]
    if col != "volume":
        checks.append((values == 0, lambda s, v: f"price {_shown(s)[1:-1]} is not positive"))
    found = []
    for mask, message in checks:
        if mask.any():
            at = int(np.argmax(mask))
            found.append((int(line_no[at]), message(cells.iloc[at], values[at]) + f" (column {_COLUMN_NAMES[col]})"))
    return pd.Series(values), (min(found) if found else None)


_COLUMN_NAMES = {
    "open": "Open",
    "high": "High",
    "low": "Low",
    "close": "Close",
    "adj_close": "Adj Close",
    "volume": "Volume",
}


def _safe_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return float("inf")  # a huge integer: reported as not finite, which is true
    except (TypeError, ValueError):
        return float("nan")


def _non_blank(row: list[str]) -> bool:
    return any(cell.strip() for cell in row)


def _shown(text: str) -> str:
    text = text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
    return f"'{text}'"


# --- intraday prices (today's race in a replay) --------------------------------------------------------------

#: ``Datetime`` cells of an intraday CSV: ISO 8601 with a UTC offset (``Z`` or ``±HH:MM``), as yfinance writes them.
_INSTANT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})$")


def read_intraday_csv(path: str | Path) -> pd.Series:
    """An intraday CSV (``Datetime,Close``; header case-insensitive, other columns ignored) as a Series of
    closes indexed by UTC instants, ascending, the last row kept where an instant repeats. Each row is a price
    at that instant: yfinance's 5-minute bars (stamped at their start, closing at their last price) fit as they
    are. One :class:`DataFormatError` naming the file and line for the first problem."""
    from datetime import datetime, timezone

    path = Path(path)
    name = path.name
    rows, lines = _tokenise(_read_bytes(path, name), name)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise DataFormatError(f"{name}: empty file")
    header = [re.sub(r"[\s_\-]", "", cell).lower() for cell in rows[0]]
    if "datetime" not in header or "close" not in header:
        raise DataFormatError(f"{name} line {lines[0]}: the header needs Datetime and Close columns")
    at, close = header.index("datetime"), header.index("close")
    prices: dict[datetime, float] = {}
    for row, line in zip(rows[1:], lines[1:]):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) <= max(at, close):
            raise DataFormatError(f"{name} line {line}: {len(row)} cells, the header has {len(header)}")
        text, value = row[at].strip(), row[close].strip()
        if not _INSTANT_RE.match(text):
            raise DataFormatError(
                f"{name} line {line}: not a date and time with a UTC offset (2026-01-15T09:35:00-05:00): {_shown(text)}"
            )
        if value.lower() in _MISSING:
            continue  # a minute without a trade
        try:
            price = float(value)
        except ValueError:
            raise DataFormatError(f"{name} line {line}: not a number: {_shown(value)}") from None
        if not np.isfinite(price) or price <= 0:
            raise DataFormatError(f"{name} line {line}: a price must be above zero: {_shown(value)}")
        instant = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
        prices[instant] = price
    if not prices:
        raise DataFormatError(f"{name}: no row has a price")
    series = pd.Series(prices, dtype="float64").sort_index()
    series.index = pd.DatetimeIndex(series.index, name="Datetime")
    return series
