"""Outside text made safe for one line of a terminal: the one sanitiser on every path to the screen.

Outside text is anything streakwatch did not write itself: CSV cells and file names, config keys and values,
paths, Yahoo's answers, error messages that quote any of these. It reaches the terminal through the panes,
notifications, the status line, the ``--once`` report and one-line errors on stderr; each of those paths passes
it through :func:`plain` first. Rich's ``Text`` keeps markup literal but lets escape sequences through, so this
is needed even where the text ends up in a ``Text``.

What goes, and why:

* escape sequences, whole: CSI (``ESC [``, cursor moves, clear-screen), OSC (``ESC ]``, window titles, OSC 52
  clipboard writes, hyperlinks), DCS, SOS, PM and APC strings up to their terminator, in the 7-bit ``ESC`` forms
  and the 8-bit C1 forms, and every other ``ESC`` + final byte;
* what is left of control characters: C0 (tab and line breaks become spaces: this is one line), DEL, C1;
* every format character (Unicode category Cf): the bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E,
  U+200F, U+061C) that reorder what is shown, and the invisible rest (zero-width spaces and joiners, soft hyphen,
  BOM, tag characters) that hide text or make Rich count cells differently from the terminal;
* private-use and unassigned characters stay;
* lone surrogates (a non-UTF-8 file name decoded with ``surrogateescape``) become U+FFFD: they cannot be
  encoded, and writing them would raise instead of printing.

No Textual or pandas import: the CLI, the report and the data layer's messages use it too.
"""

from __future__ import annotations

import re
import unicodedata

# An escape sequence, 7-bit or 8-bit: a control string (OSC, DCS, SOS, PM, APC) up to BEL or ST or the end of the
# text; a CSI with its parameters; any other ESC with its intermediate and final bytes.
_SEQUENCE = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
)
# Whatever control character is left in ASCII text (the common case: one regex pass, no per-character work).
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ELLIPSIS = "…"


def plain(text: object, limit: int | None = None) -> str:
    """``text`` as one printable line: no escape sequences, no control or format characters, whitespace runs
    (tabs and line breaks included) as single spaces, trimmed; cut to ``limit`` characters with an ellipsis.

    ``None`` becomes the empty string; anything else goes through ``str``.
    """
    value = "" if text is None else str(text)
    if "\x1b" in value or not value.isascii():
        value = _SEQUENCE.sub("", value)
    if value.isascii():
        value = _ASCII_CONTROL.sub(_ascii_control, value)
    else:
        value = "".join(_visible(ch) for ch in value)
    value = " ".join(value.split())
    if limit is not None and len(value) > limit:
        value = value[: max(limit - 1, 0)] + ELLIPSIS
    return value


def _ascii_control(match: re.Match[str]) -> str:
    return " " if match.group().isspace() else ""


def _visible(ch: str) -> str:
    """One character of non-ASCII text as it may be shown: any whitespace (NEL, line and paragraph separators
    included) as a space, control and format characters as nothing, a lone surrogate as U+FFFD. Private-use and
    unassigned characters stay: they move nothing and hide nothing."""
    if ch.isprintable():
        return ch
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category == "Cs":
        return "\ufffd"
    return "" if category in ("Cc", "Cf") else ch
