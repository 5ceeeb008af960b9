"""``--once`` output for scripts: the versioned JSON document and the CSV tables (history, sectors).

The JSON document is :meth:`Snapshot.to_json` with ``schema_version`` in front; its shape is described by
``docs/snapshot.schema.json`` (checked against real output by tests/test_output_formats.py). The CSV tables are one
header row and one row per streak or sector, RFC 4180 quoting, fractions as Python writes floats, empty for null,
dates ISO. Text from outside (sector names from the config, symbols) passes through :func:`plain` on its way out,
like everything else the program prints: no control byte reaches the terminal or the program reading the pipe.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TextIO

from tui.textsafe import plain

if TYPE_CHECKING:  # the CLI imports this module to build its parser: no tui.model (and its imports) at start-up
    from tui.model import SectorRow, Snapshot

#: The JSON contract's version. Raised when a field is removed, renamed or changes meaning; fields added beside the
#: existing ones (as later issues add ``today``, ``rotation`` ...) keep it, so a reader ignores keys it does not know.
SCHEMA_VERSION = 1

FORMATS = ("text", "json", "csv")
#: What ``--format csv`` can write, one table per run: the streak history (the history screen's list) or the
#: sector table (the Sectors pane).
CSV_TABLES = ("history", "sectors")


def snapshot_document(snapshot: Snapshot) -> dict[str, Any]:
    """The ``--once --json`` document: the snapshot's JSON contract, ``schema_version`` first."""
    return {"schema_version": SCHEMA_VERSION, **snapshot.to_json()}


def write_json(snapshot: Snapshot, out: TextIO) -> None:
    # ensure_ascii escapes every control, format and non-ASCII character as \uXXXX: the text stays whole for the
    # program that reads it, and no byte of it can act on a terminal.
    json.dump(snapshot_document(snapshot), out, indent=2, allow_nan=False, ensure_ascii=True)
    out.write("\n")


def write_csv(snapshot: Snapshot, table: str, out: TextIO) -> None:
    """Write one of :data:`CSV_TABLES` as CSV to ``out``."""
    header, rows = CSV_WRITERS[table](snapshot)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)


def history_table(snapshot: Snapshot) -> tuple[list[str], Iterable[Sequence[object]]]:
    """Every streak of ``history.min_length`` sessions or more, newest first, with what followed it: one column
    ``forward_N`` per horizon, the relative performance ``(1+R_small)/(1+R_large) - 1`` N sessions after its end
    (empty while fewer than N sessions have followed)."""
    history = snapshot.history
    header = ["leader", "start", "end", "length", "small_return", "large_return"]
    if history is None:  # a snapshot built without the history (none is, today): the header alone, no rows
        return header, ()
    header += [f"forward_{horizon}" for horizon in history.horizons]
    rows = (
        [entry.leader, entry.start, entry.end, entry.length, entry.small_return, entry.large_return, *entry.forward]
        for entry in history.streaks
    )
    return header, rows


_SECTOR_FIELDS = (
    "return_1d",
    "return_5d",
    "return_streak",
    "return_1m",
    "return_ytd",
    "vs_small_1d",
    "vs_small_5d",
    "vs_small_streak",
    "vs_small_1m",
    "vs_small_ytd",
)


def sectors_table(snapshot: Snapshot) -> tuple[list[str], Iterable[Sequence[object]]]:
    """The sector table in the config's order, each row with the date its figures run to (``as_of``)."""

    def row(sector: SectorRow) -> list[object]:
        return [sector.symbol, sector.name, sector.as_of, *(getattr(sector, name) for name in _SECTOR_FIELDS)]

    return ["symbol", "name", "as_of", *_SECTOR_FIELDS], (row(sector) for sector in snapshot.sectors)


CSV_WRITERS: dict[str, Callable[[Snapshot], tuple[list[str], Iterable[Sequence[object]]]]] = {
    "history": history_table,
    "sectors": sectors_table,
}


def _cell(value: object) -> str:
    """One CSV cell: empty for null (and for a NaN, which is not a value), ISO for a date, ``repr`` precision for a
    float (what JSON writes too), outside text made plain."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return plain(value)
