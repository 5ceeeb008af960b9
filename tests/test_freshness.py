"""The live label and staleness, judged from the data's age against the market clock (tui.data.freshness), and
the per-symbol backoff record (tui.data.symbol_health). Pure functions: instants in, verdicts out."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from tui.config import Refresh
from tui.data.base import LABEL_DELAYED, LABEL_LIVE, LABEL_OFFLINE
from tui.data.freshness import judge, judge_now
from tui.data.symbol_health import SymbolHealth

UTC = timezone.utc
# Friday 2026-01-16, 11:00 ET (16:00 UTC): the market is open; Thursday 15 Jan is the last completed session,
# final at 16:10 ET (21:10 UTC) that day.
OPEN_NOW = datetime(2026, 1, 16, 16, 0, tzinfo=UTC)
THURSDAY = date(2026, 1, 15)
THURSDAY_FINAL = datetime(2026, 1, 15, 21, 10, tzinfo=UTC)


def open_market(now=OPEN_NOW, **kw):
    args = dict(
        now=now,
        received_at=now - timedelta(seconds=30),
        quote_time=now - timedelta(minutes=1),
        bars_through=THURSDAY,
        market_open=True,
        last_completed=THURSDAY,
        completed_at=THURSDAY_FINAL,
        period=60.0,
    )
    return judge(**{**args, **kw})


def test_fresh_answers_and_quotes_are_live():
    assert open_market() == (LABEL_LIVE, False, None)


def test_old_quotes_from_a_live_answer_are_delayed_not_stale():
    verdict = open_market(quote_time=OPEN_NOW - timedelta(minutes=21))
    assert (verdict.label, verdict.stale) == (LABEL_DELAYED, False)
    assert open_market(quote_time=OPEN_NOW - timedelta(minutes=20)).label == LABEL_LIVE  # "older than" 20 min


def test_silence_for_three_refresh_periods_is_offline_and_stale_with_the_time():
    # 60 s refreshes: three periods would be 3 min, which is also the floor.
    assert open_market(received_at=OPEN_NOW - timedelta(minutes=3)).label == LABEL_LIVE
    verdict = open_market(received_at=OPEN_NOW - timedelta(minutes=3, seconds=1))
    assert verdict == (LABEL_OFFLINE, True, "no new data from Yahoo since 10:56 ET")
    # The example of the issue: updated 09:06 ET, two hours later.
    verdict = open_market(received_at=datetime(2026, 1, 16, 14, 6, tzinfo=UTC))
    assert verdict == (LABEL_OFFLINE, True, "no new data from Yahoo since 09:06 ET")


def test_a_short_cadence_never_makes_the_floor_shorter():
    verdict = open_market(period=5.0, received_at=OPEN_NOW - timedelta(seconds=100))
    assert verdict.label == LABEL_LIVE


def test_a_closed_market_allows_three_slow_periods_and_names_an_older_day():
    evening = datetime(2026, 1, 16, 23, 0, tzinfo=UTC)  # Fri 18:00 ET; Friday's bar final at 21:10 UTC
    friday = date(2026, 1, 16)
    args = dict(
        quote_time=None,
        bars_through=friday,
        market_open=False,
        last_completed=friday,
        completed_at=datetime(2026, 1, 16, 21, 10, tzinfo=UTC),
        period=900.0,
    )
    assert judge(now=evening, received_at=evening - timedelta(minutes=45), **args).label == LABEL_LIVE
    verdict = judge(now=evening + timedelta(days=3), received_at=evening - timedelta(minutes=46), **args)
    assert verdict == (LABEL_OFFLINE, True, "no new data from Yahoo since Fri 17:14 ET")
    verdict = judge(now=evening + timedelta(days=30), received_at=evening, **args)
    assert verdict.reason == "no new data from Yahoo since 16 Jan 18:00 ET"


def test_a_completed_session_still_missing_half_an_hour_after_its_close_is_owed():
    friday_final = datetime(2026, 1, 16, 21, 10, tzinfo=UTC)
    args = dict(
        quote_time=None,
        bars_through=THURSDAY,
        market_open=False,
        last_completed=date(2026, 1, 16),
        completed_at=friday_final,
        period=900.0,
    )
    now = friday_final + timedelta(minutes=30)
    assert judge(now=now, received_at=now, **args).stale is False  # the end-of-day fetch may still be coming
    now += timedelta(seconds=1)
    assert judge(now=now, received_at=now, **args) == (LABEL_LIVE, True, "Yahoo has not sent the 16 Jan close yet")


def test_nothing_ever_received_is_offline():
    assert open_market(received_at=None) == (LABEL_OFFLINE, True, "no answer from Yahoo yet")


def test_judge_now_reads_the_market_clock():
    verdict = judge_now(
        OPEN_NOW,
        received_at=OPEN_NOW,
        quote_time=OPEN_NOW - timedelta(minutes=25),
        bars_through=THURSDAY,
        refresh=Refresh(),
    )
    assert (verdict.label, verdict.stale) == (LABEL_DELAYED, False)  # open at 11:00 ET on a Friday
    saturday = datetime(2026, 1, 17, 15, 0, tzinfo=UTC)
    verdict = judge_now(
        saturday,
        received_at=saturday - timedelta(minutes=44),
        quote_time=None,
        bars_through=date(2026, 1, 16),
        refresh=Refresh(),
    )
    assert verdict == (LABEL_LIVE, False, None)  # a weekend: 3 x 15 min of quiet is fine


# -- per-symbol backoff ---------------------------------------------------------------------------------------

T0 = datetime(2026, 1, 16, 15, 0, tzinfo=UTC)


def test_waits_double_from_two_minutes_up_to_half_an_hour():
    health = SymbolHealth()
    waits = []
    now = T0
    for _ in range(8):
        trouble = health.failed("PSCU", "empty", now, kind="empty")
        waits.append((trouble.next_try - now) / timedelta(minutes=1))
        assert not health.due("PSCU", now) and health.due("PSCU", trouble.next_try)
        now = trouble.next_try
    assert waits == [2, 4, 8, 16, 30, 30, 30, 30]


def test_dropped_only_after_six_hours_and_five_failures_and_never_when_not_droppable():
    health = SymbolHealth()
    for minutes in (0, 1, 2, 3, 4, 5):  # six failures within minutes: not dropped
        assert health.failed("NOPE", "404", T0 + timedelta(minutes=minutes)).dropped_at is None
    late = T0 + timedelta(hours=6)
    assert health.failed("NOPE", "404", late).dropped_at == late
    assert list(health.dropped()) == ["NOPE"] and not health.due("NOPE", late + timedelta(days=6))
    assert health.due("NOPE", late + timedelta(days=7))  # a week later it gets another chance

    pair = SymbolHealth()
    for hours in range(0, 24, 2):
        assert pair.failed("^GSPC", "404", T0 + timedelta(hours=hours), droppable=False).dropped_at is None


def test_success_and_the_users_retry_forget_the_troubles():
    health = SymbolHealth()
    health.failed("A", "x", T0)
    assert health.succeeded("A") and not health.succeeded("A") and health.due("A", T0)
    for k in range(5):
        health.failed("B", "x", T0 + timedelta(hours=2 * k))
    assert health.dropped() and health.forget_dropped() == ["B"] and health.due("B", T0)


def test_the_record_round_trips_and_garbage_is_a_clean_slate():
    health = SymbolHealth()
    health.failed("PSCU", "Yahoo returned no data for PSCU", T0, kind="empty")
    back = SymbolHealth.from_json(health.to_json())
    assert back.troubles == health.troubles
    for junk in (None, "", "not json", "[1, 2]", '{"A": {"failures": 1}}'):
        assert SymbolHealth.from_json(junk).troubles == {}


@pytest.mark.parametrize("failures", [40, 1000])
def test_many_failures_never_overflow_the_wait(failures):
    health = SymbolHealth()
    for k in range(failures):
        trouble = health.failed("X", "x", T0 + timedelta(minutes=k), droppable=False)
    assert trouble.next_try - trouble.last_failed == timedelta(minutes=30)
