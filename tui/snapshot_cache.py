"""The last good snapshot on disk, so the monitor can show data at its first paint while the first refresh runs.

One JSON file per (source, config, version) under the user cache dir: ``snapshots/<key>.json``. The key hashes
what decides the data: the source kind, the replay folder or SQLite cache path, ``--as-of``, the replay files'
``stat`` (mtime, size), the config (its record's repr) and the package version. So a changed file, config or
version never shows an old answer; anything else (a live source's newer data) is handled by the app, which marks
cached data as such, with its real age, until a refresh replaces it.

Reading needs only ``json`` and the result records (no pandas): it is on the path to the first paint. Writing
is atomic (a temporary file, then ``os.replace``), so a reader never sees half a file. Every failure here is
quiet: a cache that can't be read or written only means no early paint.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from msgspec import Struct

from tui import __version__
from tui.model import Snapshot, cache_json, snapshot_from_json

FORMAT = 2  # 2: sectors and risks carry as_of (was last_date), the data status its now


class Cached(Struct, frozen=True):
    """A snapshot read back from the cache, with when it reached the screen and when it was saved."""

    snapshot: Snapshot
    received_at: datetime | None  # by the app's clock, when the snapshot reached the screen
    saved_at: datetime | None  # by the wall clock


def default_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("streakwatch")) / "snapshots"


def source_key(
    kind: str,
    *,
    directory: Path | None = None,
    as_of: date | None = None,
    cache_path: Path | None = None,
    config: Any = None,
    version: str = __version__,
) -> str:
    """A stable hash of everything that decides what a fresh refresh would show."""
    parts: list[str] = [
        f"format={FORMAT}",
        f"version={version}",
        f"kind={kind}",
        f"as_of={as_of}",
        f"config={config!r}",
    ]
    if cache_path is not None:
        parts.append(f"cache={Path(cache_path).expanduser().absolute()}")
    if directory is not None:
        folder = Path(directory).expanduser().absolute()
        parts.append(f"folder={folder}")
        parts.extend(f"{name}:{mtime}:{size}" for name, mtime, size in _csv_stamps(folder))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _csv_stamps(folder: Path) -> list[tuple[str, int, int]]:
    """(name, mtime_ns, size) of every CSV file in ``folder`` (the replay reads any of them, case-insensitively)."""
    try:
        with os.scandir(folder) as entries:
            stamps = []
            for entry in entries:
                if entry.name.lower().endswith(".csv") and entry.is_file():
                    st = entry.stat()
                    stamps.append((entry.name, st.st_mtime_ns, st.st_size))
    except OSError:
        return []
    return sorted(stamps)


class SnapshotCache:
    """Load and save the last good snapshot of one source/config at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_key(cls, key: str, directory: Path | None = None) -> SnapshotCache:
        return cls((directory or default_dir()) / f"{key}.json")

    def load(self) -> Cached | None:
        """The cached snapshot, or None if there is none or it can't be read (never raises)."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                doc = json.load(fh)
            if doc.get("format") != FORMAT:
                return None
            return Cached(
                snapshot_from_json(doc["snapshot"]), _when(doc.get("received_at")), _when(doc.get("saved_at"))
            )
        except Exception:  # missing, truncated, an older layout: no early paint, nothing worse
            return None

    def save(self, snapshot: Snapshot, received_at: datetime | None) -> bool:
        """Write atomically; returns whether it worked (never raises)."""
        doc = {
            "format": FORMAT,
            "received_at": received_at.isoformat() if received_at else None,
            "saved_at": datetime.now().astimezone().isoformat(),
            "snapshot": cache_json(snapshot),
        }
        tmp = None
        try:
            text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".snapshot-", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
            return True
        except Exception:  # read-only or full disk, a snapshot JSON can't hold: just no cache next time
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            return False


def _when(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None
