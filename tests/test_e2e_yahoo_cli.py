"""End to end: `streakwatch --source yahoo|auto --once --json` with yfinance itself fetching from the fake Yahoo
server on 127.0.0.1 (STREAKWATCH_YAHOO_URL), healthy and under every fault the monitor must survive.

What is checked is what a user (or a script) gets: the exit code, the JSON (numbers recomputed here from the bars
the server served), ``data.stale`` and ``data.errors`` in plain words, and the requests the server counted.
The source-level behaviour is in test_yahoo_source.py / test_yahoo_faults.py / test_auto_source.py.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e_helpers import (  # noqa: F401  (fixtures)
    NEXT_DAY,
    TIMEOUT,
    TRANSPORT,
    TRANSPORT_IDS,
    cli_clock,
    close_on,
    delayed_answers_pending,
    expected_streak,
    seed_universe,
    served,
    switch_off,
    switch_on,
    universe,
    write_config,
)
from tests.fake_yahoo import (
    AFTER_CLOSE,
    END,
    MutableClock,
    fake_yahoo,  # noqa: F401  (fixture)
)
from tui.cli import main

REPO = Path(__file__).resolve().parent.parent
#: The default backoff waits 60 s ± 20 %, said rounded up: "48 s" to "59 s", "1 min", or "2 min" (61 to 72 s).
WAIT = r"(\d+ s|1 min|2 min)"
RETRY = rf" — retrying in {WAIT}"


@pytest.fixture
def clock(cli_clock):
    return cli_clock


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path / "streakwatch.toml")


class Cli:
    def __init__(self, capsys, config: Path, cache: Path) -> None:
        self.capsys, self.config, self.cache = capsys, config, cache

    def __call__(self, source: str = "yahoo", *, config: Path | None = None, cache: Path | None = None):
        """Run once in-process; returns (exit code, parsed JSON or None, stderr)."""
        self.capsys.readouterr()
        rc = main(
            [
                "--source",
                source,
                "--config",
                str(config or self.config),
                "--cache",
                str(cache or self.cache),
                "--once",
                "--json",
            ]
        )
        out, err = self.capsys.readouterr()
        assert "delisted" not in out + err  # yfinance's misleading words never reach the user
        return rc, (json.loads(out) if out else None), err

    def prime(self) -> dict:
        """A cache that already holds the full history of the universe (built cold once per process, then copied:
        a cold run costs ~0.5 s), plus one healthy warm run on it, whose JSON is returned."""
        global _PRIMED
        if _PRIMED is None or not _PRIMED.exists():
            rc, _, err = self()
            assert (rc, err) == (0, "")
            _PRIMED = self.cache.with_name("primed-template.db")
            _copy_db(self.cache, _PRIMED)
        else:
            _copy_db(_PRIMED, self.cache)
        rc, doc, err = self()
        assert (rc, err) == (0, "") and doc["data"]["errors"] == []
        return doc


_PRIMED: Path | None = None


def _copy_db(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


@pytest.fixture
def cli(capsys, config, tmp_path, clock):
    return Cli(capsys, config, tmp_path / "bars.db")


def heal(server, kind, value) -> None:
    """Clear the fault and wait (bounded) until answers it delayed are written, before the next step."""
    time.sleep(delayed_answers_pending(kind, value, switch_off(server, kind)))


def advance_market(server, clock) -> None:
    """A new session: the server has Friday's bar, the clock stands after Friday's close."""
    seed_universe(server, end=NEXT_DAY, n=261)  # the same walk, one more bar
    clock.now = AFTER_CLOSE + timedelta(days=1)


def assert_streak(doc: dict, want) -> None:
    streak = doc["streak"]
    assert doc["as_of"] == want.as_of.isoformat()
    assert (streak["leader"], streak["length"]) == (want.leader, want.length)
    assert streak["start"] == want.start.isoformat() and streak["end"] == want.end.isoformat()
    assert streak["small_return"] == pytest.approx(want.small_return, rel=1e-9)
    assert streak["large_return"] == pytest.approx(want.large_return, rel=1e-9)
    assert doc["data"]["sessions"] == want.sessions


def chart_queries(server) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for endpoint, symbol, query in server.log:
        if endpoint == "chart":
            out.setdefault(symbol, []).append(query)
    return out


def info_requests(server) -> int:
    return sum(server.count(e) for e in ("quoteSummary", "quote", "timeseries"))


# -- healthy: what the server served is what the JSON says; the second run costs less ---------------------------


def test_json_matches_what_the_server_served(served, cli):
    rc, doc, err = cli()
    assert (rc, err) == (0, "")
    assert (doc["source"], doc["label"], doc["simulated"]) == ("yahoo", "LIVE", False)
    assert doc["pair"] == {"small": "^RUT", "large": "^GSPC", "name": "Russell 2000 vs S&P 500"}  # (e2e_helpers config)
    assert doc["data"]["stale"] is False and doc["data"]["errors"] == []
    assert doc["data"]["fetched_at"] == AFTER_CLOSE.isoformat()
    want = expected_streak(served)
    assert want.as_of == END and want.sessions == 260
    assert_streak(doc, want)

    # The spread's last day, a sector's 1-day return and the VIX level are the served closes, too.
    prev = END - timedelta(days=1)
    small = close_on(served, "^RUT", END) / close_on(served, "^RUT", prev) - 1
    large = close_on(served, "^GSPC", END) / close_on(served, "^GSPC", prev) - 1
    assert doc["spread"]["dates"][-1] == END.isoformat()
    assert doc["spread"]["daily"][-1] == pytest.approx(small - large, rel=1e-9)
    kre = next(s for s in doc["sectors"] if s["symbol"] == "KRE")
    assert kre["return_1d"] == pytest.approx(close_on(served, "KRE", END) / close_on(served, "KRE", prev) - 1)
    vix = next(r for r in doc["risks"] if r["id"] == "volatility")
    assert vix["value"] == pytest.approx(close_on(served, "^VIX", END))
    valuation = next(r for r in doc["risks"] if r["id"] == "valuation")
    assert valuation["value"] == pytest.approx(17.5 / 26.25)  # the P/E the fake's `info` served

    # First sight of each symbol: our own 5-day request plus yfinance's full history, nothing more.
    queries = chart_queries(served)
    assert sorted(queries) == universe(served)
    for symbol, asked in queries.items():
        assert len(asked) == 2, symbol
        assert sum("period1" in q for q in asked) == 1, symbol  # the full history, fetched by yfinance
    assert {s: served.count("quoteSummary", s) for s in ("IWM", "SPY")} == {"IWM": 1, "SPY": 1}


def test_second_run_is_served_from_the_cache_with_fewer_requests(served, cli, clock):
    first = cli()[1]
    cold = sum(served.counts.values())
    served.reset_counts()

    clock.advance(minutes=5)  # same day: info is not due again
    rc, second, err = cli()
    assert (rc, err) == (0, "")
    warm = sum(served.counts.values())
    queries = chart_queries(served)
    assert {s: len(q) for s, q in queries.items()} == {s: 1 for s in universe(served)}  # one per symbol
    assert not any("period1" in q for qs in queries.values() for q in qs)  # the history is not fetched again
    assert all("range=5d" in q for qs in queries.values() for q in qs)
    assert info_requests(served) == 0  # `info` at most once a day
    assert warm == len(universe(served)) < cold  # nothing else either (no cookie, no crumb)
    assert second["streak"] == first["streak"] and second["sectors"] == first["sectors"]
    assert second["risks"] == first["risks"] and second["data"]["errors"] == []
    assert second["data"]["fetched_at"] == clock.now.isoformat()

    # Next day: a new bar, still one chart request per symbol, and `info` once more (once a day).
    advance_market(served, clock)
    served.reset_counts()
    rc, third, err = cli()
    assert (rc, err) == (0, "")
    assert {s: len(q) for s, q in chart_queries(served).items()} == {s: 1 for s in universe(served)}
    assert {s: served.count("quoteSummary", s) for s in ("IWM", "SPY")} == {"IWM": 1, "SPY": 1}
    assert_streak(third, expected_streak(served))
    assert third["as_of"] == NEXT_DAY.isoformat()


# -- Yahoo down as a whole: 429, 5xx, timeout, closed, refused ------------------------------------------------


@pytest.mark.parametrize("source", ["yahoo", "auto"])
@pytest.mark.parametrize("kind,value,words", TRANSPORT, ids=TRANSPORT_IDS)
def test_down_with_a_cache_exits_0_with_the_last_good_data_marked_stale(served, cli, clock, kind, value, words, source):
    good = cli.prime()
    clock.advance(minutes=50)  # more than three closed-market refresh periods (3 x 15 min) after the last answer
    switch_on(served, kind, value)
    served.reset_counts()
    try:
        rc, doc, err = cli(source)
    finally:
        heal(served, kind, value)

    assert (rc, err) == (0, "")
    assert doc["data"]["stale"] is True
    assert doc["data"]["errors"][:-1] == ["no new data from Yahoo since 17:00 ET"]
    assert re.fullmatch(re.escape(words) + RETRY, doc["data"]["errors"][-1])
    # The first failure ends the round: Yahoo is not hammered (libcurl itself re-sends once when a reused
    # keep-alive connection is dropped under it, hence "at most 2").
    assert set(chart_queries(served)) <= {"^RUT"} and served.count("chart") <= 2
    # The last good numbers, with their own age (not the failed attempt's time).
    for key in ("as_of", "streak", "spread", "sectors", "risks"):
        assert doc[key] == good[key], key
    assert doc["data"]["fetched_at"] == good["data"]["fetched_at"] == AFTER_CLOSE.isoformat()
    if source == "auto":
        assert (doc["source"], doc["label"]) == ("cache", "OFFLINE")
        assert re.fullmatch(
            re.escape(f"{words[0].upper()}{words[1:]} — showing cached data, 50 min old; ") + rf"retrying in {WAIT}",
            doc["data"]["banner"],
        )
    else:
        # Nothing from Yahoo for longer than three refresh periods: OFFLINE, never LIVE (the age decides).
        assert (doc["source"], doc["label"], doc["data"]["banner"]) == ("yahoo", "OFFLINE", None)


@pytest.mark.parametrize("kind,value,words", TRANSPORT, ids=TRANSPORT_IDS)
def test_down_without_a_cache_yahoo_exits_3_and_auto_shows_simulated_data(served, cli, kind, value, words, tmp_path):
    switch_on(served, kind, value)
    try:
        rc, doc, err = cli("yahoo")
        assert (rc, doc, err) == (3, None, f"streakwatch: {words}\n")  # one line, the real reason

        rc, doc, err = cli("auto", cache=tmp_path / "other.db")
    finally:
        heal(served, kind, value)
    assert (rc, err) == (0, "")
    assert (doc["source"], doc["label"], doc["simulated"]) == ("demo", "SIMULATED", True)
    assert doc["data"]["errors"][-1] == words and doc["data"]["stale"] is False
    assert re.fullmatch(
        re.escape(f"{words[0].upper()}{words[1:]}, and no cached data — showing SIMULATED data; ")
        + rf"retrying in {WAIT}",
        doc["data"]["banner"],
    )


# -- one symbol's answer is unusable: malformed JSON, empty result, an all-null last bar -------------------------

BAD_ANSWERS = [
    ("malformed", "Yahoo sent a malformed answer for ^GSPC (not JSON)"),
    ("empty", "Yahoo returned no data for ^GSPC"),
    ("null_last", "Yahoo sent an empty bar for ^GSPC on 2026-01-16 (ignored)"),
]


@pytest.mark.parametrize("source", ["yahoo", "auto"])
@pytest.mark.parametrize("kind,words", BAD_ANSWERS, ids=[k for k, _ in BAD_ANSWERS])
def test_a_bad_answer_on_a_new_day_keeps_the_last_complete_session(served, cli, clock, kind, words, source):
    """Friday's ^RUT bar arrives, ^GSPC's answer is unusable: the JSON stays on Thursday, marked stale, and says
    why; Friday is never shown as a session with a made-up or half-known close."""
    cli.prime()
    advance_market(served, clock)
    served.fault(kind, symbol="^GSPC")
    served.reset_counts()
    rc, doc, err = cli(source)
    assert (rc, err) == (0, "")
    assert doc["data"]["stale"] is True
    # What it means for the screen, and ^GSPC's own problem, retried soon (the pair is the headline).
    assert len(doc["data"]["errors"]) == 2 and doc["data"]["errors"][0] == "Yahoo has not sent the 16 Jan close yet"
    assert re.fullmatch(re.escape(words) + RETRY, doc["data"]["errors"][1])
    assert (doc["source"], doc["label"]) == ("yahoo", "LIVE")  # Yahoo answered: not offline, just incomplete
    assert_streak(doc, expected_streak(served, through=END))
    assert NEXT_DAY.isoformat() not in doc["spread"]["dates"]
    kre = next(s for s in doc["sectors"] if s["symbol"] == "KRE")  # sectors stop at the pair's last session too
    kre_day_before = close_on(served, "KRE", END - timedelta(1))
    assert kre["return_1d"] == pytest.approx(close_on(served, "KRE", END) / kre_day_before - 1)
    assert served.count("chart") == len(universe(served))  # the other symbols were still refreshed, once each

    # The server heals: the next run has Friday.
    served.clear_faults()
    clock.advance(minutes=2)
    rc, doc, _ = cli(source)
    assert rc == 0 and doc["data"]["stale"] is False and doc["data"]["errors"] == [], doc["data"]
    assert_streak(doc, expected_streak(served))
    assert doc["as_of"] == NEXT_DAY.isoformat()


def test_a_null_last_bar_on_first_sight_is_missing_not_wrong(served, cli):
    served.fault("null_last", symbol="^GSPC")  # our 5-day request and yfinance's full history alike
    rc, doc, err = cli()
    assert (rc, err) == (0, "")
    assert doc["data"]["stale"] is True
    assert re.fullmatch(
        re.escape("Yahoo sent an empty bar for ^GSPC on 2026-01-15 (ignored)") + RETRY, doc["data"]["errors"][-1]
    )
    assert_streak(doc, expected_streak(served, through=END - timedelta(days=1)))  # Wednesday: the last full one


@pytest.mark.parametrize("kind,words", BAD_ANSWERS[:2], ids=[k for k, _ in BAD_ANSWERS[:2]])
def test_a_bad_answer_for_the_pair_without_a_cache_exits_3_with_the_reason(served, cli, kind, words):
    served.fault(kind, symbol="^GSPC")
    rc, doc, err = cli()
    assert (rc, doc) == (3, None)
    assert err.startswith("streakwatch: ") and words in err and "\n" not in err.rstrip("\n")


# -- duplicate and out-of-order timestamps ------------------------------------------------------------------------


def test_duplicate_and_out_of_order_bars_give_the_right_closes(served, cli, clock):
    served.fault("dupes")  # every chart answer, yfinance's full histories included
    rc, doc, err = cli()
    assert (rc, err) == (0, "")
    assert_streak(doc, expected_streak(served))
    assert doc["data"]["stale"] is False
    # One note for every symbol repaired, not one per symbol.
    assert doc["data"]["errors"] == [
        "Yahoo sent duplicate or out-of-order bars for ^RUT, ^GSPC, KRE, PSCI and 8 more (kept the latest bar per day)"
    ]

    # A new day whose latest bar comes after an earlier, 10 % higher copy of itself: the later one is the close.
    advance_market(served, clock)
    rc, doc, _ = cli()
    assert rc == 0 and doc["as_of"] == NEXT_DAY.isoformat()
    assert_streak(doc, expected_streak(served))
    kre = next(s for s in doc["sectors"] if s["symbol"] == "KRE")
    assert kre["return_1d"] == pytest.approx(close_on(served, "KRE", NEXT_DAY) / close_on(served, "KRE", END) - 1)


# -- one unknown symbol in the batch -----------------------------------------------------------------------------

NOPE_404 = "Yahoo has no data for NOPE (HTTP 404 “No data found”)"


def test_an_unknown_symbol_backs_off_on_its_own(served, cli, clock, tmp_path):
    config = write_config(tmp_path / "with-nope.toml", extra_sectors=(("NOPE", "Nothing"),))
    rc, doc, err = cli(config=config)
    assert (rc, err) == (0, "")
    assert doc["data"]["errors"] == [f"{NOPE_404} — retrying it in 2 min"]
    assert doc["data"]["stale"] is False
    assert_streak(doc, expected_streak(served))
    nope = next(s for s in doc["sectors"] if s["symbol"] == "NOPE")
    assert all(nope[k] is None for k in ("return_1d", "return_5d", "return_streak", "return_1m", "return_ytd"))
    assert served.count("chart", "NOPE") == 1 and served.count("quoteSummary", "NOPE") == 0

    clock.advance(minutes=1)
    rc, doc, _ = cli(config=config)
    assert rc == 0 and doc["data"]["errors"] == [f"{NOPE_404} — retrying it in 1 min"]
    assert doc["data"]["stale"] is False
    assert served.count("chart", "NOPE") == 1  # remembered in the cache: not asked before its wait is over


# -- a real process: nothing but JSON on stdout, nothing on stderr -----------------------------------------------


def test_a_real_process_prints_only_json_even_when_yfinance_fails(fake_yahoo, tmp_path):
    """`python -m tui` with the real clock: the server's bars end on the last completed session."""
    from tui.data.market_clock import last_completed_session

    last = last_completed_session(datetime.now(timezone.utc))
    server = seed_universe(fake_yahoo, end=last)
    config = write_config(tmp_path / "c.toml", extra_sectors=(("NOPE", "Nothing"),))
    cmd = [
        sys.executable,
        "-m",
        "tui",
        "--source",
        "yahoo",
        "--config",
        str(config),
        "--cache",
        str(tmp_path / "bars.db"),
        "--once",
        "--json",
    ]
    env = {**os.environ, "STREAKWATCH_YAHOO_URL": server.url}

    # yfinance's full-history request for PSCI meets a 503 (yfinance's logger talks on that path).
    server.fault("status", 503, symbol="PSCI", after=1)
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO, env=env)
    assert (first.returncode, first.stderr) == (0, "")
    doc = json.loads(first.stdout)
    assert doc["data"]["stale"] is True
    assert re.fullmatch(re.escape("Yahoo server error (HTTP 503)") + RETRY, doc["data"]["errors"][-1])
    assert_streak(doc, expected_streak(server))

    server.clear_faults()
    server.reset_counts()
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO, env=env)
    assert (second.returncode, second.stderr) == (0, "")
    doc = json.loads(second.stdout)
    assert doc["data"]["stale"] is False
    assert doc["data"]["errors"] == [f"{NOPE_404} — retrying it in 2 min"]  # (the 503 ended the first round)
    assert_streak(doc, expected_streak(server))
    # Stored by the first process: at most one 5-day request each (none while the market is open: the batched
    # quote serves them), no full history again.
    for symbol in ("^RUT", "^GSPC", "KRE"):
        queries = chart_queries(server).get(symbol, [])
        assert len(queries) <= 1 and all("range=5d" in q and "period1" not in q for q in queries), symbol
