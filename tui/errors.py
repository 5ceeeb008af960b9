"""The project's own error types; the CLI maps them to exit codes (SPEC §4)."""

from __future__ import annotations

import signal


class StreakwatchError(Exception):
    """Base class: a problem we can describe to the user in one line."""

    exit_code = 1


class UsageError(StreakwatchError):
    """Bad command line, bad config or bad input data: exit 2."""

    exit_code = 2


class ConfigError(UsageError):
    """A config file that cannot be used; the message names the key and the file."""


class DataFormatError(UsageError):
    """Input data (a CSV file) that cannot be used; the message names the file and line."""


class NoDataError(StreakwatchError):
    """No data could be had at all: exit 3."""

    exit_code = 3


class SourceError(StreakwatchError):
    """A data source failed (network, rate limit, bad response). Carries a plain-words reason."""

    exit_code = 3

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# The signals that end streakwatch the way `q` does (SIGINT only comes from outside, `kill -INT`: in the
# monitor's raw terminal mode ctrl+c is a key, not a signal).
QUIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def signal_exit_code(signum: int) -> int:
    """The exit status of a process ended by signal ``signum``, by the shell's convention: 128 + its number
    (143 for SIGTERM, 129 for SIGHUP, 130 for SIGINT)."""
    return 128 + int(signum)


class Interrupted(BaseException):
    """A terminating signal arrived outside the monitor's event loop (``--once``, start-up, shut-down).

    A BaseException, like KeyboardInterrupt: no ``except Exception`` on the way may swallow it, and every
    ``finally`` (the source's close) runs as the stack unwinds.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum
        self.exit_code = signal_exit_code(signum)
