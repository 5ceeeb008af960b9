"""Shared fixtures. Real market history is read from ../shared at test time, never copied into the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No property here is about speed: an example that a loaded machine stalls past Hypothesis's default 200 ms
# deadline (then "Unreliable test timings" when its rerun is fast), or a strategy it generates slowly (too_slow),
# would fail a run with no defect. Tests still set their own example counts.
settings.register_profile("streakwatch", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("streakwatch")

REPO = Path(__file__).resolve().parent.parent
SHARED_MARKET = Path(os.environ.get("STREAKWATCH_SHARED", REPO.parent / "shared")) / "data" / "market"
REPLAY_DIR = SHARED_MARKET / "replay"

requires_real_data = pytest.mark.skipif(
    not REPLAY_DIR.is_dir(),
    reason=f"real market history not found at {REPLAY_DIR} (it lives in ../shared, beside a CI checkout)",
)


@pytest.fixture
def replay_dir() -> Path:
    if not REPLAY_DIR.is_dir():
        pytest.skip(f"real market history not found at {REPLAY_DIR}")
    return REPLAY_DIR


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """No test may read or write the real user's config or cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("STREAKWATCH_YAHOO_URL", raising=False)


def pytest_collection_modifyitems(config, items):
    """Every test that compares an SVG picture is marked svg_snapshot, wherever it lives: `make test-min` leaves
    them out (the pictures record one Textual release's rendering)."""
    for item in items:
        if "snap_compare" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.svg_snapshot)
