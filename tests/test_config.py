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
        ("[refresh]\nopen_seconds = 1\n", "'refresh.open_seconds' must be between 5 and 86400 seconds, not 1"),
        ('[pair]\nsmall = "^GSPC"\n', "are the same symbol"),
        ('[pair]\nsmall = "[red]x"\n', "'pair.small' is not a ticker symbol"),
        ("[display]\nspread_window = 0\n", "'display.spread_window' must be between 1 and 25200 sessions, not 0"),
        (
            "[risks]\nextension_percentile = 120\n",
            "'risks.extension_percentile' must be greater than 0 and at most 100",
        ),
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


# --- numbers that are not numbers, and numbers that cannot work (issue 11) ----------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[risks.volatility]\nwatch = nan\n", "'risks.volatility.watch' must be a finite number, not nan"),
        ("[risks.volatility]\nalert = -inf\n", "'risks.volatility.alert' must be a finite number, not -inf"),
        ("[refresh]\nopen_seconds = inf\n", "'refresh.open_seconds' must be a finite number, not inf"),
        ("[refresh]\nclosed_seconds = +nan\n", "'refresh.closed_seconds' must be a finite number"),
        ("[risks]\nextension_percentile = nan\n", "'risks.extension_percentile' must be a finite number"),
        # an integer no float can hold is not finite either
        (
            "[refresh]\nopen_seconds = " + "9" * 400 + "\n",
            "'refresh.open_seconds' must be a finite number, not a number of 400 digits",
        ),
        ("[refresh]\nopen_seconds = 1e300\n", "'refresh.open_seconds' must be between 5 and 86400 seconds, not 1e+300"),
        ("[refresh]\nclosed_seconds = 86401\n", "'refresh.closed_seconds' must be between 5 and 86400 seconds"),
        ("[refresh]\nclosed_seconds = 4.9\n", "'refresh.closed_seconds' must be between 5 and 86400 seconds, not 4.9"),
        ("[refresh]\nidle_seconds = 86401\n", "'refresh.idle_seconds' must be between 5 and 86400 seconds"),
        ("[refresh]\nidle_seconds = nan\n", "'refresh.idle_seconds' must be a finite number"),
        ("[risks]\nlookback = 0\n", "'risks.lookback' must be between 1 and 25200 sessions, not 0"),
        (
            "[risks]\nlookback = 9223372036854775807\n",
            "'risks.lookback' must be between 1 and 25200 sessions, not a number of 19 digits",
        ),
        ("[risks]\nrsi_period = 1\n", "'risks.rsi_period' must be between 2 and 25200 sessions, not 1"),
        ("[risks]\nrsi_period = true\n", "'risks.rsi_period' must be a whole number, not True"),
        ("[history]\nmin_length = -3\n", "'history.min_length' must be between 1 and 25200 sessions, not -3"),
        ("[history]\nhorizons = [20, 0]\n", "'history.horizons[1]' must be between 1 and 25200 sessions, not 0"),
        ("[history]\nhorizons = [20, 1000000]\n", "'history.horizons[1]' must be between 1 and 25200 sessions"),
        ("[history]\nhorizons = []\n", "'history.horizons' must list 1 to 6 horizons, not 0"),
        ("[history]\nhorizons = [1, 2, 3, 4, 5, 6, 7]\n", "'history.horizons' must list 1 to 6 horizons, not 7"),
        ("[history]\nhorizons = [20, 60, 20]\n", "'history.horizons' lists a horizon twice"),
        ("[history]\nhorizons = [[20]]\n", "'history.horizons[0]' must be a whole number, not an array"),
        ("[display]\nspread_window = 100000\n", "'display.spread_window' must be between 1 and 25200 sessions"),
        (
            "[risks]\nextension_percentile = 0\n",
            "'risks.extension_percentile' must be greater than 0 and at most 100, not 0",
        ),
        (
            "[risks]\nextension_percentile = 100.5\n",
            "'risks.extension_percentile' must be greater than 0 and at most 100",
        ),
        # each band in its rule's direction: "above" rules need watch <= alert, "below" rules watch >= alert
        ("[risks.volatility]\nwatch = 40\n", "'risks.volatility.watch' (40) is above 'alert' (30)"),
        ("[risks.rates]\nwatch = 60\nalert = 50\n", "'risks.rates.watch' (60) is above 'alert' (50)"),
        ("[risks.extension_rsi]\nwatch = 85\n", "'risks.extension_rsi.watch' (85) is above 'alert' (80)"),
        ("[risks.economic]\nwatch = -0.05\n", "'risks.economic.watch' (-0.05) is below 'alert' (-0.04)"),
        ("[risks.breadth]\nwatch = -0.03\nalert = -0.02\n", "'risks.breadth.watch' (-0.03) is below 'alert' (-0.02)"),
        # thresholds the value can never cross would switch the rule off without a word
        (
            "[risks.volatility]\nwatch = 500\nalert = 1000\n",
            "'risks.volatility.watch' must be between 0 and 100, not 500",
        ),
        ("[risks.economic]\nalert = -2.0\n", "'risks.economic.alert' must be between -1 and 1, not -2"),
        ("[risks.extension_rsi]\nalert = 101\n", "'risks.extension_rsi.alert' must be between 0 and 100, not 101"),
        ("[risks.valuation]\nwatch = -1\n", "'risks.valuation.watch' must be between 0 and 10, not -1"),
        ('[risk_symbols]\ncredit = "[b]HYG"\n', "'risk_symbols.credit' is not a ticker symbol"),
        ('[export]\ndirectory = "' + "d" * 1001 + '"\n', "'export.directory' must be text of at most 1000 characters"),
        ('[display]\ntheme = "a\\u0000b"\n', "'display.theme' must be text of at most 1000 characters, without NUL"),
        ("[pair]\nsmall = " + "[" * 10 + "]" * 10 + "\n", "'pair.small' must be a string, not an array"),
    ],
)
def test_numbers_out_of_reason_name_the_key_and_the_file(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300 + len(str(path))


def test_too_many_sectors_is_an_error(tmp_path):
    text = "".join(f'[[sectors]]\nsymbol = "S{i}"\nname = "Sector {i}"\n' for i in range(51))
    with pytest.raises(ConfigError, match=r"'sectors' lists 51 sectors; at most 50"):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("[risks.volatility]\nwatch = 30\nalert = 30\n", ("volatility", 30.0, 30.0)),  # equal: straight to alert
        ("[risks.economic]\nwatch = -0.04\nalert = -0.04\n", ("economic", -0.04, -0.04)),
        ("[risks.rates]\nwatch = -10\nalert = 0\n", ("rates", -10.0, 0.0)),  # "above" thresholds may be negative
        ("[risks.extension_rsi]\nwatch = 0\nalert = 100\n", ("extension_rsi", 0.0, 100.0)),
    ],
)
def test_bands_at_their_limits_load(tmp_path, text, band):
    name, watch, alert = band
    assert getattr(load_config(write(tmp_path, text)).risks, name) == Band(watch, alert)


def test_settings_at_their_bounds_load(tmp_path):
    text = (
        "[refresh]\nopen_seconds = 5\nclosed_seconds = 86400\nidle_seconds = 5\n[risks]\nlookback = 1\nrsi_period = 2\n"
        "extension_percentile = 100\n[history]\nmin_length = 25200\nhorizons = [1, 2, 3, 4, 5, 25200]\n"
        "[display]\nspread_window = 1\n"
    )
    config = load_config(write(tmp_path, text))
    assert (config.refresh.open_seconds, config.refresh.closed_seconds) == (5.0, 86400.0)
    assert config.refresh.idle_seconds == 5.0  # loads; the clock never polls idle faster than closed_seconds
    assert (config.risks.lookback, config.risks.rsi_period, config.risks.extension_percentile) == (1, 2, 100.0)
    assert config.history.horizons == (1, 2, 3, 4, 5, 25200) and config.display.spread_window == 1


def test_every_risk_band_has_a_direction_and_a_range():
    """A new Band in RiskRules must say which way it fires, or its thresholds would go unchecked."""
    from msgspec.structs import fields

    from tui.config import RISK_BANDS, RiskRules

    bands = {f.name for f in fields(RiskRules) if isinstance(getattr(RiskRules(), f.name), Band)}
    assert bands == set(RISK_BANDS)
    assert {side for side, _, _ in RISK_BANDS.values()} == {"above", "below"}


def test_the_defaults_pass_their_own_checks(tmp_path):
    assert load_config(write(tmp_path, "")) == Config()
