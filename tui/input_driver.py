"""The Linux terminal driver, with an input thread that sleeps while no key comes.

Textual's ``LinuxDriver`` wakes its input thread every 0.1 s for as long as the app runs: to notice its exit flag
and to time out a lone ESC (is it the Escape key or the start of a sequence?). Ten wake-ups a second is what a bare
Textual app spends idle, ~0.1 % of a core on this project's machines (BENCHMARKS.md), all day long, for a monitor
that on a weekend has nothing to do for hours. Here the thread polls only while the parser may still hold part
of a key sequence (the ESC delay after the last input, with margin); otherwise it blocks until input arrives or the
exit flag is set, which wakes it through a pipe. Everything else (modes, mouse, resize, suspend) is Textual's.

``StreakwatchApp.get_driver_class`` picks this driver only where Textual would pick ``LinuxDriver``.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from time import monotonic
from typing import Any

from textual import constants
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

# How often a pending key sequence is checked, as Textual's own loop does.
POLL_SECONDS = 0.1
# Poll for this long after the last input before sleeping: the parser times out a lone ESC after ESCAPE_DELAY
# (ESCDELAY, 100 ms by default), and the poll that delivers it may come one POLL_SECONDS later.
SETTLE_SECONDS = constants.ESCAPE_DELAY + 3 * POLL_SECONDS


class _WakingEvent(threading.Event):
    """The driver's exit flag: setting it also writes a byte to a pipe the input thread waits on."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self._wake_fd: int | None = wake_fd

    def set(self) -> None:
        super().set()
        if self._wake_fd is None:
            return
        try:
            os.write(self._wake_fd, b"x")
        except BlockingIOError:  # the pipe is full: the thread has wake-ups enough to read
            pass

    def close(self) -> None:
        if self._wake_fd is not None:
            os.close(self._wake_fd)
            self._wake_fd = None


class QuietLinuxDriver(LinuxDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(wake_write, False)
        self._exit_flag = _WakingEvent(wake_write)
        self.exit_event = self._exit_flag

    def run_input_thread(self) -> None:
        """Read the terminal and post its events; block in ``select`` while nothing can be pending."""
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        selector = selectors.SelectSelector()  # (epoll refuses what stdin may be: /dev/null, a file)
        selector.register(self.fileno, selectors.EVENT_READ, "input")
        selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        last_input = monotonic()  # the start-up replies (sync mode, window size) are still to come
        try:
            while not self.exit_event.is_set():
                timeout = POLL_SECONDS if monotonic() - last_input < SETTLE_SECONDS else None
                for key, _mask in selector.select(timeout):
                    if key.data == "wake":
                        self._drain_wake_pipe()
                        continue
                    data = os.read(self.fileno, 4096)
                    if not data:  # stdin closed (piped): stop watching it rather than spin on its EOF
                        selector.unregister(self.fileno)
                        continue
                    last_input = monotonic()
                    for event in parser.feed(decode(data)):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):  # end of input: the parser lets go of what it holds
                    pass
            except (EOFError, ParseError):  # a sequence cut short: nothing left to deliver
                pass

    def _drain_wake_pipe(self) -> None:
        try:
            while os.read(self._wake_read, 64):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        super().close()
        self._exit_flag.close()
        if self._wake_read >= 0:
            os.close(self._wake_read)
            self._wake_read = -1
