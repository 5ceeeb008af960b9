"""Config (SPEC §6): complete defaults; every error names the key and the file."""

from __future__ import annotations

import pytest

from tui.config import Band, Config, load_config
from tui.errors import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_complete_defaults():
    config = load_config()
    assert config == Config()
    assert config.small == "^RUT" and config.large == "^GSPC"
    assert [s.symbol for s in config.sectors][:2] == ["KRE", "PSCI"] and len(config.sectors) == 10
    assert config.risks.volatility == Band(20.0, 30.0)


def test_default_symbols_cover_pair_sectors_and_risks():
    symbols = Config().symbols()
    assert symbols[:2] == ["^RUT", "^GSPC"]
    for needed in ("KRE", "PSCC", "HYG", "IEF", "^TNX", "IJR", "IWM", "^VIX", "RSP", "SPY"):
        assert needed in symbols
    assert len(symbols) == len(set(symbols))


def test_partial_overrides_keep_other_defaults(tmp_path):
    config = load_config(write(tmp_path, '[pair]\nsmall = "IWM"\nlarge = "SPY"\n[risks.volatility]\nwatch = 22\n'))
    assert (config.small, config.large) == ("IWM", "SPY")
    assert config.risks.volatility == Band(22.0, 30.0)
    assert config.risks.rates == Config().risks.rates
    assert config.path is not None


def test_sectors_replace_the_default_list(tmp_path):
    config = load_config(write(tmp_path, '[[sectors]]\nsymbol = "KRE"\nname = "Banks"\n'))
    assert [(s.symbol, s.name) for s in config.sectors] == [("KRE", "Banks")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[pair]\nsmal = "IWM"\n', "unknown key 'pair.smal'"),
        ("colour = 1\n", "unknown key 'colour'"),
        ('[risks.volatility]\nwatch = "high"\n', "'risks.volatility.watch' must be a number"),
        ("[refresh]\nopen_seconds = true\n", "'refresh.open_seconds' must be a number"),
        ("[history]\nmin_length = 2.5\n", "'history.min_length' must be a whole number"),
        ('[[sectors]]\nsymbol = "KRE"\n', "'sectors[0].name' is required"),
        ("sectors = 3\n", "'sectors' must be an array"),
        ("pair = 1\n", "'pair' must be a table"),
        ("[refresh]\nopen_seconds = 1\n", "'refresh.open_seconds' must be at least 5"),
        ('[pair]\nsmall = "^GSPC"\n', "are the same symbol"),
        ('[pair]\nsmall = "[red]x"\n', "'pair.small' is not a ticker symbol"),
        ("[display]\nspread_window = 0\n", "'display.spread_window' must be greater than 0"),
        ("[risks]\nextension_percentile = 120\n", "'risks.extension_percentile' must be above 0 and at most 100"),
        ("[pair\n", "not valid TOML"),
    ],
)
def test_errors_name_the_key_and_the_file(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_the_readme_config_example_loads(tmp_path):
    """The example a user copies from the README must be a valid config."""
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    config = load_config(write(tmp_path, example))
    assert (config.small, config.large) == ("IWM", "SPY")
    assert config.risks.volatility == Band(22.0, 30.0)
    assert config.export.directory == "~/streakwatch-exports"
