"""Today's race and the pre-market read from the demo source through the snapshot: the demo's path itself, the
JSON, the snapshot cache and the refresh pipeline's reuse. Figures are worked out here from the served path."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from msgspec.structs import replace

from tests.app_helpers import frozen_clock
from tui.cli import main
from tui.config import Config
from tui.data.demo import DemoSource
from tui.model import Snapshot, cache_json
from tui.pipeline import same_market
from tui.snapshot import build_snapshot

OPEN_CLOCK = datetime(2026, 11, 30, 15, 10, tzinfo=timezone.utc)  # Mon 10:10 ET
PRE_MARKET_CLOCK = datetime(2026, 11, 30, 13, 10, tzinfo=timezone.utc)  # Mon 08:10 ET
AFTER_CLOSE_CLOCK = datetime(2026, 11, 30, 22, 0, tzinfo=timezone.utc)  # Mon 17:00 ET
CONFIG = Config()


def fetch(at: datetime):
    return DemoSource(frozen_clock(at)).fetch(CONFIG.symbols())


def test_demo_path_runs_every_5_minutes_from_the_open_to_the_quote():
    data = fetch(OPEN_CLOCK + timedelta(minutes=2, seconds=30))  # 10:12:30 ET
    for symbol in (CONFIG.small, CONFIG.large):
        path = data.intraday[symbol]
        minutes = [int((t - path.times[0]).total_seconds() // 60) for t in path.times]
        assert path.times[0] == datetime(2026, 11, 30, 14, 30, tzinfo=timezone.utc)
        assert minutes == [*range(0, 45, 5), 42]
        quote = data.quotes[symbol]
        assert (path.times[-1], path.prices[-1]) == (quote.time, quote.price)  # the quote sits on the path
        assert path.previous_close == data.closes[symbol].dropna().iloc[-1]
        assert not path.complete


def test_demo_path_is_the_same_path_as_time_goes_by():
    early, late = fetch(OPEN_CLOCK), fetch(OPEN_CLOCK + timedelta(hours=2))
    for symbol in (CONFIG.small, CONFIG.large):
        a, b = early.intraday[symbol], late.intraday[symbol]
        assert b.times[: len(a.times)] == a.times and b.prices[: len(a.prices)] == a.prices


def test_after_the_close_the_path_is_the_whole_session_and_ends_at_the_close():
    data = fetch(AFTER_CLOSE_CLOCK)
    closes = data.closes.loc["2026-11-30"]
    for symbol in (CONFIG.small, CONFIG.large):
        path = data.intraday[symbol]
        assert path.complete and len(path.times) == 79  # 09:30 .. 16:00 every 5 minutes
        assert path.prices[-1] == closes[symbol]
    assert data.futures == {}


def test_futures_only_before_the_open_and_moving_overnight():
    assert fetch(OPEN_CLOCK).futures == {} and fetch(AFTER_CLOSE_CLOCK).futures == {}
    night, morning = fetch(PRE_MARKET_CLOCK - timedelta(hours=6)), fetch(PRE_MARKET_CLOCK)
    assert set(morning.futures) == {"RTY=F", "ES=F"}
    assert morning.futures["RTY=F"].time == PRE_MARKET_CLOCK
    assert night.futures["RTY=F"].previous_close == morning.futures["RTY=F"].previous_close
    assert night.futures["RTY=F"].price != morning.futures["RTY=F"].price


def test_open_session_race_from_the_served_path():
    data = fetch(OPEN_CLOCK)
    snapshot = build_snapshot(data, CONFIG)
    race = snapshot.today
    assert race is not None and snapshot.premarket is None
    small, large = data.intraday[CONFIG.small], data.intraday[CONFIG.large]
    assert race.times == small.times == large.times  # the demo serves both on one grid
    gaps = [a / small.previous_close - b / large.previous_close for a, b in zip(small.prices, large.prices)]
    signs = [g > 0 for g in gaps if round(g, 12) != 0]
    assert len(race.lead_changes) == sum(1 for x, y in zip(signs, signs[1:]) if x != y)
    assert race.difference[-1] == pytest.approx(gaps[-1])
    assert race.widest_small is not None and race.widest_small.value == pytest.approx(max(gaps))
    # The race and the provisional line agree on the now.
    assert snapshot.provisional is not None
    assert race.leader == snapshot.provisional.leader


def test_pre_market_read_from_the_served_futures():
    data = fetch(PRE_MARKET_CLOCK)
    snapshot = build_snapshot(data, CONFIG)
    read = snapshot.premarket
    assert read is not None and read.small is not None and read.large is not None
    rty, es = data.futures["RTY=F"], data.futures["ES=F"]
    assert read.small.change == pytest.approx(rty.price / rty.previous_close - 1)
    assert read.large.change == pytest.approx(es.price / es.previous_close - 1)
    leader = "small" if read.small.change > read.large.change else "large"
    assert read.leader == leader
    streak = snapshot.streak
    assert read.streak_length == (streak.length + 1 if streak.leader == leader else 1)
    assert snapshot.provisional is None  # the streak and the race are untouched by the futures
    assert snapshot.today is not None and snapshot.today.complete and snapshot.today.session == streak.end


@pytest.mark.parametrize("at", [OPEN_CLOCK, PRE_MARKET_CLOCK, AFTER_CLOSE_CLOCK])
def test_race_and_read_survive_the_snapshot_cache(at):
    snapshot = build_snapshot(fetch(at), CONFIG)
    back = Snapshot.from_json(json.loads(json.dumps(cache_json(snapshot), allow_nan=False)))
    assert back.today == snapshot.today and back.premarket == snapshot.premarket
    assert back == snapshot


def test_json_today_and_premarket(capsys, monkeypatch):
    doc = _once_json(capsys, monkeypatch, OPEN_CLOCK)
    today = doc["today"]
    assert doc["premarket"] is None
    assert today["session"] == "2026-11-30" and today["complete"] is False
    assert len(today["times"]) == len(today["small"]) == len(today["difference"]) == 9
    assert today["times"][0] == "2026-11-30T14:30:00+00:00"
    assert {"lead_changes", "share_small", "share_large", "widest_small", "widest_large"} <= set(today)
    pre = _once_json(capsys, monkeypatch, PRE_MARKET_CLOCK)["premarket"]
    assert pre["small_symbol"] == "RTY=F" and pre["leader"] in ("small", "large", "none")


def test_replay_json_has_no_race_and_no_read(capsys, replay_dir):
    """Daily closes hold no path: ``today`` is null, or only the source's reason when it gives one."""
    assert main(["--source", f"replay:{replay_dir}", "--as-of", "2026-01-15", "--once", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["today"] is None or (doc["today"]["times"] == [] and doc["today"]["note"])
    assert doc["premarket"] is None


def _once_json(capsys, monkeypatch, at: datetime) -> dict:
    """``streakwatch --source demo --once --json`` with the demo's clock at ``at``."""
    monkeypatch.setattr("tui.data.factory.utc_now", frozen_clock(at))
    assert main(["--source", "demo", "--once", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_refresh_that_only_moved_the_race_is_rebuilt():
    data = fetch(OPEN_CLOCK)
    symbol = CONFIG.small
    path = data.intraday[symbol]
    moved = replace(data, intraday={**data.intraday, symbol: replace(path, prices=(*path.prices[:-1], 1.0))})
    assert same_market(data, replace(data))
    assert not same_market(data, moved)
    assert not same_market(data, replace(data, intraday_note="Yahoo: 422 data not available"))
    read = fetch(PRE_MARKET_CLOCK)
    assert not same_market(read, replace(read, futures={}))


def test_crossing_the_open_with_the_same_data_drops_the_read():
    data = fetch(PRE_MARKET_CLOCK)
    at_open = replace(data, now=datetime(2026, 11, 30, 14, 30, tzinfo=timezone.utc))
    assert not same_market(data, at_open)
    assert build_snapshot(at_open, CONFIG).premarket is None


def test_text_report_tells_the_race_and_the_read(capsys, monkeypatch):
    monkeypatch.setattr("tui.data.factory.utc_now", frozen_clock(OPEN_CLOCK))
    assert main(["--source", "demo", "--once"]) == 0
    out = capsys.readouterr().out
    race = build_snapshot(fetch(OPEN_CLOCK), CONFIG).today
    assert race is not None
    changes = len(race.lead_changes)
    assert "Today's race (provisional)" in out and "to 10:10 ET" in out
    assert f"{changes} lead change{'' if changes == 1 else 's'}" in out and "Futures" not in out
    monkeypatch.setattr("tui.data.factory.utc_now", frozen_clock(PRE_MARKET_CLOCK))
    assert main(["--source", "demo", "--once"]) == 0
    out = capsys.readouterr().out
    assert "Futures (indicative, not the streak): RTY=F" in out and "Intraday race" in out


def test_text_report_prints_a_hostile_note_literally():
    from io import StringIO

    from rich.console import Console

    from tui.output.report import print_report

    snapshot = build_snapshot(replace(fetch(OPEN_CLOCK), intraday={}, intraday_note="[red]x[/]\x1b[2J"), CONFIG)
    console = Console(file=StringIO(), width=200, color_system=None)
    print_report(snapshot, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "No intraday path: [red]x[/]" in out and "\x1b" not in out
