"""Configuration (SPEC §6): TOML with complete defaults; unknown keys and wrong types name the key and the file.

The dataclasses below *are* the schema: :func:`load_config` walks a parsed TOML table against them, so a new
setting needs one field with a default and nothing else.
"""

from __future__ import annotations

import tomllib
import typing
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from tui.errors import ConfigError


@dataclass(frozen=True)
class Pair:
    small: str = "^RUT"
    large: str = "^GSPC"


@dataclass(frozen=True)
class Sector:
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


@dataclass(frozen=True)
class Band:
    """A watch/alert threshold pair. Whether "beyond" means above or below is the rule's own business."""

    watch: float
    alert: float


@dataclass(frozen=True)
class RiskRules:
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


@dataclass(frozen=True)
class RiskSymbols:
    """Symbols the risk rules read. Configurable for users whose data vendor names them differently."""

    credit: str = "HYG"
    treasuries: str = "IEF"
    ten_year: str = "^TNX"
    quality_small: str = "IJR"
    broad_small: str = "IWM"
    volatility: str = "^VIX"
    equal_weight: str = "RSP"
    cap_weight: str = "SPY"


@dataclass(frozen=True)
class Refresh:
    """Refresh cadence in seconds (SPEC §3): fast while the market is open, slow outside hours."""

    open_seconds: float = 60.0
    closed_seconds: float = 900.0


@dataclass(frozen=True)
class Display:
    theme: str = "textual-dark"
    spread_window: int = 60


@dataclass(frozen=True)
class HistorySettings:
    min_length: int = 7
    horizons: tuple[int, ...] = (20, 60, 120)


@dataclass(frozen=True)
class Alerts:
    streak_extended: bool = True
    streak_broke: bool = True
    milestone: bool = True
    record: bool = True
    risk_changed: bool = True
    bell: bool = False


@dataclass(frozen=True)
class Export:
    directory: str = "."


@dataclass(frozen=True)
class Config:
    pair: Pair = Pair()
    sectors: tuple[Sector, ...] = DEFAULT_SECTORS
    risks: RiskRules = RiskRules()
    risk_symbols: RiskSymbols = RiskSymbols()
    refresh: Refresh = Refresh()
    display: Display = Display()
    history: HistorySettings = HistorySettings()
    alerts: Alerts = Alerts()
    export: Export = Export()
    path: Path | None = field(default=None, compare=False)  # the file it was read from, if any

    @property
    def small(self) -> str:
        return self.pair.small

    @property
    def large(self) -> str:
        return self.pair.large

    def symbols(self) -> list[str]:
        """Every symbol the monitor needs, without duplicates, pair first."""
        wanted = [self.pair.small, self.pair.large, *(s.symbol for s in self.sectors)]
        wanted += [getattr(self.risk_symbols, f.name) for f in fields(self.risk_symbols)]
        return list(dict.fromkeys(wanted))


def default_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("streakwatch")) / "config.toml"


def load_config(path: str | Path | None = None) -> Config:
    """Read ``path`` (or the default location if it exists); defaults for everything not set.

    An explicitly named file that is missing is an error; a missing default file is not.
    """
    explicit = path is not None
    file = Path(path) if explicit else default_config_path()
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file not found: {file}")
        return Config()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot be read: {exc}") from None
    config = _build(Config, raw, "", file)
    _check_semantics(config, file)
    return replace(config, path=file)


def _build(cls: type, table: Any, prefix: str, file: Path, default: Any = None) -> Any:
    """Build dataclass ``cls`` from a TOML table, on top of ``default`` (or the class defaults)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: '{prefix.rstrip('.') or 'top level'}' must be a table")
    hints = typing.get_type_hints(cls)
    known = [f for f in fields(cls) if f.name != "path"]
    names = {f.name for f in known}
    for key in table:
        if key not in names:
            raise ConfigError(f"{file}: unknown key '{prefix}{key}'")
    base = default if default is not None else _class_default(cls)
    values = {
        f.name: _coerce(hints[f.name], table[f.name], f"{prefix}{f.name}", file, getattr(base, f.name, None))
        for f in known
        if f.name in table
    }
    if base is not None:
        return replace(base, **values)
    missing = [f.name for f in known if f.name not in table]
    if missing:
        raise ConfigError(f"{file}: '{prefix}{missing[0]}' is required")
    return cls(**values)


def _class_default(cls: type) -> Any:
    try:
        return cls()
    except TypeError:  # a dataclass with required fields (Sector): every key must be given
        return None


def _coerce(hint: Any, value: Any, key: str, file: Path, default: Any = None) -> Any:
    origin = typing.get_origin(hint)
    if is_dataclass(hint):
        return _build(hint, value, f"{key}.", file, default)
    if origin is tuple:
        item_type = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{file}: '{key}' must be an array")
        return tuple(_coerce(item_type, item, f"{key}[{i}]", file) for i, item in enumerate(value))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{file}: '{key}' must be true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{file}: '{key}' must be a whole number, not {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{file}: '{key}' must be a number, not {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{file}: '{key}' must be a string, not {value!r}")
        return value
    raise ConfigError(f"{file}: '{key}' cannot be set")


def _check_semantics(config: Config, file: Path) -> None:
    """Values that have the right type but cannot work."""
    symbols = [("pair.small", config.pair.small), ("pair.large", config.pair.large)]
    symbols += [(f"sectors[{i}].symbol", s.symbol) for i, s in enumerate(config.sectors)]
    for key, symbol in symbols:
        if not _is_symbol(symbol):
            raise ConfigError(f"{file}: '{key}' is not a ticker symbol: {symbol!r}")
    if config.pair.small == config.pair.large:
        raise ConfigError(f"{file}: 'pair.small' and 'pair.large' are the same symbol")
    positive = {
        "refresh.open_seconds": config.refresh.open_seconds,
        "refresh.closed_seconds": config.refresh.closed_seconds,
        "display.spread_window": config.display.spread_window,
        "history.min_length": config.history.min_length,
        "risks.lookback": config.risks.lookback,
        "risks.rsi_period": config.risks.rsi_period,
    }
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(f"{file}: '{key}' must be greater than 0, not {value!r}")
    if not 0 < config.risks.extension_percentile <= 100:
        raise ConfigError(f"{file}: 'risks.extension_percentile' must be above 0 and at most 100, "
                          f"not {config.risks.extension_percentile!r}")
    if config.refresh.open_seconds < 5:
        raise ConfigError(f"{file}: 'refresh.open_seconds' must be at least 5 (Yahoo rate-limits faster polling)")
    if any(h <= 0 for h in config.history.horizons):
        raise ConfigError(f"{file}: 'history.horizons' must be positive whole numbers")


def _is_symbol(text: str) -> bool:
    # Letters, digits and the punctuation tickers use (^RUT, BRK-B, BF.B, EURUSD=X); nothing that could be markup.
    return 0 < len(text) <= 20 and all(ch.isalnum() or ch in "^.-=_" for ch in text)
