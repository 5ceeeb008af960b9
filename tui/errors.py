"""The project's own error types; the CLI maps them to exit codes (SPEC §4)."""

from __future__ import annotations


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
