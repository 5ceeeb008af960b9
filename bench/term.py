"""A program under a pseudo-terminal, and a tiny screen emulator to read what it shows.

Textual paints by absolute cursor moves (``CSI row;col H``) followed by styled text, so a grid that honours cursor
moves, CR/LF, erase-display/erase-line and printable characters (everything else ignored) reconstructs the screen
well enough to ask "is this text visible yet?" — robustly, unlike grepping the raw stream, where a word can be split
by escape codes.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Sequence

_CSI = re.compile(r"\x1b\[([0-9;?<=>!]*)([ -/]*)([@-~])")
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_DCS = re.compile(r"\x1b[P_^][^\x1b]*\x1b\\")


class Screen:
    def __init__(self, cols: int = 120, rows: int = 40) -> None:
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self._pending = ""

    def feed(self, text: str) -> None:
        data = self._pending + text
        self._pending = ""
        i, n = 0, len(data)
        while i < n:
            ch = data[i]
            if ch == "\x1b":
                if i + 1 >= n:
                    self._pending = data[i:]
                    return
                nxt = data[i + 1]
                if nxt == "[":
                    m = _CSI.match(data, i)
                    if not m:
                        if len(data) - i < 64:  # sequence cut by the read: keep it for the next chunk
                            self._pending = data[i:]
                            return
                        i += 2
                        continue
                    self._csi(m.group(1), m.group(3))
                    i = m.end()
                    continue
                if nxt == "]":
                    m = _OSC.match(data, i)
                    if not m:
                        self._pending = data[i:]
                        return
                    i = m.end()
                    continue
                if nxt in "P_^":
                    m = _DCS.match(data, i)
                    if not m:
                        self._pending = data[i:]
                        return
                    i = m.end()
                    continue
                i += 3 if nxt in "()#%" else 2  # charset designations take one more byte
                continue
            if ch == "\r":
                self.x = 0
            elif ch == "\n":
                self.y = min(self.y + 1, self.rows - 1)
            elif ch == "\b":
                self.x = max(self.x - 1, 0)
            elif ch >= " ":
                if 0 <= self.y < self.rows and 0 <= self.x < self.cols:
                    self.grid[self.y][self.x] = ch
                self.x += 1
            i += 1

    def _csi(self, params: str, final: str) -> None:
        if params.startswith("?"):
            return  # private modes (alt screen, mouse, sync output): nothing to draw
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        if final in "Hf":
            row = nums[0] if nums and nums[0] else 1
            col = nums[1] if len(nums) > 1 and nums[1] else 1
            self.y, self.x = min(row, self.rows) - 1, min(col, self.cols) - 1
        elif final == "J":
            if (nums[0] if nums else 0) in (2, 3):
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "K":
            mode = nums[0] if nums else 0
            row = self.grid[self.y] if 0 <= self.y < self.rows else None
            if row is not None:
                lo, hi = {0: (self.x, self.cols), 1: (0, self.x + 1), 2: (0, self.cols)}.get(mode, (0, 0))
                for c in range(max(lo, 0), min(hi, self.cols)):
                    row[c] = " "
        elif final == "G":
            self.x = (nums[0] if nums and nums[0] else 1) - 1
        elif final == "d":
            self.y = (nums[0] if nums and nums[0] else 1) - 1
        elif final in "ABCD":
            k = nums[0] if nums and nums[0] else 1
            if final == "A":
                self.y = max(self.y - k, 0)
            elif final == "B":
                self.y = min(self.y + k, self.rows - 1)
            elif final == "C":
                self.x = min(self.x + k, self.cols - 1)
            else:
                self.x = max(self.x - k, 0)

    def lines(self) -> list[str]:
        return ["".join(r) for r in self.grid]

    def text(self) -> str:
        return "\n".join(self.lines())


def digits_rows(number: str, *, bold: bool) -> list[str]:
    """The three rows Textual's ``Digits`` widget draws for ``number``."""
    from textual.renderables.digits import DIGITS, DIGITS3X3, DIGITS3X3_BOLD

    font = DIGITS3X3_BOLD if bold else DIGITS3X3
    rows = ["", "", ""]
    for ch in number:
        pos = DIGITS.index(ch) * 3
        for k in range(3):
            rows[k] += font[pos + k].ljust(3)
    return rows


def shows_rows(lines: Sequence[str], rows: Sequence[str]) -> bool:
    """Whether the block ``rows`` (a multi-row glyph rendering) is on screen, left-aligned in one column."""
    rows = [r.rstrip() for r in rows]
    for y in range(len(lines) - len(rows) + 1):
        start = lines[y].find(rows[0])
        while start >= 0:
            if all(lines[y + k][start : start + len(rows[k])] == rows[k] for k in range(1, len(rows))):
                return True
            start = lines[y].find(rows[0], start + 1)
    return False


def big_number_renderings(number: str) -> list[list[str]]:
    """Every way the monitor may draw ``number`` big: Textual's ``Digits`` (plain, bold) and the app's own
    ``tui.widgets.bignum`` font when it has one."""
    out = [digits_rows(number, bold=False), digits_rows(number, bold=True)]
    try:
        from tui.widgets.bignum import big

        out.append(list(big(number)))
    except Exception:  # no such module (yet, or any more): the Textual fonts still count
        pass
    return out


def number_finder(number: str) -> Callable[[Sequence[str]], bool]:
    """A check for ``number`` drawn big (see :func:`big_number_renderings`), or as a word on the "in a row" line."""
    renderings = big_number_renderings(number)
    word = re.compile(rf"(?<![\d.,]){re.escape(number)}(?![\d.,%])")

    def check(lines: Sequence[str]) -> bool:
        if any(shows_rows(lines, rows) for rows in renderings):
            return True
        return any("in a row" in line and word.search(line) for line in lines)

    return check


def shows_digits(lines: Sequence[str], number: str) -> bool:
    return number_finder(number)(lines)


def set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyProgram:
    """``argv`` on a fresh pseudo-terminal of ``cols``×``rows``; :meth:`pump` reads its output into :attr:`screen`."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cols: int = 120, rows: int = 40, cwd=None) -> None:
        env = dict(env, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        env.pop("NO_COLOR", None)
        env.pop("TEXTUAL", None)
        self.master, slave = os.openpty()
        set_winsize(slave, cols, rows)
        self.screen = Screen(cols, rows)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.bytes_read = 0
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def pump(self, timeout: float) -> bool:
        """Read whatever arrives within ``timeout`` s; False once the program closed the terminal."""
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the slave side is gone
            return False
        if not chunk:
            return False
        self.bytes_read += len(chunk)
        self.screen.feed(self._decoder.decode(chunk))
        return True

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float) -> float | None:
        """Seconds since spawn at which ``predicate(screen lines)`` first held, or None on timeout/exit."""
        deadline = self.t0 + timeout
        while True:
            now = time.perf_counter()
            if now > deadline:
                return None
            alive = self.pump(min(0.05, deadline - now))
            if predicate(self.screen.lines()):
                return time.perf_counter() - self.t0
            if not alive:
                return None

    def drain(self, seconds: float) -> int:
        """Keep reading for ``seconds`` (a program blocks if nobody reads its terminal); returns bytes read."""
        before = self.bytes_read
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            if not self.pump(min(left, 0.5)):
                break
        return self.bytes_read - before

    def send(self, data: bytes) -> None:
        try:
            os.write(self.master, data)
        except OSError:
            pass

    def quit(self, key: bytes = b"q", timeout: float = 5.0) -> int | None:
        """Press ``key``, then escalate (ctrl+c, SIGTERM, SIGKILL) until the program is gone."""
        self.send(key)
        for action in (
            lambda: None,
            lambda: self.send(b"\x03"),
            lambda: self._signal(signal.SIGTERM),
            lambda: self._signal(signal.SIGKILL),
        ):
            action()
            end = time.perf_counter() + timeout
            while time.perf_counter() < end:
                if self.proc.poll() is not None:
                    self.close()
                    return self.proc.returncode
                self.pump(0.05)
        self.close()
        return self.proc.poll()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)  # its own session (start_new_session): only what we started
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if self.master >= 0:
            end = time.perf_counter() + 1.0
            try:  # let the program finish writing its exit sequences, briefly
                while time.perf_counter() < end and self.pump(0.02):
                    if self.proc.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                        break
            except OSError:
                pass
            os.close(self.master)
            self.master = -1
