"""AlertTracker: each kind on hand-built snapshots, de-duplication, baseline, per-kind switches, real history."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from msgspec.structs import replace

from tui.alerts import LOG_SIZE, AlertTracker
from tui.config import Alerts, Config
from tui.data.replay import ReplaySource
from tui.model import DataStatus, LongestSince, Risk, Snapshot, Spread, Streak, StreakRun
from tui.snapshot import build_snapshot

NOW = datetime(2026, 1, 23, 21, 30, tzinfo=timezone.utc)
D0 = date(2026, 1, 2)


def streak(leader="small", length=5, start=D0, since=None, record=16) -> Streak:
    end = start + timedelta(days=length - 1) if start else None
    return Streak(leader, length, start, end, 0.05, 0.01, since, record)


def risk(status="ok", detail="VIX 15.9 < 20", id="volatility") -> Risk:
    return Risk(id, "Liquidity / volatility", status, 15.9, detail)


def snap(as_of: date, s: Streak, risks=(), runs=(), source="replay", small="^RUT", large="^GSPC") -> Snapshot:
    return Snapshot(
        source=source,
        as_of=as_of,
        small=small,
        large=large,
        streak=s,
        provisional=None,
        spread=Spread(60, (), (), (), None),
        sectors=(),
        risks=tuple(risks),
        data=DataStatus(source, source.upper(), False, (), None),
        runs=tuple(runs),
    )


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def kinds(events) -> list[str]:
    return [e.kind for e in events]


def test_first_snapshot_is_the_baseline_and_repeats_never_alert():
    tracker = AlertTracker(Alerts())
    first = snap(day(4), streak(length=5), [risk("watch")])
    assert tracker.update(first, NOW) == []
    assert tracker.update(first, NOW) == []
    second = snap(day(5), streak(length=6), [risk("watch")])
    assert kinds(tracker.update(second, NOW)) == ["streak_extended"]
    assert tracker.update(second, NOW) == []  # same data again (a retry): nothing new
    assert tracker.update(replace(second), NOW) == []  # an equal copy: nothing new
    assert kinds(tracker.log) == ["streak_extended"]


def test_extended_says_who_and_how_long():
    tracker = AlertTracker(Alerts())
    tracker.update(snap(day(4), streak(length=5)), NOW)
    [event] = tracker.update(snap(day(5), streak(length=6)), NOW)
    assert event.kind == "streak_extended" and event.severity == "information"
    assert "Russell 2000" in event.message and "6 sessions" in event.message
    assert event.key == ("streak_extended", "small", D0, 6) and event.as_of == day(5) and event.at == NOW


def test_broke_names_the_breaker_and_the_final_length():
    tracker = AlertTracker(Alerts())
    tracker.update(snap(day(4), streak(length=5)), NOW)
    events = tracker.update(snap(day(5), streak("large", 1, day(5), record=13)), NOW)
    assert kinds(events) == ["streak_broke"]
    message = events[0].message
    assert "Russell 2000" in message and "5 sessions" in message and "S&P 500" in message
    assert events[0].severity == "warning"


def test_broke_after_skipped_sessions_takes_the_final_length_from_the_runs():
    tracker = AlertTracker(Alerts())
    tracker.update(snap(day(2), streak(length=3)), NOW)
    runs = (StreakRun("small", D0, day(6), 7, 0.06, 0.01), StreakRun("large", day(7), day(8), 2, -0.01, 0.0))
    [event] = tracker.update(snap(day(8), streak("large", 2, day(7)), runs=runs), NOW)
    assert event.kind == "streak_broke"
    assert "7 sessions" in event.message and "S&P 500 won on" in event.message


def test_a_tie_breaks_the_streak():
    tracker = AlertTracker(Alerts())
    tracker.update(snap(day(4), streak(length=5)), NOW)
    no_streak = Streak("none", 0, None, None, None, None, None, None)
    [event] = tracker.update(snap(day(5), no_streak), NOW)
    assert event.kind == "streak_broke" and "tie" in event.message
    # And nothing more when the next streak starts after the tie.
    assert tracker.update(snap(day(6), streak("large", 1, day(6))), NOW) == []


def test_milestone_when_longest_since_moves_years_back():
    tracker = AlertTracker(Alerts())
    tracker.update(snap(day(11), streak(length=12, since=LongestSince(date(2025, 6, 1), 12))), NOW)
    events = tracker.update(snap(day(12), streak(length=13, since=LongestSince(date(2008, 6, 6), 13))), NOW)
    assert kinds(events) == ["streak_extended", "milestone"]
    assert "longest streak since Fri 6 Jun 2008" in events[1].message
    assert events[1].key == ("milestone", "small", D0, date(2008, 6, 6))


def test_routine_longest_since_moves_are_not_milestones_unless_asked():
    old = snap(day(2), streak(length=3, since=LongestSince(date(2025, 12, 1), 3)))
    new = snap(day(3), streak(length=4, since=LongestSince(date(2025, 10, 1), 5)))
    quiet = AlertTracker(Alerts())
    quiet.update(old, NOW)
    assert kinds(quiet.update(new, NOW)) == ["streak_extended"]
    eager = AlertTracker(Alerts(), milestone_min_days=0)
    eager.update(old, NOW)
    assert kinds(eager.update(new, NOW)) == ["streak_extended", "milestone"]


def test_record_beats_the_previous_record_and_replaces_the_milestone():
    tracker = AlertTracker(Alerts())
    tracker.update(snap(day(15), streak(length=16, since=LongestSince(date(1996, 5, 7), 16), record=16)), NOW)
    events = tracker.update(snap(day(16), streak(length=17, since=None, record=17)), NOW)
    assert kinds(events) == ["streak_extended", "record"]
    assert "17 sessions" in events[1].message and "16 sessions" in events[1].message
    # Equalling the record is not a record.
    tracker = AlertTracker(Alerts(), milestone_min_days=0)
    tracker.update(snap(day(14), streak(length=15, since=LongestSince(date(1996, 5, 7), 16), record=16)), NOW)
    events = tracker.update(snap(day(15), streak(length=16, since=LongestSince(date(1996, 5, 7), 16), record=16)), NOW)
    assert "record" not in kinds(events)


def test_risk_change_says_from_and_to_with_the_detail():
    tracker = AlertTracker(Alerts())
    s = streak(length=5)
    tracker.update(snap(day(4), s, [risk("ok")]), NOW)
    [event] = tracker.update(snap(day(4), s, [risk("alert", "VIX 31.0 ≥ 30")]), NOW)
    assert event.kind == "risk_changed" and event.severity == "error"
    assert "ok → alert" in event.message and "VIX 31.0 ≥ 30" in event.message


def test_unknown_gaps_are_not_changes_and_flapping_alerts_once_per_session():
    tracker = AlertTracker(Alerts())
    s = streak(length=5)
    tracker.update(snap(day(4), s, [risk("ok")]), NOW)
    assert tracker.update(snap(day(4), s, [risk("unknown", "no data for ^VIX")]), NOW) == []
    assert tracker.update(snap(day(4), s, [risk("ok")]), NOW) == []
    changes = [tracker.update(snap(day(4), s, [risk(status)]), NOW) for status in ("watch", "ok", "watch", "ok")]
    assert [len(c) for c in changes] == [1, 1, 0, 0]
    # The same change on a later session is news again.
    assert kinds(tracker.update(snap(day(5), s, [risk("watch")]), NOW)) == ["risk_changed"]


def test_each_kind_can_be_switched_off():
    settings = Alerts(streak_extended=False, risk_changed=False)
    tracker = AlertTracker(settings)
    tracker.update(snap(day(4), streak(length=5), [risk("ok")]), NOW)
    assert tracker.update(snap(day(5), streak(length=6), [risk("watch")]), NOW) == []
    assert kinds(tracker.update(snap(day(6), streak("large", 1, day(6)), [risk("watch")]), NOW)) == ["streak_broke"]
    off = AlertTracker(Alerts(streak_broke=False))
    off.update(snap(day(4), streak(length=5)), NOW)
    assert off.update(snap(day(5), streak("large", 1, day(5))), NOW) == []


def test_rewinding_or_switching_source_is_a_new_baseline():
    tracker = AlertTracker(Alerts())
    tracker.update(snap(day(9), streak(length=10)), NOW)
    assert tracker.update(snap(day(3), streak("large", 2, day(2))), NOW) == []  # replay stepped back
    assert tracker.update(snap(day(9), streak("large", 8, day(2)), source="demo"), NOW) == []


def test_outside_text_is_cleaned_and_the_log_is_bounded():
    tracker = AlertTracker(Alerts())
    s = streak(length=1)
    tracker.update(snap(day(0), s, [risk("ok")]), NOW)
    [event] = tracker.update(snap(day(0), s, [risk("watch", "bad \x1b[31mred\x1b[0m [red]x")]), NOW)
    assert "\x1b" not in event.message and "bad red [red]x" in event.message
    for n in range(1, LOG_SIZE + 50):
        tracker.update(snap(day(n), streak(length=n + 1, record=10_000)), NOW)
    assert len(tracker.log) == LOG_SIZE
    assert tracker.log[-1].key == ("streak_extended", "small", D0, LOG_SIZE + 50)


def test_real_replay_across_the_end_of_the_fourteen_session_streak(replay_dir):
    config = Config()
    source = ReplaySource(replay_dir)
    tracker = AlertTracker(config.alerts)

    def step(as_of: date):
        source.set_as_of(as_of)
        return tracker.update(build_snapshot(source.fetch(config.symbols()), config), NOW)

    events = []
    for n in range(8):  # 2026-01-20 .. 2026-01-27, weekend days included (they repeat Friday)
        events += step(date(2026, 1, 20) + timedelta(days=n))
    broke = [e for e in events if e.kind == "streak_broke"]
    assert len(broke) == 1
    assert broke[0].as_of == date(2026, 1, 23)
    assert "14 sessions" in broke[0].message and "Fri 2 Jan 2026" in broke[0].message
    assert [e.key for e in events if e.kind == "streak_extended"][:2] == [
        ("streak_extended", "small", date(2026, 1, 2), 13),
        ("streak_extended", "small", date(2026, 1, 2), 14),
    ]
    assert step(date(2026, 1, 23)) == []  # the same day again (after a rewind): nothing new
    assert step(date(2026, 1, 26)) == []
