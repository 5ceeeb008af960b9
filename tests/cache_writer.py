"""Helper for the SIGKILL durability test (tests/test_cache.py): writes batches to a BarCache until killed.

Usage: cache_writer.py CACHE_PATH FIRST_BATCH

Prints ``ready <recovered message or ->`` once the cache is open, then, for each batch n = FIRST_BATCH, ...:
overwrites every row of symbol ``ROLL`` with close = n (one transaction), writes symbol ``B<n>`` with
ROWS rows, close = n + i / 1000 (another transaction), and only then prints ``n`` and flushes. So every number
printed is a batch whose both transactions had committed.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tui.data.cache import BarCache  # noqa: E402

ROWS = 300
DATES = pd.bdate_range("2000-01-03", periods=ROWS, name="Date")
OFFSETS = np.arange(ROWS) / 1000.0


def main() -> None:
    path, first = Path(sys.argv[1]), int(sys.argv[2])
    cache = BarCache(path)
    print("ready", cache.recovered or "-", flush=True)
    n = first
    while True:
        now = datetime.now(timezone.utc)
        cache.upsert("ROLL", pd.DataFrame({"close": np.full(ROWS, float(n))}, index=DATES), "writer", now)
        cache.upsert(f"B{n}", pd.DataFrame({"close": n + OFFSETS, "volume": OFFSETS}, index=DATES), "writer", now)
        print(n, flush=True)
        n += 1


if __name__ == "__main__":
    main()
