"""Messages the refresh worker posts to the app (from its thread; post_message is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from tui.model import Snapshot


class SnapshotReady(Message):
    """A refresh produced a snapshot (with the market status at the data's instant in ``snapshot.market``)."""

    def __init__(self, snapshot: Snapshot, generation: int) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.generation = generation


class RefreshFailed(Message):
    """A refresh failed with a reason fit to show; ``retry_after`` (seconds) comes from the source, if it said."""

    def __init__(self, reason: str, generation: int, retry_after: float | None = None) -> None:
        super().__init__()
        self.reason = reason
        self.generation = generation
        self.retry_after = retry_after
