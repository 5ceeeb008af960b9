"""Outside text (symbols, names, error messages, banners) made safe for one line of the screen.

Builds on :func:`tui.textsafe.plain` (escape sequences and control characters removed) and adds what a pane
needs: one line, a length cap. Callers put the result in ``rich.text.Text`` objects, never in markup strings,
so "[red]" stays literal.
"""

from __future__ import annotations

from tui.textsafe import plain as _strip


def plain(text: object, limit: int | None = None) -> str:
    """``text`` as one printable line: no escape sequences, no control characters, at most ``limit`` cells."""
    value = " ".join(_strip("" if text is None else text).split())
    if limit is not None and len(value) > limit:
        value = value[: max(limit - 1, 0)] + "…"
    return value
