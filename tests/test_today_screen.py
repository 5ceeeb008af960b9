"""Today's race on screen (the Spread pane) and the pre-market read (the Streak pane), with the demo source at
frozen clocks. What the screen must say is worked out here from the path and the futures the demo serves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rich.text import Text

from tests.app_helpers import pilot_test, quiet, screen_text, settle, until
from tui.app import StreakwatchApp
from tui.config import Config
from tui.data.demo import DemoSource
from tui.model import Premarket, Streak, Today
from tui.widgets.palette import Palette
from tui.widgets.race import RaceChart, race_caption
from tui.widgets.spread import SpreadPane
from tui.widgets.streak import StreakPart, premarket

OPEN_CLOCK = datetime(2026, 11, 30, 15, 10, tzinfo=timezone.utc)  # Mon 10:10 ET
PRE_MARKET_CLOCK = datetime(2026, 11, 30, 13, 10, tzinfo=timezone.utc)  # Mon 08:10 ET
AFTER_CLOSE_CLOCK = datetime(2026, 11, 30, 22, 0, tzinfo=timezone.utc)  # Mon 17:00 ET
SIZE = (100, 30)
CONFIG = Config()
COLOURS = Palette("#4ebf71", "#ba3c5b", "#ffa62b", "#ffa62b", "#4ebf71", "#0178d4", "#7a7a7a")


def demo_app(now: list[datetime]) -> StreakwatchApp:
    def clock() -> datetime:
        return now[0]

    return StreakwatchApp(source=DemoSource(clock), config=CONFIG, clock=clock)


def served(at: datetime):
    return DemoSource(lambda: at).fetch(CONFIG.symbols())


def spread_title(app) -> str:
    return app.query_one(SpreadPane).title_plain


def lead_changes_and_shares(at: datetime) -> tuple[int, int, int]:
    """From the demo's two paths: sign changes of small's % change less large's (level points skipped), and each
    side's time-weighted share of the session so far, in whole percent."""
    data = served(at)
    small, large = data.intraday[CONFIG.small], data.intraday[CONFIG.large]
    gaps = [a / small.previous_close - b / large.previous_close for a, b in zip(small.prices, large.prices)]
    signs = [g > 0 for g in gaps if round(g, 12) != 0]
    changes = sum(1 for x, y in zip(signs, signs[1:]) if x != y)
    held = {True: 0.0, False: 0.0}
    total = (small.times[-1] - small.times[0]).total_seconds()
    for k in range(len(gaps) - 1):
        if round(gaps[k], 12) != 0:
            held[gaps[k] > 0] += (small.times[k + 1] - small.times[k]).total_seconds()
    return changes, round(100 * held[True] / total), round(100 * held[False] / total)


@pilot_test
async def test_the_spread_pane_shows_todays_race_first_during_the_session():
    now = [OPEN_CLOCK]
    app = demo_app(now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert spread_title(app).startswith("2 Spread · Today's race PROVISIONAL")
        text = screen_text(app)
        changes, small_share, large_share = lead_changes_and_shares(OPEN_CLOCK)
        assert "10:10 ET ━ RUT" in text
        assert f"◆ {changes} lead change" in text
        assert f"led RUT {small_share}% SPX {large_share}%" in text
        for label in ("9:30", "11:00", "12:30", "14:00", "16:00"):  # the whole session's width
            assert label in text


@pilot_test
async def test_t_switches_between_the_race_and_the_sessions():
    now = [OPEN_CLOCK]
    app = demo_app(now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.press("t")
        await quiet(pilot)
        assert spread_title(app).startswith("2 Spread · RS 5d")
        assert spread_title(app).endswith("t today")
        assert app.query_one("#spread-plot").display and not app.query_one("#race-plot").display
        await pilot.press("1", "t")  # from any pane: the Spread pane's title says what t does
        await quiet(pilot)
        assert spread_title(app).startswith("2 Spread · Today's race")
        assert app.focused_pane().id == "streak"
        from tui.bindings import palette_entries

        assert ("Spread pane: today's race / the sessions", "key: t", "screen.toggle_race") in palette_entries()


@pilot_test
async def test_the_race_is_redrawn_only_when_it_changed():
    now = [OPEN_CLOCK]
    app = demo_app(now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chart = app.query_one(RaceChart)
        builds = chart.builds
        assert builds >= 1
        now[0] = OPEN_CLOCK + timedelta(seconds=20)  # the same minute: the same path
        assert app.start_refresh(manual=True)
        await until(lambda: not app.fetching, timeout=30)
        await quiet(pilot)
        assert chart.builds == builds
        now[0] = OPEN_CLOCK + timedelta(minutes=5)  # a new point on the path
        assert app.start_refresh(manual=True)
        await until(lambda: not app.fetching, timeout=30)
        await quiet(pilot)
        assert chart.builds == builds + 1
        assert "10:15 ET ━ RUT" in screen_text(app)


@pilot_test
async def test_the_race_chart_keeps_its_height_as_the_legend_grows():
    """At 120x40 the legend has three lines. At 09:35 its items fit in two (one widest gap so far); by 10:00 the
    other side has had its widest gap too, on a third line. The legend keeps its three lines throughout, so the
    chart does not jump (nor the screen get laid out again on each refresh)."""
    now = [datetime(2026, 11, 30, 14, 35, tzinfo=timezone.utc)]  # 09:35 ET
    app = demo_app(now)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.query_one(RaceChart)
        early_height, early_legend = chart.size.height, app.query_one("#spread-caption").content.plain
        now[0] = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)  # 10:00 ET
        assert app.start_refresh(manual=True)
        await until(lambda: not app.fetching, timeout=30)
        await quiet(pilot)
        late_legend = app.query_one("#spread-caption").content.plain
        used = [len([row for row in legend.split("\n") if row.strip()]) for legend in (early_legend, late_legend)]
        assert used[0] < used[1], used  # the case this test is about: the late legend has more to say
        assert chart.size.height == early_height > 0
        assert len(early_legend.split("\n")) == len(late_legend.split("\n")) == 3


def test_the_race_legend_has_its_lines_even_when_the_race_fits_in_one():
    for lines in (2, 3):
        legend = race_caption(Today(session=None, note="no race today"), "^RUT", "^GSPC", COLOURS, 80, lines)
        rows = legend.plain.split("\n")
        assert rows[0] == "No intraday path: no race today" and rows[1:] == [""] * (lines - 1)


@pilot_test
async def test_after_the_close_the_race_says_closed():
    app = demo_app([AFTER_CLOSE_CLOCK])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert spread_title(app).startswith("2 Spread · Race · closed")
        text = screen_text(app)
        assert "30 Nov 2026 closed" in text and "PROVISIONAL" not in text
        # The session is in the streak now: the race's winner is the streak's side on 30 Nov.
        race = app.snapshot.today
        assert race is not None and race.complete and app.snapshot.as_of == race.session
        assert app.snapshot.streak.leader == race.leader


@pilot_test
async def test_pre_market_read_before_the_open_and_gone_after_it():
    now = [PRE_MARKET_CLOCK]
    app = demo_app(now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        futures = served(PRE_MARKET_CLOCK).futures
        rty, es = (futures[s].price / futures[s].previous_close - 1 for s in ("RTY=F", "ES=F"))
        text = screen_text(app)
        assert "INDICATIVE  08:10 ET" in text
        assert f"RTY {rty * 100:+.2f}%  ES {es * 100:+.2f}%" in text
        streak = app.snapshot.streak
        side = "small" if rty > es else "large"
        length = streak.length + 1 if streak.leader == side else 1
        assert f"{'RUT' if side == 'small' else 'SPX'} leads → {length} sessions" in text
        now[0] = datetime(2026, 11, 30, 14, 31, tzinfo=timezone.utc)  # 09:31 ET: the cash session is open
        assert app.start_refresh(manual=True)
        await until(lambda: not app.fetching, timeout=30)
        await quiet(pilot)
        text = screen_text(app)
        assert "INDICATIVE" not in text and "PROVISIONAL" in text


# -- outside text is shown literally --------------------------------------------------------------------------------
HOSTILE = "[bold red]x[/]\x1b[31m\x07 y"


def test_the_race_legend_shows_a_hostile_note_and_symbol_literally():
    legend = race_caption(Today(session=None, note=HOSTILE), "^RUT", "^GSPC", COLOURS, 80)
    assert "[bold red]x[/]" in legend.plain and "\x1b" not in legend.plain and "\x07" not in legend.plain


def test_the_futures_line_shows_hostile_symbols_and_reasons_literally():
    read = Premarket(HOSTILE, "ES=F", None, None, None, None, None, HOSTILE)
    streak = Streak("small", 3, None, None, None, None, None, None)
    stack = premarket(StreakPart("^RUT", "^GSPC", streak, None, premarket=read), COLOURS)
    rendered = " ".join(
        cell.plain if isinstance(cell, Text) else cell for b in stack.blocks for r in b.rows for cell in r
    )
    assert "[bold red]x[/]" in rendered and "\x1b" not in rendered and "\x07" not in rendered
    assert "unknown" in rendered
