"""Issue 6 through the running monitor: the history screen (h), alerts on new data, the alert log (a), export (e).

Driven with the real replay data (skipped without ../shared) and the real build_snapshot.
"""

from __future__ import annotations

import json
from datetime import date

from msgspec.structs import replace

from tests.app_helpers import pilot_test, ready, screen_text, until
from tui.app import StreakwatchApp
from tui.config import Config, Export
from tui.data.base import frozen_clock
from tui.data.factory import after_close
from tui.data.replay import ReplaySource
from tui.screens.alert_log import AlertLogScreen
from tui.screens.history import HistoryScreen

SIZE = (120, 40)


def replay_app(replay_dir, as_of: date, config: Config | None = None) -> StreakwatchApp:
    source = ReplaySource(replay_dir, as_of=as_of)
    return StreakwatchApp(source=source, config=config or Config(), clock=frozen_clock(after_close(as_of)))


def record_notifications(app: StreakwatchApp) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        seen.append((kwargs.get("title", ""), str(message)))
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen


def test_history_key_opens_the_streak_history(replay_dir):
    @pilot_test
    async def run():
        app = replay_app(replay_dir, date(2026, 1, 22))
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("h")
            await until(lambda: isinstance(app.screen, HistoryScreen))
            await pilot.pause()
            text = screen_text(app)
            assert "14" in text and "1996-05-07" in text.replace("7 May 1996", "1996-05-07") or "May 1996" in text
            assert "Rank 2" in text
            await pilot.press("h")
            await until(lambda: not isinstance(app.screen, HistoryScreen))

    run()


def test_stepping_a_replay_across_the_streak_end_alerts_streak_broke_once(replay_dir):
    @pilot_test
    async def run():
        source = ReplaySource(replay_dir, as_of=date(2026, 1, 20))
        app = StreakwatchApp(source=source, config=Config(), clock=frozen_clock(after_close(date(2026, 1, 27))))
        seen = record_notifications(app)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            for day in (date(2026, 1, 21), date(2026, 1, 22), date(2026, 1, 23), date(2026, 1, 23), date(2026, 1, 26)):
                source.set_as_of(day)
                assert app.start_refresh(manual=True)
                await ready(pilot)
                assert app.snapshot.as_of == day
            broke = [message for title, message in seen if "broke" in title.lower() or "ended" in message]
            assert len(broke) == 1, seen
            assert "14 sessions" in broke[0]
            kinds = [e.kind for e in app.alert_tracker.log]
            assert kinds.count("streak_broke") == 1
            await pilot.press("a")
            await until(lambda: isinstance(app.screen, AlertLogScreen))
            await pilot.pause()
            assert "14 sessions" in screen_text(app)
            await pilot.press("escape")

    run()


def test_open_history_and_alert_screens_follow_new_data(replay_dir):
    """The history screen and the alert log, while open, show each new snapshot and alert as it arrives."""

    @pilot_test
    async def run():
        source = ReplaySource(replay_dir, as_of=date(2026, 1, 22))
        app = StreakwatchApp(source=source, config=Config(), clock=frozen_clock(after_close(date(2026, 1, 27))))
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("h")
            await until(lambda: isinstance(app.screen, HistoryScreen))
            assert app.screen.snapshot.as_of == date(2026, 1, 22)
            source.set_as_of(date(2026, 1, 23))  # the small caps' 14-session streak ended on the 23rd
            assert app.start_refresh(manual=True)
            await until(lambda: app.screen.snapshot.as_of == date(2026, 1, 23))
            await pilot.press("escape")
            await until(lambda: not isinstance(app.screen, HistoryScreen))

            await pilot.press("a")
            await until(lambda: isinstance(app.screen, AlertLogScreen))
            before = len(app.screen.events)
            source.set_as_of(date(2026, 1, 26))
            assert app.start_refresh(manual=True)
            await until(lambda: len(app.screen.events) > before)
            assert app.screen.events == tuple(app.alert_tracker.log)

    run()


def test_export_key_writes_svg_and_json_where_configured(replay_dir, tmp_path):
    @pilot_test
    async def run():
        config = replace(Config(), export=Export(directory=str(tmp_path / "out")))
        app = replay_app(replay_dir, date(2026, 1, 15), config)
        seen = record_notifications(app)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("e")
            await until(lambda: any(title == "Exported" for title, _ in seen))
        svgs = list((tmp_path / "out").glob("streakwatch-*.svg"))
        jsons = list((tmp_path / "out").glob("streakwatch-*.json"))
        assert len(svgs) == len(jsons) == 1
        assert svgs[0].read_text(encoding="utf-8").lstrip().startswith("<svg")
        doc = json.loads(jsons[0].read_text(encoding="utf-8"))
        assert doc["streak"]["length"] == 10 and doc["as_of"] == "2026-01-15"
        assert str(tmp_path / "out") in next(message for title, message in seen if title == "Exported")

    run()
