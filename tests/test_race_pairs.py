"""Today's race follows the pair on screen: a pair chosen on the board (`c`, `b` then Enter) shows its own race at
once, not its sessions' chart.

* Yahoo (the fake on 127.0.0.1, playing a session for every symbol of the default board): a pair's two symbols
  are seeded the first time it is shown (one ``range=1d&interval=5m`` request each, none for a symbol already
  seeded), then extended by the batched quote every refresh already makes, so a pair shown again costs nothing;
  a session in which the user visits all six pairs costs at most 2 requests more per pair visited. Counted from
  the fake's own log.
* The demo: every pair moves. A replay: any pair with ``intraday/<symbol>.csv`` files.
* End to end: the monitor on YahooSource, `c` pressed during the session, the Spread pane shows the new pair's
  race.

Every expected figure is computed here from what was served (the fake's 5-minute bars and closes as sent, the
replay's CSV rows, the demo's own fetch with that pair first), by the README's rules, not read back from the
code under test."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from msgspec.structs import replace

from tests.app_helpers import pilot_test, quiet, refresh_now, screen_text, until
from tests.e2e_helpers import seed_universe, write_config
from tests.fake_yahoo import END, clock, fake_yahoo, make_bars, make_source  # noqa: F401  (fixtures)
from tests.race_helpers import FRIDAY, MINUTES, NY, et, play_friday, served_race, yahoo_source
from tui.config import DEFAULT_PAIRS, Config, Pair, load_config
from tui.data.demo import DemoSource
from tui.data.replay import ReplaySource
from tui.pipeline import RefreshPipeline

BOARD_SYMBOLS = list(dict.fromkeys(s for pair in DEFAULT_PAIRS for s in (pair.small, pair.large)))
#: Price levels of the default board's symbols that the e2e universe (seed_universe) does not hold.
MORE_PRICES = {"IWN": 160.0, "IWO": 280.0, "IJH": 62.0, "QQQ": 520.0}


def assert_race_is_served(snapshot, server, pair: Pair) -> dict:
    expected = served_race(server, pair.small, pair.large)
    assert (snapshot.small, snapshot.large) == (pair.small, pair.large)
    today = snapshot.today
    assert today is not None and today.session == FRIDAY and today.note is None, (pair, today)
    assert today.times == expected["times"]
    assert today.small == pytest.approx(expected["small"], abs=1e-12)
    assert today.large == pytest.approx(expected["large"], abs=1e-12)
    assert len(today.lead_changes) == expected["changes"]
    assert today.share_small == pytest.approx(expected["share_small"], abs=1e-12)
    assert today.share_large == pytest.approx(expected["share_large"], abs=1e-12)
    return expected


def shown(change: float) -> str:
    """A change as the legend writes it: signed, 2 decimals, and "0.00%" when it rounds to nothing."""
    return "0.00%" if round(change * 100, 2) == 0 else f"{change * 100:+.2f}%"


def intraday_symbols(server) -> list[str]:
    """The symbols whose 5-minute bars were asked since the last reset, in order."""
    return [symbol for endpoint, symbol, _ in server.log if endpoint == "intraday"]


# -- Yahoo: the request budget -----------------------------------------------------------------------------------


@pytest.fixture
def board(fake_yahoo):
    server = seed_universe(fake_yahoo)
    for i, (symbol, price) in enumerate(MORE_PRICES.items()):
        server.bars[symbol] = make_bars(END, start_price=price, seed=40 + i)
    play_friday(server, BOARD_SYMBOLS, seed=5)
    return server


@pytest.fixture
def board_config(tmp_path) -> Config:
    """The e2e universe (pair, two sectors, the risk symbols) with the default board of six pairs."""
    config = load_config(write_config(tmp_path / "streakwatch.toml"))
    return replace(config, pairs=DEFAULT_PAIRS)


def test_visiting_every_pair_costs_two_seeds_at_most_each_and_nothing_the_second_time(
    board, board_config, make_source, clock
):
    assert len(board_config.board()) == 6
    source = make_source()
    pipeline = RefreshPipeline(source, board_config, clock)
    pipeline.run()  # Thursday evening: every symbol's history stored
    clock.now = et(FRIDAY, 10, 0)
    source.fundamentals(clock.now)  # the new day's P/E: once a day, not part of what is counted here
    board.at(clock.now)
    board.reset_counts()

    snapshot = pipeline.run()  # the session's first refresh: the configured pair is seeded beside the quote
    assert intraday_symbols(board) == ["^RUT", "^GSPC"]
    assert board.take_requests() == {"quote": 1, "intraday": 2}
    assert_race_is_served(snapshot, board, DEFAULT_PAIRS[0])
    seeded = {"^RUT", "^GSPC"}
    visits = 1

    # Each other pair in turn (`c`), a refresh a minute on each: the first sight of a symbol costs its seed.
    for expected_pair in DEFAULT_PAIRS[1:]:
        clock.advance(minutes=1)
        board.at(clock.now)
        assert pipeline.run() is not None
        assert board.take_requests() == {"quote": 1}  # a refresh of the pair on screen: no seed
        pair = pipeline.next_pair()
        assert pair == expected_pair
        snapshot = pipeline.run()  # the switch: no fetch, the new pair's race
        new = [s for s in (pair.small, pair.large) if s not in seeded]
        assert intraday_symbols(board) == new, pair
        assert board.take_requests() == ({"intraday": len(new)} if new else {}), pair
        assert_race_is_served(snapshot, board, pair)
        seeded |= set(new)
        visits += 1
    total = len(seeded)  # every seed of the session so far: one per distinct symbol of the board
    assert total == len(BOARD_SYMBOLS) == 9 and total <= 2 * visits

    # Twenty minutes on the last pair: the quotes keep every seeded path current, the others' included ...
    for _ in range(20):
        clock.advance(minutes=1)
        board.at(clock.now)
        pipeline.run()
        assert board.take_requests() == {"quote": 1}
    # ... so going round the board again, past the 15-minute gap that would call for a new seed, costs nothing.
    for _ in DEFAULT_PAIRS:
        pair = pipeline.next_pair()
        snapshot = pipeline.run()
        assert board.take_requests() == {}, pair
        expected = assert_race_is_served(snapshot, board, pair)
        assert expected["times"][-1] == et(FRIDAY, 10, 25)  # the bar of 10:25 (the clock: 10:25), quotes-built
    assert pipeline.config.pair == DEFAULT_PAIRS[-1]  # round the board, back where it started
    pipeline.select_pair(0)  # (`b`, Enter on the first pair)
    pipeline.run()
    assert board.take_requests() == {}

    # The session's bar is final: the pair on screen is seeded once more, for Yahoo's own final bars (2) ...
    clock.now = et(FRIDAY, 16, 10, 1)
    board.at(clock.now)
    snapshot = pipeline.run()
    assert sorted(intraday_symbols(board)) == ["^GSPC", "^RUT"]
    board.take_requests()
    assert snapshot.today.complete and len(snapshot.today.times) == MINUTES // 5
    assert_race_is_served(snapshot, board, DEFAULT_PAIRS[0])
    # ... and a pair shown after the close gets its final bars when shown: its symbols not final yet, once each.
    pair = pipeline.next_pair()
    snapshot = pipeline.run()
    assert intraday_symbols(board) == ["IWM", "SPY"]
    board.take_requests()
    assert snapshot.today.complete
    assert_race_is_served(snapshot, board, pair)
    pipeline.select_pair(0)
    pipeline.run()
    assert board.take_requests() == {}  # final already: nothing asked again


def test_a_pair_chosen_while_yahoo_backs_off_asks_nothing_and_says_why(board, board_config, make_source, clock):
    source = make_source()
    pipeline = RefreshPipeline(source, board_config, clock)
    pipeline.run()
    clock.now = et(FRIDAY, 10, 0)
    source.fundamentals(clock.now)
    board.at(clock.now)
    pipeline.run()
    board.fault("status", 503, endpoint="*")
    clock.advance(minutes=1)
    board.at(clock.now)
    pipeline.run()  # Yahoo fails: the source backs off
    assert source.backoff.failures > 0
    board.reset_counts()
    pipeline.next_pair()
    snapshot = pipeline.run()
    assert board.take_requests() == {}  # backing off: no seed for the new pair
    assert (snapshot.small, snapshot.large) == ("IWM", "SPY")
    assert snapshot.today is None or not snapshot.today.times


# -- the demo and a replay -----------------------------------------------------------------------------------------


def test_the_demo_gives_every_pair_its_race_on_the_switch():
    at = datetime(2026, 11, 30, 16, 45, tzinfo=timezone.utc)  # Mon 30 Nov 2026, 11:45 ET
    config = Config()
    pipeline = RefreshPipeline(DemoSource(lambda: at), config, lambda: at)
    pipeline.run()
    for pair in (*config.board()[1:], config.board()[0]):
        assert pipeline.next_pair() == pair
        snapshot = pipeline.run()
        # What a fetch with this pair first serves (its paths), by the README's rule: change since the close.
        served = DemoSource(lambda: at).fetch([pair.small, pair.large])
        small, large = served.intraday[pair.small], served.intraday[pair.large]
        assert snapshot.today is not None and snapshot.today.session == date(2026, 11, 30)
        assert snapshot.today.times == small.times
        assert snapshot.today.small[-1] == pytest.approx(small.prices[-1] / small.previous_close - 1, abs=1e-12)
        assert snapshot.today.large[-1] == pytest.approx(large.prices[-1] / large.previous_close - 1, abs=1e-12)
        assert snapshot.today.times[-1] == at  # up to the current minute, as the quote


REPLAY_DAY = date(2026, 1, 6)
REPLAY_DATES = ["2026-01-02", "2026-01-05", "2026-01-06"]
REPLAY_DAILY = {"AAA": [10.0, 10.5, 10.8], "BBB": [50.0, 49.5, 50.2], "CCC": [20.0, 20.2, 20.6], "DDD": [8.0, 8.1, 8.0]}
#: 5-minute prices of the 6th from 09:30 for the second pair only (the first has no intraday files).
REPLAY_BARS = {"CCC": [20.3, 20.1, 20.5, 20.4], "DDD": [8.12, 8.15, 8.09, 8.2]}


def test_a_replay_gives_the_race_of_any_pair_with_intraday_files(tmp_path):
    for symbol, closes in REPLAY_DAILY.items():
        (tmp_path / f"{symbol}.csv").write_text(
            "Date,Close\n" + "".join(f"{d},{c}\n" for d, c in zip(REPLAY_DATES, closes))
        )
    (tmp_path / "intraday").mkdir()
    for symbol, prices in REPLAY_BARS.items():
        rows = [
            f"2026-01-06T{9 + (30 + 5 * k) // 60:02d}:{(30 + 5 * k) % 60:02d}:00-05:00,{p}"
            for k, p in enumerate(prices)
        ]
        (tmp_path / "intraday" / f"{symbol}.csv").write_text("Datetime,Close\n" + "\n".join(rows) + "\n")
    config = replace(
        Config(), pair=Pair("AAA", "BBB"), sectors=(), pairs=(Pair("AAA", "BBB", "first"), Pair("CCC", "DDD", "second"))
    )
    source = ReplaySource(tmp_path, as_of=datetime(2026, 1, 6, 9, 47))
    pipeline = RefreshPipeline(source, config, lambda: datetime(2026, 1, 6, 14, 47, tzinfo=timezone.utc))
    first = pipeline.run()
    assert first.today is not None and not first.today.times
    assert "intraday/AAA.csv and intraday/BBB.csv" in first.today.note

    pipeline.next_pair()
    second = pipeline.run()
    race = second.today
    assert (second.small, second.large) == ("CCC", "DDD")
    # By 09:47 the bars of 09:30, 09:35, 09:40 and 09:45; each side from its close of the 5th (20.2, 8.1).
    assert [t.astimezone(NY).strftime("%H:%M") for t in race.times] == ["09:30", "09:35", "09:40", "09:45"]
    assert race.small == pytest.approx([p / 20.2 - 1 for p in REPLAY_BARS["CCC"]], abs=1e-12)
    assert race.large == pytest.approx([p / 8.1 - 1 for p in REPLAY_BARS["DDD"]], abs=1e-12)
    assert race.session_close == et(REPLAY_DAY, 16, 0) and not race.complete and race.note is None


# -- end to end: the monitor, `c` during the session -----------------------------------------------------------------

SIZE = (160, 48)
WAIT = 20.0


@pytest.fixture
def app(fake_yahoo, clock, tmp_path):
    from tui.app import StreakwatchApp

    server = seed_universe(fake_yahoo)
    play_friday(server, ["^RUT", "^GSPC", "IWM", "SPY"], seed=11)
    config = load_config(write_config(tmp_path / "streakwatch.toml"))  # the board: ^RUT/^GSPC, IWM/SPY
    source = yahoo_source(clock, tmp_path)
    yield StreakwatchApp(source, config, clock), server
    source.close()


@pilot_test
async def test_c_during_the_session_shows_the_next_pairs_race(app, clock):
    app, server = app
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.snapshot is not None and not app.fetching, timeout=WAIT)
        clock.now = et(FRIDAY, 10, 40)
        server.at(clock.now)
        await refresh_now(pilot, WAIT)
        assert_race_is_served(app.snapshot, server, Pair("^RUT", "^GSPC"))
        server.reset_counts()

        await pilot.press("c")
        await until(lambda: app.snapshot.small == "IWM" and not app.fetching, timeout=WAIT)
        await quiet(pilot, WAIT)
        assert intraday_symbols(server) == ["IWM", "SPY"]  # the new pair's seeds, and nothing else
        assert server.take_requests() == {"intraday": 2}
        expected = assert_race_is_served(app.snapshot, server, Pair("IWM", "SPY"))
        assert len(expected["times"]) == 15  # 09:30 … 10:40
        assert "Today's race" in app.pane("spread").title_plain
        text = screen_text(app)
        changes = expected["changes"]
        assert f"{changes} lead change{'' if changes == 1 else 's'}" in text
        assert f"led IWM {expected['share_small']:.0%} SPY {expected['share_large']:.0%}" in text
        small_now, large_now = expected["small"][-1], expected["large"][-1]
        assert f"IWM {shown(small_now)}" in text and f"SPY {shown(large_now)}" in text

        # Back to the first pair: its paths were kept current by the quotes, nothing is asked.
        await pilot.press("c")
        await until(lambda: app.snapshot.small == "^RUT" and not app.fetching, timeout=WAIT)
        await quiet(pilot, WAIT)
        assert server.take_requests() == {}
        assert_race_is_served(app.snapshot, server, Pair("^RUT", "^GSPC"))
