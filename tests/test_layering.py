"""The data and analytics layers must not pull in Textual: they run in workers, scripts and --once mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """
import importlib, pkgutil, sys
import tui.analytics, tui.data, tui.data.base, tui.model, tui.config
imported = []
for package in (tui.data, tui.analytics):
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
print(" ".join(imported))
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
assert not loaded, f"textual was imported: {loaded[:5]}"
"""


def test_data_and_analytics_do_not_import_textual():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    imported = result.stdout.split()
    assert "tui.analytics.streaks" in imported and "tui.data.base" in imported


NO_PANDAS_SCRIPT = """
import sys
import tui.config, tui.model, tui.fmt, tui.textsafe, tui.data.base, tui.data.factory
from tui.data.factory import open_source, parse_source
source, clock = open_source(parse_source("replay:" + sys.argv[1]))
loaded = sorted(m for m in ("pandas", "numpy") if m in sys.modules)
assert not loaded, f"imported before the first fetch: {loaded}"
data = source.fetch(["^RUT", "^GSPC"])  # the fetch (in the app's worker) is where pandas comes in
assert "pandas" in sys.modules and len(data.closes) > 0
"""


def test_the_ui_path_does_not_import_pandas_before_the_first_fetch(replay_dir):
    """Modules the UI imports before its first paint, and building a replay source, stay free of pandas (~280 ms)."""
    result = subprocess.run(
        [sys.executable, "-c", NO_PANDAS_SCRIPT, str(replay_dir)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


NO_PANDAS_LIVE_SCRIPT = """
import sys
from tui.data.factory import open_source, parse_source
for kind in ("demo", "yahoo", "auto"):
    source, clock = open_source(parse_source(kind), cache_path=sys.argv[1])
    assert source.name == kind
    source.close()
loaded = sorted(m for m in ("pandas", "numpy", "yfinance", "exchange_calendars") if m in sys.modules)
assert not loaded, loaded
"""


def test_building_demo_and_live_sources_imports_nothing_heavy(tmp_path):
    """The demo and live sources are built on their first fetch (in the worker), not before the first paint."""
    result = subprocess.run(
        [sys.executable, "-c", NO_PANDAS_LIVE_SCRIPT, str(tmp_path / "cache.sqlite3")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
