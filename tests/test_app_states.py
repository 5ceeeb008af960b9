"""Each pane's designed states: loading, data, no data, stale, error — never a blank box."""

from __future__ import annotations

from datetime import timedelta

from msgspec.structs import replace

from tests.app_helpers import (
    FROZEN,
    BlockingSource,
    FakeSource,
    builder,
    frozen_clock,
    make_app,
    make_snapshot,
    pilot_test,
    provisional,
    ready,
    screen_text,
    until,
)
from tui.config import Config
from tui.errors import SourceError
from tui.model import DataStatus, Snapshot, Spread, Streak
from tui.snapshot_cache import SnapshotCache
from tui.widgets.bignum import big
from tui.widgets.pane import PaneMessage

SIZE = (120, 40)
PANES = ("streak", "spread", "sectors", "risks")


@pilot_test
async def test_loading_state_before_the_first_data():
    source = BlockingSource()
    app = make_app(source=source)
    try:
        async with app.run_test(size=SIZE) as pilot:
            # The first refresh starts after the first frame (call_after_refresh): wait for its fetch, not for a
            # pause to happen to cover it on a loaded machine.
            await until(source.entered.is_set)
            await pilot.pause()
            assert all(app.pane(name).state == "loading" for name in PANES)
            text = screen_text(app)
            assert text.count("Loading") == 4 and "fetching from fake" in text
            assert "refreshing…" in text and "no data yet" in text
            source.release.set()
            await ready(pilot)
            assert all(app.pane(name).state == "data" for name in PANES)
    finally:
        source.release.set()


@pilot_test
async def test_data_state_shows_every_pane():
    snapshot = make_snapshot(provisional=provisional())
    app = make_app(build=builder(snapshot))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        text = screen_text(app)
        # Streak: big counter, leader, since, both sides' returns, longest since, record, percentile.
        assert all(row in text for row in big("10"))
        for words in (
            "Russell 2000 ahead",
            "since Fri 2 Jan 2026",
            "RUT +7.8%",
            "SPX +1.5%",
            "since 6 Jun 2008 (13)",
            "16 sessions",
            "97th pct",
        ):
            assert words in text, words
        # Provisional race, marked as such.
        for words in ("PROVISIONAL", "RUT +0.42%", "SPX +0.10%", "RUT leads", "11 sessions"):
            assert words in text, words
        # Spread: RS in the title, caption in words.
        assert "RS 5d 1.052" in text and "daily +0.80 pp" not in text and "15 Jan 2026" in text
        # Sectors: a missing value is a dash, numbers are right-aligned under their headers.
        assert "—" in text and "Consumer Staples" in text
        # Risks: symbols and the why.
        for words in (
            "✖ Narrow rally",
            "▲ Rate relief reversing",
            "? Valuation gap closing",
            "unknown",
            "no P/E data for IWM",
            "● Liquidity / volatility",
            "VIX 15.9 < 20",
            "+31 bp",
        ):
            assert words in text, words
        # Status line: source label, the pair, market state, data date, update time and age, next refresh (at 120
        # columns in the compact words: the pair takes their room).
        assert "REPLAY" in text and "^RUT vs ^GSPC" in text and "AFTER-HOURS" in text and "as of 15 Jan 2026" in text
        assert "16:00 ET · 0 s ago" in text and "next ~" in text


@pilot_test
async def test_no_data_states():
    empty = make_snapshot(
        streak=Streak("none", 0, None, None, None, None, None, None),
        spread=Spread(60, (), (), (), None),
        sectors=(),
        risks=(),
    )
    app = make_app(build=builder(empty))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert all(app.pane(name).state == "empty" for name in PANES)
        text = screen_text(app)
        for words in (
            "Not enough sessions to compute a streak",
            "Not enough sessions for a spread chart",
            "No sector data",
            "No risk rules configured",
        ):
            assert words in text
        await pilot.press("3")  # an empty pane can still be focused and maximized
        assert app.focused_pane().id == "sectors"
        await pilot.press("m")
        assert app.screen.maximized is app.pane("sectors")


def app_from_cache(tmp_path, cached: Snapshot, fresh: Snapshot):
    """A monitor whose snapshot cache holds ``cached`` and whose first refresh (held until the source's
    ``release``) brings ``fresh``."""
    from tui.app import StreakwatchApp

    cache = SnapshotCache(tmp_path / "k.json")
    cache.save(cached, FROZEN)
    source = BlockingSource()
    app = StreakwatchApp(source, Config(), frozen_clock(), build=builder(fresh), snapshot_cache=cache)
    return app, source


@pilot_test
async def test_panes_started_from_the_cache_say_so_when_a_refresh_leaves_them_no_data(tmp_path):
    app, source = app_from_cache(tmp_path, make_snapshot(), make_snapshot(sectors=()))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(source.entered.is_set)
            await pilot.pause()
            assert all(app.pane(name).state == "data" for name in PANES)
            assert not app.query(PaneMessage)  # no message composed only to be hidden under the cached data
            await pilot.press("3")
            source.release.set()
            await ready(pilot)
            sectors = app.pane("sectors")
            assert sectors.state == "empty" and "No sector data" in screen_text(app)
            assert [name for name in PANES if app.pane(name).state == "data"] == ["streak", "spread", "risks"]
            # The table it had focus on is hidden: the focus moves to what the pane shows now.
            await until(lambda: app.focused is sectors.query_one(PaneMessage))
    finally:
        source.release.set()


@pilot_test
async def test_a_pane_whose_cached_part_is_empty_starts_with_its_message(tmp_path):
    app, source = app_from_cache(tmp_path, make_snapshot(risks=()), make_snapshot())
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(source.entered.is_set)
            await pilot.pause()
            assert app.pane("risks").state == "empty" and "No risk rules configured" in screen_text(app)
            assert all(app.pane(name).state == "data" for name in PANES[:3])
            source.release.set()
            await ready(pilot)
            assert app.pane("risks").state == "data" and "No risk rules configured" not in screen_text(app)
    finally:
        source.release.set()


@pilot_test
async def test_todays_race_line_is_mounted_when_there_is_a_race_and_hidden_after():
    later = make_snapshot(provisional=provisional())
    app = make_app(build=builder(make_snapshot(), later, make_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        body = app.query_one("#streak-body")
        assert [w.id for w in body.children] == ["streak-head", "streak-details", "streak-earlier"]
        await pilot.press("r")
        await ready(pilot)
        assert [w.id for w in body.children] == [
            "streak-head",
            "streak-details",
            "streak-provisional",
            "streak-earlier",
        ]
        assert "PROVISIONAL" in screen_text(app)
        await pilot.press("r")
        await ready(pilot)
        assert not app.query_one("#streak-provisional").display and "PROVISIONAL" not in screen_text(app)


@pilot_test
async def test_a_tie_is_shown_as_no_streak():
    tie = make_snapshot(streak=Streak("none", 0, None, FROZEN.date(), None, None, None, 16))
    app = make_app(build=builder(tie))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        text = screen_text(app)
        assert "No streak" in text and "tie" in text


@pilot_test
async def test_stale_data_is_marked_with_its_age():
    stale = make_snapshot(
        data=DataStatus("yahoo", "OFFLINE", True, ("Yahoo unreachable",), FROZEN - timedelta(minutes=12))
    )
    app = make_app(build=builder(stale))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        text = screen_text(app)
        assert text.count("STALE · 12 min old") == 4  # every pane's border
        status = text.splitlines()[0]
        assert "OFFLINE" in status and "12 min ago STALE" in status and "Yahoo unreachable" in status
        assert all(app.pane(name).has_class("-stale") for name in PANES)


@pilot_test
async def test_age_ticks_on_the_slow_timer_only():
    now = [FROZEN]
    app = make_app(clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "· 0 s ago" in screen_text(app)
        now[0] = FROZEN + timedelta(minutes=3)
        await pilot.pause()
        assert "· 0 s ago" in screen_text(app)  # nothing redraws by itself between ticks
        app._on_tick()
        await pilot.pause()
        assert "· 3 min ago" in screen_text(app)
        assert app._tick is not None and app._tick._interval >= 5  # coarse: idle CPU stays near zero


@pilot_test
async def test_error_before_any_data_fills_the_panes_with_the_reason():
    def fail():
        raise SourceError("Yahoo said 429 Too Many Requests", retry_after=120)

    app = make_app(source=FakeSource(fail))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert all(app.pane(name).state == "error" for name in PANES)
        text = screen_text(app)
        assert text.count("Could not load data") == 4
        assert text.count("Yahoo said 429 Too Many Requests") >= 5  # four panes + the status line
        assert "Retrying in 2 min" in text


@pilot_test
async def test_error_after_data_keeps_the_data_and_marks_it_stale():
    calls = []

    def outcome():
        calls.append(1)
        if len(calls) > 1:
            raise SourceError("connection reset")
        from tests.app_helpers import market_data

        return market_data()

    now = [FROZEN]
    app = make_app(source=FakeSource(outcome), clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        now[0] = FROZEN + timedelta(minutes=5)
        await pilot.press("r")
        await ready(pilot)
        assert all(app.pane(name).state == "data" for name in PANES)
        text = screen_text(app)
        assert "Russell 2000 ahead" in text and "connection reset" in text
        assert text.count("STALE · 5 min old") == 4


@pilot_test
async def test_banner_is_shown_when_the_data_has_one():
    snap = make_snapshot(data=replace(make_snapshot().data, banner="Yahoo unreachable and no cache: simulated data"))
    app = make_app(build=builder(snap))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.query_one("#banner").display
        assert "⚠ Yahoo unreachable and no cache: simulated data" in screen_text(app)


@pilot_test
async def test_simulated_data_is_labelled_prominently():
    snap = make_snapshot(source="demo", data=replace(make_snapshot().data, source="demo", label="SIMULATED"))
    app = make_app(build=builder(snap))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert screen_text(app).splitlines()[0].startswith(" SIMULATED DATA ")


@pilot_test
async def test_narrow_and_small_screens_keep_everything_reachable():
    for size in ((100, 30), (80, 24), (160, 48)):
        app = make_app(build=builder(make_snapshot(provisional=provisional())))
        async with app.run_test(size=size) as pilot:
            await ready(pilot)
            text = screen_text(app)
            assert "next ~" in text.splitlines()[0], size  # the status line fits
            for name in ("1 Streak", "2 Spread"):
                assert name in text, (size, name)
            if size[0] >= 100:
                streak = app.pane("streak").body()
                assert streak.max_scroll_y == 0, size  # the streak pane fits without scrolling
                assert "3 Sector winners" in text and "4 Risk checklist" in text
                assert "Consumer" in text  # sector names stay readable


# -- the status line squeezes its facts before the error's reason and retry ------------------------------------

STATUS_ERRORS = [
    ("Yahoo rate limit (HTTP 429) — retrying in 1 s", "Yahoo rate limit", "— retrying in 1 s"),
    ("Yahoo did not answer within 10 s (timeout) — retrying in 4 s", "Yahoo did not answer", "— retrying in 4 s"),
    ("cannot reach Yahoo (connection refused) — retrying in 2 s", "cannot reach Yahoo", "— retrying in 2 s"),
    (
        "Yahoo server error (HTTP 503) — showing SIMULATED data; retrying in 3 s",
        "Yahoo server error",
        "; retrying in 3 s",
    ),
]


def test_the_status_line_keeps_the_reason_and_its_retry_at_every_common_width():
    from datetime import date, datetime, timezone

    from tui.widgets.palette import Palette
    from tui.widgets.status import StatusInfo, fitted_status

    colours = Palette(*["#ffffff"] * 7)
    base = StatusInfo(
        label="OFFLINE",
        source="yahoo",
        market="AFTER-HOURS · closes 16:00",
        as_of=date(2026, 1, 15),
        updated=datetime(2026, 1, 15, 22, 0, tzinfo=timezone.utc),
        age="12 min",
        stale=True,
        next_in=4.0,
    )
    for error, reason, retry in STATUS_ERRORS:
        for width in (100, 120, 140, 160, 200):
            text = fitted_status(replace(base, error=error), colours, width)
            assert text.cell_len <= width, (width, text.plain)
            assert reason in text.plain and text.plain.endswith(retry), (width, text.plain)
            assert "STALE" in text.plain and "12 min" in text.plain, (width, text.plain)
    wide = fitted_status(replace(base, error=STATUS_ERRORS[0][0]), colours, 200).plain
    assert "updated" in wide and "(HTTP 429)" in wide and "next ~10 s" in wide  # room: nothing squeezed
