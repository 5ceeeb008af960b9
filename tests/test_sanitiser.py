"""One sanitiser (``tui.textsafe.plain``) on every path from outside text to the terminal.

The same hostile text — an OSC 52 clipboard write, a clear-screen, 8-bit C1 sequences, bidi overrides, other C0
controls — is fed through each path: a config value (sector names, the export folder), a config key, a CSV cell,
a path, a command-line argument. Each path is run for real in a subprocess and its bytes are read back: stderr's
one-line errors, ``--once`` (text and JSON) on stdout, and the monitor in a pseudo-terminal (panes, notices,
status line, the export notice). The expected clean strings are written out by hand.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.pty_helpers import REPO, PtyMonitor, monitor_env
from tui.textsafe import plain
from tui.widgets import safe

OSC52 = "\x1b]52;c;UFdORUQ=\x07"  # "write PWNED to the clipboard"
CLEAR = "\x1b[2J\x1b[H"
C1 = "\x9b31m\x9d0;title\x9c\x85"  # 8-bit CSI, 8-bit OSC ... ST, NEL
BIDI = "\u202e\u2066\u200f\u061c"  # right-to-left override, left-to-right isolate, RLM, Arabic letter mark
C0 = "\x07\x08\x7f\x00"
HOSTILE = OSC52 + CLEAR + C1 + BIDI + C0
BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
FIRST_FRAME_SECONDS = 45.0
EXIT_SECONDS = 10.0


# -- the function --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x1b]52;c;UFdORUQ=\x07b", "ab"),  # OSC 52, BEL-terminated
        ("a\x1b]52;c;UFdORUQ=\x1b\\b", "ab"),  # ... ST-terminated
        ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # a hyperlink: the text stays, the link goes
        ("x\x1b[2J\x1b[Hy", "xy"),  # clear screen, cursor home
        ("x\x1b[?1049l\x1b[?25lz", "xz"),  # private modes: alternate screen, cursor
        ("p\x9b31mq", "pq"),  # 8-bit CSI
        ("r\x9d0;title\x9cs", "rs"),  # 8-bit OSC with 8-bit ST
        ("d\x1bP+q544e\x1b\\e", "de"),  # DCS
        ("f\x1b_apc\x1b\\g\x1b^pm\x1b\\h\x1bXsos\x1b\\i", "fghi"),  # APC, PM, SOS
        ("reset\x1bcnow", "resetnow"),  # ESC c (full reset): ESC and its final byte
        ("unterminated \x1b]0;title", "unterminated"),
        ("bell\x07 back\x08space del\x7f nul\x00", "bell backspace del nul"),
        ("c1 \x80\x81\x9a end", "c1 end"),
        ("dcs \x90q#0;2\x9c end", "dcs end"),  # 8-bit DCS ... ST
        ("unterminated \x90 swallows the rest", "unterminated"),  # as a terminal would, until an ST
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("zero\u200bwidth\u2060joiner\u00adsoft\ufeffbom", "zerowidthjoinersoftbom"),
        ("tag\U000e0041\U000e0042s", "tags"),  # invisible tag characters
        ("lines\nand\r\ntabs\tand\u2028separators\u0085nel", "lines and tabs and separators nel"),
        ("  many   spaces  ", "many spaces"),
        ("bad \udcff name", "bad \ufffd name"),  # a lone surrogate (surrogateescape) cannot be written: U+FFFD
        ("[red]markup[/red] stays", "[red]markup[/red] stays"),
        # Letters, wide characters, emoji and private use stay.
        ("Ünïcødé 中文 😀 \ue000", "Ünïcødé 中文 😀 \ue000"),
    ],
)
def test_plain_removes_what_acts_on_a_terminal_and_keeps_the_text(text, expected):
    assert plain(text) == expected


def test_every_bidi_control_goes():
    assert plain("a" + "".join(BIDI_CONTROLS) + "b") == "ab"


def test_plain_cuts_to_the_limit_and_takes_anything():
    assert plain("abcdefghij", 5) == "abcd…"
    assert plain("abc", 3) == "abc"
    assert plain(None) == "" and plain(12.5) == "12.5" and plain(ValueError("x\x1b[2Jy")) == "xy"


def test_the_panes_use_the_same_function():
    assert safe.plain is plain


@given(st.text(alphabet=st.characters(codec=None)))
def test_plain_never_returns_a_control_or_format_character(text):
    out = plain(text)
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs") for ch in out)
    assert out == out.strip() and "  " not in out
    assert plain(out) == out  # nothing left to remove


# -- byte-level checks ---------------------------------------------------------------------------------------


def assert_no_control_bytes(data: bytes, what: str) -> str:
    """Strict: the bytes are UTF-8 and hold no control or format character but the line feed."""
    text = data.decode("utf-8")
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Cs")})
    assert not bad, f"{what} wrote control characters {bad}: {data[-600:]!r}"
    return text


# What the hostile text would put on a terminal, as bytes; the monitor's own output has escape sequences, so in the
# pseudo-terminal only these are looked for.
INJECTED = [
    (b"\x1b]52;", "an OSC 52 clipboard write"),
    (b"\x1b[2J", "a clear-screen"),
    (b"UFdORUQ=", "the clipboard payload"),
    (b"\x1b]0;", "an OSC title"),
    (b"\x08", "a backspace"),  # (not BEL: Textual ends its own OSC 22 with one)
    (b"\x7f", "a DEL"),
    *((ch.encode(), f"bidi control U+{ord(ch):04X}") for ch in BIDI_CONTROLS),
]
C1_IN_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def assert_nothing_injected(data: bytes) -> None:
    for needle, what in INJECTED:
        assert needle not in data, f"{what} reached the terminal"
    assert not C1_IN_UTF8.search(data), "a C1 control reached the terminal"


def toml_string(text: str) -> str:
    """A TOML basic string for ``text``: every character a TOML string cannot hold raw, as \\uXXXX."""
    return '"' + "".join(ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in text) + '"'


def run_cli(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=cwd,
        capture_output=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def hostile_replay(tmp_path, replay_dir) -> Path:
    """The real pair's history, in a folder whose name carries the hostile text."""
    folder = tmp_path / f"replay{HOSTILE.replace(chr(0), '')}dir"  # (a file name cannot hold NUL)
    folder.mkdir()
    for symbol in ("^RUT", "^GSPC"):
        shutil.copy(replay_dir / f"{symbol}.csv", folder / f"{symbol}.csv")
    return folder


@pytest.fixture
def hostile_config(tmp_path) -> Path:
    """Sector names and the export folder (relative: short enough for the notice to show it on one line) carry
    the hostile text."""
    export = f"exports{HOSTILE.replace(chr(0), '')}here"
    path = tmp_path / "hostile.toml"
    path.write_text(
        "\n".join(
            [
                # (without NUL: the config refuses a NUL in any text setting, in one line naming the key)
                "[[sectors]]",
                'symbol = "KRE"',
                f"name = {toml_string('Regional' + HOSTILE.replace(chr(0), '') + ' Banks')}",
                "[[sectors]]",
                'symbol = "PSCI"',
                f"name = {toml_string('Indus' + BIDI + 'trials' + OSC52)}",
                "[export]",
                f"directory = {toml_string(export)}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


def hostile_csv(folder: Path) -> None:
    """A sector file whose date cell carries the hostile text: the error message quotes it."""
    (folder / "KRE.csv").write_text(
        f"Date,Close\n2026-01-02,10\nevil{HOSTILE.replace(chr(0), '')},11\n", encoding="utf-8"
    )


# -- stderr --------------------------------------------------------------------------------------------------


def test_a_config_key_on_stderr(tmp_path):
    config = tmp_path / "keys.toml"
    config.write_text(f"{toml_string('colour' + HOSTILE)} = 1\n", encoding="utf-8")
    result = run_cli("--once", "--source", "demo", "--config", str(config))
    assert result.returncode == 2 and result.stdout == b""
    err = assert_no_control_bytes(result.stderr, "stderr")
    assert "unknown key 'colour" in err and err.count("\n") == 1


def test_a_csv_cell_on_stderr(hostile_replay):
    hostile_csv(hostile_replay)
    result = run_cli("--once", "--source", f"replay:{hostile_replay}")
    assert result.returncode == 2 and result.stdout == b""
    err = assert_no_control_bytes(result.stderr, "stderr")
    assert "KRE.csv line 3: unparseable date 'evil" in err and err.count("\n") == 1


def test_a_path_on_stderr(tmp_path):
    result = run_cli("--once", "--config", str(tmp_path / f"missing{HOSTILE.replace(chr(0), '')}.toml"))
    assert result.returncode == 2
    err = assert_no_control_bytes(result.stderr, "stderr")
    assert err == f"streakwatch: config file not found: {tmp_path}/missing .toml\n"  # NEL: a line break, a space


def test_a_command_line_argument_on_stderr():
    result = run_cli("--once", f"--bogus{HOSTILE.replace(chr(0), '')}")
    assert result.returncode == 2
    err = assert_no_control_bytes(result.stderr, "stderr")
    assert "unrecognized arguments: --bogus" in err and err.count("\n") == 1


# -- --once on stdout ----------------------------------------------------------------------------------------


def test_the_once_report_on_stdout(hostile_replay, hostile_config):
    result = run_cli(
        "--once",
        "--source",
        f"replay:{hostile_replay}",
        "--as-of",
        "2026-01-15",
        "--config",
        str(hostile_config),
        env={"COLUMNS": "160"},
    )
    assert result.returncode == 0, result.stderr
    out = assert_no_control_bytes(result.stdout, "the --once report")
    assert_no_control_bytes(result.stderr, "stderr")
    assert "Regional Banks" in out and "Industrials" in out


def test_the_once_json_is_byte_safe_and_whole(hostile_replay, hostile_config):
    result = run_cli(
        "--once",
        "--json",
        "--source",
        f"replay:{hostile_replay}",
        "--as-of",
        "2026-01-15",
        "--config",
        str(hostile_config),
    )
    assert result.returncode == 0, result.stderr
    assert all(byte == 0x0A or 0x20 <= byte < 0x7F for byte in result.stdout)  # printable ASCII: \uXXXX escapes
    names = {row["symbol"]: row["name"] for row in json.loads(result.stdout)["sectors"]}
    assert names["KRE"] == "Regional" + HOSTILE.replace(chr(0), "") + " Banks"  # data for a program: whole, escaped


# -- the export notice --------------------------------------------------------------------------------------


class NoticeBoard:
    """What ``export_app`` needs of the app: a screenshot to save and ``notify`` (kept here)."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, dict]] = []

    def export_screenshot(self) -> str:
        return "<svg/>"

    def notify(self, message: str, **options) -> None:
        self.notices.append((message, options))


def test_the_export_notice_names_the_folder_without_escapes(tmp_path):
    from datetime import datetime

    from tests.app_helpers import make_snapshot
    from tui.export import export_app

    folder = tmp_path / f"exports{HOSTILE.replace(chr(0), '')}here"
    app = NoticeBoard()
    paths = export_app(app, make_snapshot(), folder, now=datetime(2026, 1, 15, 16, 5, 0))
    assert paths is not None and paths[0].parent == folder  # the files go where the user asked
    ((message, options),) = app.notices
    stem = "streakwatch-20260115-160500"
    assert message == f"Saved {tmp_path}/exports here/{stem}.svg\nand {stem}.json"  # NEL: a space
    assert options["markup"] is False


def test_the_export_failure_notice_names_the_folder_without_escapes(tmp_path):
    from datetime import datetime

    from tests.app_helpers import make_snapshot
    from tui.export import export_app

    blocker = tmp_path / f"file{OSC52}"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    app = NoticeBoard()
    assert export_app(app, make_snapshot(), blocker / "sub", now=datetime(2026, 1, 15, 16, 5, 0)) is None
    ((message, _options),) = app.notices
    assert message.startswith(f"cannot export to {tmp_path}/file/sub: ")
    assert all(unicodedata.category(ch) not in ("Cc", "Cf") for ch in message)


# -- the monitor in a terminal -------------------------------------------------------------------------------


def quit_monitor(monitor: PtyMonitor) -> None:
    os.write(monitor.master, b"q")
    assert monitor.wait_exit(EXIT_SECONDS) == 0


def test_panes_and_the_export_notice_in_a_terminal(tmp_path, hostile_replay, hostile_config):
    monitor = PtyMonitor(
        ["--source", f"replay:{hostile_replay}", "--as-of", "2026-01-15", "--config", str(hostile_config)],
        monitor_env(tmp_path),
        cwd=tmp_path,
    )
    try:
        monitor.wait_for(b"Regional", FIRST_FRAME_SECONDS)  # the sector pane, with the cleaned name
        monitor.drain()
        os.write(monitor.master, b"e")
        monitor.wait_for(b"Exported", EXIT_SECONDS)
        monitor.drain()
        quit_monitor(monitor)
    finally:
        monitor.close()
    assert_nothing_injected(monitor.output)
    exported = [p for p in tmp_path.iterdir() if p.name.startswith("exports")]
    assert len(exported) == 1 and len(list(exported[0].glob("streakwatch-*.json"))) == 1  # the notice was real
    assert b"Saved exports here/streakwatch-" in monitor.text()  # the folder without its escapes (NEL: a space)


def test_a_failed_refresh_in_the_status_line_panes_and_notice(tmp_path):
    """A replay folder whose name carries the hostile text and holds no file for the pair: the error names the
    folder, in the status line, the notice and every pane."""
    folder = tmp_path / f"empty{HOSTILE.replace(chr(0), '')}dir"
    folder.mkdir()
    monitor = PtyMonitor(["--source", f"replay:{folder}"], monitor_env(tmp_path))
    try:
        monitor.wait_for(b"Refresh failed", FIRST_FRAME_SECONDS)  # the notice
        monitor.drain()
        quit_monitor(monitor)
    finally:
        monitor.close()
    assert_nothing_injected(monitor.output)
    assert monitor.text().count(b"no replay file for the pair") >= 3
    assert b"empty dir" in monitor.text()  # the folder's name without its escapes (NEL: a space)
