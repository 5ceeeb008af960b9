"""A large, bold number for reading the streak length from across the desk (3 rows of half blocks)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

# Each glyph is 3 cells wide and 3 rows tall; half blocks give 6 "pixels" of height.
_GLYPHS = {
    "0": ("█▀█", "█ █", "▀▀▀"),
    "1": ("▀█ ", " █ ", "▀▀▀"),
    "2": ("▀▀█", "█▀▀", "▀▀▀"),
    "3": ("▀▀█", " ▀█", "▀▀▀"),
    "4": ("█ █", "▀▀█", "  ▀"),
    "5": ("█▀▀", "▀▀█", "▀▀▀"),
    "6": ("█▀▀", "█▀█", "▀▀▀"),
    "7": ("▀▀█", "  █", "  ▀"),
    "8": ("█▀█", "█▀█", "▀▀▀"),
    "9": ("█▀█", "▀▀█", "▀▀▀"),
    "-": ("   ", "▀▀▀", "   "),
    "?": ("▀▀█", " ▀ ", " ▀ "),
}


def big(text: str) -> list[str]:
    rows = ["", "", ""]
    for i, ch in enumerate(text):
        glyph = _GLYPHS.get(ch, _GLYPHS["?"])
        for r in range(3):
            rows[r] += (" " if i else "") + glyph[r]
    return rows


class BigNumber(Widget):
    """Renders ``value`` in 3-row digits; colour comes from CSS."""

    DEFAULT_CSS = """
    BigNumber {
        width: auto;
        height: 3;
    }
    """

    def __init__(self, value: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._value = value

    @property
    def value(self) -> str:
        return self._value

    MIN_DIGITS = 2  # room for two digits even when showing one: 9 → 10 moves nothing, and costs no layout pass

    def update(self, value: str) -> None:
        if value != self._value:
            wider = self._width(value) != self._width(self._value)
            self._value = value
            self.refresh(layout=wider)  # the same width: a repaint

    @classmethod
    def _width(cls, value: str) -> int:
        return len(big(value.rjust(cls.MIN_DIGITS))[0])

    def get_content_width(self, container, viewport) -> int:  # type: ignore[override]
        return self._width(self._value)

    def get_content_height(self, container, viewport, width) -> int:  # type: ignore[override]
        return 3

    def render(self) -> Text:
        return Text("\n".join(big(self._value)))
