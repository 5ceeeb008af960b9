"""Configuration (SPEC §6): TOML with complete defaults; unknown keys and wrong types name the key and the file.

The records below *are* the schema: :func:`load_config` walks a parsed TOML table against them, so a new
setting needs one field with a default (and, for a number, its sane range in :func:`_check_semantics`).

The file is outside text: it is read with a byte cap (no FIFO, device or endless file), its nesting is measured
before ``tomllib`` sees it (whose recursion and key bookkeeping grow without bound), and every number must be
finite and within a range where the setting still means something, so a value can neither crash the monitor nor
silently switch a rule off.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from msgspec import Struct
from msgspec.structs import replace

from tui.data.files import FileRefused, read_capped
from tui.errors import ConfigError, UsageError
from tui.records import value_apart_from


class Pair(Struct, frozen=True):
    """Two symbols compared session by session, and what the user calls them (may be empty for ``[pair]``)."""

    small: str = "^RUT"
    large: str = "^GSPC"
    name: str = ""

    def same_symbols(self, other: Pair) -> bool:
        return (self.small, self.large) == (other.small, other.large)


#: The board of pairs (``[[pairs]]``): the rotation seen from several sides at once.
DEFAULT_PAIRS: tuple[Pair, ...] = (
    Pair("^RUT", "^GSPC", "Russell 2000 vs S&P 500"),
    Pair("IWM", "SPY", "Small caps vs total return"),
    Pair("RSP", "SPY", "Equal weight vs cap weight"),
    Pair("IWN", "IWO", "Small value vs small growth"),
    Pair("IJH", "SPY", "Mid caps vs large caps"),
    Pair("IWM", "QQQ", "Small caps vs the Nasdaq-100"),
)


class Sector(Struct, frozen=True):
    """A small-cap sector ETF of the sector table (``[[sectors]]``): its symbol and the name shown."""

    symbol: str
    name: str


DEFAULT_SECTORS: tuple[Sector, ...] = (
    Sector("KRE", "Regional Banks"),
    Sector("PSCI", "Industrials"),
    Sector("PSCH", "Health Care"),
    Sector("PSCD", "Consumer Discretionary"),
    Sector("PSCT", "Technology"),
    Sector("PSCF", "Financials"),
    Sector("PSCE", "Energy"),
    Sector("PSCM", "Materials"),
    Sector("PSCU", "Utilities"),
    Sector("PSCC", "Consumer Staples"),
)


class Band(Struct, frozen=True):
    """A watch/alert threshold pair. Whether "beyond" means above or below is the rule's own business."""

    watch: float
    alert: float


class RiskRules(Struct, frozen=True):
    """Thresholds of SPEC §5. Returns are fractions (-0.02 = -2 %); rates are basis points."""

    lookback: int = 20  # sessions, for the 20-session changes
    economic: Band = Band(-0.02, -0.04)  # HYG/IEF change, below
    rates: Band = Band(25.0, 50.0)  # ^TNX change in bp, above
    quality: Band = Band(0.02, 0.04)  # IWM ahead of IJR over the streak, above
    volatility: Band = Band(20.0, 30.0)  # ^VIX level, at or above
    breadth: Band = Band(-0.01, -0.02)  # RSP/SPY change, below
    valuation: Band = Band(0.85, 1.0)  # P/E IWM / SPY, above
    # A small-cap streak at or above this percentile of earlier small-cap streaks (about 8 sessions): watch; one
    # as long as the longest of them: alert. Below the 99th the rule fires on most streaks (the 90th is 4).
    extension_percentile: float = 99.0
    extension_rsi: Band = Band(70.0, 80.0)  # 14-session RSI of the small index, above
    rsi_period: int = 14


class RiskSymbols(Struct, frozen=True):
    """Symbols the risk rules read. Configurable for users whose data vendor names them differently."""

    credit: str = "HYG"
    treasuries: str = "IEF"
    ten_year: str = "^TNX"
    quality_small: str = "IJR"
    broad_small: str = "IWM"
    volatility: str = "^VIX"
    equal_weight: str = "RSP"
    cap_weight: str = "SPY"


class Refresh(Struct, frozen=True):
    """Refresh cadence in seconds (SPEC §3): fast while the market is open, slow outside hours while the last
    session's final bars are still owed, and rare once they are on hand (nothing can change before the bell)."""

    open_seconds: float = 60.0
    closed_seconds: float = 900.0
    idle_seconds: float = 21_600.0  # 6 h: a weekend is about ten checks, not 260; never below closed_seconds


class Premarket(Struct, frozen=True):
    """Index futures read before the cash open (SPEC: the pre-market read): small vs large, indicative only."""

    small: str = "RTY=F"  # E-mini Russell 2000
    large: str = "ES=F"  # E-mini S&P 500


class Display(Struct, frozen=True):
    """How the monitor looks (``[display]``): the Textual theme and the spread chart's window in sessions."""

    theme: str = "textual-dark"
    spread_window: int = 60


class HistorySettings(Struct, frozen=True):
    """The history screen (``[history]``): the shortest streak listed and the forward horizons in sessions."""

    min_length: int = 7
    horizons: tuple[int, ...] = (20, 60, 120)


#: When alerts also go out as desktop notifications: only while the terminal is not focused, always, or never
#: (in the monitor only). See tui/notify.py.
DESKTOP_MODES = ("unfocused", "always", "off")
#: How a desktop notification is sent: chosen from the terminal ("auto"), one escape sequence, or a command.
NOTIFY_METHODS = ("auto", "osc9", "osc777", "osc99", "command")
#: The placeholders a notification command may hold, each replaced by the sanitised text of the alert.
COMMAND_PLACEHOLDERS = ("{title}", "{body}")
MAX_COMMAND_ARGS = 64  # far more than any notifier needs; bounds what a config can make the monitor spawn


class RotationSettings(Struct, frozen=True):
    """The rotation map (tui/analytics/rotation.py): its period and how many of them each symbol's tail shows."""

    period: str = "weekly"  # "weekly": the last completed close of each week (to Friday); "daily": each session
    tail: int = 8  # periods drawn behind each symbol's current point (the current one included)


ROTATION_PERIODS = ("weekly", "daily")
MAX_TAIL = 52


class Alerts(Struct, frozen=True):
    """Which streak and risk events alert (``[alerts]``), and how: the bell, desktop notifications, a command."""

    streak_extended: bool = True
    streak_broke: bool = True
    milestone: bool = True
    record: bool = True
    risk_changed: bool = True
    quadrant: bool = True  # a sector (or the pair) entering Leading or Lagging on the rotation map
    bell: bool = False
    desktop: str = "unfocused"  # one of DESKTOP_MODES
    notify_with: str = "auto"  # one of NOTIFY_METHODS; "auto" means "command" when a command is given
    command: tuple[str, ...] = ()  # program and arguments, run without a shell; e.g. notify-send {title} {body}


class Export(Struct, frozen=True):
    """Where `e` writes its screenshot (SVG) and snapshot (JSON) (``[export]``)."""

    directory: str = "."


class Config(Struct, frozen=True):
    """The whole configuration: a TOML file's tables over these defaults (see :func:`load_config`)."""

    pair: Pair = Pair()  # the pair shown first (and the one every pane follows: see with_active_pair)
    pairs: tuple[Pair, ...] = DEFAULT_PAIRS
    sectors: tuple[Sector, ...] = DEFAULT_SECTORS
    risks: RiskRules = RiskRules()
    risk_symbols: RiskSymbols = RiskSymbols()
    refresh: Refresh = Refresh()
    premarket: Premarket = Premarket()
    display: Display = Display()
    history: HistorySettings = HistorySettings()
    rotation: RotationSettings = RotationSettings()
    alerts: Alerts = Alerts()
    export: Export = Export()
    path: Path | None = None  # the file it was read from, if any: not part of the config's value

    __eq__, __hash__ = value_apart_from("path")

    @property
    def small(self) -> str:
        return self.pair.small

    @property
    def large(self) -> str:
        return self.pair.large

    def symbols(self) -> list[str]:
        """Every symbol the monitor needs, without duplicates, pair first (a live source treats the first two
        as the headline), then the sectors, the risk rules' symbols and the board's pairs."""
        wanted = [self.pair.small, self.pair.large, *(s.symbol for s in self.sectors)]
        wanted += [getattr(self.risk_symbols, name) for name in self.risk_symbols.__struct_fields__]
        wanted += [symbol for pair in self.pairs for symbol in (pair.small, pair.large)]
        return list(dict.fromkeys(wanted))

    def board(self) -> tuple[Pair, ...]:
        """The pairs on the board: ``[[pairs]]``, with ``[pair]`` first if it is not among them (a ``[pair]``
        that is among them is that entry, with its name)."""
        if any(p.same_symbols(self.pair) for p in self.pairs):
            return self.pairs
        return (self.pair, *self.pairs)

    def active_index(self) -> int:
        """The position of ``[pair]`` on the board."""
        return next(i for i, p in enumerate(self.board()) if p.same_symbols(self.pair))

    def find_pair(self, wanted: str) -> int:
        """The board position of the pair ``wanted`` names: its number on the board (1 = first), its name (any
        case) or its symbols ("IWM/SPY"). UsageError, listing the choices, when none matches."""
        board = self.board()
        text = wanted.strip()
        if text.isdigit() and 1 <= int(text) <= len(board):
            return int(text) - 1
        for i, pair in enumerate(board):
            if text.casefold() in (pair.name.casefold(), f"{pair.small}/{pair.large}".casefold()):
                return i
        choices = ", ".join(f"{i}: {p.small}/{p.large}" for i, p in enumerate(board, start=1))
        raise UsageError(f"--pair {_shown(wanted)} is not on the board ({choices})")

    def with_active_pair(self, index: int) -> Config:
        """This configuration with the board's pair ``index`` as THE pair (every pane follows it). The board
        itself is kept whole, so the result's board, and any later choice, are the same as this one's."""
        board = self.board()
        return replace(self, pair=board[index % len(board)], pairs=board)


def default_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("streakwatch")) / "config.toml"


#: Largest config file read. A full config is ~2 kB; this leaves room for comments and long sector lists while
#: bounding what a huge or endless file can cost.
MAX_CONFIG_BYTES = 256 * 1024
#: Deepest nesting accepted, counting arrays, inline tables and table headers ([[sectors]] is 2), and the most
#: dots on one line outside strings (dotted keys, and the decimal points of numbers). The schema needs 3.
MAX_NESTING = 16
#: Refresh periods, seconds: at least 5 (Yahoo rate-limits faster polling), at most a day (a longer period would
#: sleep through whole sessions).
REFRESH_BOUNDS = (5.0, 86_400.0)
#: The longest span, in sessions, any window, lookback or horizon may ask for: 100 years, more than any source
#: holds (^GSPC on Yahoo starts in 1927).
MAX_SESSIONS = 25_200
MAX_HORIZONS = 6  # columns of the history screen
MAX_SECTORS = 50
MAX_PAIRS = 12  # rows of the board of pairs, and a bound on the symbols each refresh asks for
MAX_TEXT = 1_000  # characters in any text setting (names, theme, export directory)

#: Per risk band (a :class:`Band` field of :class:`RiskRules`): the side on which its value is bad, and the range
#: both thresholds must lie in for the rule to be able to fire. "above": watch ≤ alert; "below": watch ≥ alert.
RISK_BANDS: dict[str, tuple[str, float, float]] = {
    "economic": ("below", -1.0, 1.0),  # change of a price ratio, a fraction: never below -100 %
    "rates": ("above", -1_000.0, 1_000.0),  # basis points of ^TNX change over the lookback
    "quality": ("above", -1.0, 1.0),  # difference of two returns over the streak
    "volatility": ("above", 0.0, 100.0),  # ^VIX level; its record close is 82.69 (Nov 2008)
    "breadth": ("below", -1.0, 1.0),
    "valuation": ("above", 0.0, 10.0),  # P/E of IWM over P/E of SPY
    "extension_rsi": ("above", 0.0, 100.0),  # an RSI lies in [0, 100]
}


def load_config(path: str | Path | None = None) -> Config:
    """Read ``path`` (or the default location if it exists); defaults for everything not set.

    An explicitly named file that is missing is an error; a missing default file is not.
    """
    explicit = path is not None
    file = Path(path) if explicit else default_config_path()
    if not explicit and not file.exists():
        return Config()
    text = _read_text(file)
    _check_nesting(text, file)
    import tomllib  # only when there is a file: ~3.5 ms on the way to the first frame of every start without one

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except ValueError as exc:  # an integer of more than 4300 digits, which int() refuses to convert
        raise ConfigError(f"{file}: not valid TOML: {str(exc).partition(':')[0]}") from None
    config = _build(Config, raw, "", file)
    _check_semantics(config, file)
    return replace(config, path=file)


def _read_text(file: Path) -> str:
    """The file's text: a regular file of at most :data:`MAX_CONFIG_BYTES` bytes, read at bounded cost."""
    try:
        data = read_capped(file, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {file}") from None
    except FileRefused as exc:
        raise ConfigError(f"{file}: {exc}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ConfigError(f"{file}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{file} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x})") from None


# The nesting scan steps over strings (their brackets and dots are text) and comments, and counts the rest.
_NESTING_TOKENS = re.compile(
    r'"""(?:\\.|[^\\])*?""""{0,2}'  # multi-line basic string (may end in up to two more quotes)
    r"|'''.*?''''{0,2}"  # multi-line literal string
    r'|"(?:\\.|[^"\\\n])*"'  # basic string
    r"|'[^'\n]*'"  # literal string
    r"|#[^\n]*"  # comment
    r"|[\[\]{}.\n]",
    re.DOTALL,
)


def _check_nesting(text: str, file: Path) -> None:
    """Refuse text nested deeper than :data:`MAX_NESTING` before ``tomllib`` parses it.

    ``tomllib`` recurses once per level of arrays and inline tables (a RecursionError some hundreds of levels
    down) and keeps every prefix of a dotted key (memory quadratic in its length). Keys cannot span lines, so the
    dots on a line bound a key's depth.
    """
    depth = dots = 0
    for match in _NESTING_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                break
        elif token in ("]", "}"):
            depth -= 1
        elif token == ".":
            dots += 1
            if dots > MAX_NESTING:
                break
        elif "\n" in token:  # a line end, or a multi-line string that ends on a later line
            dots = 0
    else:
        return
    line = text.count("\n", 0, match.start()) + 1
    raise ConfigError(
        f"{file} line {line}: nested too deeply (more than {MAX_NESTING} levels of arrays, tables or dotted keys)"
    )


def _build(cls: type, table: Any, prefix: str, file: Path, default: Any = None, whole: bool = False) -> Any:
    """Build record ``cls`` from a TOML table, on top of ``default`` (or the class defaults); ``whole``: every
    key must be given (an entry of an array, such as one of ``[[pairs]]``, is not a change to a default one)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: '{prefix.rstrip('.') or 'top level'}' must be a table, not {_described(table)}")
    hints = typing.get_type_hints(cls)
    known = [name for name in cls.__struct_fields__ if name != "path"]
    names = set(known)
    for key in table:
        if key not in names:
            raise ConfigError(f"{file}: unknown key {_shown(prefix + key)}")
    base = default if default is not None else None if whole else _class_default(cls)
    values = {
        name: _coerce(hints[name], table[name], f"{prefix}{name}", file, getattr(base, name, None))
        for name in known
        if name in table
    }
    if base is not None:
        return replace(base, **values)
    missing = [name for name in known if name not in table]
    if missing:
        raise ConfigError(f"{file}: '{prefix}{missing[0]}' is required")
    return cls(**values)


def _class_default(cls: type) -> Any:
    try:
        return cls()
    except TypeError:  # a record with required fields (Sector): every key must be given
        return None


def _coerce(hint: Any, value: Any, key: str, file: Path, default: Any = None, whole: bool = False) -> Any:
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, Struct):
        return _build(hint, value, f"{key}.", file, default, whole)
    if origin is tuple:
        item_type = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{file}: '{key}' must be an array, not {_described(value)}")
        return tuple(_coerce(item_type, item, f"{key}[{i}]", file, whole=True) for i, item in enumerate(value))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{file}: '{key}' must be true or false, not {_described(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{file}: '{key}' must be a whole number, not {_described(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{file}: '{key}' must be a number, not {_described(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            number = math.inf
        if not math.isfinite(number):
            raise ConfigError(f"{file}: '{key}' must be a finite number, not {_described(value)}")
        return number
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{file}: '{key}' must be a string, not {_described(value)}")
        if len(value) > MAX_TEXT or "\x00" in value:
            raise ConfigError(f"{file}: '{key}' must be text of at most {MAX_TEXT} characters, without NUL")
        return value
    raise ConfigError(f"{file}: '{key}' cannot be set")


def _check_semantics(config: Config, file: Path) -> None:
    """Values of the right type that cannot work: each must lie where its setting still means something."""

    def refuse(key: str, why: str) -> NoReturn:
        raise ConfigError(f"{file}: '{key}' {why}")

    symbols = [("pair.small", config.pair.small), ("pair.large", config.pair.large)]
    symbols += [
        (f"pairs[{i}].{side}", getattr(p, side)) for i, p in enumerate(config.pairs) for side in ("small", "large")
    ]
    symbols += [(f"sectors[{i}].symbol", s.symbol) for i, s in enumerate(config.sectors)]
    symbols += [(f"risk_symbols.{name}", getattr(config.risk_symbols, name)) for name in RiskSymbols.__struct_fields__]
    for key, symbol in symbols:
        if not _is_symbol(symbol):
            refuse(key, f"is not a ticker symbol: {_shown(symbol)}")
    if config.pair.small == config.pair.large:
        raise ConfigError(f"{file}: 'pair.small' and 'pair.large' are the same symbol")
    for i, listed in enumerate(config.pairs):
        if listed.small == listed.large:
            refuse(f"pairs[{i}]", f"compares {_shown(listed.small)} with itself")
        if any(listed.same_symbols(earlier) for earlier in config.pairs[:i]):
            refuse(f"pairs[{i}]", f"lists {_shown(listed.small)} vs {_shown(listed.large)} a second time")
    if len(config.board()) > MAX_PAIRS:
        refuse("pairs", f"makes a board of {len(config.board())} pairs (with [pair]); at most {MAX_PAIRS}")
    if len(config.sectors) > MAX_SECTORS:
        refuse("sectors", f"lists {len(config.sectors)} sectors; at most {MAX_SECTORS}")

    low, high = REFRESH_BOUNDS
    for name in ("open_seconds", "closed_seconds", "idle_seconds"):
        seconds = getattr(config.refresh, name)
        if not low <= seconds <= high:
            why = " (Yahoo rate-limits faster polling)" if seconds < low else ""
            refuse(f"refresh.{name}", f"must be between {low:g} and {high:g} seconds, not {seconds:g}{why}")

    def sessions(key: str, value: int, least: int = 1) -> None:
        if not least <= value <= MAX_SESSIONS:
            refuse(key, f"must be between {least} and {MAX_SESSIONS} sessions, not {_described(value)}")

    sessions("display.spread_window", config.display.spread_window)
    sessions("history.min_length", config.history.min_length)
    sessions("risks.lookback", config.risks.lookback)
    sessions("risks.rsi_period", config.risks.rsi_period, least=2)  # an RSI of one change is only 0 or 100
    horizons = config.history.horizons
    if not 1 <= len(horizons) <= MAX_HORIZONS:
        refuse("history.horizons", f"must list 1 to {MAX_HORIZONS} horizons, not {len(horizons)}")
    for i, horizon in enumerate(horizons):
        sessions(f"history.horizons[{i}]", horizon)
    if len(set(horizons)) < len(horizons):
        refuse("history.horizons", "lists a horizon twice")

    if config.rotation.period not in ROTATION_PERIODS:
        refuse(
            "rotation.period",
            f"must be one of {', '.join(map(repr, ROTATION_PERIODS))}, not {_shown(config.rotation.period)}",
        )
    if not 1 <= config.rotation.tail <= MAX_TAIL:
        refuse("rotation.tail", f"must be between 1 and {MAX_TAIL} periods, not {_described(config.rotation.tail)}")

    percentile = config.risks.extension_percentile
    if not 0 < percentile <= 100:
        refuse("risks.extension_percentile", f"must be greater than 0 and at most 100, not {percentile:g}")
    for name, (bad_side, least, most) in RISK_BANDS.items():
        band: Band = getattr(config.risks, name)
        for part in ("watch", "alert"):
            value = getattr(band, part)
            if not least <= value <= most:
                refuse(f"risks.{name}.{part}", f"must be between {least:g} and {most:g}, not {value:g}")
        if (band.watch > band.alert) if bad_side == "above" else (band.watch < band.alert):
            rises, order = ("rises", "≤") if bad_side == "above" else ("falls", "≥")
            refuse(
                f"risks.{name}.watch",
                f"({band.watch:g}) is {bad_side} 'alert' ({band.alert:g}): this rule fires "
                f"as its value {rises}, watch first, so watch must be {order} alert",
            )
    _check_alerts(config.alerts, refuse)


def _check_alerts(alerts: Alerts, refuse: Callable[[str, str], NoReturn]) -> None:
    """The desktop-notification settings: known words, and a command that can be run as an argument list."""
    for key, value, allowed in (
        ("desktop", alerts.desktop, DESKTOP_MODES),
        ("notify_with", alerts.notify_with, NOTIFY_METHODS),
    ):
        if value not in allowed:
            refuse(f"alerts.{key}", f"must be one of {', '.join(map(repr, allowed))}, not {_shown(value)}")
    command = alerts.command
    if len(command) > MAX_COMMAND_ARGS:
        refuse("alerts.command", f"has {len(command)} arguments; at most {MAX_COMMAND_ARGS}")
    if alerts.notify_with == "command" and not command:
        refuse("alerts.notify_with", "is 'command' but 'alerts.command' is empty: give the program and its arguments")
    if command:
        program = command[0]
        if not program.strip():
            refuse("alerts.command[0]", "must name the program to run, not be empty")
        # The program is chosen by the user, never by the text of an alert.
        if any(placeholder in program for placeholder in COMMAND_PLACEHOLDERS):
            refuse("alerts.command[0]", f"is the program to run and cannot hold a placeholder: {_shown(program)}")


def _is_symbol(text: str) -> bool:
    # Letters, digits and the punctuation tickers use (^RUT, BRK-B, BF.B, EURUSD=X); nothing that could be markup.
    return 0 < len(text) <= 20 and all(ch.isalnum() or ch in "^.-=_" for ch in text)


_MAX_SHOWN = 40  # longest text quoted in a message: a value can be a megabyte


def _shown(text: str) -> str:
    return repr(text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…")


def _described(value: Any) -> str:
    """A value for an error message: one short line whatever its size or depth."""
    if isinstance(value, str):
        return _shown(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"a number of {len(str(abs(value)))} digits"
    return repr(value)
