"""The refresh schedule (tui.refresh_loop), driven through its public API with a hand-moved monotonic clock."""

from __future__ import annotations

from datetime import date, datetime, timezone

from tui.config import Config
from tui.data.market_clock import market_status
from tui.refresh_loop import RefreshLoop

OPEN = market_status(datetime(2026, 1, 16, 16, 0, tzinfo=timezone.utc))  # Fri 11:00 ET, a session day
THURSDAY = date(2026, 1, 15)  # the last completed session then


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make() -> tuple[RefreshLoop, Ticks]:
    ticks = Ticks()
    return RefreshLoop(Config(), monotonic=ticks), ticks


def test_one_refresh_at_a_time_and_the_next_only_after_it_completes():
    loop, ticks = make()
    first = loop.start()
    assert first is not None and first.generation == 1 and loop.running and loop.next_due is None
    assert loop.start() is None  # one at a time
    assert loop.succeeded(market=OPEN, bars_through=THURSDAY, retry_in=None) == 60.0  # the open cadence
    assert not loop.running and loop.next_in() == 60.0 and loop.failures == 0
    ticks.now += 60
    assert loop.start().generation == 2 and loop.next_due is None


def test_a_source_that_retries_sooner_brings_the_next_refresh_forward():
    loop, _ = make()
    loop.start()
    assert loop.succeeded(market=OPEN, bars_through=THURSDAY, retry_in=12.5) == 12.5
    assert loop.retry_in() == 12.5  # what the status line counts down
    loop.start()
    loop.succeeded(market=OPEN, bars_through=THURSDAY, retry_in=None)
    assert loop.retry_in() is None


def test_failures_back_off_15_s_doubling_to_15_min_unless_the_source_says():
    loop, _ = make()
    delays = []
    for _ in range(8):
        loop.start()
        delays.append(loop.failed(None))
    assert delays == [15, 30, 60, 120, 240, 480, 900, 900] and loop.failures == 8
    loop.start()
    assert loop.failed(42.0) == 42.0  # the source's own retry delay wins
    loop.start()
    loop.succeeded(market=OPEN, bars_through=THURSDAY, retry_in=None)
    assert loop.failures == 0
    loop.start()
    assert loop.failed(None) == 15


def test_paused_nothing_is_scheduled_and_a_failure_still_says_its_delay():
    loop, _ = make()
    loop.pause()
    loop.start()
    assert loop.succeeded(market=OPEN, bars_through=THURSDAY, retry_in=None) is None and loop.next_due is None
    loop.start()
    assert loop.failed(None) == 15 and loop.next_due is None  # the notice can say it; nothing wakes it
    loop.resume()
    loop.start()
    assert loop.succeeded(market=None, bars_through=None, retry_in=None) == 60.0  # no market state: the cadence


def test_a_stuck_refresh_is_abandoned_and_its_late_result_is_not_current():
    loop, ticks = make()
    stuck = loop.start()
    ticks.now += RefreshLoop.STUCK_SECONDS - 1
    assert loop.start() is None
    ticks.now += 1
    fresh = loop.start()
    assert fresh.generation == stuck.generation + 1 and stuck.done.is_set()  # its waiter lets go
    assert not loop.is_current(stuck.generation) and loop.is_current(fresh.generation)


def test_stop_lets_a_refresh_in_flight_go_and_schedules_nothing():
    loop, _ = make()
    attempt = loop.start()
    loop.stop()
    assert attempt.done.is_set() and loop.next_due is None
    assert loop.succeeded(market=OPEN, bars_through=THURSDAY, retry_in=None) is None
