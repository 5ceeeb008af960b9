"""The panes' name for the one sanitiser, :func:`tui.textsafe.plain` (one line, an optional length cap).

Callers put the result in ``rich.text.Text`` objects, never in markup strings, so "[red]" stays literal.
"""

from __future__ import annotations

from tui.textsafe import plain

__all__ = ["plain"]
