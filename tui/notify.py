"""Desktop notifications: alerts that reach the user while the terminal is behind other windows.

An alert goes out one of four ways (``[alerts] notify_with``), each built here from the protocol's documentation:

* **OSC 9**, iTerm2's "post a notification" (https://iterm2.com/documentation-escape-codes.html, "Post a
  Notification"): ``ESC ] 9 ; message ST``, one line of text, no title. Also WezTerm, ghostty, Windows Terminal.
  ConEmu and Windows Terminal read ``9 ; <number> ;`` as commands of their own (progress bars); a message here
  never holds a ``;`` (see :func:`osc_text`), so it cannot look like one.
* **OSC 777**, rxvt-unicode's ``notify`` extension (urxvt(7): OSC 777 hands its text to the Perl extension named
  first; the notify extension reads ``ESC ] 777 ; notify ; title ; body BEL``). Also foot and the VTE-based
  terminals that carry Fedora's notification patch (GNOME Terminal, Tilix). ``;`` separates the fields.
* **OSC 99**, kitty's desktop notifications (https://sw.kovidgoyal.net/kitty/desktop-notifications/):
  ``ESC ] 99 ; metadata ; payload ESC \\``, where metadata is ``key=value`` pairs joined by ``:``. A title and a
  body are two sequences with one id ``i``: the title with ``d=0`` (not done yet), then the body with ``p=body``
  and ``d=1``, which shows the notification. The payload must be "escape code safe UTF-8": no C0, DEL or C1.
* a **command** from the config, e.g. ``["notify-send", "--", "{title}", "{body}"]``: an argument list run
  without a shell, with a timeout, in a thread of its own, its output kept off the terminal.

Inside tmux (``TMUX`` set) an escape sequence is wrapped in tmux's passthrough, ``ESC P tmux ; … ESC \\`` with
every ESC inside doubled (tmux(1), ``allow-passthrough``); tmux drops it unless ``allow-passthrough`` is on.

The text of an alert goes through the one sanitiser (:func:`tui.textsafe.plain`) before it goes into a sequence
or an argument, and then loses ``;``, the separator of the sequences' fields; nothing that could end a sequence
(ESC, BEL, ST, any C0 or C1 control) survives :func:`plain`.

Building the bytes and the argument lists, and detecting the terminal, are pure functions.
:class:`DesktopNotifier` is the small runner; it imports no Textual: the app hands it a way to write to the
terminal and a way to say something in the app (:func:`for_app` builds both).
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tui.config import Alerts
from tui.textsafe import plain

if TYPE_CHECKING:
    from textual.app import App

#: Longest title and body put in a notification: notification centres show a few lines, and a sequence or an
#: argument list should stay small whatever an alert's text holds.
TITLE_LIMIT = 120
BODY_LIMIT = 500
#: Every desktop notification says where it comes from: with an escape sequence it is shown as the terminal's.
TITLE_PREFIX = "streakwatch: "
#: Seconds a notification command may run before it is stopped.
COMMAND_TIMEOUT = 5.0
#: Notifications waiting for the command. Only a command that hangs lets them pile up; beyond this they are
#: dropped (each alert is still shown in the monitor and kept in its log).
COMMAND_QUEUE = 16
#: Bytes of a failed command's error output quoted when its failure is said.
STDERR_QUOTED = 300

ESC, BEL = "\x1b", "\x07"
ST = ESC + "\\"  # the 7-bit string terminator
_PLACEHOLDER = re.compile(r"\{(title|body)\}")


# -- which terminal ----------------------------------------------------------------------------------------------


def detect_protocol(env: Mapping[str, str]) -> str:
    """The notification escape sequence the terminal in ``env`` shows: "osc99", "osc9" or "osc777".

    Read from what terminals put in their children's environment (README, "Alerts outside the terminal").
    Inside tmux TERM and TERM_PROGRAM name tmux, but the variables below that the outer terminal set are
    inherited by the tmux server, so the terminal is still recognised when tmux was started from it. An unknown
    terminal gets OSC 9: the sequence the most terminals show, and one that terminals without it ignore
    (an OSC they do not know is consumed whole).
    """
    term = env.get("TERM", "")
    program = env.get("TERM_PROGRAM", "")
    if env.get("KITTY_WINDOW_ID") or term == "xterm-kitty":
        return "osc99"
    if (
        program in ("iTerm.app", "WezTerm", "ghostty")
        or env.get("LC_TERMINAL") == "iTerm2"  # iTerm2 sets it, and ssh passes LC_* on
        or env.get("WEZTERM_PANE")
        or env.get("WT_SESSION")  # Windows Terminal
        or term == "xterm-ghostty"
    ):
        return "osc9"
    if term.startswith(("foot", "rxvt")) or env.get("VTE_VERSION"):
        return "osc777"
    return "osc9"


def choose_method(settings: Alerts, env: Mapping[str, str]) -> str:
    """How notifications go out: the configured method, or under "auto" the command if one is given, else the
    terminal's escape sequence."""
    if settings.notify_with != "auto":
        return settings.notify_with
    return "command" if settings.command else detect_protocol(env)


def wanted(mode: str, focused: bool) -> bool:
    """Whether an alert goes to the desktop, by ``[alerts] desktop``: "always", "off", or "unfocused" (only while
    the terminal does not have the focus)."""
    return mode == "always" or (mode == "unfocused" and not focused)


# -- the escape sequences ----------------------------------------------------------------------------------------


def osc_text(text: str, limit: int) -> str:
    """``text`` as one field of a notification sequence: through the sanitiser (no control or format character,
    one line, at most ``limit`` characters), and without ``;``, which separates the sequences' fields."""
    return plain(text, limit).replace(";", ",")


def osc9(title: str, body: str) -> str:
    """iTerm2's OSC 9: one message, so the title leads it."""
    message = osc_text(title, TITLE_LIMIT) + " — " + osc_text(body, BODY_LIMIT)
    return f"{ESC}]9;{message}{BEL}"


def osc777(title: str, body: str) -> str:
    """rxvt-unicode's notify: OSC 777 ; notify ; title ; body BEL."""
    return f"{ESC}]777;notify;{osc_text(title, TITLE_LIMIT)};{osc_text(body, BODY_LIMIT)}{BEL}"


def osc99(title: str, body: str, ident: str) -> str:
    """kitty's OSC 99: the title (d=0: more to come) and the body (d=1: show it), joined by the id ``ident``
    (letters, digits and ``-_/+.,`` only, as kitty's metadata values must be)."""
    return (
        f"{ESC}]99;i={ident}:d=0:p=title;{osc_text(title, TITLE_LIMIT)}{ST}"
        f"{ESC}]99;i={ident}:d=1:p=body;{osc_text(body, BODY_LIMIT)}{ST}"
    )


def tmux_passthrough(sequence: str) -> str:
    """``sequence`` wrapped so tmux hands it to the outer terminal: DCS ``tmux;`` with every ESC doubled."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


def notification_sequence(protocol: str, title: str, body: str, *, ident: str, in_tmux: bool) -> str:
    """What to write to the terminal for one notification by ``protocol`` ("osc9", "osc777", "osc99")."""
    if protocol == "osc99":
        sequence = osc99(title, body, ident)
    elif protocol == "osc777":
        sequence = osc777(title, body)
    elif protocol == "osc9":
        sequence = osc9(title, body)
    else:
        raise ValueError(f"not an escape-sequence protocol: {protocol!r}")
    return tmux_passthrough(sequence) if in_tmux else sequence


# -- the command -------------------------------------------------------------------------------------------------


def command_argv(template: Sequence[str], title: str, body: str) -> list[str]:
    """The argument list of a notification command: ``{title}`` and ``{body}`` replaced in each argument by the
    sanitised text (in one pass, so text that reads "{body}" stays literal). The program, ``template[0]``, is
    never substituted (the config refuses a placeholder there)."""
    values = {"title": plain(title, TITLE_LIMIT), "body": plain(body, BODY_LIMIT)}
    program, *arguments = template
    return [program, *(_PLACEHOLDER.sub(lambda m: values[m.group(1)], argument) for argument in arguments)]


def run_command(argv: Sequence[str], timeout: float, started: Callable[[subprocess.Popen[bytes]], None]) -> str | None:
    """Run ``argv`` without a shell; None when it succeeded, else why not, in plain words.

    It runs in a session of its own, so it has no controlling terminal (nothing it does can reach the monitor's
    screen or read its keys), its output goes nowhere, and on timeout its whole process group is stopped (a
    script's children included). ``started`` is given the process (so quitting the monitor can stop it).
    """
    name = plain(os.path.basename(argv[0]), 60)
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty command can neither block nor fill RAM
        try:
            process = subprocess.Popen(
                list(argv),
                shell=False,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,
            )
        except FileNotFoundError:
            return f"the notification command {name!r} was not found"
        except PermissionError:
            return f"the notification command {name!r} cannot be run (permission denied)"
        except OSError as exc:
            return f"the notification command {name!r} could not be started: {exc.strerror or exc}"
        started(process)
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return f"the notification command {name!r} did not finish within {timeout:g} s and was stopped"
        if status == 0:
            return None
        if status < 0:
            try:
                how = signal.Signals(-status).name
            except ValueError:
                how = f"signal {-status}"
            return f"the notification command {name!r} was ended by {how}"
        errors.seek(0)
        said = plain(errors.read(STDERR_QUOTED).decode("utf-8", "replace"), 200)
        return f"the notification command {name!r} failed (exit status {status})" + (f": {said}" if said else "")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and everything it started (it leads its own process group), and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:  # already gone
        pass
    try:
        process.wait(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:  # unkillable (stuck in the kernel): leave it rather than hang this thread
        pass


# -- the runner --------------------------------------------------------------------------------------------------


class DesktopNotifier:
    """Sends alerts to the desktop the configured way.

    ``write`` puts text on the terminal (called on the UI thread, by :meth:`send`); ``tell`` says something in
    the app, and may be called from the command's thread. A command that fails is said once, in plain words, and
    then tried again quietly on the next alerts; it never raises into the app.
    """

    def __init__(
        self,
        settings: Alerts,
        write: Callable[[str], None],
        tell: Callable[[str], None],
        env: Mapping[str, str] | None = None,
        timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        env = os.environ if env is None else env
        self.mode = settings.desktop
        self.method = choose_method(settings, env)
        self.in_tmux = bool(env.get("TMUX"))
        self.command = settings.command
        self.write = write
        self.tell = tell
        self.timeout = timeout
        self.sent = 0  # notifications handed to the terminal or queued for the command
        self._queue: queue.Queue[list[str]] = queue.Queue(maxsize=COMMAND_QUEUE)
        self._runner: threading.Thread | None = None
        self._running: subprocess.Popen[bytes] | None = None
        self._failure_said = False

    def wanted(self, focused: bool) -> bool:
        return wanted(self.mode, focused)

    def send(self, title: str, body: str) -> None:
        """Send one notification (on the UI thread: the escape sequence is written at once, a command queued)."""
        title = TITLE_PREFIX + title
        if self.method == "command":
            try:
                self._queue.put_nowait(command_argv(self.command, title, body))
            except queue.Full:  # the command hangs; the alert is still in the monitor and its log
                return
            self.sent += 1
            self._start_runner()
            return
        self.sent += 1
        # kitty joins a title and its body by this id, and would update, not add, a notification with an id it
        # has seen: unique to this process, so a restarted monitor's first alert is a new notification too.
        ident = f"streakwatch-{os.getpid()}-{self.sent}"
        self.write(notification_sequence(self.method, title, body, ident=ident, in_tmux=self.in_tmux))

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued command has finished; False if ``timeout`` passed first."""
        pending = self._queue
        with pending.all_tasks_done:  # Queue.join() with a timeout
            return pending.all_tasks_done.wait_for(lambda: not pending.unfinished_tasks, timeout)

    def close(self) -> None:
        """Stop a command still running (the monitor is quitting; its timeout would outlive the process)."""
        running = self._running
        if running is not None and running.poll() is None:
            _stop(running)

    def _start_runner(self) -> None:
        if self._runner is None:
            self._runner = threading.Thread(target=self._run, name="streakwatch-notify", daemon=True)
            self._runner.start()
            atexit.register(self.close)

    def _run(self) -> None:
        while True:
            argv = self._queue.get()
            try:
                failure = run_command(argv, self.timeout, self._started)
            except Exception as exc:  # noqa: BLE001 - a notifier must never take the monitor down
                failure = f"the notification command failed: {plain(exc, 200)}"
            finally:
                self._running = None
            if failure is not None and not self._failure_said:
                self._failure_said = True
                self.tell(f"{failure[:1].upper()}{failure[1:]}; alerts are still shown here.")
            self._queue.task_done()

    def _started(self, process: subprocess.Popen[bytes]) -> None:
        self._running = process


# -- the app's side ----------------------------------------------------------------------------------------------


def write_to_terminal(app: App[Any], text: str) -> None:
    """Write ``text`` to the terminal through the app's driver, in order with what Textual itself writes.

    Textual has no public way to write to the terminal: ``App.bell()`` and ``App.copy_to_clipboard()`` write
    through the private ``App._driver`` exactly like this. It is used here, in one place, and
    tests/test_notify_app.py fails if a Textual release renames it. (A headless app's driver, in tests, writes
    nothing.)
    """
    driver = app._driver
    if driver is not None:
        driver.write(text)


def for_app(app: App[Any], settings: Alerts) -> DesktopNotifier:
    """The notifier of a running monitor: sequences through its driver, a command's failure as a toast."""

    def tell(text: str) -> None:  # from the command's thread: post_message (under call_later) is thread-safe
        app.call_later(app.notify, plain(text), title="Desktop notifications", severity="warning", markup=False)

    return DesktopNotifier(settings, write=lambda text: write_to_terminal(app, text), tell=tell)
