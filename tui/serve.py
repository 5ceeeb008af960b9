"""``streakwatch serve``: the monitor in a web browser, through textual-serve (the optional extra ``serve``).

Each browser tab that opens the page starts its own monitor process (``python -m tui`` with the options given to
``serve``), whose screen textual-serve streams to xterm.js in the page. The options are parsed and checked by
tui/cli.py before anything is served, so a bad ``--source`` fails at once, not in the first browser tab.

Offline: the page textual-serve ships links its font, Roboto Mono, from a web font service. The same font is in
the package's own statics (``static/fonts``), so :func:`offline_page` swaps that link for an ``@font-face`` rule
that loads it from this server: the page asks nothing of the internet, and looks as textual-serve meant it to.
Should a later textual-serve stop shipping the font, the link is still dropped and the page's own fallbacks (a
local monospace font) take over.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tui.errors import UsageError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PAGE = "app_index.html"  # textual-serve's page template
FONT_FILES = {"normal": "RobotoMono-VariableFont_wght.ttf", "italic": "RobotoMono-Italic-VariableFont_wght.ttf"}
# A stylesheet link to anywhere but this server (the template's own statics are "{{ config.static.url }}...").
_REMOTE_STYLESHEET = re.compile(r"""<link\b[^>]*\bhref\s*=\s*["']https?://[^"']*["'][^>]*>\s*""", re.I)


def textual_serve_dir() -> Path:
    """Where the installed textual-serve keeps its templates and statics; a UsageError saying how to get it."""
    try:
        import textual_serve
    except ImportError:
        raise UsageError(
            "streakwatch serve needs the serve extra: pip install 'streakwatch[serve]' "
            "(pipx install 'streakwatch[serve]', uv tool install 'streakwatch[serve]')"
        ) from None
    return Path(textual_serve.__file__).parent


def offline_page(template: str, fonts: Path) -> str:
    """textual-serve's page ``template`` with every stylesheet linked from the internet removed, and Roboto Mono
    declared from this server's statics when ``fonts`` (the package's static/fonts folder) holds it."""
    page = _REMOTE_STYLESHEET.sub("", template)
    static_url = "{{ config.static.url }}"  # the template's own placeholder, filled in by textual-serve
    faces = [
        f"@font-face {{ font-family: 'Roboto Mono'; font-style: {style}; font-weight: 100 700; "
        f"src: url('{static_url}fonts/{name}') format('truetype'); }}"
        for style, name in FONT_FILES.items()
        if (fonts / name).is_file()
    ]
    if faces:
        rules = "\n".join(faces)
        page = page.replace("</head>", f"<style>\n{rules}\n</style>\n</head>", 1)
    return page


def exposure_warning(host: str, port: int) -> str | None:
    """What a user binding to an address other than the loopback must be told; None for the loopback."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:  # a host name: it may resolve to anything
        pass
    return (
        f"streakwatch: warning: serving on {host}:{port}: anyone who can reach this address can use the monitor "
        "(there is no password), and every visit starts a monitor process on this machine"
    )


def monitor_command(options: Sequence[str]) -> str:
    """The shell command textual-serve runs for each browser tab: this Python, this package, these options."""
    return shlex.join([sys.executable, "-m", "tui", *options])


def serve(options: Sequence[str], *, host: str, port: int, public_url: str | None = None) -> int:
    """Serve the monitor (started with ``options``) on ``host``:``port`` until ctrl+c or SIGTERM; returns 0."""
    package = textual_serve_dir()
    from textual_serve.server import Server

    warning = exposure_warning(host, port)
    if warning:
        print(warning, file=sys.stderr)
    template = (package / "templates" / PAGE).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="streakwatch-serve-") as templates:
        Path(templates, PAGE).write_text(offline_page(template, package / "static" / "fonts"), encoding="utf-8")
        server = Server(
            monitor_command(options),
            host=host,
            port=port,
            title="streakwatch",
            public_url=public_url,
            templates_path=templates,  # absolute: textual-serve joins it to its own folder, which keeps it as is
        )
        server.serve()
    return 0
