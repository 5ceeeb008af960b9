"""The board of pairs, piece by piece: ``[[pairs]]`` in the config, ``pair_board`` on hand-made closes, the JSON
and its reading back (snapshot cache), and the pipeline's active pair (a switch rebuilds without fetching)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from msgspec.structs import replace

from tests.app_helpers import FakeSource, frozen_clock
from tui.analytics import pair_board
from tui.analytics.pairs import relative_performance
from tui.analytics.sessions import pair_sessions
from tui.config import DEFAULT_PAIRS, MAX_PAIRS, Config, Pair, load_config
from tui.data.base import MarketData
from tui.errors import ConfigError
from tui.model import snapshot_from_json
from tui.pipeline import RefreshPipeline


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- configuration ---------------------------------------------------------------------------------------------
def test_the_default_board_is_the_six_pairs_of_the_issue_with_the_index_pair_first():
    config = Config()
    assert [(p.small, p.large) for p in config.board()] == [
        ("^RUT", "^GSPC"),
        ("IWM", "SPY"),
        ("RSP", "SPY"),
        ("IWN", "IWO"),
        ("IJH", "SPY"),
        ("IWM", "QQQ"),
    ]
    assert all(p.name for p in config.board()) and config.active_index() == 0
    # Their symbols are fetched like the sectors', once each, the pair on screen first.
    symbols = config.symbols()
    assert symbols[:2] == ["^RUT", "^GSPC"] and len(symbols) == len(set(symbols))
    assert {"IWN", "IWO", "IJH", "QQQ", "RSP", "IWM", "SPY"} <= set(symbols)


def test_a_pair_that_is_on_the_board_selects_it_and_takes_its_name(tmp_path):
    config = load_config(write(tmp_path, '[pair]\nsmall = "IWM"\nlarge = "SPY"\n'))
    assert config.board() == DEFAULT_PAIRS and config.active_index() == 1
    active = config.with_active_pair(config.active_index())
    assert active.pair == Pair("IWM", "SPY", "Small caps vs total return")


def test_a_pair_that_is_not_on_the_board_joins_it_first(tmp_path):
    config = load_config(write(tmp_path, '[pair]\nsmall = "IJR"\nlarge = "SPY"\n'))
    assert config.board()[0] == Pair("IJR", "SPY") and config.board()[1:] == DEFAULT_PAIRS
    # Cycling away and on keeps it on the board: the board of any active config is the same.
    for index in range(len(config.board())):
        assert config.with_active_pair(index).board() == config.board()
    assert config.with_active_pair(len(config.board())).pair == config.board()[0]  # wraps


def test_pairs_replace_the_default_list(tmp_path):
    text = '[[pairs]]\nsmall = "IWM"\nlarge = "SPY"\nname = "TR"\n\n'
    text += '[[pairs]]\nsmall = "IWN"\nlarge = "IWO"\nname = "Value"\n'
    config = load_config(write(tmp_path, text))
    assert config.pairs == (Pair("IWM", "SPY", "TR"), Pair("IWN", "IWO", "Value"))
    assert config.board()[0] == Pair()  # [pair] (the default ^RUT/^GSPC) is not among them
    assert config.symbols()[:2] == ["^RUT", "^GSPC"] and "IWO" in config.symbols()


@pytest.mark.parametrize(
    "text,words",
    [
        ('[[pairs]]\nsmall = "IWM"\nlarge = "SPY"\n', "'pairs[0].name' is required"),
        ('[[pairs]]\nsmall = "IWM"\nname = "x"\n', "'pairs[0].large' is required"),
        ('[[pairs]]\nsmall = "[red]"\nlarge = "SPY"\nname = "x"\n', "'pairs[0].small' is not a ticker symbol"),
        ('[[pairs]]\nsmall = "SPY"\nlarge = "SPY"\nname = "x"\n', "'pairs[0]' compares 'SPY' with itself"),
        ('[[pairs]]\nsmall = "IWM"\nlarge = "SPY"\nname = "' + "n" * 1001 + '"\n', "'pairs[0].name' must be text"),
        ('[[pairs]]\nsmall = "IWM"\nlarge = "SPY"\nname = "x"\ncolour = 1\n', "unknown key 'pairs[0].colour'"),
        (
            '[[pairs]]\nsmall = "IWM"\nlarge = "SPY"\nname = "a"\n'
            '[[pairs]]\nsmall = "IWM"\nlarge = "SPY"\nname = "b"\n',
            "'pairs[1]' lists 'IWM' vs 'SPY' a second time",
        ),
    ],
)
def test_a_bad_pair_is_refused_naming_its_key(tmp_path, text, words):
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, text))
    assert words in str(refused.value)


def test_at_most_twelve_pairs_counting_the_pair_on_screen(tmp_path):
    entries = "".join(f'[[pairs]]\nsmall = "S{i}"\nlarge = "SPY"\nname = "n{i}"\n' for i in range(MAX_PAIRS))
    assert len(load_config(write(tmp_path, '[pair]\nsmall = "S0"\nlarge = "SPY"\n' + entries)).board()) == MAX_PAIRS
    with pytest.raises(ConfigError, match="board of 13 pairs"):
        load_config(write(tmp_path, entries))  # the default [pair] makes it 13


# -- analytics -------------------------------------------------------------------------------------------------
DAYS = pd.bdate_range("2026-01-01", periods=25)


def closes(**columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {k: np.asarray(v, dtype="float64") for k, v in columns.items()}, index=DAYS[: len(next(iter(columns.values())))]
    )


def test_relative_performance_over_twenty_sessions_by_hand():
    # A gains 10 % and B 5 % from the close 20 sessions back: 1.10 / 1.05 - 1 = 0.047619...
    a = [100.0] * 4 + [100.0 + i * 0.5 for i in range(21)]  # the last 21 closes run 100 → 110
    b = [50.0] * 4 + [50.0 + i * 0.125 for i in range(21)]  # 50 → 52.5
    sessions = pair_sessions(closes(A=a, B=b), "A", "B")
    assert relative_performance(sessions, 20) == pytest.approx(1.10 / 1.05 - 1, abs=1e-12)
    assert relative_performance(sessions.iloc[:20], 20) is None  # 20 closes are only 19 returns


def test_a_pair_without_data_is_an_entry_with_the_reason_and_the_others_are_unaffected():
    frame = closes(A=[10, 11, 12, 13], B=[10, 10, 10, 10], C=[np.nan] * 4, D=[5, np.nan, np.nan, np.nan])
    frame.loc[DAYS[1:4], "E"] = [1.0, 2.0, 3.0]
    board = pair_board(frame, (Pair("A", "B", "ab"), Pair("A", "C", "ac"), Pair("Z", "B", "zb"), Pair("D", "E", "de")))
    ab, ac, zb, de = board
    assert ab.reason is None and (ab.streak.leader, ab.streak.length, ab.sessions) == ("small", 3, 4)
    assert ab.rank == 1 and ab.relative_20 is None  # four sessions: no 20-session window
    assert (ac.streak, ac.reason) == (None, "no prices for C")
    assert zb.reason == "no prices for Z"
    assert de.reason == "D and E have fewer than two sessions in common"


# -- JSON and the snapshot cache -------------------------------------------------------------------------------
def test_the_board_goes_to_json_and_reads_back_equal(replay_dir):
    from tui.data.replay import ReplaySource
    from tui.model import cache_json
    from tui.snapshot import build_snapshot

    config = Config().with_active_pair(3)
    data = ReplaySource(replay_dir, as_of=date(2026, 1, 15)).fetch(config.symbols())
    snapshot = build_snapshot(data, config)
    doc = snapshot.to_json()
    assert doc["pair"]["name"] == "Small value vs small growth"
    assert [p["name"] for p in doc["pairs"]] == [p.name for p in DEFAULT_PAIRS]
    fields = {"leader", "length", "start", "end", "small_return", "large_return", "longest_since", "record_length"}
    assert all(fields <= set(p["streak"]) for p in doc["pairs"])
    import json

    back = snapshot_from_json(json.loads(json.dumps(cache_json(snapshot))))
    assert back.pairs == snapshot.pairs and back.pair_name == snapshot.pair_name


# -- the pipeline's active pair ----------------------------------------------------------------------------------
def test_choosing_a_pair_rebuilds_from_the_last_data_without_a_fetch():
    frame = closes(**{"^RUT": [1, 2, 3], "^GSPC": [1, 1, 1], "IWM": [3, 2, 1], "SPY": [1, 1, 1]})
    data = MarketData(source="replay", label="REPLAY", closes=frame)
    source = FakeSource(lambda: data)
    built: list[tuple[str, str]] = []

    def build(data, config):
        from tui.snapshot import build_snapshot

        built.append((config.pair.small, config.pair.large))
        return build_snapshot(data, config)

    config = replace(Config(), pairs=(Pair("^RUT", "^GSPC", "index"), Pair("IWM", "SPY", "etf")))
    pipeline = RefreshPipeline(source, config, frozen_clock(), build=build)
    first = pipeline.run()
    assert (first.small, first.pair_name, source.calls) == ("^RUT", "index", 1)
    assert pipeline.next_pair() == Pair("IWM", "SPY", "etf") and pipeline.rebuild_pending
    second = pipeline.run()
    assert (second.small, second.pair_name, second.streak.leader) == ("IWM", "etf", "large")
    assert source.calls == 1 and not pipeline.rebuild_pending  # built from the data at hand
    pipeline.run()
    assert source.calls == 2 and built == [("^RUT", "^GSPC"), ("IWM", "SPY"), ("IWM", "SPY")]  # stays on the pair
    assert pipeline.next_pair() == Pair("^RUT", "^GSPC", "index")  # wraps round the board


# -- the status line names the pair ----------------------------------------------------------------------------
def test_the_status_line_names_the_pair_and_gives_way_only_to_a_reason():
    from tui.widgets.palette import Palette
    from tui.widgets.status import StatusInfo, fitted_status

    colours = Palette("green", "red", "yellow", "cyan", "grey50", "green", "blue")
    info = StatusInfo(label="REPLAY", pair=("IWM", "SPY", "Small caps vs total return"), as_of=date(2026, 1, 15))
    assert "│ IWM vs SPY · Small caps vs total return │" in fitted_status(info, colours, 200).plain
    assert "│ IWM vs SPY │" in fitted_status(info, colours, 60).plain  # squeezed: the symbols stay
    # A markup-like name is shown as text; an escape sequence is removed whole.
    odd = replace(info, pair=("IWM", "SPY", "[bold]x\x1b[31m"))
    assert "│ IWM vs SPY · [bold]x │" in fitted_status(odd, colours, 200).plain
    failing = replace(info, error="Yahoo rate limit (HTTP 429) — retrying in 4 min")
    assert "IWM vs SPY" in fitted_status(failing, colours, 200).plain
    narrow = fitted_status(failing, colours, 62).plain
    assert "IWM vs SPY" not in narrow and "rate limit" in narrow and narrow.endswith("retrying in 4 min")


# -- --pair on the command line ----------------------------------------------------------------------------------
@pytest.mark.parametrize("wanted", ["4", "Small value vs SMALL growth", "iwn/iwo"])
def test_pair_on_the_command_line_by_number_name_or_symbols(capsys, replay_dir, wanted):
    import json

    from tui.cli import main

    code = main(["--source", f"replay:{replay_dir}", "--as-of", "2026-01-15", "--once", "--json", "--pair", wanted])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["pair"] == {"small": "IWN", "large": "IWO", "name": "Small value vs small growth"}
    assert (doc["streak"]["leader"], doc["streak"]["length"], doc["streak"]["start"]) == ("small", 3, "2026-01-13")


def test_a_pair_not_on_the_board_is_a_usage_error_listing_the_choices(capsys, replay_dir):
    from tui.cli import main

    assert main(["--source", f"replay:{replay_dir}", "--once", "--pair", "7"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("streakwatch: --pair '7' is not on the board (1: ^RUT/^GSPC, 2: IWM/SPY,")
        and "6: IWM/QQQ" in err
    )


def test_the_snapshot_cache_keeps_the_configured_pair(tmp_path):
    """The first paint of the next start shows the configured pair: a cycled pair's snapshot is not saved."""
    from tui.snapshot_cache import SnapshotCache

    frame = closes(**{"^RUT": [1, 2, 3], "^GSPC": [1, 1, 1], "IWM": [3, 2, 1], "SPY": [1, 1, 1]})
    data = MarketData(source="replay", label="REPLAY", closes=frame)
    cache = SnapshotCache(tmp_path / "first-paint.json")
    config = replace(Config(), pairs=(Pair("^RUT", "^GSPC", "index"), Pair("IWM", "SPY", "etf")))
    pipeline = RefreshPipeline(FakeSource(lambda: data), config, frozen_clock(), snapshot_cache=cache)
    pipeline.run()
    pipeline.next_pair()
    assert pipeline.run().small == "IWM"
    pipeline._saved = None  # (the cache would be written again now, were it the configured pair)
    pipeline.run()
    assert cache.load().snapshot.small == "^RUT"


def test_the_board_is_computed_anew_from_each_frame_it_is_given():
    """``pair_board`` is pure: no board is kept between calls (a live refresh reuses it in tui.snapshot.build)."""
    a = [100.0 + i for i in range(25)]
    b = [50.0] * 25  # flat: A, rising, wins every session
    pairs = (Pair("A", "B", "ab"),)
    first = pair_board(closes(A=a, B=b), pairs)
    again = pair_board(closes(A=a, B=b), pairs)
    assert again == first and again is not first
    changed = pair_board(closes(A=a[:-1] + [a[-2] - 1.0], B=b), pairs)  # A lost the last session instead
    assert (changed[0].streak.leader, first[0].streak.leader) == ("large", "small")
    assert pair_board(closes(A=a, B=b), (Pair("B", "A", "ba"),))[0].streak.leader == "large"
