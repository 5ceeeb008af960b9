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
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    imported = result.stdout.split()
    assert "tui.analytics.streaks" in imported and "tui.data.base" in imported
