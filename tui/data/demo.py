"""``--source demo``: a deterministic simulation of every symbol the monitor reads (SPEC §2), no files needed.

How it is built, and why:

* **One world per seed.** A handful of factors is simulated once over every XNYS session from ``EPOCH`` to a
  horizon past today: the market (log level = a trend plus a mean-reverting deviation, so ^GSPC stays at
  realistic levels), ^VIX (mean-reverting, pushed up by market falls; its level sets the market's volatility),
  ^TNX (a slow mean-reverting yield) and a small-cap factor. Every symbol is a fixed mix of those plus its own
  noise. Random numbers are drawn in fixed blocks of *calendar days* keyed by (seed, stream, block), so the bar
  of a date never depends on ``now``, on how far the horizon reaches or on which other symbols were asked for.
* **Streaks on a schedule.** Small-cap streak episodes (8–15 sessions, on which the small-cap factor is forced
  to beat the market by a modest, realistic margin) are separated by 35–84 sessions of ordinary noise (the first
  of them a large-cap win, so every episode ends cleanly; the rest pull the relative level back). So long
  streaks are rare, as in real history, and the percentile and "longest since" figures mean something. One
  episode is pinned to start on ``PIVOT`` (``PIVOT_LENGTH`` sessions) whatever the seed, so a clock in late
  November 2026 sees a long current streak; at other times the current streak is usually short, as it would be.
* **Intraday.** While today's session runs (and until its bar completes), each symbol follows a minute-by-minute
  Brownian bridge from the previous close to today's (already determined) close, seeded by (symbol, date). So the
  quote ticks as time passes and the completed bar equals where the path ended. Today's race reads the same
  bridge for the pair (the first two symbols asked, or any pair :meth:`DemoSource.race` is asked for): a point
  every 5 minutes from the open and one at the current minute, where the quote is; after the close, and until
  the next session opens, the whole last session, complete; the axis ends at the session's close (13:00 ET on
  a half day).
* **Futures.** Before the open of a session day, ``RTY=F`` and ``ES=F`` (and any other ``=F`` symbol asked that
  ``FUTURES`` knows) walk minute by minute from their previous settlement since 18:00 ET the evening before,
  seeded by (symbol, session date), correlated with each other as the indices are.
"""

from __future__ import annotations

import math
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from msgspec import Struct

from tui.data.base import LABEL_SIMULATED, Clock, FuturesQuote, IntradayPath, MarketData, Quote, Race
from tui.data.market_clock import ET, GRACE, LAST_DAY, MarketStatus, market_status, session_dates, session_hours
from tui.errors import UsageError

EPOCH = date(2000, 1, 3)  # first simulated session; fixed so every date's bar is fixed
REF = date(2026, 1, 2)  # levels are pinned on this session
PIVOT = date(2026, 11, 5)  # a small-cap streak episode starts here for every seed
PIVOT_LENGTH = 16  # 2026-11-05 .. 2026-11-27

_BLOCK = 1024  # calendar days per block of random numbers
_SESSIONS_PER_YEAR = 252.0

# Market: ^GSPC log level = log(GSPC_REF) + drift * sessions since REF + x, x mean-reverting.
GSPC_REF = 6200.0
_DRIFT = 0.06 / _SESSIONS_PER_YEAR
_X_REVERT = 0.02  # deviation sd ~5 %: keeps recent levels realistic
# ^VIX: log-OU around VIX_MEAN; the market's daily vol is VOL_OF_VIX * VIX / sqrt(252) (implied > realised).
VIX_MEAN = 17.5
_VIX_REVERT = 0.035
_VIX_ON_MARKET = -0.055  # VIX log change per 1-sd market shock: the negative correlation
_VIX_OWN = 0.04
_VOL_OF_VIX = 0.85
# ^TNX, percent: OU around TNX_MEAN; daily sd ~4.5 bp.
TNX_MEAN = 4.2
_TNX_REVERT = 0.008
_TNX_SD = 0.045
# ^RUT log level = log(RUT_REF) + RUT_BETA * (market log level - log GSPC_REF) + small-cap factor level.
RUT_REF = 2300.0
RUT_BETA = 1.15
_SMALL_SD = 0.0085  # small-cap factor daily sd at average volatility
_STREAK_SCALE, _STREAK_FLOOR = 0.45, 0.0008  # an episode day's spread: SCALE * |noise| + FLOOR (log)
_GIVE_BACK = 0.10  # share of the accumulated small-cap lead given back per gap day

_STREAK, _GAP_FIRST, _GAP = 1, -1, 0


class _Spec(Struct, frozen=True):
    """A symbol as a mix of the factors (log returns) plus its own noise, with its level on ``REF``."""

    base: float
    mkt: float = 1.0  # loading on the market's log return
    small: float = 0.0  # loading on the small-cap factor's log return
    rate: float = 0.0  # log return per percentage point of ^TNX change
    idio: float = 0.01  # own daily noise at average volatility
    intraday_mkt: float = 0.7  # correlation of its minute noise with the market's


_SPECS: dict[str, _Spec] = {
    "IJR": _Spec(118.0, 1.12, 0.95, idio=0.0025, intraday_mkt=0.85),
    "RSP": _Spec(190.0, 0.97, 0.30, idio=0.0025, intraday_mkt=0.95),
    "HYG": _Spec(80.5, 0.25, 0.05, rate=-0.035, idio=0.0012, intraday_mkt=0.5),
    "IEF": _Spec(95.5, -0.05, 0.0, rate=-0.072, idio=0.0005, intraday_mkt=-0.2),
    # Small-cap sectors: their own betas to the small-cap factor, plus idiosyncratic noise.
    "KRE": _Spec(62.0, 1.15, 1.40, rate=0.02, idio=0.013),
    "PSCI": _Spec(135.0, 1.15, 1.00, idio=0.007),
    "PSCH": _Spec(44.0, 0.90, 0.90, idio=0.009),
    "PSCD": _Spec(110.0, 1.20, 1.10, idio=0.008),
    "PSCT": _Spec(50.0, 1.35, 0.90, rate=-0.01, idio=0.010),
    "PSCF": _Spec(56.0, 1.05, 1.20, rate=0.01, idio=0.008),
    "PSCE": _Spec(45.0, 1.00, 0.90, idio=0.018, intraday_mkt=0.5),
    "PSCM": _Spec(82.0, 1.10, 1.00, idio=0.009),
    "PSCU": _Spec(66.0, 0.55, 0.60, rate=-0.03, idio=0.008, intraday_mkt=0.5),
    "PSCC": _Spec(74.0, 0.65, 0.70, idio=0.007, intraday_mkt=0.5),
}
# ETFs that track an index closely: a fixed ratio and a tiny stationary tracking difference.
_TRACKERS: dict[str, tuple[str, float]] = {"IWM": ("^RUT", 0.0995), "SPY": ("^GSPC", 0.0998)}
_INTRADAY_MKT = {"^GSPC": 1.0, "^RUT": 0.85, "^VIX": -0.8, "^TNX": 0.3, "IWM": 0.85, "SPY": 1.0}
_DECIMALS = {"^TNX": 3}

#: Index futures the demo simulates: the index each tracks and its settlement's premium over the index's close.
FUTURES: dict[str, tuple[str, float]] = {
    "RTY=F": ("^RUT", 1.003),
    "ES=F": ("^GSPC", 1.004),
    "M2K=F": ("^RUT", 1.003),
    "MES=F": ("^GSPC", 1.004),
}
DEFAULT_FUTURES = ("RTY=F", "ES=F")  # served before the open whether asked or not (config.premarket's defaults)
RACE_STEP_MINUTES = 5  # today's race: a point every 5 minutes, as the chart endpoint's bars
_OPEN = time(9, 30)  # ET, every XNYS session (half days close early, never open late)
_GLOBEX_REOPEN = time(18, 0)  # ET, the evening before: futures trade overnight from here
_OVERNIGHT_SHARE = 0.5  # an overnight futures move's sd, as a share of the index's daily sd

_SYMBOL_CACHE = 256  # per-symbol paths kept (each ~60 kB)
_FRAME_CACHE = 4  # assembled frames kept, per (symbols, last completed)


def _stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))  # never hash(): it is salted per process


def _normals(key: Sequence[int], days: np.ndarray) -> np.ndarray:
    """Standard normals for the given day offsets from EPOCH, each fixed by (key, day)."""
    blocks = days // _BLOCK
    out = np.empty(len(days))
    for block in np.unique(blocks):
        mask = blocks == block
        draws = np.random.default_rng([*key, int(block)]).standard_normal(_BLOCK)
        out[mask] = draws[days[mask] % _BLOCK]
    return out


def _episode_schedule(seed: int, n: int, pivot: int) -> np.ndarray:
    """Per session: _STREAK, _GAP_FIRST or _GAP. Laid out both ways from the pinned episode at ``pivot``."""
    role = np.full(n, _GAP, dtype=np.int8)

    def lengths(k: int) -> tuple[int, int]:
        h = _stable_hash(f"{seed}/episode/{k}")
        return 8 + h % 8, 35 + (h >> 8) % 50  # episode 8..15 sessions, then 35..84 sessions of ordinary noise

    role[pivot : pivot + PIVOT_LENGTH] = _STREAK
    pos, k = pivot + PIVOT_LENGTH, 1
    while pos < n:
        episode, gap = lengths(k)
        role[pos] = _GAP_FIRST
        role[pos + gap : pos + gap + episode] = _STREAK
        pos, k = pos + gap + episode, k + 1
    pos, k = pivot, -1
    while pos > 0:
        episode, gap = lengths(k)
        role[max(pos - gap, 0)] = _GAP_FIRST
        role[max(pos - gap - episode, 0) : max(pos - gap, 0)] = _STREAK
        pos, k = pos - gap - episode, k - 1
    return role


class _World(Struct, frozen=True):
    sessions: pd.DatetimeIndex
    days: np.ndarray  # calendar-day offsets of the sessions from EPOCH
    ref: int  # index of REF
    market: np.ndarray  # log return of the market (^GSPC)
    small: np.ndarray  # log return of the small-cap factor
    vol: np.ndarray  # volatility regime: market vol / its average (prior day's VIX)
    gspc: np.ndarray  # log levels
    rut: np.ndarray
    vix: np.ndarray  # levels
    tnx: np.ndarray
    role: np.ndarray

    def position(self, day: date) -> int:
        """Index of the last session on or before ``day``."""
        return int(self.sessions.searchsorted(pd.Timestamp(day), side="right")) - 1


def _horizon(day: date) -> date:
    # Changes once a year only, so the world is rebuilt at most that often; never past what the clock can place.
    return min(max(date(2027, 12, 31), date(day.year + 1, 12, 31)), LAST_DAY)


@lru_cache(maxsize=2)
def _world(seed: int, horizon: date) -> _World:
    sessions = session_dates(EPOCH, horizon)
    n = len(sessions)
    days = np.asarray((sessions - pd.Timestamp(EPOCH)).days, dtype=np.int64)
    zm, zs, zv, zy = (_normals((seed, 0, stream), days).tolist() for stream in range(4))
    ref = int(sessions.searchsorted(pd.Timestamp(REF)))
    role = _episode_schedule(seed, n, int(sessions.searchsorted(pd.Timestamp(PIVOT))))
    roles = role.tolist()

    market, small, vol, vix, tnx, xs = ([0.0] * n for _ in range(6))
    mean_vol = _VOL_OF_VIX * VIX_MEAN / 100 / math.sqrt(_SESSIONS_PER_YEAR)
    x, log_vix, y, lead = 0.0, math.log(VIX_MEAN), TNX_MEAN, 0.0
    log_vix_mean = math.log(VIX_MEAN)
    # Sequential by nature (volatility depends on yesterday's VIX, the give-back on the lead so far);
    # ~7,000 sessions of plain float arithmetic, once per seed.
    for t in range(n):
        regime = math.exp(log_vix) / VIX_MEAN
        shock = mean_vol * regime * zm[t]
        x_new = x * (1.0 - _X_REVERT) + shock
        market[t] = _DRIFT + x_new - x
        x = xs[t] = x_new
        log_vix += _VIX_REVERT * (log_vix_mean - log_vix) + _VIX_ON_MARKET * zm[t] + _VIX_OWN * zv[t]
        log_vix = min(max(log_vix, math.log(9.0)), math.log(80.0))
        y = min(max(y + _TNX_REVERT * (TNX_MEAN - y) + _TNX_SD * zy[t] + 0.01 * zm[t], 0.5), 8.0)
        noise = _SMALL_SD * regime * zs[t]
        # On the log scale the small index beats the market iff (RUT_BETA - 1) * market + small > 0.
        tilt = (RUT_BETA - 1.0) * market[t]
        if roles[t] == _STREAK:
            step = _STREAK_SCALE * abs(noise) + _STREAK_FLOOR - tilt
        elif roles[t] == _GAP_FIRST:
            step = -(_STREAK_SCALE * abs(noise) + _STREAK_FLOOR) - tilt
        else:
            step = noise - _GIVE_BACK * lead
        lead += step
        small[t], vol[t], vix[t], tnx[t] = step, regime, math.exp(log_vix), y

    market_a, small_a = np.array(market), np.array(small)
    trend = math.log(GSPC_REF) + _DRIFT * (np.arange(n) - ref)
    gspc = trend + np.array(xs)
    lead_level = np.cumsum(small_a)
    rut = math.log(RUT_REF) + RUT_BETA * (gspc - math.log(GSPC_REF)) + lead_level - lead_level[ref]
    return _World(sessions, days, ref, market_a, small_a, np.array(vol), gspc, rut, np.array(vix),
                  np.array(tnx), role)  # fmt: skip


def _spec(symbol: str) -> _Spec:
    """A known symbol's mix, or a generic stock whose character is fixed by its name."""
    if symbol in _SPECS:
        return _SPECS[symbol]
    h = _stable_hash(symbol)
    return _Spec(base=20.0 + h % 300, mkt=0.7 + (h >> 9) % 70 / 100, small=0.2, idio=0.012 + (h >> 17) % 10 / 1000)


def _log_path(world: _World, seed: int, symbol: str) -> np.ndarray:
    """Log price of ``symbol`` on every session of ``world``."""
    if symbol == "^GSPC":
        return world.gspc
    if symbol == "^RUT":
        return world.rut
    if symbol == "^VIX":
        return np.log(world.vix)
    if symbol == "^TNX":
        return np.log(world.tnx)
    key = (seed, 1, _stable_hash(symbol))
    if symbol in _TRACKERS:
        index, ratio = _TRACKERS[symbol]
        tracking = 0.0001 * _normals(key, world.days)  # stationary: never drifts away from the index
        return _log_path(world, seed, index) + math.log(ratio) + tracking
    spec = _spec(symbol)
    rate_change = np.diff(world.tnx, prepend=TNX_MEAN)
    steps = spec.mkt * world.market + spec.small * world.small + spec.rate * rate_change
    steps = steps + spec.idio * world.vol * _normals(key, world.days)
    level = np.cumsum(steps)
    return math.log(spec.base) + level - level[world.ref]


def _daily_sd(log_path: np.ndarray, i: int) -> float:
    """The sd of the 20 daily log returns before session ``i`` (1 % when there are fewer than two to go on)."""
    returns = np.diff(log_path[max(i - 21, 0) : i])
    return (float(np.std(returns)) or 0.01) if len(returns) >= 2 else 0.01


def _round(symbol: str, values: float | np.ndarray) -> np.ndarray | np.floating:
    return np.round(values, _DECIMALS.get(symbol, 2))


class DemoSource:
    """Simulated market data (SPEC §2 ``demo``). Always labelled SIMULATED."""

    name = "demo"

    def __init__(self, clock: Clock, seed: int = 7, years: int = 4) -> None:
        self.clock = clock
        self.seed = int(seed) % 2**32
        self.years = max(1, int(years))
        self._paths: OrderedDict[tuple[date, str], np.ndarray] = OrderedDict()
        self._frames: OrderedDict[tuple[tuple[str, ...], date], pd.DataFrame] = OrderedDict()

    # -- the DataSource protocol --

    def fetch(self, symbols: Sequence[str]) -> MarketData:
        now = self.clock()
        status = market_status(now)
        if status.last_completed < EPOCH:
            raise UsageError(f"the demo simulates sessions from {EPOCH}: nothing to show as of {status.last_completed}")
        wanted = tuple(dict.fromkeys(symbols))
        world = _world(self.seed, _horizon(status.last_completed))
        closes = self._closes(world, wanted, status.last_completed)
        quotes: dict[str, Quote] = {}
        futures: dict[str, FuturesQuote] = {}
        today, open_at, close_at = status.session, status.open, status.close  # all three are set on a trading day
        if (
            today is not None
            and open_at is not None
            and close_at is not None
            and open_at <= status.now < close_at + GRACE
            and world.position(today) > 0  # a session needs a previous close to start from
        ):
            quotes = self._quotes(world, wanted, status.now, today, open_at, close_at)
        pair = [s for s in wanted if s not in FUTURES][:2]
        intraday = self._race_at(world, pair, status)
        if today is not None and open_at is not None and status.now < open_at and world.position(today) > 0:
            asked = [s for s in wanted if s in FUTURES]
            futures = self._futures(world, tuple(dict.fromkeys([*DEFAULT_FUTURES, *asked])), status.now, today)
        return MarketData(
            source="demo",
            label=LABEL_SIMULATED,
            closes=closes.copy(),  # callers may mutate their frame; the cached one must stay intact
            quotes=quotes,
            fundamentals=self._fundamentals(world, status.last_completed),
            fetched_at=now,
            now=now,
            intraday=intraday,
            futures=futures,
        )

    def race(self, pair: Sequence[str], now: datetime) -> Race:
        """Today's race for any ``pair`` at ``now``, as a fetch at ``now`` would give it (a pair just chosen on the
        board): every symbol is simulated, so every pair moves."""
        status = market_status(now)
        if status.last_completed < EPOCH:
            return {}, None
        world = _world(self.seed, _horizon(status.last_completed))
        return self._race_at(world, [s for s in pair if s not in FUTURES][:2], status), None

    def close(self) -> None:
        self._paths.clear()
        self._frames.clear()

    # -- internals --

    def _path(self, world: _World, symbol: str) -> np.ndarray:
        key = (world.sessions[-1].date(), symbol)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = _log_path(world, self.seed, symbol)
            if len(self._paths) > _SYMBOL_CACHE:
                self._paths.popitem(last=False)
        else:
            self._paths.move_to_end(key)
        return path

    def _closes(self, world: _World, symbols: tuple[str, ...], last: date) -> pd.DataFrame:
        key = (symbols, last)
        frame = self._frames.get(key)
        if frame is not None:
            self._frames.move_to_end(key)
            return frame
        end = world.position(last)
        try:
            first_day = last.replace(year=last.year - self.years)
        except ValueError:  # 29 February
            first_day = last.replace(year=last.year - self.years, day=28)
        start = max(world.position(first_day - timedelta(days=1)) + 1, 0)
        index = pd.DatetimeIndex(world.sessions[start : end + 1], name="Date")
        columns = {s: _round(s, np.exp(self._path(world, s)[start : end + 1])) for s in symbols}
        frame = pd.DataFrame(columns, index=index, columns=list(symbols), dtype=float)
        self._frames[key] = frame
        if len(self._frames) > _FRAME_CACHE:
            self._frames.popitem(last=False)
        return frame

    def _quotes(
        self, world: _World, symbols: tuple[str, ...], now: datetime, today: date, open_at: datetime, close_at: datetime
    ) -> dict[str, Quote]:
        minutes = int((close_at - open_at).total_seconds() // 60)
        k = min(int((now - open_at).total_seconds() // 60), minutes)
        at = open_at + timedelta(minutes=k)  # the minute the price belongs to (the close once closed)
        session = pd.Timestamp(today)
        return {
            symbol: Quote(symbol, self._minute_prices(world, symbol, today, minutes, [k])[0], at, session)
            for symbol in symbols
        }

    def _minute_prices(self, world: _World, symbol: str, day: date, minutes: int, ks: list[int]) -> list[float]:
        """``symbol``'s price at minutes ``ks`` of session ``day`` (``minutes`` long), as quoted (rounded)."""
        i = world.position(day)
        ordinal = day.toordinal()
        common = np.random.default_rng([self.seed, 2, ordinal]).standard_normal(minutes)
        path = self._path(world, symbol)
        prev, close = path[i - 1], path[i]
        daily_sd = _daily_sd(path, i)
        rho = _INTRADAY_MKT.get(symbol, _spec(symbol).intraday_mkt)
        own = np.random.default_rng([self.seed, 3, _stable_hash(symbol), ordinal]).standard_normal(minutes)
        walk = np.cumsum(rho * common + math.sqrt(1.0 - rho * rho) * own)
        prices = []
        for k in ks:
            # Brownian bridge: pinned to the previous close at the bell and to the day's close at the end.
            bridge = (walk[k - 1] if k > 0 else 0.0) - k / minutes * walk[-1]
            log_price = prev + k / minutes * (close - prev) + daily_sd / math.sqrt(minutes) * bridge
            prices.append(float(_round(symbol, math.exp(log_price))))
        return prices

    def _race_at(self, world: _World, pair: list[str], status: MarketStatus) -> dict[str, IntradayPath]:
        """The pair's race at ``status.now``: today's session from its open on (running, or just closed), else
        the last completed session's, whole, until the next one opens."""
        today, open_at, close_at = status.session, status.open, status.close
        race: tuple[date, datetime, datetime] | None = None
        if today is not None and open_at is not None and close_at is not None and status.now >= open_at:
            race = (today, open_at, close_at)  # the session in progress, or just closed
        else:  # until the next session opens, the last one's race
            hours = session_hours(status.last_completed)
            if hours is not None:
                race = (status.last_completed, *hours)
        if race is None or world.position(race[0]) <= 0:  # a session needs a previous close to start from
            return {}
        return self._race(world, pair, status.now, *race)

    def _race(
        self, world: _World, pair: list[str], now: datetime, day: date, open_at: datetime, close_at: datetime
    ) -> dict[str, IntradayPath]:
        """The pair's paths through session ``day`` up to ``now``: every RACE_STEP_MINUTES from the open, and the
        current minute (the quote's), or the whole session once it has closed."""
        i = world.position(day)
        minutes = int((close_at - open_at).total_seconds() // 60)
        k_now = min(int((now - open_at).total_seconds() // 60), minutes)
        ks = list(range(0, k_now + 1, RACE_STEP_MINUTES))
        if ks[-1] != k_now:
            ks.append(k_now)
        times = tuple(open_at + timedelta(minutes=k) for k in ks)
        session = pd.Timestamp(day)
        paths = {}
        for symbol in pair:
            previous_close = float(_round(symbol, math.exp(self._path(world, symbol)[i - 1])))
            prices = tuple(self._minute_prices(world, symbol, day, minutes, ks))
            paths[symbol] = IntradayPath(
                symbol, session, previous_close, times, prices, complete=k_now == minutes, session_close=close_at
            )
        return paths

    def _futures(self, world: _World, symbols: tuple[str, ...], now: datetime, today: date) -> dict[str, FuturesQuote]:
        """Each future's last trade before the open of ``today``: a walk from its previous settlement (the index's
        previous close times a premium) since 18:00 ET the evening before, by the minute."""
        i = world.position(today)
        start = datetime.combine(today - timedelta(days=1), _GLOBEX_REOPEN, ET)
        length = int((datetime.combine(today, _OPEN, ET) - start).total_seconds() // 60)
        k = max(0, min(int((now - start).total_seconds() // 60), length))
        ordinal = today.toordinal()
        common = np.random.default_rng([self.seed, 4, ordinal]).standard_normal(length)
        out = {}
        for symbol in symbols:
            index, premium = FUTURES[symbol]
            path = self._path(world, index)
            daily_sd = _daily_sd(path, i)
            rho = _INTRADAY_MKT.get(index, 0.85)
            own = np.random.default_rng([self.seed, 5, _stable_hash(index), ordinal]).standard_normal(length)
            walk = np.cumsum(rho * common + math.sqrt(1.0 - rho * rho) * own)
            drift = _OVERNIGHT_SHARE * daily_sd / math.sqrt(length) * (walk[k - 1] if k > 0 else 0.0)
            settle = round(math.exp(path[i - 1]) * premium * 4) / 4  # index futures trade in quarter points
            price = round(settle * math.exp(drift) * 4) / 4
            out[symbol] = FuturesQuote(symbol, price, settle, (start + timedelta(minutes=k)).astimezone(now.tzinfo))
        return out

    def _fundamentals(self, world: _World, last: date) -> dict[str, dict[str, float]]:
        # Trailing P/E follows price against earnings growing ~8 % a year, kept in a plausible band.
        i = world.position(last)
        years = (i - world.ref) / _SESSIONS_PER_YEAR
        out = {}
        for symbol, base, low, high in (("IWM", 17.5, 15.5, 19.5), ("SPY", 25.5, 23.5, 27.5)):
            path = self._path(world, symbol)
            pe = base * math.exp(path[i] - path[world.ref] - 0.08 * years)
            out[symbol] = {"trailing_pe": round(min(max(pe, low), high), 2)}
        return out
