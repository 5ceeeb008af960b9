"""Desktop notifications (issue 13, item 4), the pure part: the escape sequences byte for byte, the terminal
detection, the command's argument list, the config, and a property test that no text can break out of a sequence.

Expected bytes are written from the protocols' own documentation, not from tui/notify.py:
* OSC 9, iTerm2 "Post a Notification" (https://iterm2.com/documentation-escape-codes.html): ESC ] 9 ; text ST,
  ST being BEL or ESC \\;
* OSC 777, rxvt-unicode's notify extension (urxvt(7)): ESC ] 777 ; notify ; title ; body BEL;
* OSC 99, kitty (https://sw.kovidgoyal.net/kitty/desktop-notifications/): its example of a title and a body is
  ``\\x1b]99;i=1:d=0;Hello world\\x1b\\\\`` then ``\\x1b]99;i=1:d=1:p=body;This is cool\\x1b\\\\``;
* tmux passthrough (tmux(1), allow-passthrough): ESC P tmux ; <the sequence, every ESC doubled> ESC \\.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.config import Alerts, load_config
from tui.errors import ConfigError
from tui.notify import (
    TITLE_PREFIX,
    DesktopNotifier,
    choose_method,
    command_argv,
    detect_protocol,
    notification_sequence,
    osc9,
    osc99,
    osc777,
    tmux_passthrough,
    wanted,
)

# -- the sequences, byte for byte --------------------------------------------------------------------------------


def test_osc9_is_one_message_ended_by_bel():
    assert osc9("Streak broke", "RUT lost").encode() == b"\x1b]9;Streak broke \xe2\x80\x94 RUT lost\x07"


def test_osc777_is_notify_title_body_ended_by_bel():
    assert osc777("Streak broke", "RUT lost") == "\x1b]777;notify;Streak broke;RUT lost\x07"


def test_osc99_is_kittys_title_then_body_with_one_id():
    assert osc99("Hello world", "This is cool", "1") == (
        "\x1b]99;i=1:d=0:p=title;Hello world\x1b\\\x1b]99;i=1:d=1:p=body;This is cool\x1b\\"
    )


def test_tmux_passthrough_doubles_every_escape_inside():
    assert tmux_passthrough("\x1b]9;hi\x07") == "\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\"
    kitty = osc99("T", "B", "7")
    assert tmux_passthrough(kitty) == (
        "\x1bPtmux;\x1b\x1b]99;i=7:d=0:p=title;T\x1b\x1b\\\x1b\x1b]99;i=7:d=1:p=body;B\x1b\x1b\\\x1b\\"
    )


def test_notification_sequence_wraps_only_inside_tmux():
    plain_osc = notification_sequence("osc777", "a", "b", ident="1", in_tmux=False)
    assert plain_osc == "\x1b]777;notify;a;b\x07"
    assert (
        notification_sequence("osc777", "a", "b", ident="1", in_tmux=True)
        == "\x1bPtmux;\x1b\x1b]777;notify;a;b\x07\x1b\\"
    )
    with pytest.raises(ValueError):
        notification_sequence("command", "a", "b", ident="1", in_tmux=False)


def test_separators_and_controls_in_the_text_cannot_split_a_field():
    # A ';' would start a new field of OSC 777 (the body would become the title's tail); ESC, BEL and the 8-bit
    # ST would end the sequence early, a line break would end the line.
    assert osc777("Risk; x\x07", "a;b\x1b]0;pwned\x07 c\x9cd\ne") == "\x1b]777;notify;Risk, x;a,b cd e\x07"
    assert osc9("1;2", "x") == "\x1b]9;1,2 \u2014 x\x07"  # never "9;1;…", a ConEmu / Windows Terminal command


def test_long_text_is_cut():
    sequence = osc777("t" * 1000, "b" * 5000)
    title, body = sequence[len("\x1b]777;notify;") : -1].split(";")
    assert len(title) == 120 and title.endswith("…")
    assert len(body) == 500 and body.endswith("…")


# -- which terminal ----------------------------------------------------------------------------------------------

DETECTION = [
    ({"TERM": "xterm-kitty"}, "osc99"),
    ({"TERM": "tmux-256color", "TERM_PROGRAM": "tmux", "KITTY_WINDOW_ID": "3"}, "osc99"),  # kitty, then tmux
    ({"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, "osc9"),
    ({"TERM_PROGRAM": "tmux", "LC_TERMINAL": "iTerm2"}, "osc9"),
    ({"TERM_PROGRAM": "WezTerm"}, "osc9"),
    ({"TERM_PROGRAM": "ghostty", "TERM": "xterm-ghostty"}, "osc9"),
    ({"TERM": "xterm-256color", "WT_SESSION": "5d1f0c3e"}, "osc9"),
    ({"TERM": "foot"}, "osc777"),
    ({"TERM": "rxvt-unicode-256color"}, "osc777"),
    ({"TERM": "xterm-256color", "VTE_VERSION": "7600"}, "osc777"),  # GNOME Terminal, Tilix
    ({"TERM": "xterm-256color"}, "osc9"),  # unknown: the widest-supported sequence
    ({}, "osc9"),
]


@pytest.mark.parametrize(
    ("env", "expected"), DETECTION, ids=[" ".join(f"{k}={v}" for k, v in e.items()) or "empty" for e, _ in DETECTION]
)
def test_the_terminal_is_detected_from_its_environment(env, expected):
    assert detect_protocol(env) == expected


def test_a_method_in_the_config_overrides_detection_and_a_command_wins_under_auto():
    kitty = {"TERM": "xterm-kitty"}
    assert choose_method(Alerts(), kitty) == "osc99"
    assert choose_method(Alerts(notify_with="osc777"), kitty) == "osc777"
    assert choose_method(Alerts(command=("notify-send", "{title}")), kitty) == "command"
    assert choose_method(Alerts(notify_with="osc9", command=("notify-send", "{title}")), kitty) == "osc9"


def test_desktop_mode_and_focus():
    assert [wanted("unfocused", focused) for focused in (True, False)] == [False, True]
    assert [wanted("always", focused) for focused in (True, False)] == [True, True]
    assert [wanted("off", focused) for focused in (True, False)] == [False, False]


def test_the_notifier_writes_the_detected_sequence_wrapped_in_tmux():
    written: list[str] = []
    env = {"TERM": "screen-256color", "TERM_PROGRAM": "tmux", "TMUX": "/tmp/tmux-0/default,1,0", "VTE_VERSION": "7600"}
    notifier = DesktopNotifier(Alerts(), write=written.append, tell=pytest.fail, env=env)
    notifier.send("Streak broke", "over")
    assert written == [f"\x1bPtmux;\x1b\x1b]777;notify;{TITLE_PREFIX}Streak broke;over\x07\x1b\\"]


def test_kitty_notifications_get_an_id_each():
    written: list[str] = []
    notifier = DesktopNotifier(Alerts(), write=written.append, tell=pytest.fail, env={"TERM": "xterm-kitty"})
    notifier.send("a", "b")
    notifier.send("c", "d")
    ids = [re.findall(r"\]99;i=([^:]+):", text) for text in written]
    assert ids[0][0] == ids[0][1] and ids[1][0] == ids[1][1] and ids[0][0] != ids[1][0]


# -- the command's arguments -------------------------------------------------------------------------------------


def test_placeholders_are_replaced_in_each_argument_and_nothing_else_is():
    template = ("notify-send", "--app-name=streakwatch", "--", "{title}", "[{title}] {body}", "{other} {{body}}")
    assert command_argv(template, "Streak broke", "RUT: 14 sessions") == [
        "notify-send",
        "--app-name=streakwatch",
        "--",
        "Streak broke",
        "[Streak broke] RUT: 14 sessions",
        "{other} {RUT: 14 sessions}",
    ]


def test_text_that_reads_like_a_placeholder_or_a_shell_stays_literal_and_is_sanitised():
    argv = command_argv(("notify", "{title}", "{body}"), "{body} $(rm -rf /)", "; ls \x1b[2J`id`\x07\nnext")
    assert argv == ["notify", "{body} $(rm -rf /)", "; ls `id` next"]


# -- the config --------------------------------------------------------------------------------------------------


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_desktop_defaults_are_unfocused_and_auto(tmp_path):
    alerts = load_config(write(tmp_path, "[alerts]\nbell = false\n")).alerts
    assert (alerts.desktop, alerts.notify_with, alerts.command) == ("unfocused", "auto", ())


def test_desktop_settings_are_read(tmp_path):
    text = (
        '[alerts]\ndesktop = "always"\nnotify_with = "command"\ncommand = ["notify-send", "--", "{title}", "{body}"]\n'
    )
    alerts = load_config(write(tmp_path, text)).alerts
    assert alerts.desktop == "always" and alerts.notify_with == "command"
    assert alerts.command == ("notify-send", "--", "{title}", "{body}")


@pytest.mark.parametrize(
    ("text", "key", "why"),
    [
        ('desktop = "sometimes"', "alerts.desktop", "'unfocused', 'always', 'off'"),
        ('notify_with = "osc8"', "alerts.notify_with", "'auto', 'osc9', 'osc777', 'osc99', 'command'"),
        ('command = "notify-send {title}"', "alerts.command", "must be an array"),
        ("command = [1, 2]", "alerts.command[0]", "must be a string"),
        ('notify_with = "command"', "alerts.notify_with", "'alerts.command' is empty"),
        ('command = ["", "{title}"]', "alerts.command[0]", "must name the program"),
        ('command = ["{title}", "x"]', "alerts.command[0]", "cannot hold a placeholder"),
        ("command = [" + ", ".join(['"x"'] * 65) + "]", "alerts.command", "at most 64"),
        ("desktop = true", "alerts.desktop", "must be a string"),
    ],
)
def test_unknown_words_and_a_command_that_cannot_run_are_config_errors_naming_the_key(tmp_path, text, key, why):
    path = write(tmp_path, f"[alerts]\n{text}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert f"'{key}'" in message and why in message and str(path) in message


# -- no text escapes its sequence --------------------------------------------------------------------------------

_C0_C1 = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# One whole notification sequence of each protocol, its text fields free of every control character.
_OSC = {
    "osc9": re.compile(r"\x1b\]9;([^\x00-\x1f\x7f-\x9f]*)\x07"),
    "osc777": re.compile(r"\x1b\]777;notify;([^\x00-\x1f\x7f-\x9f;]*);([^\x00-\x1f\x7f-\x9f;]*)\x07"),
    "osc99": re.compile(
        r"\x1b\]99;i=(\w[\w-]*):d=0:p=title;([^\x00-\x1f\x7f-\x9f]*)\x1b\\"
        r"\x1b\]99;i=\1:d=1:p=body;([^\x00-\x1f\x7f-\x9f]*)\x1b\\"
    ),
}


def _unwrap_tmux(text: str) -> str:
    match = re.fullmatch(r"\x1bPtmux;(.*)\x1b\\", text, re.DOTALL)
    assert match, f"not one tmux passthrough: {text!r}"
    inner = match.group(1)
    # Every ESC inside is doubled: pairs only, so none of them can end the passthrough early.
    assert re.fullmatch(r"(?:[^\x1b]|\x1b\x1b)*", inner), inner
    return inner.replace("\x1b\x1b", "\x1b")


@settings(max_examples=300, deadline=None)
@given(
    title=st.text(alphabet=st.characters(codec="utf-8")),
    body=st.text(alphabet=st.characters(codec="utf-8")),
    protocol=st.sampled_from(["osc9", "osc777", "osc99"]),
    in_tmux=st.booleans(),
)
def test_any_text_makes_exactly_one_notification_and_no_other_control_byte(title, body, protocol, in_tmux):
    emitted = notification_sequence(protocol, title, body, ident="streakwatch-1", in_tmux=in_tmux)
    # What the terminal parses, as characters (UTF-8 decoded first: a continuation byte like 0x9c is not ST).
    decoded = emitted.encode("utf-8").decode("utf-8")
    sequence = _unwrap_tmux(decoded) if in_tmux else decoded
    match = _OSC[protocol].fullmatch(sequence)
    assert match, f"not exactly one {protocol} notification: {sequence!r}"
    # The only control characters are the sequence's own: its introducers and terminators.
    controls = "".join(_C0_C1.findall(sequence))
    assert controls == {"osc9": "\x1b\x07", "osc777": "\x1b\x07", "osc99": "\x1b\x1b" * 2}[protocol]
