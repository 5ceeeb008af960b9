"""Outside text (symbols, names, CSV cells, error messages) made safe to show in a terminal.

Rich markup is avoided by building ``rich.text.Text`` objects; this strips what ``Text`` would still pass
through: escape sequences and other control characters that could move the cursor or retitle the terminal.
"""

from __future__ import annotations

import re

# CSI / OSC / other ESC sequences first, then any remaining C0/C1 control character except tab and newline.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """``text`` as a string with escape sequences and control characters removed (tabs become spaces)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text))).replace("\t", " ")
