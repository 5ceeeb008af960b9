"""Messages the refresh worker posts to the app (from its thread; post_message is thread-safe)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.message import Message

from tui.model import Snapshot


class SnapshotReady(Message):
    """A refresh produced a snapshot; ``market`` is the market status at ``now``, the data's instant (or None)."""

    def __init__(self, snapshot: Snapshot, market: Any, generation: int, now: datetime | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.market = market
        self.generation = generation
        self.now = now


class RefreshFailed(Message):
    """A refresh failed with a reason fit to show; ``retry_after`` (seconds) comes from the source, if it said."""

    def __init__(self, reason: str, generation: int, retry_after: float | None = None) -> None:
        super().__init__()
        self.reason = reason
        self.generation = generation
        self.retry_after = retry_after
