"""The monitor: four panes, a status line, and one background worker that fetches and computes.

Threading: the UI thread never touches the network. One thread worker per refresh runs source.fetch and
build_snapshot and posts a typed message back; a generation counter drops results that were superseded. The next
refresh is scheduled only after one finishes, so a slow source can never pile up requests. Between refreshes the
only timer is a slow (10 s) tick that ages the "updated … ago" text.

First paint: nothing on the import path from process start to the first frame imports pandas, plotext or the
exchange calendar. With a snapshot cache, the last good snapshot is shown at mount, marked "cached" with its real
age, and the first refresh starts only after that frame is drawn (so the worker's imports don't compete with it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import constants as textual_constants
from textual import events, work
from textual.app import App, SystemCommand
from textual.driver import Driver
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui.bindings import app_bindings, palette_entries
from tui.config import Config
from tui.data.base import Clock, DataSource, utc_now
from tui.data.freshness import Freshness
from tui.errors import SourceError, StreakwatchError
from tui.fmt import pair_title
from tui.messages import RefreshFailed, SnapshotReady
from tui.model import Snapshot
from tui.pipeline import Builder, RefreshPipeline
from tui.quit_signals import QuitSignals
from tui.refresh_loop import RefreshLoop, run_abandonable
from tui.screens.monitor import MonitorScreen
from tui.snapshot_cache import Cached, SnapshotCache
from tui.status_view import OnScreen
from tui.widgets import fmt
from tui.widgets.pane import Pane
from tui.widgets.safe import plain

if TYPE_CHECKING:  # (imported where first used: alerts, notifications, export and help are not needed to start)
    from tui.alerts import AlertEvent, AlertTracker
    from tui.notify import DesktopNotifier


class StreakwatchApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    TITLE = "streakwatch"
    BINDINGS = app_bindings()
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    TICK_SECONDS = 10.0  # how often the age / countdown text is refreshed: coarse on purpose (idle CPU ~ 0)

    def __init__(
        self,
        source: DataSource,
        config: Config | None = None,
        clock: Clock = utc_now,
        *,
        build: Builder | None = None,
        snapshot_cache: SnapshotCache | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.config = config or Config()
        self.clock = clock
        self.snapshot_cache = snapshot_cache
        #: What each refresh runs in its fetch thread (tui/pipeline.py: no Textual there).
        self.pipeline = RefreshPipeline(source, self.config, clock, build=build, snapshot_cache=snapshot_cache)
        #: When refreshes happen (tui/refresh_loop.py); the App only holds the one Textual timer it asks for.
        self.refresh_loop = RefreshLoop(self.config)
        #: What is on screen, and what the status line says about it (tui/status_view.py: no Textual there).
        self.on_screen = OnScreen()
        self.monitor: MonitorScreen  # the main screen, made by get_default_screen
        self._cached: Cached | None = None  # the snapshot cache's, read for the main screen's first frame
        self._timer: Timer | None = None
        self._tick: Timer | None = None
        self._quitting = threading.Event()
        self._quit_signals = QuitSignals()
        # Open screens that follow the data (history, alert log) subscribe to these: no search of the stack.
        self.snapshot_signal: Signal[Snapshot] = Signal(self, "snapshot")
        self.alert_log_signal: Signal[tuple[AlertEvent, ...]] = Signal(self, "alert-log")
        self._theme_problem: str | None = None
        try:
            self.theme = self.config.display.theme
        except Exception:  # unknown theme name: keep the default, say so once mounted
            self._theme_problem = f"Unknown theme {plain(self.config.display.theme, 40)!r}; using the default"

    @cached_property
    def alert_tracker(self) -> AlertTracker:
        """Streak and risk events, each alerted once (made with the first data)."""
        from tui.alerts import AlertTracker

        return AlertTracker(self.config.alerts)

    @cached_property
    def desktop_notifier(self) -> DesktopNotifier:
        """Alerts sent to the desktop while the terminal is unfocused (made with the first alert)."""
        from tui import notify

        return notify.for_app(self, self.config.alerts)

    # -- the main screen -------------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[None]:
        # The snapshot cache is read before the panes are composed, so that they start with its data (no
        # "Loading" composed and restyled away before the first frame).
        self._cached = self.snapshot_cache.load() if self.snapshot_cache is not None else None
        first = self._cached.snapshot if self._cached is not None else None
        self.monitor = MonitorScreen(on_ready=self._show_first, first=first)
        return self.monitor

    def get_driver_class(self) -> type[Driver]:
        """Textual's choice, except that its Linux driver's input thread sleeps while no key comes (idle CPU).
        A driver named in ``TEXTUAL_DRIVER`` (textual-serve's, or Textual's own on purpose) is taken as given, and
        so is Textual's when ours cannot be built on the installed Textual (it reads Textual's key parser)."""
        driver_class = super().get_driver_class()
        if textual_constants.DRIVER is None and driver_class.__module__ == "textual.drivers.linux_driver":
            try:
                from tui.input_driver import QuietLinuxDriver
            except (ImportError, AttributeError):  # a Textual whose internals moved: idle costs more, nothing else
                return driver_class
            return QuietLinuxDriver
        return driver_class

    def pane(self, name: str) -> Pane:
        return self.monitor.pane(name)

    def panes(self) -> list[Pane]:
        return self.monitor.panes()

    def focused_pane(self) -> Pane | None:
        return self.monitor.focused_pane()

    def on_mount(self) -> None:
        self._tick = self.set_interval(self.TICK_SECONDS, self._on_tick, name="age-tick")
        if self._theme_problem:
            self.notify(self._theme_problem, severity="warning", markup=False)

    def _show_first(self) -> None:
        """The panes exist: the first frame shows the snapshot cache if there is one; then the first refresh."""
        cached, self._cached = self._cached, None  # (on screen from now on: not held here as well)
        if cached is not None:  # the last good snapshot, marked as cached, until the first refresh replaces it
            self.on_screen.receive(cached.snapshot, cached.received_at, cached=True)
            self.monitor.show_snapshot(cached.snapshot)
            self._update_chrome()
        # After the first frame: the worker's imports (pandas, the calendar) would otherwise delay it.
        self.call_after_refresh(self.start_refresh)

    def on_app_blur(self, _event: events.AppBlur) -> None:
        if self._tick is not None:
            self._tick.pause()  # nobody is looking: not even the slow tick

    def on_app_focus(self, _event: events.AppFocus) -> None:
        if self._tick is not None:
            self._tick.resume()
        if not self.shutting_down():
            self._update_chrome()

    @property
    def source_name(self) -> str:
        return plain(getattr(self.source, "name", "") or type(self.source).__name__, 40)

    # -- refreshing ------------------------------------------------------------------------------------------
    @property
    def fetching(self) -> bool:
        return self.refresh_loop.running

    @property
    def paused(self) -> bool:
        return self.refresh_loop.paused

    @property
    def snapshot(self) -> Snapshot | None:
        return self.on_screen.snapshot

    def shutting_down(self) -> bool:
        """Quitting, or the app is being shut down (``App._shutdown`` clears ``is_running`` before it prunes the
        screens, and ``run_test`` calls it straight away, without ``q``): a worker's result, a timer or the tick
        landing now would query panes half torn down, so they are dropped."""
        return self._quitting.is_set() or not self.is_running

    def start_refresh(self, manual: bool = False) -> bool:
        """Start a refresh now, unless one is already running. Returns whether one was started."""
        if self.shutting_down():
            return False
        attempt = self.refresh_loop.start()  # (a stuck one is abandoned: its result will not be current)
        if attempt is None:
            if manual:
                self.notify("A refresh is already running", timeout=3)
            return False
        self._cancel_timer()
        self.monitor.show_loading(self.source_name)
        attempt.worker = self._refresh_worker(attempt.generation, attempt.done)
        self._update_chrome()
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="refresh", description="fetch and compute")
    def _refresh_worker(self, generation: int, done: threading.Event) -> None:
        """Fetch and compute off the UI thread (in a daemon thread this worker may let go of: a hung network
        never holds up quitting) and post the outcome."""
        box = run_abandonable(self.pipeline.run, done, f"streakwatch-fetch-{generation}")
        if self._quitting.is_set() or not box:
            return  # closing, or abandoned as stuck
        error = box.get("error")
        if isinstance(error, StreakwatchError):
            retry = error.retry_after if isinstance(error, SourceError) else None
            self.post_message(RefreshFailed(plain(str(error)) or type(error).__name__, generation, retry))
            return
        if error is not None:
            raise error  # a bug: becomes a worker ERROR, reported by on_worker_state_changed
        self.post_message(SnapshotReady(box["result"], generation))

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self.refresh_loop.is_current(message.generation) or self.shutting_down():
            return  # superseded by a newer refresh, or too late
        snapshot = message.snapshot
        self.refresh_loop.succeeded(
            market=snapshot.market, bars_through=snapshot.as_of, retry_in=snapshot.data.retry_in
        )
        self.on_screen.receive(snapshot, self.clock())
        for problem in self.on_screen.new_problems(snapshot.data.errors):
            self.notify(problem, title="Data problem", severity="warning", markup=False)
        self.monitor.show_snapshot(snapshot)
        # Streak and risk events, each alerted once (by the app's clock); open screens follow the new data.
        events = self.alert_tracker.update(snapshot, now=self.clock())
        if events:
            from tui.screens.alert_log import announce

            announce(self, events, self.config.alerts, self.desktop_notifier)
        self.snapshot_signal.publish(snapshot)
        self.alert_log_signal.publish(self.alert_tracker.log)
        self._set_timer()
        self._update_chrome()

    def on_refresh_failed(self, message: RefreshFailed) -> None:
        if self.refresh_loop.is_current(message.generation) and not self.shutting_down():
            self._handle_failure(message.reason, message.retry_after)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or self.shutting_down():
            return
        inflight = self.refresh_loop.inflight
        if inflight is None or event.worker is not inflight.worker:
            return
        error = event.worker.error
        self._handle_failure(f"unexpected error: {type(error).__name__}: {plain(error)}", None)

    def _handle_failure(self, reason: str, retry_after: float | None) -> None:
        """The one place a failed refresh becomes visible: status line, pane states, a notification."""
        delay = self.refresh_loop.failed(retry_after)
        reason = plain(reason, 300) or "unknown error"
        self.on_screen.error = reason
        retry = f"Retrying in {fmt.countdown(delay).lstrip('~')}"
        self.notify(f"{reason}\n{retry}.", title="Refresh failed", severity="error", timeout=8, markup=False)
        self.monitor.show_error(reason, retry)
        self._set_timer()
        self._update_chrome()

    def _set_timer(self) -> None:
        """The one timer: it wakes the next refresh the loop scheduled, if it scheduled one."""
        self._cancel_timer()
        delay = self.refresh_loop.next_in()
        if delay is None or self._quitting.is_set():
            return
        self._timer = self.set_timer(delay, self._on_timer, name="next-refresh")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        self.start_refresh()  # (not while shutting down)

    # -- the status line -------------------------------------------------------------------------------------
    def _on_tick(self) -> None:
        if not self.shutting_down():
            self._update_chrome()

    def freshness(self) -> Freshness | None:
        """Live data judged again at this instant from its ages (tui.data.freshness)."""
        return self.on_screen.freshness(
            self.clock(), self.config.refresh, retrying=self.refresh_loop.retry_at is not None
        )

    def is_stale(self) -> bool:
        return self.on_screen.stale(self.freshness(), self.refresh_loop.failures)

    def _update_chrome(self) -> None:
        """Status line and pane markers: cheap, called on refresh events and on the slow tick only."""
        info, marker = self.on_screen.status(self.clock(), self.refresh_loop, self.config.refresh, self.source_name)
        self.monitor.show_status(info, marker)

    # -- the keys that work on every screen (tui/bindings.py; the pane keys are the main screen's) -----------
    def action_refresh(self) -> None:
        retry_now = getattr(self.source, "retry_now", None)
        if retry_now is not None and not self.refresh_loop.running:
            retry_now()  # asked by the user: Yahoo is tried even during a backoff (once: it resumes on failure)
        if self.start_refresh(manual=True):
            self.notify("Refreshing…", timeout=2)

    def action_retry_symbols(self) -> None:
        """Poll the dropped (and backing-off) symbols again, now."""
        retry = getattr(self.source, "retry_dropped", None)
        if retry is None or not retry():  # (demo and replay poll nothing that could be dropped)
            self.notify("This source polls no symbols", timeout=3)
            return
        if self.start_refresh(manual=True):
            self.notify("Asking Yahoo for every symbol again", timeout=3)

    def action_toggle_pause(self) -> None:
        loop = self.refresh_loop
        if not loop.paused:
            loop.pause()
            self._cancel_timer()
            self.notify("Refreshing paused (p to resume)", timeout=3)
        else:
            loop.resume()
            self.notify("Refreshing resumed", timeout=2)
            if self.start_refresh():
                return
        self._update_chrome()

    def action_export(self) -> None:
        from tui.export import export_app

        export_app(self, self.snapshot, self.config.export.directory)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def show_pair(self, index: int | None) -> None:
        """Every pane follows the board's pair ``index``: rebuilt from the last data in the fetch thread (no
        fetch), at once, or as soon as a refresh running now is done."""
        if index is None or self.shutting_down():
            return
        pair = self.pipeline.select_pair(index)
        self.notify(plain(pair_title(pair.small, pair.large, pair.name), 120), title="Pair", timeout=3)
        self._rebuild_for_pair()

    def _rebuild_for_pair(self) -> None:
        if self.pipeline.rebuild_pending and not self.start_refresh() and not self.shutting_down():
            self.set_timer(0.1, self._rebuild_for_pair, name="pair-rebuild")

    async def action_quit(self) -> None:
        self.quit()

    def quit(self, return_code: int = 0) -> None:
        """The one way out, for `q` and for the quit signals: the worker let go, then Textual's exit (terminal
        given back); ``return_code`` becomes ``app.return_code``, the process's exit status."""
        self._release_worker()
        self.exit(return_code=return_code)

    def on_load(self) -> None:
        # Load comes before the terminal enters application mode: from then on, no quit signal can leave it there.
        self._quit_signals.take(self.quit)

    def on_unmount(self) -> None:
        self._release_worker()
        self._quit_signals.give_back()

    def _release_worker(self) -> None:
        """Let a worker waiting on a hung fetch return now, so exit never waits for the network."""
        self._quitting.set()
        self._cancel_timer()
        self.refresh_loop.stop()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in palette_entries():
            yield SystemCommand(title, help_text, partial(self.run_action, action))
