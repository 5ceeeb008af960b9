"""SIGTERM, SIGHUP and SIGINT quit the monitor like `q`, so no signal can leave the terminal in application mode.

Taken over when the app loads (before the terminal enters application mode) and given back when it unmounts: to
the handlers they had before (the CLI's, for the rest of the way out), not to asyncio's defaults.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

from tui.errors import QUIT_SIGNALS, signal_exit_code


class QuitSignals:
    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}  # signal -> the handler it had before

    def take(self, quit: Callable[[int], object]) -> None:
        """From now on each quit signal calls ``quit(128 + its number)`` on the running event loop."""
        loop = asyncio.get_running_loop()
        for signum in QUIT_SIGNALS:
            previous = signal.getsignal(signum)
            try:
                loop.add_signal_handler(signum, quit, signal_exit_code(signum))
            except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or not Unix
                continue
            self._previous[signum] = previous

    def give_back(self) -> None:
        loop = asyncio.get_running_loop()
        for signum, previous in self._previous.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self._previous.clear()
