"""A Static-like widget that renders its Rich content once per (content, width, style) into cached strips.

A Static holding a Rich ``Table`` renders it again for every question the layout asks (its height, then its
lines, on each of the frame's layout passes): the streak and risk panes' grids were rendered several times per
frame. Here the content goes through the same pipeline as a Static's (``visualize`` → ``Visual.to_strips`` with
the widget's style), so it looks the same, but only once; the height is the number of cached lines, and an update
that keeps the height only repaints (no layout pass), and only the lines that changed: a new value on one line of
a grid repaints that line, an update to the same text (a pane redrawn for another part of the snapshot) nothing.
"""

from __future__ import annotations

from typing import Any, Hashable

from rich.console import RenderableType
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget


class Lines(Widget):
    """Rich content drawn from strips cached on (width, visual style); ``height: auto`` by default."""

    DEFAULT_CSS = """
    Lines {
        height: auto;
    }
    """

    def __init__(self, content: RenderableType = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._content: RenderableType = content
        self._strips: tuple[Any, list[Strip]] | None = None  # ((width, style), strips)
        self._last_height: int | None = None  # lines at the width the layout last asked about

    @property
    def content(self) -> RenderableType:
        return self._content

    def update(self, content: RenderableType) -> None:
        """Show ``content``: a repaint of the lines that changed if its height at the current width is unchanged,
        else a layout pass."""
        if same_look(content, self._content):
            return  # rendering a Text costs ~0.3 ms even when nothing changed
        previous = self._strips
        self._content = content
        self._strips = None
        height = self.styles.height
        fixed_height = height is not None and not height.is_auto  # the layout can't change
        width = self.size.width
        if not width:
            self.refresh(layout=not fixed_height)  # not laid out (or not shown) yet
            return
        lines = self._lines(width)
        if not fixed_height and len(lines) != self._last_height:
            self.refresh(layout=True)
        elif previous is None or previous[0] != self._strips[0]:  # type: ignore[index]
            self.refresh()  # last drawn at another width or style: all of it
        else:
            self._refresh_changed(previous[1], lines, width)

    def _refresh_changed(self, old: list[Strip], new: list[Strip], width: int) -> None:
        """Repaint only the lines that differ (each repainted line is composited again, line by line)."""
        for y in range(max(len(old), len(new))):
            if y >= len(old) or y >= len(new) or old[y] != new[y]:
                self.refresh(Region(0, y, width, 1))

    def _lines(self, width: int) -> list[Strip]:
        style = self.visual_style
        key = (width, style)
        cached = self._strips
        if cached is not None and cached[0] == key:
            return cached[1]
        strips = Visual.to_strips(self, visualize(self, self._content, markup=False), width, None, style) if width > 0 else []
        self._strips = (key, strips)
        return strips

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        height = len(self._lines(width))
        self._last_height = height
        return height

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self._lines(width)
        if y < len(lines):
            return lines[y]
        return Strip.blank(width, self.visual_style.rich_style)


def look(text: Text) -> Hashable:
    """What a Text's rendering depends on (Text's own ``==`` ignores the base style and the wrapping options)."""
    return (text.plain, tuple(text.spans), text.style, text.justify, text.overflow, text.no_wrap, text.end,
            text.tab_size)


def same_look(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` surely render alike: equal texts (other renderables, a Rich Table, don't compare)."""
    return isinstance(a, Text) and isinstance(b, Text) and look(a) == look(b)
