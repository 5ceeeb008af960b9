"""A Static-like widget that renders its Rich content once per (content, width, style) into cached strips.

A Static holding a Rich ``Table`` renders it again for every question the layout asks (its height, then its
lines, on each of the frame's layout passes): the streak and risk panes' grids were rendered several times per
frame. Here the content goes through the same pipeline as a Static's (``visualize`` → ``Visual.to_strips`` with
the widget's style), so it looks the same, but only once; the height is the number of cached lines, and an update
that keeps the height only repaints (no layout pass).
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from textual.geometry import Size
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
        """Show ``content``: a repaint if its height at the current width is unchanged, else a layout pass."""
        self._content = content
        self._strips = None
        width = self.size.width
        height = self.styles.height
        if height is not None and not height.is_auto:
            self.refresh()  # a fixed height: the layout can't change
        elif width and self._last_height is not None and len(self._lines(width)) == self._last_height:
            self.refresh()
        else:
            self.refresh(layout=True)

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
