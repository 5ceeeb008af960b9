"""Export: an SVG and a JSON snapshot written atomically into the chosen folder; clear errors when it can't be."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.errors import StreakwatchError, UsageError
from tui.export import export_app, export_files
from tui.model import DataStatus, Snapshot, Spread, Streak

NOW = datetime(2026, 1, 22, 16, 20, 5)


def snapshot() -> Snapshot:
    streak = Streak("small", 14, date(2026, 1, 2), date(2026, 1, 22), 0.0954, 0.0099, None, 16)
    return Snapshot(
        source="replay",
        as_of=date(2026, 1, 22),
        small="^RUT",
        large="^GSPC",
        streak=streak,
        provisional=None,
        spread=Spread(60, (date(2026, 1, 22),), (0.001,), (float("nan"),), 1.05),
        sectors=(),
        risks=(),
        data=DataStatus("replay", "REPLAY", False, (), None),
    )


def test_files_exist_and_parse(tmp_path):
    folder = tmp_path / "exports" / "new"  # created on demand
    svg_path, json_path = export_files("<svg xmlns='http://www.w3.org/2000/svg'></svg>", snapshot(), folder, NOW)
    assert svg_path == folder / "streakwatch-20260122-162005.svg"
    assert json_path == folder / "streakwatch-20260122-162005.json"
    assert svg_path.read_text(encoding="utf-8").startswith("<svg")
    from tui.output.formats import snapshot_document

    # The --once --json document (schema_version first); NaN written as null.
    assert json.loads(json_path.read_text(encoding="utf-8")) == snapshot_document(snapshot())
    assert sorted(p.name for p in folder.iterdir()) == [json_path.name, svg_path.name]  # no temp files left


def test_an_export_in_the_same_second_does_not_overwrite(tmp_path):
    first = export_files("<svg/>", snapshot(), tmp_path, NOW)
    second = export_files("<svg>2</svg>", snapshot(), tmp_path, NOW)
    assert second[0].name == "streakwatch-20260122-162005-2.svg" and first[0].read_text() == "<svg/>"


def test_an_unusable_folder_is_a_usage_error_naming_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match="cannot export to .*a-file"):
        export_files("<svg/>", snapshot(), blocker / "sub", NOW)
    assert issubclass(UsageError, StreakwatchError)


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.notes: list[tuple[str, str]] = []

    def notify(self, message, *, severity="information", **kwargs) -> None:
        self.notes.append((message, severity))
        super().notify(message, severity=severity, **kwargs)

    def compose(self) -> ComposeResult:
        yield Static("streakwatch export test")


def test_export_app_screenshots_the_screen_and_says_where(tmp_path):
    asyncio.run(_export_app(tmp_path))


async def _export_app(tmp_path):  # no async pytest plugin in the project: run the Pilot under asyncio.run
    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        paths = export_app(app, snapshot(), tmp_path, NOW)
        await pilot.pause()
        assert paths is not None
        svg = paths[0].read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "export" in svg
        assert json.loads(paths[1].read_text(encoding="utf-8"))["as_of"] == "2026-01-22"
        assert app.notes and str(tmp_path) in app.notes[-1][0]

        blocker = tmp_path / "file"
        blocker.write_text("x")
        assert export_app(app, snapshot(), blocker, NOW) is None
        assert app.notes[-1][1] == "error" and "cannot export" in app.notes[-1][0]
