"""Theme colours as plain hex strings, for Rich Text and plotext (which can't read Textual CSS variables)."""

from __future__ import annotations

from msgspec import Struct
from textual.app import App
from textual.color import Color


class Palette(Struct, frozen=True):
    up: str
    down: str
    warn: str
    accent: str
    small: str  # colour of the small-cap side wherever a leader is shown
    large: str
    muted: str

    def side(self, side: str) -> str:
        return {"small": self.small, "large": self.large}.get(side, self.muted)

    def sign(self, value: float | None) -> str:
        if value is None or value != value or value == 0:
            return ""
        return self.up if value > 0 else self.down


def _hex(variables: dict[str, str], name: str, fallback: str) -> str:
    try:
        return Color.parse(variables.get(name, fallback)).hex
    except Exception:  # a theme with an odd value: fall back rather than fail to draw
        return Color.parse(fallback).hex


def palette(app: App) -> Palette:
    v = app.theme_variables
    background = Color.parse(v.get("background", "#000000"))
    foreground = Color.parse(v.get("foreground", "#e0e0e0"))
    return Palette(
        up=_hex(v, "success", "#4EBF71"),
        down=_hex(v, "error", "#ba3c5b"),
        warn=_hex(v, "warning", "#ffa62b"),
        accent=_hex(v, "accent", "#ffa62b"),
        small=_hex(v, "success", "#4EBF71"),
        large=_hex(v, "primary", "#0178D4"),
        muted=background.blend(foreground, 0.55).hex,
    )
