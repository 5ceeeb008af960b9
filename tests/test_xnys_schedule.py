"""The XNYS schedule (tui/data/xnys_schedule.py) against exchange_calendars itself, day by day, and the file that
lets later starts skip exchange_calendars: read back without importing it, rebuilt when it is stale or broken,
never a reason for a wrong answer."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date, timedelta

import pytest

from tui.data import xnys_schedule
from tui.data.xnys_schedule import SPECIAL_CLOSURE, Schedule

FIRST, LAST = date(1990, 1, 1), date(2030, 12, 31)
# exchange_calendars, asked directly here, trips a pandas 3.1 deprecation inside itself: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Series.values returning:Warning")


@pytest.fixture(scope="module")
def calendar():
    import exchange_calendars as xcals

    return xcals.get_calendar("XNYS", start=FIRST.isoformat(), end=LAST.isoformat())


@pytest.fixture(scope="module")
def schedule():
    return Schedule.from_exchange_calendars(FIRST, LAST)


def test_every_session_and_its_hours_are_exchange_calendars_own(calendar, schedule):
    sessions = [ts.date() for ts in calendar.sessions]
    assert schedule.sessions_between(FIRST, LAST) == sessions
    assert len(sessions) > 10_000  # 41 years of ~252 sessions
    for ts, open_, close in zip(calendar.sessions, calendar.schedule["open"], calendar.schedule["close"]):
        assert schedule.open_close(ts.date()) == (open_.to_pydatetime(), close.to_pydatetime())


def test_known_hours_by_hand(schedule):
    """From the NYSE's published hours: a normal winter and summer day, and a half day."""
    assert [t.isoformat() for t in schedule.open_close(date(2026, 1, 15))] == [
        "2026-01-15T14:30:00+00:00", "2026-01-15T21:00:00+00:00"]  # EST  # fmt: skip
    assert [t.isoformat() for t in schedule.open_close(date(2026, 7, 15))] == [
        "2026-07-15T13:30:00+00:00", "2026-07-15T20:00:00+00:00"]  # EDT  # fmt: skip
    assert schedule.open_close(date(2025, 11, 28))[1].isoformat() == "2025-11-28T18:00:00+00:00"  # 13:00 ET
    assert not schedule.is_session(date(2025, 11, 27))  # Thanksgiving
    with pytest.raises(KeyError):
        schedule.open_close(date(2025, 11, 27))


def test_neighbouring_sessions_match_exchange_calendars_on_sampled_days(calendar, schedule):
    import pandas as pd

    rng = random.Random(16)
    span = (LAST - FIRST).days
    days = [FIRST + timedelta(days=rng.randrange(400, span - 400)) for _ in range(400)]
    days += [date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28), date(2025, 1, 9), date(2012, 10, 30)]
    for day in days:
        ts = pd.Timestamp(day)
        assert schedule.session_on_or_before(day) == calendar.date_to_session(ts, "previous").date(), day
        assert schedule.session_on_or_after(day) == calendar.date_to_session(ts, "next").date(), day
        if calendar.is_session(ts):
            assert schedule.previous_session(day) == calendar.previous_session(ts).date(), day
            assert schedule.next_session(day) == calendar.next_session(ts).date(), day


def test_holiday_names_are_the_calendars_and_closures_without_a_rule_are_special(calendar, schedule):
    import pandas as pd

    weekdays_closed = [
        day for day in (FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1))
        if day.weekday() < 5 and not schedule.is_session(day)
    ]  # fmt: skip
    assert len(weekdays_closed) > 350
    adhoc = {ts.date() for ts in calendar.adhoc_holidays}
    for day in weekdays_closed:
        ts = pd.Timestamp(day)
        names = calendar.regular_holidays.holidays(ts, ts, return_name=True)
        expected = str(names.iloc[0]) if len(names) else SPECIAL_CLOSURE if day in adhoc else None
        assert schedule.holiday_name(day) == expected, day
    # By hand: Hurricane Sandy (2012-10-29/30) and President Carter's day of mourning (2025-01-09) had no rule.
    assert schedule.holiday_name(date(2012, 10, 30)) == SPECIAL_CLOSURE
    assert schedule.holiday_name(date(2025, 1, 9)) == SPECIAL_CLOSURE
    assert schedule.holiday_name(date(2026, 11, 26)) == "Thanksgiving"


def test_the_json_gives_back_the_same_schedule(schedule):
    assert Schedule.from_json(schedule.to_json()) == schedule


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw.update(format=99),
        lambda raw: raw["days"].reverse(),
        lambda raw: raw["opens"].pop(),
        lambda raw: raw.update(closes=["21:00"] * len(raw["closes"])),
        lambda raw: raw.pop("holidays"),
    ],
    ids=["other format", "days out of order", "a column short", "not numbers", "a key missing"],
)
def test_a_damaged_file_is_not_read(tmp_path, schedule, damage):
    raw = json.loads(schedule.to_json())
    damage(raw)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(raw))
    assert xnys_schedule.load(path, FIRST, LAST) is None


def test_a_file_that_does_not_cover_the_span_or_came_from_another_release_is_not_read(tmp_path, schedule):
    path = tmp_path / "s.json"
    assert xnys_schedule.save(schedule, path)
    assert xnys_schedule.load(path, FIRST, LAST) == schedule
    assert xnys_schedule.load(path, date(1987, 1, 1), LAST) is None
    raw = json.loads(path.read_text())
    raw["source"] = "0.0.1"
    path.write_text(json.dumps(raw))
    assert xnys_schedule.load(path, FIRST, LAST) is None


def test_saving_where_nothing_can_be_written_says_false_and_leaves_nothing(tmp_path, schedule):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert not xnys_schedule.save(schedule, blocker / "s.json")  # a file where the folder should be
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


CLOCK_WITH_FILE = """
import sys
from datetime import date, datetime, timezone
from pathlib import Path
import tui.data.market_clock as mc
mc.use_schedule_file(Path(sys.argv[1]))
status = mc.market_status(datetime(2026, 11, 27, 16, tzinfo=timezone.utc))
widened = mc.market_status(datetime(1987, 10, 19, 15, tzinfo=timezone.utc)) if sys.argv[2] == "1987" else None
print(status.phase.value, status.half_day, status.close.isoformat(), status.last_completed,
      widened.phase.value if widened else None, 'exchange_calendars' in sys.modules, 'pandas' in sys.modules)
"""


def _clock_run(path, ask_1987: bool = False) -> list[str]:
    argv = [sys.executable, "-c", CLOCK_WITH_FILE, str(path), "1987" if ask_1987 else "-"]
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout.split()


def test_the_first_run_writes_the_file_and_the_next_needs_neither_exchange_calendars_nor_pandas(tmp_path):
    path = tmp_path / "cache" / xnys_schedule.FILE_NAME
    # Fri 27 Nov 2026, 11:00 ET: the day after Thanksgiving closes at 13:00 ET (18:00 UTC).
    expected = ["open", "True", "2026-11-27T18:00:00+00:00", "2026-11-25", "None"]
    assert _clock_run(path) == [*expected, "True", "True"]  # built, with exchange_calendars
    assert path.exists()
    assert _clock_run(path) == [*expected, "False", "False"]  # read back
    # A day before the file's span: built wider from exchange_calendars, and kept wider.
    assert _clock_run(path, ask_1987=True) == [*expected[:-1], "open", "True", "True"]
    assert json.loads(path.read_text())["first"] <= "1986-10-19"
    assert _clock_run(path, ask_1987=True)[-2:] == ["False", "False"]


def test_a_broken_file_is_built_again_and_replaced(tmp_path):
    path = tmp_path / xnys_schedule.FILE_NAME
    path.write_text("{not json")
    assert _clock_run(path)[-2] == "True"
    assert Schedule.from_json(path.read_text()).first <= FIRST


ONCE_THEN_MODULES = """
import contextlib, io, sys
from tui.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["--once", "--json", "--source", "demo"])
print(code, 'exchange_calendars' in sys.modules)
"""


def test_the_command_line_keeps_the_schedule_in_the_cache_folder_for_the_next_start(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config")}

    def once() -> list[str]:
        argv = [sys.executable, "-c", ONCE_THEN_MODULES]
        return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120, env=env).stdout.split()

    assert once() == ["0", "True"]  # the first start builds it from exchange_calendars
    assert (tmp_path / "cache" / "streakwatch" / xnys_schedule.FILE_NAME).exists()
    assert once() == ["0", "False"]  # every later one reads it back


def test_the_release_read_beside_the_package_is_the_one_its_metadata_names():
    from importlib.metadata import version

    assert xnys_schedule.exchange_calendars_version() == version("exchange_calendars")
    code = (
        "import sys; from tui.data import xnys_schedule as x; x.exchange_calendars_version(); "
        "print('exchange_calendars' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
