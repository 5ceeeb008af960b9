"""One refresh's worth of results: MarketData in, Snapshot out. Pure; runs in the worker thread, never the UI's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import Struct
from msgspec.structs import replace

from tui.analytics import (
    current_streak,
    pair_board,
    pair_sessions,
    premarket_read,
    provisional_race,
    risk_checklist,
    rotation_map,
    runs_as_model,
    sector_table,
    spread_view,
    streak_history,
    streak_runs,
    today_race,
)
from tui.config import Config
from tui.data.base import MarketData
from tui.data.market_clock import Phase, market_status
from tui.errors import NoDataError, UsageError
from tui.fmt import display_name
from tui.model import DataStatus, Dropped, Snapshot, Streak

if TYPE_CHECKING:
    import pandas as pd


def data_status(data: MarketData) -> DataStatus:
    """What the screen and the JSON say about a fetch: its source, label, staleness, errors and time."""
    quote_times = [q.time for q in data.quotes.values()]
    return DataStatus(
        source=data.source,
        label=data.label,
        stale=data.stale,
        errors=tuple(data.errors),
        fetched_at=data.fetched_at,
        banner=data.banner,
        retry_in=data.retry_in,
        now=data.now,
        received_at=data.received_at,
        quote_time=max(quote_times) if quote_times else None,
        dropped=tuple(Dropped(d.symbol, d.since, d.reason) for d in data.dropped),
    )


class Build(Struct, frozen=True):
    """One snapshot and what it was computed from: the refresh pipeline keeps the last one, so that a refresh whose
    daily closes did not change (a live quote or today's path moved) recomputes only what those touch."""

    data: MarketData
    config: Config
    sessions: pd.DataFrame  # the pair's completed sessions, and their runs: what the live parts are computed from
    runs: pd.DataFrame
    snapshot: Snapshot


def build_snapshot(data: MarketData, config: Config) -> Snapshot:
    """Compute every pane's content from one fetch, for ``config.pair`` (see ``Config.with_active_pair``), and the
    board of all the configured pairs.

    Raises NoDataError when the pair symbols have no prices at all, and UsageError when they have prices but
    never on the same date (a pair that cannot be compared).
    """
    return build(data, config).snapshot


def build(data: MarketData, config: Config, previous: Build | None = None) -> Build:
    """:func:`build_snapshot`, keeping what it was computed from. With ``previous`` built for the same config from
    the same daily closes, fundamentals and source (:func:`same_daily`), every part computed from those alone
    (streak, runs, history, spread, sectors, risks, rotation map, board of pairs) is taken from it, and only the
    parts the quotes, today's paths, the futures and the data's instant touch are computed: the same snapshot as
    a build from scratch, for a fraction of the cost."""
    if previous is not None and previous.config == config and same_daily(previous.data, data):
        sessions, runs = previous.sessions, previous.runs
        snapshot = replace(previous.snapshot, **live_parts(data, config, sessions, runs, previous.snapshot.streak))
        return Build(data, config, sessions, runs, snapshot)

    small, large = config.small, config.large
    closes = data.closes
    for symbol in (small, large):
        if symbol not in closes.columns or not closes[symbol].notna().any():
            missing = f"no prices for {symbol} from the {data.source} source"
            # The source's own reason (rate limit, bad answer...) comes first: it is what the user can act on.
            raise NoDataError(f"{data.errors[-1]} ({missing})" if data.errors else missing)

    sessions = pair_sessions(closes, small, large)
    if len(sessions) < 2:
        raise UsageError(f"{small} and {large} have fewer than two sessions in common: nothing to compare")

    runs = streak_runs(sessions)
    streak = current_streak(sessions, runs)
    as_of = sessions.index[-1]
    # Sectors and risks see the same completed sessions as the pair: nothing after the pair's last session. Each
    # row and risk carries the date of its own data, older when its symbol lags the pair.
    closes_to_date = closes.loc[:as_of]
    board = config.board()

    snapshot = Snapshot(
        source=data.source,
        as_of=as_of.date(),
        small=small,
        large=large,
        streak=streak,
        spread=spread_view(sessions, config.display.spread_window, streak),
        sectors=sector_table(closes_to_date, config.sectors, small, streak, as_of),
        risks=risk_checklist(closes_to_date, data.fundamentals, streak, runs, config, sessions.index),
        # The last build's runs converted already: only the runs after their common start are converted again.
        runs=runs_as_model(runs, (previous.runs, previous.snapshot.runs) if previous is not None else None),
        history=streak_history(sessions, runs, streak, config.history.min_length, config.history.horizons),
        sessions=len(sessions),
        rotation=rotation_map(
            closes_to_date,
            [
                (small, f"{display_name(small)} vs {display_name(large)}", large),
                *((s.symbol, s.name, small) for s in config.sectors),
            ],
            as_of.date(),
            period=config.rotation.period,
            tail=config.rotation.tail,
        ),
        pair_name=board[config.active_index()].name,  # (a [pair] that is on the board has the board's name)
        # Every pair of the board to the same session as the pair on screen; that one's runs are not recomputed.
        pairs=pair_board(closes_to_date, board, {(small, large): (sessions, runs)}),
        **live_parts(data, config, sessions, runs, streak),
    )
    return Build(data, config, sessions, runs, snapshot)


def live_parts(
    data: MarketData, config: Config, sessions: pd.DataFrame, runs: pd.DataFrame, streak: Streak
) -> dict[str, Any]:
    """The snapshot's fields that depend on more than the daily closes: the provisional race (quotes), today's race
    (intraday paths), the pre-market read (futures, and the data's instant) and the data status."""
    small, large = config.small, config.large
    return {
        "provisional": provisional_race(sessions, runs, data.quotes.get(small), data.quotes.get(large)),
        "data": data_status(data),
        "today": today_race(data.intraday.get(small), data.intraday.get(large), data.intraday_note),
        "premarket": premarket_read(
            config.premarket.small, config.premarket.large, data.futures, streak, data.futures_note
        )
        if before_the_open(data)
        else None,
    }


def same_daily(old: MarketData, new: MarketData) -> bool:
    """Whether ``new`` has the same daily closes (every row: ~0.2 ms), fundamentals and source as ``old``: then
    every part of the snapshot computed from them alone is the same."""
    return (
        old.source == new.source
        and old.fundamentals == new.fundamentals
        and old.closes.shape == new.closes.shape
        and old.closes.equals(new.closes)
    )


def before_the_open(data: MarketData) -> bool:
    """Whether the data's instant is before 09:30 ET on a session day (the pre-market read's only time): the
    pre-market phase, or earlier that night (futures trade from the evening before)."""
    instant = data.now or data.fetched_at
    if instant is None:
        return False
    try:
        status = market_status(instant)
    except Exception:  # a date the calendar can't place: no pre-market read, the rest is shown
        return False
    return status.phase in (Phase.PRE_MARKET, Phase.CLOSED) and status.open is not None and instant < status.open
