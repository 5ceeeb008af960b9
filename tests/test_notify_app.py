"""Desktop notifications through the running monitor (Pilot): an alert goes to the desktop only when the config
and the terminal's focus say so, a command's failure is said once in the app, and the one private Textual
attribute the notifier writes through is still there.

Driven with the real replay data (skipped without ../shared): stepping the replayed day across the January 2026
streak makes the alerts, as in tests/test_app_history_alerts.py.
"""

from __future__ import annotations

from datetime import date

import pytest
from textual import events

from tests.app_helpers import make_app, pilot_test, ready, until
from tests.test_app_history_alerts import SIZE, record_notifications
from tui.app import StreakwatchApp
from tui.config import Alerts, Config
from tui.data.base import frozen_clock
from tui.data.factory import after_close
from tui.data.replay import ReplaySource
from tui.notify import TITLE_PREFIX, osc9, write_to_terminal

# Sessions inside the 14-session small-cap streak of January 2026: each step extends it (an alert each).
DAYS = (date(2026, 1, 13), date(2026, 1, 14), date(2026, 1, 15), date(2026, 1, 16))


def stepping_app(replay_dir, alerts: Alerts) -> tuple[StreakwatchApp, ReplaySource]:
    source = ReplaySource(replay_dir, as_of=DAYS[0])
    app = StreakwatchApp(source=source, config=Config(alerts=alerts), clock=frozen_clock(after_close(DAYS[-1])))
    return app, source


async def step(pilot, source: ReplaySource, day: date) -> None:
    source.set_as_of(day)
    assert pilot.app.start_refresh(manual=True)
    await ready(pilot)
    assert pilot.app.snapshot.as_of == day


async def set_focus(pilot, focused: bool) -> None:
    """What Textual does on the terminal's focus report (ESC [ I / ESC [ O)."""
    pilot.app.post_message(events.AppFocus() if focused else events.AppBlur())
    await until(lambda: pilot.app.app_focus is focused)


# By hand, from the README's table: whether an alert reaches the desktop, (focused, unfocused), per mode.
MODES = {"unfocused": (False, True), "always": (True, True), "off": (False, False)}


@pytest.mark.parametrize("mode", list(MODES))
def test_alerts_reach_the_desktop_only_as_the_mode_and_the_focus_say(replay_dir, mode):
    @pilot_test
    async def run():
        app, source = stepping_app(replay_dir, Alerts(desktop=mode, notify_with="osc9"))
        in_app = record_notifications(app)
        written: list[str] = []
        app.desktop_notifier.write = written.append
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert not written  # the first snapshot is the baseline: no alert at all
            reached = {}
            for day, focused in zip(DAYS[1:], (True, False, True), strict=True):
                await set_focus(pilot, focused)
                before_log, before_written = len(app.alert_tracker.log), len(written)
                await step(pilot, source, day)
                new_events = list(app.alert_tracker.log)[before_log:]
                assert new_events, f"stepping to {day} should extend the streak"
                assert [t for t, _ in in_app[-len(new_events) :]] == [e.title for e in new_events]  # always in-app
                sent = written[before_written:]
                reached[focused] = bool(sent)
                if sent:  # one notification per alert, its text that alert's
                    assert sent == [osc9(TITLE_PREFIX + e.title, e.message) for e in new_events]
            assert (reached[True], reached[False]) == MODES[mode]

    run()


def test_a_failing_command_is_said_once_in_the_app(replay_dir, tmp_path):
    @pilot_test
    async def run():
        alerts = Alerts(desktop="always", command=(str(tmp_path / "no-such-notifier"), "{title}", "{body}"))
        app, source = stepping_app(replay_dir, alerts)
        in_app = record_notifications(app)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            for day in DAYS[1:]:
                await step(pilot, source, day)
                assert app.desktop_notifier.wait_idle(20.0)
                await pilot.pause()
            said = [message for title, message in in_app if title == "Desktop notifications"]
            assert said == ["The notification command 'no-such-notifier' was not found; alerts are still shown here."]
            assert app.desktop_notifier.sent >= 3  # tried on every alert, said only once

    run()


def test_the_notifier_writes_where_textual_itself_writes():
    """``write_to_terminal`` uses ``App._driver`` (private: Textual has no public way to write to the terminal),
    as ``App.copy_to_clipboard`` does. If a Textual release renames or reroutes it, this fails."""

    @pilot_test
    async def run():
        app = make_app()
        async with app.run_test(size=SIZE):
            driver = app._driver
            assert driver is not None
            seen: list[str] = []
            driver.write = seen.append  # the headless driver's own write drops everything
            app.copy_to_clipboard("x")
            write_to_terminal(app, "\x1b]9;hello\x07")
            assert len(seen) == 2 and seen[0].startswith("\x1b]52;")  # Textual's own write, then ours
            assert seen[1] == "\x1b]9;hello\x07"

    run()
