"""Today's race from Yahoo: the pair's paths through the session, and the index futures before the open.

Budget: a symbol's path is *seeded* once per session with one ``range=1d&interval=5m`` chart request, then
*extended* from the quote that every open-market refresh already has (the batched ``v7/finance/quote``, or the
chart meta), at no request of its own. It is seeded again only

* after a gap: no price observed for more than :data:`GAP` while the session runs (a laptop resumed, the monitor
  asleep, Yahoo unreachable for a while): the bars fill what the quotes missed;
* once after the session completes, so that the final path is Yahoo's own bars (``complete=True``);
* not at all after a restart when the cache holds a path observed within :data:`GAP`.

Extension folds each quote into its 5-minute bar: the point stamped at the bar's start takes the quote's price
when the quote is newer than what that point holds. Yahoo stamps its 5-minute bars the same way and gives each
bar's last price as its close, so a seeded path, the same path extended by quotes, and Yahoo's final bars lie on
one grid and agree point for point; a quote a minute would instead add four points per bar that the final re-seed
would then take away, and the stored path would grow without bound on a long session.

The race is measured from the pair's last completed close before the session, from the daily bars the monitor
already stores (the same close its streak and provisional race use); Yahoo's meta ``previousClose`` (``range=1d``
only) or ``chartPreviousClose`` stand in when no such bar is stored. In the recorded answers they agree
(``lpad/tnx_5m_1d.json``: both 4.227).

Nothing here makes the refresh fail, blames a symbol or changes the LIVE/DELAYED/OFFLINE label: a problem is said
in ``intraday_note`` / ``futures_note`` and the rest of the monitor carries on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone

import pandas as pd
from msgspec import Struct, field
from msgspec.structs import asdict

from tui.data.base import FuturesQuote, IntradayPath, Quote
from tui.data.cache import BarCache
from tui.data.market_clock import MarketStatus, is_session_complete, session_hours
from tui.data.yahoo_parse import SymbolProblem, parse_intraday
from tui.data.yahoo_transport import YahooDown, YahooTransport

#: Bar width of the seed (``interval=5m``) and of the grid quotes are folded into, in seconds.
BAR_SECONDS = 300
#: No price observed for longer than this while the session runs: the path has a hole, seed it again.
GAP = timedelta(minutes=15)
#: After a seed that got nothing (422, no session, Yahoo down) during the session, ask again no sooner than this,
#: doubling with each failure up to RETRY_CAP: a Yahoo that has no intraday data all day costs a few requests an
#: hour, not one a refresh. After the close, a failed final seed is not asked again (the path stays as extended):
#: closed hours cost nothing.
RETRY_AFTER = timedelta(minutes=15)
RETRY_CAP = timedelta(hours=1)
#: Paths of sessions older than this before the race session are pruned from the cache.
KEEP = timedelta(days=7)
#: The cache's meta key for the failed seeds, so that a restart (a ``--once`` run) does not ask again sooner.
META_FAILED = "yahoo.intraday.failed"

#: (bar start, price, observed): epoch seconds, price, epoch seconds of the trade that set the price.
Point = tuple[int, float, int]


def race_session(status: MarketStatus) -> date:
    """The session whose race is shown at ``status.now``: today's from its open on, else the last completed one
    (after the close until the next session opens: evenings, nights, weekends, holidays, the pre-market)."""
    if status.session is not None and status.open is not None and status.now >= status.open:
        return status.session
    return status.last_completed


def premarket_read_due(status: MarketStatus, bars_through: date | None) -> bool:
    """Whether the futures read is wanted: on a session day before its open, once the previous session's final
    bars are on hand (``bars_through``, the pair's last completed session stored)."""
    before_open = status.session is not None and status.open is not None and status.now < status.open
    return before_open and bars_through is not None and bars_through >= status.last_completed


class _Failure(Struct, frozen=True):
    """The last failed seed of a symbol's path."""

    session: date
    at: datetime
    why: str
    count: int  # failures in a row for this session
    after_close: bool  # it was the final seed, after the session completed


class _Track(Struct):
    """One symbol's path through one session, as kept between refreshes."""

    session: date
    previous_close: float
    points: dict[int, tuple[float, int]] = field(default_factory=dict)  # bar start -> (price, observed)
    complete: bool = False

    def observed(self) -> int:
        return max((observed for _, observed in self.points.values()), default=0)

    def fold(self, price: float, when: int, last_bar: int | None = None) -> Point | None:
        """Fold a quote (``price`` traded at epoch ``when``) into its 5-minute bar; the point changed, if any.
        ``last_bar``: the start of the session's last bar, which a closing print stamped at (or after) the bell
        belongs to, as in Yahoo's own bars."""
        start = when - when % BAR_SECONDS
        if last_bar is not None:
            start = min(start, last_bar)
        held = self.points.get(start)
        if held is not None and held[1] >= when:
            return None
        self.points[start] = (price, when)
        return start, price, when

    def path(self, symbol: str, session_close: datetime | None) -> IntradayPath:
        stamps = sorted(self.points)
        return IntradayPath(
            symbol=symbol,
            session=pd.Timestamp(self.session),
            previous_close=self.previous_close,
            times=tuple(datetime.fromtimestamp(at, timezone.utc) for at in stamps),
            prices=tuple(self.points[at][0] for at in stamps),
            complete=self.complete,
            session_close=session_close,
        )


class IntradayKeeper:
    """Keeps the pair's paths for :class:`~tui.data.yahoo.YahooSource`: in memory, in the cache, from Yahoo.

    The pair is whichever the monitor shows (a pair chosen on the board is seeded when first shown). Every path
    held for the session, a pair's shown earlier included, is extended by the quotes of every round, which carry
    every board symbol: a pair shown again later is current without a new seed."""

    def __init__(
        self,
        cache: BarCache,
        transport: YahooTransport,
        close_before: Callable[[str, date], float | None],
    ) -> None:
        self.cache = cache
        self.transport = transport
        #: The symbol's last stored daily close before a session (the race's baseline), None when none is stored.
        self.close_before = close_before
        self._tracks: dict[str, _Track] = {}
        self._failed: dict[str, _Failure] | None = None  # read from the cache on first use
        self._pruned: date | None = None

    # -- the race ----------------------------------------------------------------------------------------------

    def paths(
        self, pair: Sequence[str], status: MarketStatus, quotes: dict[str, Quote], *, network: bool
    ) -> tuple[dict[str, IntradayPath], str | None]:
        """The pair's paths at ``status.now`` and, when a path is missing or could not be brought up to date, why.

        ``quotes`` are this round's intraday quotes (they extend the paths); ``network`` is False when the round
        sends nothing (Yahoo is backing off): then the paths come from memory and the cache only."""
        now = status.now
        session = race_session(status)
        done = is_session_complete(session, now)
        hours = session_hours(session)
        session_close = hours[1] if hours is not None else None  # 13:00 ET on a half day
        last_bar = int(session_close.timestamp()) - BAR_SECONDS if session_close is not None else None
        notes: list[str] = []
        down: str | None = None
        for symbol in pair:
            track = self._track(symbol, session)
            if network and down is None and self._seed_due(track, done, now) and self._may_retry(symbol, session, now):
                try:
                    track = self._seed(symbol, session, done, now) or track
                    self._succeed(symbol, now)
                except SymbolProblem as exc:
                    self._fail(symbol, session, now, str(exc), done)
                except YahooDown as exc:
                    down = f"today's race not updated: {exc}"
                    self._fail(symbol, session, now, down, done)
            failed = self._failures().get(symbol)
            if failed is not None and failed.session == session and failed.why not in notes:
                notes.append(failed.why)
        if down is not None and down not in notes:
            notes.append(down)
        self._extend(session, quotes, last_bar)
        paths = {
            s: t.path(s, session_close) for s in pair if (t := self._tracks.get(s)) is not None and t.session == session
        }
        paths = {s: p for s, p in paths.items() if p.times}
        return paths, "; ".join(notes) or None

    def _extend(self, session: date, quotes: dict[str, Quote], last_bar: int | None) -> None:
        """Fold this round's quotes into every path held for ``session`` that is still running: the pair's, and
        those of pairs shown before, so that showing one of them again asks Yahoo for nothing (no gap to fill)."""
        for symbol, track in self._tracks.items():
            quote = quotes.get(symbol)
            if track.session != session or track.complete or quote is None or quote.session.date() != session:
                continue
            point = track.fold(quote.price, int(quote.time.timestamp()), last_bar)
            if point is not None:
                self.cache.store_intraday(symbol, session, [point], track.previous_close, False)

    def _track(self, symbol: str, session: date) -> _Track | None:
        """The path kept for ``symbol`` through ``session``: in memory, else as the cache holds it."""
        track = self._tracks.get(symbol)
        if track is not None and track.session == session:
            return track
        stored = self.cache.intraday(symbol, session)
        if stored is None or not stored.points:
            return None
        track = _Track(session, stored.previous_close, {at: (p, o) for at, p, o in stored.points}, stored.complete)
        self._tracks[symbol] = track
        return track

    @staticmethod
    def _seed_due(track: _Track | None, done: bool, now: datetime) -> bool:
        if track is None:
            return True
        if done:
            return not track.complete  # once after the close: Yahoo's own bars replace the extended path
        return now.timestamp() - track.observed() > GAP.total_seconds()

    def _failures(self) -> dict[str, _Failure]:
        """The failed seeds, as the cache remembers them (unreadable records are forgotten: they only save
        requests)."""
        if self._failed is None:
            self._failed = {}
            for symbol, record in self.cache.json_meta(META_FAILED).items():
                try:
                    self._failed[symbol] = _Failure(
                        date.fromisoformat(record["session"]),
                        datetime.fromisoformat(record["at"]),
                        str(record["why"]),
                        int(record["count"]),
                        bool(record["after_close"]),
                    )
                except (KeyError, TypeError, ValueError):
                    continue
        return self._failed

    def _save_failures(self, now: datetime) -> None:
        records = {
            symbol: {**asdict(f), "session": f.session.isoformat(), "at": f.at.isoformat()}
            for symbol, f in self._failures().items()
        }
        self.cache.set_meta(META_FAILED, json.dumps(records, sort_keys=True), now)

    def _fail(self, symbol: str, session: date, now: datetime, why: str, done: bool) -> None:
        failures = self._failures()
        before = failures.get(symbol)
        count = before.count + 1 if before is not None and before.session == session else 1
        failures[symbol] = _Failure(session, now, why, count, done)
        self._save_failures(now)

    def _succeed(self, symbol: str, now: datetime) -> None:
        if self._failures().pop(symbol, None) is not None:
            self._save_failures(now)

    def _may_retry(self, symbol: str, session: date, now: datetime) -> bool:
        failed = self._failures().get(symbol)
        if failed is None or failed.session != session:
            return True
        if failed.after_close:
            return False
        return now - failed.at >= min(RETRY_AFTER * 2 ** (failed.count - 1), RETRY_CAP)

    def _seed(self, symbol: str, session: date, done: bool, now: datetime) -> _Track | None:
        """One ``range=1d&interval=5m`` request; the new track, or SymbolProblem saying why there is none."""
        chart = parse_intraday(self.transport.intraday(symbol), symbol)
        if chart.session is None:
            raise SymbolProblem(f"Yahoo has no 5-minute bars for {symbol} yet (its answer held no session)", "empty")
        if chart.session != session:
            raise SymbolProblem(
                f"Yahoo's 5-minute bars for {symbol} are of {chart.session:%a %d %b}, not of {session:%a %d %b}",
                "empty",
            )
        previous = self.close_before(symbol, session) or chart.previous_close
        if previous is None:
            raise SymbolProblem(f"no close before {session:%a %d %b} for {symbol} to measure the race from", "empty")
        last_trade = int(chart.price_time.timestamp()) if chart.price_time is not None else int(now.timestamp())
        points: list[Point] = []
        for moment, price in zip(chart.times, chart.prices):
            start = int(moment.timestamp())
            points.append((start, price, min(start + BAR_SECONDS - 1, last_trade)))
        track = _Track(session, previous, {at: (p, o) for at, p, o in points}, complete=done)
        old = self._tracks.get(symbol)
        if old is not None and old.session == session and not done:
            # Quotes folded since the bars were cut keep their newer prices (Yahoo's bar may lag the quote).
            for at, (price, observed) in old.points.items():
                if at not in track.points or track.points[at][1] < observed:
                    track.points[at] = (price, observed)
        self._tracks[symbol] = track
        self.cache.store_intraday(
            symbol, session, [(at, p, o) for at, (p, o) in sorted(track.points.items())], previous, done
        )
        if self._pruned != session:
            self.cache.prune_intraday(session - KEEP)
            self._pruned = session
        return track

    # -- the pre-market read -----------------------------------------------------------------------------------

    def futures_from_charts(self, symbols: Sequence[str]) -> tuple[dict[str, FuturesQuote], list[str]]:
        """The futures read from each symbol's ``range=1d`` chart meta (price, time, ``previousClose``), when the
        batched quote could not serve it: one request per symbol, and what went wrong, in plain words."""
        out: dict[str, FuturesQuote] = {}
        problems: list[str] = []
        for symbol in symbols:
            try:
                chart = parse_intraday(self.transport.intraday(symbol), symbol)
            except SymbolProblem as exc:
                problems.append(str(exc))
                continue
            except YahooDown as exc:
                problems.append(f"futures not read: {exc}")
                break
            if chart.price is None or chart.price_time is None or chart.previous_close is None:
                problems.append(f"Yahoo has no price and previous close for {symbol}")
                continue
            out[symbol] = FuturesQuote(symbol, chart.price, chart.previous_close, chart.price_time)
        return out, problems
