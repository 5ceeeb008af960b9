"""Reading a daily price CSV that a user may have made by hand (SPEC §2, ``replay:DIR``).

The contract: a file either loads into a clean frame (unique ascending dates, positive finite closes) or fails
with one :class:`DataFormatError` that names the file and the 1-based line (header = line 1) of the first
problem. No pandas or csv exception escapes.

Tokenising is done by the stdlib ``csv`` reader (C code) rather than ``pandas.read_csv`` because we need the
physical line of every row for the messages, and pandas hides blank lines and quoted newlines from its row
numbers. Converting the cells (dates, numbers) and every check is vectorised pandas work on whole columns; the
offending line is looked up only once a check has failed.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from tui.errors import DataFormatError

#: Output columns, in order. Volume is not a price: zero is fine, only negative is rejected.
COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")

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
_DATE_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)

_NEWLINE = re.compile(r"\r\n|\r|\n")
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")

_MAX_SHOWN = 40  # longest cell text quoted in a message; a garbage cell can be megabytes


def read_price_csv(path: str | Path) -> pd.DataFrame:
    """Load one symbol's daily prices.

    Returns a frame indexed by a tz-naive ``DatetimeIndex`` named ``Date`` (ascending, unique, midnight), with
    the float columns of :data:`COLUMNS` that the file has. ``close`` is always present: when the file has only
    ``Adj Close`` that column is used as the close. Rows with a blank close are dropped.
    """
    path = Path(path)
    name = path.name or str(path)
    rows, lines = _tokenise(path, name)
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

    frame = pd.DataFrame({col: values[col].to_numpy(dtype=float) for col in values})
    frame.index = pd.DatetimeIndex(dates, name="Date")
    if "close" not in frame:
        frame["close"] = frame["adj_close"]
    frame = frame[frame["close"].notna()]
    if frame.empty:
        raise DataFormatError(f"{name}: no row has a close price")
    frame = frame.sort_index(kind="stable")
    return frame[[c for c in COLUMNS if c in frame.columns]]


def _tokenise(path: Path, name: str) -> tuple[list[list[str]], list[int]]:
    """All rows as lists of cells, plus the physical line each row starts on."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DataFormatError(f"{name}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise DataFormatError(f"{name}: cannot be read: {exc.strerror or exc}") from None
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
    checks = [
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
