"""Live data from Yahoo (SPEC §2): full daily history once, then small requests per refresh.

Request budget, per symbol:

* first sight (nothing cached): one ``range=5d`` chart request of our own (validates the symbol, gives the
  quote and the exchange timezone) and one full-history fetch through yfinance (``period="max"``; yfinance's
  own timezone request is saved by seeding its tz cache from the first answer);
* every refresh after that: ONE chart request (``range=5d``, or ``period1`` from the last cached date when
  the monitor was off for longer) that serves both the latest daily bars and the intraday quote;
* except while the market is open, for the symbols whose bars are stored up to the last completed session: their
  bars owe nothing and only the quotes move, so ONE batched ``v7/finance/quote`` request serves them all (a
  symbol it leaves out, or one that still owes a bar, gets its chart request in the same round);
* ``info`` (trailing P/E for the valuation rule): at most once a day per fund, remembered in the cache;
* today's race (``yahoo_intraday``): one ``range=1d&interval=5m`` chart request per pair symbol to seed the
  session's path, again after a gap and once after the close; the quotes above extend it at no cost (every path
  seeded this session, so a pair chosen on the board costs its two seeds the first time it is shown, then
  nothing more: :meth:`YahooSource.race`);
* the pre-market read: on a session day before the open, the index futures ride in the same batched quote
  request (which then also serves the symbols whose bars are current, as while the market is open).

Failures never lose data: the last good bars stay in the cache and come back marked stale, with the reason in
plain words and the backoff delay. Only when there is nothing at all to show does ``fetch`` raise.


This module is the policy: what to ask for and when, what a failure means, the labels. The requests live in
``yahoo_transport``, the reading of answers in ``yahoo_parse``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pandas as pd

from tui.config import Premarket, Refresh
from tui.data.backoff import Backoff
from tui.data.base import Clock, DroppedSymbol, FuturesQuote, MarketData, Quote, Race
from tui.data.cache import BarCache, CacheView
from tui.data.freshness import Freshness, judge_now
from tui.data.market_clock import ET
from tui.data.symbol_health import SymbolHealth
from tui.data.yahoo_intraday import IntradayKeeper, premarket_read_due
from tui.data.yahoo_parse import BatchQuote, SymbolProblem, ny_date, parse_chart, usable_quote
from tui.data.yahoo_transport import QuoteRefused, YahooDown, YahooTransport
from tui.errors import SourceError
from tui.fmt import wait

if TYPE_CHECKING:  # curl_cffi is imported with the session, on the first request
    from tui.data.yahoo_session import YahooSession

INFO_EVERY_FAILED = timedelta(hours=1)  # after a failed info fetch, wait this long before trying again
#: {symbol: its run of failures of its own} (see symbol_health). It replaces "yahoo.dropped", a one-strike drop
#: that one Yahoo-wide "No data found" round turned into a week without data: that old record is ignored.
META_HEALTH = "yahoo.symbol_health"
#: A round in which at least this share of the symbols asked fail the same way (and at least WIDE_MIN of them),
#: or in which both symbols of the pair do, is Yahoo failing: no symbol is blamed.
WIDE_SHARE = 0.5
WIDE_MIN = 3
META_INFO = "yahoo.info.{symbol}"
#: {symbol: instant} when a batched quote last found the symbol's stored bars current: the bars are as fresh as
#: that, though no chart request rewrote them (it is what ``fetched_at`` reports).
META_CURRENT = "yahoo.current_at"


def name_some(symbols: Sequence[str], shown: int = 4) -> str:
    """ "A, B" or "A, B, C, D and 8 more": a status line has room for a few names, not twenty."""
    names = ", ".join(symbols[:shown])
    return f"{names} and {len(symbols) - shown} more" if len(symbols) > shown else names


class YahooSource:
    """See the module docstring. ``fetch`` runs in a worker thread; nothing here prints or logs."""

    name = "yahoo"

    def __init__(
        self,
        cache: BarCache,
        clock: Clock,
        session: YahooSession | None = None,
        *,
        backoff: Backoff | None = None,
        quote_backoff: Backoff | None = None,
        refresh: Refresh | None = None,
        fundamentals_symbols: Sequence[str] = ("IWM", "SPY"),
        premarket: Premarket | None = None,
    ) -> None:
        self.cache = cache
        self.clock = clock
        self.transport = YahooTransport(session)
        self.backoff = backoff or Backoff()
        self.fundamentals_symbols = tuple(fundamentals_symbols)
        self._quotes: dict[str, Quote] = {}
        self._info_failed_at: datetime | None = None
        #: The batched quote endpoint's own backoff: while it refuses (a broken crumb can last hours), the chart
        #: endpoint serves every symbol, and the quotes are asked again only now and then.
        self.quote_backoff = quote_backoff or Backoff(base=300.0, cap=3600.0)
        self.refresh = refresh or Refresh()
        self._last_reason: str | None = None  # why the last failed attempt failed (for the backoff message)
        self._retry_dropped = False  # the user asked to try the dropped symbols again (next round)
        self._retry_now = False  # the user asked for a refresh: one round may go out during a backoff
        self._recovery_told = False
        self._view: CacheView | None = None
        premarket = premarket or Premarket()
        #: The index futures of the pre-market read: never in ``closes``, never judged by symbol_health.
        self.futures_symbols = tuple(dict.fromkeys((premarket.small, premarket.large)))
        self._futures: dict[str, FuturesQuote] = {}
        self._futures_note: str | None = None
        self._futures_taken = False  # this round's batched quote carried the futures
        self.intraday = IntradayKeeper(cache, self.transport, cache.close_before)

    # -- plumbing -------------------------------------------------------------------------------------------

    def close(self) -> None:
        """The session is shared and stays open; the cache was handed to us (see ``factory.open_source``)."""
        self.cache.close()

    def _health(self) -> SymbolHealth:
        meta = self.cache.get_meta(META_HEALTH)
        return SymbolHealth.from_json(meta[0] if meta else None)

    def _save_health(self, health: SymbolHealth, now: datetime) -> None:
        self.cache.set_meta(META_HEALTH, health.to_json(), now)

    def retry_dropped(self) -> bool:
        """Ask every dropped or backing-off symbol again on the next round (the user's "retry symbols" key).
        Thread-safe: it only sets a flag that the fetch thread acts on."""
        self._retry_dropped = True
        self._retry_now = True
        return True

    def retry_now(self) -> bool:
        """Let the next round ask Yahoo even while backing off (the user pressed refresh: one round, not a
        stream, and the backoff resumes if it fails). Thread-safe: only a flag."""
        self._retry_now = True
        return True

    def _batch_eligible(self, symbols: Sequence[str], now: datetime) -> list[str]:
        """The symbols one quote request can stand for: while the market is open, those whose stored bars owe no
        completed session. The others (first sight, a new day, a gap, a bond holiday's missing ^TNX bar) need
        the bars only charts carry, and get their chart requests as before. None while the quote endpoint is
        backing off after a refusal."""
        from tui.data.market_clock import Phase, market_status

        status = market_status(now)
        # Pre-market rounds come every closed period (for the futures read): their quotes stand in for charts too.
        if status.phase not in (Phase.OPEN, Phase.PRE_MARKET) or not self.quote_backoff.ready(now):
            return []
        current = []
        for symbol in symbols:
            last = self.cache.last_date(symbol)
            if last is not None and last >= status.last_completed:
                current.append(symbol)
        return current

    def _refresh_by_batch(self, symbols: Sequence[str], now: datetime) -> tuple[set[str], str | None]:
        """The symbols brought up to date by one batched quote request, and what Yahoo refused if it did.

        Empty when no symbol is eligible or the request failed: the chart requests then do the job in the same
        round. A refusal (401 "Invalid Crumb" is Yahoo's most common breakage, but also 403, 429, 5xx, the consent
        page, a malformed answer) backs the quote endpoint off on its own, so the charts carry the monitor until
        it is asked again; it is said once, in plain words, when it happens."""
        eligible = self._batch_eligible(symbols, now)
        futures = list(self._futures_due(symbols[:2], now))
        if not eligible and not futures:
            return set(), None  # (a transport error below raises YahooDown: nothing would answer the charts)
        if not self.quote_backoff.ready(now):
            return set(), None  # the futures wait for the quote endpoint too (see _read_futures)
        try:
            quotes = self.transport.batch_quotes(eligible + [f for f in futures if f not in eligible])
        except QuoteRefused as exc:
            delay = self.quote_backoff.failure(now)
            return set(), (
                f"{exc} on the batched quote request; asking for each symbol's chart instead "
                f"(quotes tried again in {wait(delay)})"
            )
        self.quote_backoff.success()
        if futures:
            self._take_futures(futures, quotes)
        done = {symbol for symbol in eligible if symbol in quotes}
        for symbol in done:
            self._take_quote(symbol, quotes[symbol].price, quotes[symbol].time, now)
        if done:
            current = self.cache.json_meta(META_CURRENT)
            current.update({symbol: now.isoformat() for symbol in done})
            self.cache.set_meta(META_CURRENT, json.dumps(current, sort_keys=True), now)
        return done, None

    # -- the pre-market read --------------------------------------------------------------------------------

    def _futures_due(self, pair: Sequence[str], now: datetime) -> tuple[str, ...]:
        """The futures to read this round: all of them on a session day before the open, once the pair's bars
        reach the previous session; none otherwise (and what was read before is forgotten)."""
        from tui.data.market_clock import market_status

        stored = [self.cache.last_date(symbol) for symbol in pair]
        through = None if None in stored else min(d for d in stored if d is not None)
        if not self.futures_symbols or not premarket_read_due(market_status(now), through):
            self._futures, self._futures_note = {}, None
            return ()
        return self.futures_symbols

    def _take_futures(self, futures: Sequence[str], quotes: dict[str, BatchQuote]) -> None:
        """The futures read from a batched quote answer; ``futures_note`` names those Yahoo had nothing for."""
        missing = []
        for symbol in futures:
            quote = quotes.get(symbol)
            if quote is None or quote.previous_close is None:
                missing.append(symbol)
                self._futures.pop(symbol, None)
                continue
            when = datetime.fromtimestamp(quote.time, timezone.utc)
            self._futures[symbol] = FuturesQuote(symbol, quote.price, quote.previous_close, when)
        self._futures_note = f"Yahoo has no futures quote for {name_some(missing)}" if missing else None
        self._futures_taken = True

    def _read_futures(self, pair: Sequence[str], now: datetime) -> None:
        """When this round's batched quote did not carry the futures (its endpoint refusing or backing off), read
        them from their chart meta instead: one request each, only while they are due."""
        futures = self._futures_due(pair, now)
        if not futures or self._futures_taken:
            return
        read, problems = self.intraday.futures_from_charts(futures)
        self._futures = read
        self._futures_note = "; ".join(problems) or None

    def _race(self, data: MarketData, pair: Sequence[str], now: datetime, *, network: bool) -> None:
        """Today's race and the pre-market read, onto ``data``. Never raises for want of them: what is missing is
        said in the notes, and nothing else in ``data`` changes."""
        from tui.data.market_clock import market_status

        if network:
            self._read_futures(pair, now)
        elif not self._futures_due(pair, now):
            self._futures = {}
        status = market_status(now)
        data.intraday, data.intraday_note = self.intraday.paths(pair, status, self._quotes, network=network)
        data.futures = dict(self._futures)
        data.futures_note = self._futures_note if self._futures_due(pair, now) else None

    def race(self, pair: Sequence[str], now: datetime) -> Race:
        """Today's race for ``pair`` at ``now``, without a round: a pair just chosen on the board. Its paths come
        from memory or the cache, extended by the quotes already held (every board symbol's); a symbol with none
        is seeded now, one ``range=1d&interval=5m`` request each, by the same rules as in a round (once a
        session, again after a gap, once after the close, failures spaced out). Nothing is asked while the source
        backs off."""
        from tui.data.market_clock import market_status

        network = self.backoff.ready(self.clock())
        return self.intraday.paths(list(pair), market_status(now), self._quotes, network=network)

    def _take_quote(self, symbol: str, price: float, stamp: float, now: datetime) -> None:
        """Remember Yahoo's intraday quote, or forget it once its session is complete (its close is a bar then)."""
        from tui.data.market_clock import is_session_complete

        session = ny_date(stamp)
        if is_session_complete(session, now):
            self._quotes.pop(symbol, None)
        else:
            when = datetime.fromtimestamp(stamp, timezone.utc)
            self._quotes[symbol] = Quote(symbol, float(price), when, pd.Timestamp(session))

    # -- one symbol -----------------------------------------------------------------------------------------

    def _refresh(self, symbol: str, now: datetime, repaired: list[str]) -> None:
        """Fetch and store one symbol; raises when it could not be brought up to date. A symbol whose bars had
        to be put in order is added to ``repaired``."""
        from tui.data.market_clock import is_session_complete, sessions_complete

        last = self.cache.last_date(symbol)
        today = now.astimezone(ET).date()
        if last is None or (today - last).days <= 4:
            params = {"range": "5d", "interval": "1d"}
        else:  # the monitor was off for a while: one request still covers the gap
            start = datetime.combine(last - timedelta(days=3), datetime.min.time(), ET)
            params = {"period1": str(int(start.timestamp())), "period2": str(int(now.timestamp())), "interval": "1d"}
        params.update(includePrePost="false", events="div,splits")
        chart = parse_chart(self.transport.chart(symbol, params), symbol)
        bars, meta = chart.bars, chart.meta
        if chart.reordered:
            repaired.append(symbol)
        if last is None:
            full = self.transport.full_history(symbol, meta.get("exchangeTimezoneName"))
            bars = pd.concat([full[~full.index.isin(bars.index)], bars]).sort_index()

        complete = bars.loc[sessions_complete(bars.index, now)] if len(bars.index) else bars
        if not complete.empty:
            self._store(symbol, complete, now)
        stored = self.cache.last_date(symbol)
        missing = [
            d.isoformat() for d in chart.null_days if is_session_complete(d, now) and (stored is None or d > stored)
        ]

        price: Any = meta.get("regularMarketPrice")  # JSON values: usable_quote says whether they are numbers
        stamp: Any = meta.get("regularMarketTime")
        if usable_quote(price, stamp):
            self._take_quote(symbol, price, stamp, now)
        if missing:  # its good bars are stored, but the latest session is still owed
            raise SymbolProblem(f"Yahoo sent an empty bar for {symbol} on {', '.join(missing)} (ignored)", "null_bar")
        if bars.empty and not chart.null_days:
            raise SymbolProblem(f"Yahoo returned no data for {symbol}", "empty")

    def _store(self, symbol: str, complete: pd.DataFrame, now: datetime) -> None:
        """Upsert into the cache, and bring the in-memory view up to date with exactly what was stored."""
        from tui.data.cache import stored_instant

        view = self._view
        before = self.cache.version() if view is not None else None
        written = self.cache.upsert(symbol, complete, source="yahoo", fetched_at=now)
        if view is None or before is None:
            return
        after = self.cache.version()
        if (
            before != view.version
            or after != (before[0] + (1 if written else 0), before[1])
            or (written and symbol not in view.stored)
        ):
            self._view = None  # another write than ours, or a new symbol: read it all again when asked
            return
        if written and symbol in view.known:
            since = pd.Timestamp(complete.index.min()).date()
            view.merge(symbol, self.cache.closes_since(symbol, since), stored_instant(now))
        view.version = after

    def _cache_view(self, symbols: Sequence[str]) -> CacheView:
        """The view for ``symbols``, read from the cache again only when the cache changed under it."""
        view = self._view
        version = self.cache.version()
        if view is None or view.version != version or view.asked != tuple(symbols):
            stored = frozenset(self.cache.symbols())
            known = [s for s in symbols if s in stored]
            closes = self.cache.closes(known) if known else pd.DataFrame()
            fetched = self.cache.fetched_at_by_symbol(known)
            view = self._view = CacheView(tuple(symbols), stored, tuple(known), closes, fetched, version)
        return view

    # -- fundamentals ---------------------------------------------------------------------------------------

    def _stored_info(self, symbol: str) -> tuple[dict[str, float], datetime] | None:
        meta = self.cache.get_meta(META_INFO.format(symbol=symbol))
        if not meta:
            return None
        try:
            return json.loads(meta[0]), meta[1]
        except ValueError:
            return None

    def fundamentals(self, now: datetime, *, network: bool = True) -> dict[str, dict[str, float]]:
        """Trailing P/E per fund, from yfinance ``info`` at most once per New York day; failures leave it absent."""
        out: dict[str, dict[str, float]] = {}
        today = now.astimezone(ET).date()
        for symbol in self.fundamentals_symbols:
            stored = self._stored_info(symbol)
            due = stored is None or stored[1].astimezone(ET).date() != today
            cooling = self._info_failed_at is not None and now - self._info_failed_at < INFO_EVERY_FAILED
            if due and network and not cooling:
                try:
                    value = self.transport.trailing_pe(symbol)
                    self.cache.set_meta(META_INFO.format(symbol=symbol), json.dumps(value), now)
                    stored = (value, now)
                except Exception:  # non-fatal by design: the valuation rule shows 'unknown'
                    self._info_failed_at = now
            if stored and stored[0]:
                out[symbol] = stored[0]
        return out

    # -- the DataSource API ---------------------------------------------------------------------------------

    def cached(
        self, symbols: Sequence[str], now: datetime, fundamentals: dict[str, dict[str, float]] | None = None
    ) -> MarketData:
        """What the cache holds for ``symbols`` (completed sessions only, pair first), labelled by its age."""
        from tui.data.market_clock import is_session_complete, sessions_complete

        view = self._cache_view(symbols)
        known = list(view.known)
        closes = view.closes if known else pd.DataFrame()
        closes = closes.reindex(columns=list(symbols)).astype(float)
        if len(closes.index):
            done = sessions_complete(closes.index, now)
            if not done.all():
                closes = closes.loc[done]
        quotes = {
            s: q for s, q in self._quotes.items() if s in symbols and not is_session_complete(q.session.date(), now)
        }
        fetched = self._fetched_by_symbol(view)
        # The age of the headline: the pair's fetches. A symbol that has been failing on its own for hours (or a
        # dropped one) carries its own date on its row and risk; it must not make current figures read "1 d ago".
        headline = [fetched[s] for s in symbols[:2] if s in fetched]
        data = MarketData(
            source="yahoo",
            label="",
            closes=closes,
            quotes=quotes,
            fundamentals=self.fundamentals(now, network=False) if fundamentals is None else fundamentals,
            fetched_at=min(headline or fetched.values()) if fetched else None,
            now=now,
            received_at=max(fetched.values()) if fetched else None,  # the newest data actually received
        )
        freshness = self.freshness(data, symbols[:2], now)
        data.label, data.stale = freshness.label, freshness.stale
        if freshness.reason:
            data.errors.append(freshness.reason)
        return data

    def freshness(self, data: MarketData, pair: Sequence[str], now: datetime) -> Freshness:
        """The label and staleness that the ages of ``data`` give at ``now`` (see tui.data.freshness)."""
        through = None
        if len(pair) == 2 and all(s in data.closes.columns for s in pair) and len(data.closes.index):
            both = data.closes[list(pair)].dropna()
            through = both.index[-1].date() if len(both.index) else None
        quote_times = [q.time for q in data.quotes.values()]  # the newest data actually received
        return judge_now(
            now,
            received_at=data.received_at,
            quote_time=max(quote_times) if quote_times else None,
            bars_through=through,
            refresh=self.refresh,
            retrying=self.backoff.failures > 0,
        )

    def _fetched_by_symbol(self, view: CacheView) -> dict[str, datetime]:
        """When each symbol's bars were last known current: their last chart fetch, or a later batched quote."""
        from tui.data.cache import stored_instant

        current = self.cache.json_meta(META_CURRENT)
        fetched = dict(view.fetched)
        for symbol, when in fetched.items():
            try:
                confirmed = stored_instant(datetime.fromisoformat(current[symbol]))
            except (KeyError, TypeError, ValueError):
                continue
            fetched[symbol] = max(when, confirmed)
        return fetched

    def fetch(self, symbols: Sequence[str]) -> MarketData:
        """One round: ``symbols`` with the pair's two first (as ``Config.symbols`` gives them)."""
        data = self._fetch_round(symbols)
        if self.cache.recovered and not self._recovery_told:
            # A corrupt cache was moved aside and rebuilt: say so once, where the user looks for problems.
            data.errors.insert(0, self.cache.recovered)
            self._recovery_told = True
        if self.cache.write_problem:  # the data is shown (from memory), but not kept: say so while it lasts
            data.errors.append(self.cache.write_problem)
        return data

    def _fetch_round(self, symbols: Sequence[str]) -> MarketData:
        now = self.clock()
        symbols = list(dict.fromkeys(symbols))
        pair = symbols[:2]
        health = self._health()
        if self._retry_dropped:
            self._retry_dropped = False
            if health.forget_dropped():
                self._save_health(health, now)
        manual, self._retry_now = self._retry_now, False
        self._futures_taken = False
        if not self.backoff.ready(now) and not manual:  # no request while backing off: show what we have
            left = self.backoff.remaining(now)
            return self._stale(symbols, now, [f"{self._last_reason} — retrying in {wait(left)}"], left, health)

        notes: list[str] = []  # repairs and refusals worked around: worth saying, but the data is good
        repaired: list[str] = []  # symbols whose bars came duplicated or out of order (one note for all)
        # The pair is asked every round whatever happened before: it is the headline, and one request a round.
        due = [symbol for symbol in symbols if symbol in pair or health.due(symbol, now)]
        failed: dict[str, SymbolProblem] = {}
        down: str | None = None
        try:
            by_batch, refused = self._refresh_by_batch(due, now)
        except YahooDown as exc:
            by_batch, refused, down = set(), None, str(exc)
        if refused:
            notes.append(refused)
        served = list(by_batch)
        # The charts: every due symbol the batch did not serve (all of them when it did not apply or failed).
        for symbol in [] if down else [s for s in due if s not in by_batch]:
            try:
                self._refresh(symbol, now, repaired)
                served.append(symbol)
            except SymbolProblem as exc:
                failed[symbol] = exc
                if set(pair) <= failed.keys() and not served and _same_way([failed[s] for s in pair]):
                    break  # the pair failed the same way with nothing served: Yahoo, not the pair (see below)
            except YahooDown as exc:
                down = str(exc)  # the other symbols would fail the same way: do not hammer Yahoo
                break
        if repaired:
            notes.insert(
                0, f"Yahoo sent duplicate or out-of-order bars for {name_some(repaired)} (kept the latest bar per day)"
            )

        wide = down or self._wide_failure(failed, len(served), pair)
        if wide:
            # Yahoo as a whole is failing: keep every symbol, blame none, back off, say it once.
            delay = self.backoff.failure(now)
            self._last_reason = wide
            if any([health.succeeded(symbol) for symbol in served]):  # (every one forgiven: a list, not a generator)
                self._save_health(health, now)
            return self._stale(symbols, now, notes + [f"{wide} — retrying in {wait(delay)}"], delay, health)

        changed = any([health.succeeded(symbol) for symbol in served])
        for symbol, problem in failed.items():
            health.failed(symbol, str(problem), now, kind=problem.kind, droppable=symbol not in pair)
            changed = True
        if changed:
            self._save_health(health, now)
        # A pair symbol failing on its own leaves the headline behind: the whole source retries on its backoff
        # (the pair is the one thing worth asking again soon). Any other symbol only waits on its own.
        retry_in = None
        if any(symbol in failed for symbol in pair):
            retry_in = self.backoff.failure(now)
            self._last_reason = next(str(failed[s]) for s in pair if s in failed)
        else:
            self.backoff.success()
            self._last_reason = None
        data = self.cached(symbols, now, self.fundamentals(now))
        troubles = _trouble_notes(failed, health, symbols, now, retry_in)
        if not data.closes.notna().any().any() and not data.quotes:
            raise SourceError(
                troubles[0] if troubles else notes[-1] if notes else "Yahoo returned no data", retry_after=retry_in
            )
        data.errors += notes + troubles  # what the data's age means first, its causes last (newest last)
        data.dropped = _dropped(health)
        self._race(data, pair, now, network=not down)
        if retry_in is not None:
            data.stale = True  # the headline figures are not current: say so on every pane
            data.retry_in = retry_in
        return data

    def _wide_failure(self, failed: dict[str, SymbolProblem], served: int, pair: Sequence[str]) -> str | None:
        """One Yahoo-level reason when most symbols asked this round (or both of the pair) failed the same way,
        naming how many it hit; None when the failures are the symbols' own."""
        if not failed:
            return None
        kinds: dict[str, list[str]] = {}
        for symbol, problem in failed.items():
            kinds.setdefault(problem.kind, []).append(symbol)
        kind, hit = max(kinds.items(), key=lambda item: len(item[1]))
        asked = served + len(failed)
        pair_hit = len(pair) == 2 and set(pair) <= set(hit)
        if not pair_hit and not (len(hit) >= WIDE_MIN and len(hit) >= WIDE_SHARE * asked):
            return None
        what = _KIND_WORDS.get(kind) or str(failed[hit[0]])
        return f"Yahoo-wide failure: {what} for {len(hit)} of {asked} symbols asked ({name_some(hit)})"

    def _stale(
        self, symbols: list[str], now: datetime, errors: list[str], retry_in: float, health: SymbolHealth
    ) -> MarketData:
        data = self.cached(symbols, now)
        if not data.closes.notna().any().any() and not data.quotes:
            raise SourceError(self._last_reason or "Yahoo failed", retry_after=retry_in)
        data.stale = True
        data.errors = [e for e in data.errors if e not in errors] + errors  # the failure being retried last
        data.retry_in = retry_in
        data.dropped = _dropped(health)
        self._race(data, symbols[:2], now, network=False)
        return data


#: How a kind of failure is said when it hit many symbols at once.
_KIND_WORDS = {
    "no_data": "\u201cNo data found\u201d (HTTP 404)",
    "empty": "empty answers",
    "malformed": "malformed answers",
    "null_bar": "empty bars",
    "error": "errors",
}


def _same_way(problems: Sequence[SymbolProblem]) -> bool:
    return len({p.kind for p in problems}) == 1


def _trouble_notes(
    failed: dict[str, SymbolProblem],
    health: SymbolHealth,
    symbols: Sequence[str],
    now: datetime,
    retry_in: float | None,
) -> list[str]:
    """What the user is told about symbols failing on their own: each pair symbol that failed this round (with
    the source's retry, ``retry_in``), then
    the other symbols waiting before they are asked again, one line per way of failing ("empty answers for
    PSCU, PSCC — retrying them in 4 min"). Said every round while it lasts (the countdown is a retry tail that
    the monitor does not notify twice); dropped symbols travel in ``MarketData.dropped`` instead."""
    pair = symbols[:2]
    retry = f" — retrying in {wait(retry_in)}" if retry_in is not None else ""
    lines = [f"{failed[symbol]}{retry}" for symbol in pair if symbol in failed]
    waiting = health.waiting(now)
    by_kind: dict[str, list[str]] = {}
    for symbol in symbols:
        if symbol in waiting and symbol not in pair:
            by_kind.setdefault(waiting[symbol].kind, []).append(symbol)
    for kind, hit in by_kind.items():
        left = min((waiting[s].next_try - now).total_seconds() for s in hit)
        if len(hit) == 1:
            lines.append(f"{waiting[hit[0]].reason} — retrying it in {wait(left)}")
        else:
            what = _KIND_WORDS.get(kind, "failures")
            lines.append(f"{what[:1].upper()}{what[1:]} for {name_some(hit)} — retrying them in {wait(left)}")
    return lines


def _dropped(health: SymbolHealth) -> tuple[DroppedSymbol, ...]:
    return tuple(
        DroppedSymbol(symbol, t.dropped_at, t.reason)  # type: ignore[arg-type]
        for symbol, t in sorted(health.dropped().items())
    )
