"""streakwatch: a terminal monitor for the small-cap vs large-cap rotation."""

__version__ = "0.1.0"
