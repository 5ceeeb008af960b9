"""The status line's words from the data on screen and the refresh loop, with no screen at all."""

from __future__ import annotations

from datetime import timedelta

from msgspec.structs import replace

from tests.app_helpers import FROZEN, make_snapshot
from tui.config import Config, Refresh
from tui.refresh_loop import RefreshLoop
from tui.status_view import OnScreen


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_problem_is_notified_once_even_when_its_countdown_moves_on():
    shown = OnScreen()
    first = shown.new_problems(("Yahoo rate limit (HTTP 429) — retrying in 40 s",))
    again = shown.new_problems(("Yahoo rate limit (HTTP 429) — retrying in 30 s",))
    other = shown.new_problems(("Yahoo rate limit (HTTP 429) — retrying in 20 s", "KRE: no data"))
    assert first == ["Yahoo rate limit (HTTP 429) — retrying in 40 s"]
    assert again == []
    assert other == ["KRE: no data"]
    assert shown.error == "KRE: no data"  # the newest problem is the one the status line shows
    assert shown.new_problems(()) == [] and shown.error is None


def test_a_fetch_stamp_later_than_its_arrival_is_not_believed():
    shown = OnScreen()
    future = make_snapshot(data=replace(make_snapshot().data, fetched_at=FROZEN + timedelta(hours=2)))
    shown.receive(future, FROZEN)
    assert shown.fetched_at() == FROZEN
    assert shown.age(FROZEN + timedelta(minutes=3)) == 180.0
    past = make_snapshot(data=replace(make_snapshot().data, fetched_at=FROZEN - timedelta(minutes=10)))
    shown.receive(past, FROZEN)
    assert shown.age(FROZEN) == 600.0


def test_the_marker_says_stale_after_a_failure_cached_before_the_first_refresh_paused_when_paused():
    ticks = Ticks()
    loop = RefreshLoop(Config(), monotonic=ticks)
    shown = OnScreen()
    snapshot = make_snapshot(data=replace(make_snapshot().data, fetched_at=FROZEN - timedelta(minutes=12)))
    shown.receive(snapshot, FROZEN - timedelta(minutes=12), cached=True)
    info, marker = shown.status(FROZEN, loop, Refresh(), "replay")
    assert info.cached and not info.stale and marker is not None and marker.plain == " CACHED · 12 min old "

    shown.receive(snapshot, FROZEN)
    loop.start()
    loop.failed(None)  # the one backoff: 15 s
    shown.error = "no answer from Yahoo — retrying in 1 min"  # what the source said when it answered
    ticks.now += 5
    info, marker = shown.status(FROZEN, loop, Refresh(), "replay")
    assert info.stale and marker is not None and marker.plain.startswith(" STALE · 12 min old")
    assert info.error == "no answer from Yahoo — retrying in 10 s"  # the loop's own retry, 15 s after, counted

    loop.start()
    loop.succeeded(market=None, bars_through=None, retry_in=None)
    loop.pause()
    shown.error = None
    info, marker = shown.status(FROZEN, loop, Refresh(), "replay")
    assert info.paused and not info.stale and marker is not None and marker.plain == " PAUSED "
    assert info.source == "replay" and info.as_of == snapshot.as_of
