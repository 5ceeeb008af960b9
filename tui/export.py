"""Export: an SVG screenshot of the screen and a JSON snapshot, side by side, in a folder the user chose.

No Textual import: :func:`export_files` takes the SVG text the app rendered (``app.export_screenshot()``), so it
is testable on its own; :func:`export_app` is the one call the app makes and only duck-types the app.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from tui.errors import StreakwatchError, UsageError
from tui.model import Snapshot
from tui.output.formats import snapshot_document
from tui.textsafe import plain


def export_files(svg: str, snapshot: Snapshot, directory: Path | str, now: datetime) -> tuple[Path, Path]:
    """Write ``streakwatch-YYYYmmdd-HHMMSS.svg`` and ``.json`` into ``directory`` (created if needed).

    Each file is written to a temporary name and renamed into place, so a reader never sees half a file. An
    existing export of the same second is never overwritten: the name gets ``-2``, ``-3``... Raises
    ``UsageError`` naming the folder when it cannot be created or written.
    """
    folder = Path(directory).expanduser()
    try:
        payload = json.dumps(snapshot_document(snapshot), allow_nan=False, indent=2, ensure_ascii=False) + "\n"
    except (TypeError, ValueError) as exc:  # a value the JSON contract cannot hold: a bug, said plainly
        raise StreakwatchError(f"export failed: the snapshot cannot be written as JSON: {exc}") from None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        svg_path, json_path = _free_names(folder, f"streakwatch-{now:%Y%m%d-%H%M%S}")
        _write_atomic(svg_path, svg)
        try:
            _write_atomic(json_path, payload)
        except OSError:
            svg_path.unlink(missing_ok=True)  # a full disk: no screenshot left without the snapshot it shows
            raise
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise UsageError(f"cannot export to {folder}: {reason} (set export.directory in the config)") from None
    return svg_path, json_path


def export_app(
    app: Any, snapshot: Snapshot | None, directory: Path | str, now: datetime | None = None
) -> tuple[Path, Path] | None:
    """Screenshot ``app``, write both files and tell the user where (or why not) with a notification.

    Call it on the UI thread (the screenshot renders the current screen). Returns the two paths, or None.
    """
    if snapshot is None:
        app.notify("Nothing to export yet: no data has arrived", title="Export", severity="warning", markup=False)
        return None
    try:
        paths = export_files(app.export_screenshot(), snapshot, directory, now or datetime.now())
    except StreakwatchError as exc:
        app.notify(plain(exc), title="Export failed", severity="error", markup=False)
        return None
    # The folder comes from the config: a name with escape sequences in it is shown without them.
    app.notify(f"Saved {plain(paths[0])}\nand {plain(paths[1].name)}", title="Exported", markup=False)
    return paths


def _free_names(folder: Path, stem: str) -> tuple[Path, Path]:
    for n in range(1, 1000):
        name = stem if n == 1 else f"{stem}-{n}"
        svg, js = folder / f"{name}.svg", folder / f"{name}.json"
        if not svg.exists() and not js.exists():
            return svg, js
    raise FileExistsError(0, "too many exports in the same second")


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an export is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
