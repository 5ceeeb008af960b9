"""Quadrant alerts: a sector (or the pair) entering Leading or Lagging on the rotation map, once per event."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from msgspec.structs import replace

from tui.alerts import AlertTracker
from tui.config import Alerts, Config
from tui.model import DataStatus, RotationMap, RotationPoint, RotationSeries, Snapshot, Spread, Streak

NOW = datetime(2026, 1, 23, 21, 30, tzinfo=timezone.utc)
FRIDAY = date(2026, 1, 9)
STREAK = Streak("small", 5, date(2026, 1, 2), date(2026, 1, 8), 0.05, 0.01, None, 16)
POSITION = {"leading": (101.0, 101.0), "weakening": (101.0, 99.0), "lagging": (99.0, 99.0), "improving": (99.0, 101.0)}


def series(symbol: str, quadrants: list[str], end: date, provisional=False, benchmark="^RUT") -> RotationSeries:
    """A symbol whose weekly points, ending on ``end``, lie in ``quadrants`` (oldest first)."""
    dates = [end - timedelta(weeks=len(quadrants) - 1 - i) for i in range(len(quadrants))]
    tail = tuple(RotationPoint(d, *POSITION[q]) for d, q in zip(dates, quadrants))
    done = -2 if provisional else -1
    return RotationSeries(
        symbol=symbol,
        name=f"{symbol} sector",
        benchmark=benchmark,
        ratio=tail[-1].ratio,
        momentum=tail[-1].momentum,
        quadrant=quadrants[-1],  # type: ignore[arg-type]
        periods_in_quadrant=1,
        tail=tail,
        provisional=provisional,
        as_of=end,
        completed=quadrants[done],  # type: ignore[arg-type]
        completed_on=dates[done],
    )


def snap(as_of: date, *entries: RotationSeries, source="replay") -> Snapshot:
    return Snapshot(
        source=source,
        as_of=as_of,
        small="^RUT",
        large="^GSPC",
        streak=STREAK,
        provisional=None,
        spread=Spread(60, (), (), (), None),
        sectors=(),
        risks=(),
        data=DataStatus(source, source.upper(), False, (), None),
        rotation=RotationMap("weekly", 8, entries),
    )


def test_entering_leading_or_lagging_alerts_once_and_lands_in_the_log():
    tracker = AlertTracker(Alerts())
    week1 = FRIDAY
    week2 = FRIDAY + timedelta(weeks=1)
    assert tracker.update(snap(week1, series("KRE", ["improving"], week1), series("PSCU", ["weakening"], week1))) == []
    second = snap(
        week2, series("KRE", ["improving", "leading"], week2), series("PSCU", ["weakening", "lagging"], week2)
    )
    events = tracker.update(second, NOW)
    assert [(e.kind, e.key[1], e.key[3]) for e in events] == [
        ("quadrant", "KRE", "leading"),
        ("quadrant", "PSCU", "lagging"),
    ]
    assert events[0].severity == "information" and events[1].severity == "warning"
    assert "KRE (KRE sector) entered Leading against ^RUT in the week to Fri 16 Jan 2026" in events[0].message
    assert "ratio 101.00, momentum 101.00" in events[0].message
    assert tracker.update(second, NOW) == []  # the same data again: nothing new
    assert tracker.update(replace(second), NOW) == []
    assert [e.key[1] for e in tracker.log] == ["KRE", "PSCU"]


def test_weakening_and_improving_are_not_alerted_and_staying_is_not_entering():
    tracker = AlertTracker(Alerts())
    week2 = FRIDAY + timedelta(weeks=1)
    tracker.update(snap(FRIDAY, series("A", ["leading"], FRIDAY), series("B", ["lagging"], FRIDAY)))
    moved = snap(week2, series("A", ["leading", "weakening"], week2), series("B", ["lagging", "improving"], week2))
    assert tracker.update(moved, NOW) == []
    week3 = week2 + timedelta(weeks=1)
    stay = snap(week3, series("A", ["weakening", "weakening"], week3), series("B", ["improving", "improving"], week3))
    assert tracker.update(stay, NOW) == []
    week4 = week3 + timedelta(weeks=1)
    again = snap(week4, series("A", ["weakening", "leading"], week4))
    assert [e.key[1] for e in tracker.update(again, NOW)] == ["A"]


def test_the_week_in_progress_does_not_alert_until_it_closes():
    """Midweek the current point has crossed into Leading, but its week is not over: no alert; when the week
    closes in Leading, one."""
    tracker = AlertTracker(Alerts())
    tracker.update(snap(FRIDAY, series("KRE", ["improving"], FRIDAY)))
    wednesday = FRIDAY + timedelta(days=5)
    assert tracker.update(snap(wednesday, series("KRE", ["improving", "leading"], wednesday, provisional=True))) == []
    friday = FRIDAY + timedelta(weeks=1)
    events = tracker.update(snap(friday, series("KRE", ["improving", "leading"], friday)), NOW)
    assert [e.key for e in events] == [("quadrant", "KRE", "^RUT", "leading", friday)]


def test_the_switch_turns_quadrant_alerts_off_and_a_rewind_is_a_baseline():
    tracker = AlertTracker(Alerts(quadrant=False))
    week2 = FRIDAY + timedelta(weeks=1)
    tracker.update(snap(FRIDAY, series("KRE", ["improving"], FRIDAY)))
    assert tracker.update(snap(week2, series("KRE", ["improving", "leading"], week2)), NOW) == []
    assert list(tracker.log) == []

    on = AlertTracker(Alerts())
    on.update(snap(week2, series("KRE", ["improving", "leading"], week2)))
    assert on.update(snap(FRIDAY, series("KRE", ["improving"], FRIDAY)), NOW) == []  # rewound: new baseline
    assert on.update(snap(week2, series("KRE", ["improving", "leading"], week2)), NOW)


def test_outside_text_in_alerts_is_cleaned():
    tracker = AlertTracker(Alerts())
    week2 = FRIDAY + timedelta(weeks=1)
    hostile = "X\x1b[31m"
    tracker.update(snap(FRIDAY, replace(series("Q", ["improving"], FRIDAY), name=hostile)))
    events = tracker.update(snap(week2, replace(series("Q", ["improving", "leading"], week2), name=hostile)), NOW)
    assert events and "\x1b" not in events[0].message


def test_quadrant_switch_in_config(tmp_path):
    from tui.config import load_config
    from tui.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text("[alerts]\nquadrant = false\n[rotation]\nperiod = 'daily'\ntail = 12\n")
    config = load_config(path)
    assert (config.alerts.quadrant, config.rotation.period, config.rotation.tail) == (False, "daily", 12)
    for bad, key in (
        ("[rotation]\nperiod = 'monthly'\n", "rotation.period"),
        ("[rotation]\ntail = 0\n", "rotation.tail"),
    ):
        path.write_text(bad)
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(path)
    assert Config().rotation.period == "weekly" and Config().alerts.quadrant


def test_real_replay_quadrant_entries_alert_once_each(replay_dir):
    """Stepping the real replay session by session through January 2026: each completed week's entry into
    Leading or Lagging is alerted once, on the session that closes that week; the entries are read off the map
    of the last day (the weekly points of 16, 23 and 30 Jan against the week before each)."""
    from tui.data.replay import ReplaySource
    from tui.snapshot import build_snapshot

    config = Config()
    source = ReplaySource(replay_dir)
    data = source.fetch(config.symbols())
    sessions = [d.date() for d in data.closes.loc["2026-01-09":"2026-01-30"].index]
    tracker = AlertTracker(config.alerts)
    seen = []
    for session in sessions:
        clipped = replace(data, closes=data.closes.loc[: str(session)])
        events = tracker.update(build_snapshot(clipped, config), NOW)
        quadrant_events = [e for e in events if e.kind == "quadrant"]
        assert all(e.key[4] == session for e in quadrant_events)  # alerted when the week closes
        seen += [(e.key[4], e.key[1], e.key[3]) for e in quadrant_events]
    final = build_snapshot(replace(data, closes=data.closes.loc[: str(sessions[-1])]), config).rotation
    expected = []
    for s in final.series:
        weekly = [p for p in s.tail if p.date > FRIDAY - timedelta(weeks=1)]
        quadrant = [_quadrant(p) for p in weekly]
        for (before, after), point in zip(zip(quadrant, quadrant[1:]), weekly[1:]):
            if after in ("leading", "lagging") and after != before:
                expected.append((point.date, s.symbol, after))
    assert sorted(seen) == sorted(expected)
    assert len({(who, q) for _, who, q in seen}) == len(seen)


def _quadrant(point: RotationPoint) -> str:
    if point.ratio > 100:
        return "leading" if point.momentum > 100 else "weakening"
    return "improving" if point.momentum > 100 else "lagging"
