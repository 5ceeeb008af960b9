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

import asyncio
import signal
import threading
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Grid
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from tui.alerts import AlertEvent, AlertTracker
from tui.bindings import app_bindings, palette_entries
from tui.config import Config
from tui.data.base import Clock, DataSource, utc_now
from tui.data.freshness import Freshness
from tui.data.market_clock import MarketStatus, Phase
from tui.errors import QUIT_SIGNALS, SourceError, StreakwatchError, signal_exit_code
from tui.export import export_app
from tui.fmt import pair_title, retry_countdown, split_retry
from tui.messages import RefreshFailed, SnapshotReady
from tui.model import Dropped, Snapshot
from tui.pipeline import Builder, RefreshPipeline
from tui.refresh_loop import RefreshLoop
from tui.screens.alert_log import AlertLogScreen, announce
from tui.screens.help import HelpScreen
from tui.snapshot_cache import SnapshotCache
from tui.widgets import fmt
from tui.widgets.pane import Pane
from tui.widgets.risks import RisksPane
from tui.widgets.safe import plain
from tui.widgets.sectors import SectorsPane
from tui.widgets.spread import SpreadPane
from tui.widgets.status import StatusInfo, StatusLine
from tui.widgets.streak import StreakPane

PANES = ("streak", "spread", "sectors", "risks")


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
        self._cached = False  # the snapshot on screen came from the cache; no refresh has succeeded yet
        #: When refreshes happen (tui/refresh_loop.py); the App only holds the one Textual timer it asks for.
        self.refresh_loop = RefreshLoop(self.config)
        self._timer: Timer | None = None
        self._quitting = threading.Event()
        self._signal_handlers: dict[int, Any] = {}  # signal -> the handler it had before the app took it over
        self._snapshot: Snapshot | None = None
        self._received_at: datetime | None = None
        self._error: str | None = None
        self._notified: set[str] = set()
        self.alert_tracker = AlertTracker(self.config.alerts)
        # Open screens that follow the data (history, alert log) subscribe to these: no search of the stack.
        self.snapshot_signal: Signal[Snapshot] = Signal(self, "snapshot")
        self.alert_log_signal: Signal[tuple[AlertEvent, ...]] = Signal(self, "alert-log")
        self._tick: Timer | None = None
        self._theme_problem: str | None = None
        try:
            self.theme = self.config.display.theme
        except Exception:  # unknown theme name: keep the default, say so once mounted
            self._theme_problem = f"Unknown theme {plain(self.config.display.theme, 40)!r}; using the default"

    # -- layout ----------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="banner")
        with Grid(id="panes"):
            yield StreakPane(id="streak")
            yield SpreadPane(id="spread")
            yield SectorsPane(id="sectors")
            yield RisksPane(id="risks")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self._tick = self.set_interval(self.TICK_SECONDS, self._on_tick, name="age-tick")
        if self._theme_problem:
            self.notify(self._theme_problem, severity="warning", markup=False)
        self.pane("streak").focus_target().focus()
        if self.snapshot_cache is not None:
            self._show_cached()
        # After the first frame: the worker's imports (pandas, the calendar) would otherwise delay it.
        self.call_after_refresh(self.start_refresh)

    def _show_cached(self) -> None:
        """Show the last good snapshot from the cache, marked as cached, until the first refresh replaces it."""
        cached = self.snapshot_cache.load() if self.snapshot_cache is not None else None
        if cached is None:
            return
        self._snapshot = cached.snapshot
        self._received_at = cached.received_at
        self._cached = True
        self._show(cached.snapshot)
        self._update_chrome()

    def on_app_blur(self, _event: events.AppBlur) -> None:
        if self._tick is not None:
            self._tick.pause()  # nobody is looking: not even the slow tick

    def on_app_focus(self, _event: events.AppFocus) -> None:
        if self._tick is not None:
            self._tick.resume()
        if not self.shutting_down():
            self._update_chrome()

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#{name}", Pane)

    def panes(self) -> list[Pane]:
        return [self.pane(name) for name in PANES]

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
        return self._snapshot

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
        for pane in self.panes():
            pane.show_loading(self.source_name)
        attempt.worker = self._refresh_worker(attempt.generation, attempt.done)
        self._update_chrome()
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="refresh", description="fetch and compute")
    def _refresh_worker(self, generation: int, done: threading.Event) -> None:
        """Fetch and compute off the UI thread and post the outcome.

        The blocking part runs in a daemon thread that this worker waits for: if the network hangs, quitting
        sets ``done`` and this worker returns at once, so exit never joins a thread stuck in a socket.
        """
        box: dict[str, Any] = {}

        def job() -> None:
            try:
                box["result"] = self.pipeline.run()
            except BaseException as exc:  # noqa: BLE001 - handed back to the worker below
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=job, name=f"streakwatch-fetch-{generation}", daemon=True).start()
        done.wait()
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
        self._snapshot = snapshot = message.snapshot
        self.refresh_loop.succeeded(
            market=snapshot.market, bars_through=snapshot.as_of, retry_in=snapshot.data.retry_in
        )
        self._cached = False
        self._received_at = self.clock()
        errors = [plain(e) for e in snapshot.data.errors if plain(e)]
        self._error = errors[-1] if errors else None
        for error in errors:
            said = split_retry(error)[0]  # a countdown that moved on is not a new problem
            if said not in self._notified:
                self._notified.add(said)
                self.notify(error, title="Data problem", severity="warning", markup=False)
        self._show(snapshot)
        self._alert(snapshot)
        self._set_timer()
        self._update_chrome()

    def _show(self, snapshot: Snapshot) -> None:
        """Each pane redraws its own part of ``snapshot`` (if it changed), as one screen update, not five."""
        with self.batch_update():
            for pane in self.panes():
                pane.show_snapshot(snapshot)
            self._show_banner(snapshot.data.banner)

    def _alert(self, snapshot: Snapshot) -> None:
        """Streak and risk events, each alerted once; open history / alert screens follow the new data."""
        announce(self, self.alert_tracker.update(snapshot, now=self.clock()), self.config.alerts)  # app's time
        self.snapshot_signal.publish(snapshot)
        self.alert_log_signal.publish(self.alert_tracker.log)

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
        self._error = reason
        self.notify(
            f"{reason}\nRetrying in {fmt.countdown(delay).lstrip('~')}.",
            title="Refresh failed",
            severity="error",
            timeout=8,
            markup=False,
        )
        for pane in self.panes():
            pane.show_error(reason, f"Retrying in {fmt.countdown(delay).lstrip('~')}")
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

    # -- what the user sees besides the panes ----------------------------------------------------------------
    def _on_tick(self) -> None:
        if not self.shutting_down():
            self._update_chrome()

    def _show_banner(self, banner: str | None) -> None:
        widget = self.query_one("#banner", Static)
        text = plain(banner, 400) if banner else ""
        widget.display = bool(text)
        if text:
            widget.update(Text.assemble(("⚠ ", "bold"), text))

    def fetched_at(self) -> datetime | None:
        """When the data on screen was fetched. A stamp later than the injected clock (a replay or a frozen
        demo stamped with the wall clock) can't be right: the time it arrived is used instead."""
        if self._snapshot is None:
            return None
        fetched = self._snapshot.data.fetched_at or self._received_at
        if fetched is not None and self._received_at is not None and fetched > self._received_at:
            return self._received_at
        return fetched

    def data_age(self) -> float | None:
        """Seconds since the data on screen was fetched, by the injected clock."""
        fetched = self.fetched_at()
        return None if fetched is None else (self.clock() - fetched).total_seconds()

    def freshness(self) -> Freshness | None:
        """Live data judged again at this instant from its ages (tui.data.freshness), so the label and the stale
        marks follow the clock between refreshes: a fetch that hangs or a backoff that sends nothing turns the
        screen stale by itself. None for sources whose label is not about age (replay, demo), and before the
        fetch thread has built the market calendar (the first paint imports no pandas)."""
        snapshot = self._snapshot
        if snapshot is None or snapshot.data.source not in ("yahoo", "cache") or snapshot.data.received_at is None:
            return None
        from tui.data import market_clock
        from tui.data.freshness import judge_now

        if not market_clock.is_warm():  # the fetch thread builds the calendar; the UI thread never waits for it
            return None

        try:
            return judge_now(
                self.clock(),
                received_at=snapshot.data.received_at,
                quote_time=snapshot.data.quote_time,
                bars_through=snapshot.as_of,
                refresh=self.config.refresh,
                retrying=self.refresh_loop.retry_at is not None,
            )
        except Exception:  # a date the calendar can't place: keep what the source said
            return None

    def is_stale(self) -> bool:
        return self._stale(self.freshness())

    def _stale(self, judged: Freshness | None) -> bool:
        if self._snapshot is None:
            return False
        return self._snapshot.data.stale or self.refresh_loop.failures > 0 or (judged is not None and judged.stale)

    def _update_chrome(self) -> None:
        """Status line and pane markers: cheap, called on refresh events and on the slow tick only."""
        snapshot = self._snapshot
        age = self.data_age()
        judged = self.freshness()  # (the market calendar, once per update)
        stale = self._stale(judged)
        market = snapshot.market if snapshot is not None else None
        error = self._error
        explained = error is not None and (
            self.refresh_loop.failures > 0 or (snapshot is not None and snapshot.data.stale)
        )
        if judged is not None and judged.stale and judged.reason and not explained:
            error = judged.reason  # silence is a reason too, when no error of the latest attempt explains it
        if error is None and snapshot is not None and snapshot.data.dropped:
            error = dropped_text(snapshot.data.dropped)
        retry_in = self.refresh_loop.retry_in()
        if error is not None and retry_in is not None:
            error = retry_countdown(error, retry_in)  # the source said it once; count
        info = StatusInfo(
            label=judged.label if judged is not None else snapshot.data.label if snapshot else None,
            source=self.source_name,
            pair=(snapshot.small, snapshot.large, snapshot.pair_name) if snapshot else None,
            market=market_text(market),
            market_open=market is not None and market.phase is Phase.OPEN,
            as_of=snapshot.as_of if snapshot else None,
            updated=self.fetched_at(),
            age=fmt.age(age) if age is not None else None,
            stale=stale,
            fetching=self.fetching,
            cached=self._cached,
            paused=self.refresh_loop.paused,
            next_in=self.refresh_loop.next_in(),
            error=error,
        )
        self.query_one(StatusLine).show(info)
        marker = None
        if stale and age is not None:
            marker = Text(f" STALE · {fmt.age(age)} old ", style="bold reverse")
        elif self._cached:
            marker = Text(f" CACHED · {fmt.age(age)} old " if age is not None else " CACHED ", style="bold")
        elif self.refresh_loop.paused:
            marker = Text(" PAUSED ", style="bold")
        for pane in self.panes():
            pane.set_marker(marker)

    # -- actions (keys come from tui/bindings.py) ------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Pane keys mean nothing over the help screen or the command palette.
        if (
            action in ("focus_pane", "toggle_maximize", "cycle_sort", "history", "alert_log", "pair_board", "next_pair")
            and not self._on_main_screen()
        ):
            return False
        return True

    def _on_main_screen(self) -> bool:
        return len(self.screen_stack) == 1

    def action_focus_pane(self, name: str) -> None:
        pane = self.pane(name)
        if self.screen.maximized is not None and self.screen.maximized is not pane:
            self.screen.maximize(pane, container=False)  # stay zoomed, on the pane asked for
        pane.focus_target().focus()

    def focused_pane(self) -> Pane | None:
        focused = self.screen.focused
        if focused is None:
            return None
        if isinstance(focused, Pane):
            return focused
        for ancestor in focused.ancestors:
            if isinstance(ancestor, Pane):
                return ancestor
        return None

    def action_toggle_maximize(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        pane = self.focused_pane() or self.pane("streak")
        screen.maximize(pane, container=False)
        pane.focus_target().focus()

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
            if not self.start_refresh():
                self._update_chrome()
                return
        self._update_chrome()

    def action_cycle_sort(self) -> None:
        sectors = self.query_one(SectorsPane)
        label = sectors.cycle_sort()
        self.notify(f"Sectors sorted by {label}", timeout=2)

    def action_history(self) -> None:
        from tui.screens.history import HistoryScreen  # lazily: it imports tui.analytics (pandas)

        if isinstance(self.screen, HistoryScreen):
            return
        if self._snapshot is None:
            self.notify("No history yet: waiting for the first data", timeout=3)
            return
        self.push_screen(HistoryScreen(self._snapshot, self.snapshot_signal))

    def action_alert_log(self) -> None:
        if not isinstance(self.screen, AlertLogScreen):
            self.push_screen(AlertLogScreen(self.alert_tracker.log, self.alert_log_signal))

    def action_export(self) -> None:
        export_app(self, self._snapshot, self.config.export.directory)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_pair_board(self) -> None:
        from tui.screens.pairs import PairsScreen  # lazily, like the history screen

        if self._snapshot is None:
            self.notify("No pairs yet: waiting for the first data", timeout=3)
            return
        self.push_screen(PairsScreen(self._snapshot, self.snapshot_signal), callback=self.show_pair)

    def action_next_pair(self) -> None:
        self.show_pair(self.pipeline.active + 1)

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
        self._take_quit_signals()

    def _take_quit_signals(self) -> None:
        """SIGTERM, SIGHUP and SIGINT quit like `q`, with the exit status 128 + the signal's number."""
        loop = asyncio.get_running_loop()
        for signum in QUIT_SIGNALS:
            previous = signal.getsignal(signum)
            try:
                loop.add_signal_handler(signum, self.quit, signal_exit_code(signum))
            except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or not Unix
                continue
            self._signal_handlers[signum] = previous

    def _give_back_quit_signals(self) -> None:
        """The handlers the signals had before (the CLI's, for the rest of the way out), not asyncio's defaults."""
        loop = asyncio.get_running_loop()
        for signum, previous in self._signal_handlers.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self._signal_handlers.clear()

    def on_unmount(self) -> None:
        self._release_worker()
        self._give_back_quit_signals()

    def _release_worker(self) -> None:
        """Let a worker waiting on a hung fetch return now, so exit never waits for the network."""
        self._quitting.set()
        self._cancel_timer()
        self.refresh_loop.stop()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in palette_entries():
            yield SystemCommand(title, help_text, partial(self.run_action, action))


def dropped_text(dropped: tuple[Dropped, ...]) -> str:
    """ "NOPE dropped since 14:02 ET (Yahoo has no data for NOPE …) — R retries": which, since when, why."""
    first = dropped[0]
    more = f" and {len(dropped) - 1} more" if len(dropped) > 1 else ""
    return (
        f"{plain(first.symbol, 20)}{more} dropped from polling since {fmt.clock_time(first.since)} "
        f"({plain(first.reason, 120)}) — R retries"
    )


def market_text(market: MarketStatus | None) -> str | None:
    """ "OPEN · until 16:00 ET", "CLOSED · opens Mon 09:30 ET", "HOLIDAY · Good Friday · opens Mon 09:30 ET"."""
    if market is None:
        return None
    text = market.phase.value.upper()
    if market.phase is Phase.OPEN:
        half = " (half day)" if market.half_day else ""
        return f"{text} · until {fmt.clock_time(market.close)}{half}"
    if market.phase is Phase.HOLIDAY and market.holiday_name:
        text = f"{text} · {plain(market.holiday_name, 30)}"
    local = market.next_open.astimezone(fmt.EXCHANGE_TZ)
    return f"{text} · opens {local:%a} {fmt.clock_time(market.next_open)}"


def focus_chain_names(app: StreakwatchApp) -> list[str]:
    """Pane ids in focus order (for tests and debugging)."""
    names = []
    for widget in app.screen.focus_chain:
        pane = next((a for a in widget.ancestors_with_self if isinstance(a, Pane)), None)
        if pane is not None and pane.id not in names:
            names.append(pane.id)
    return names
