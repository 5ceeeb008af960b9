"""Symbols that Yahoo keeps failing on their own: each backs off by itself, and is dropped only after long.

A symbol is only blamed for a failure when the others in the same round were served (a round in which most
symbols, or the pair, fail the same way is Yahoo failing, and blames nobody: see ``yahoo.py``). A blamed symbol
waits before it is asked again (2 min, doubling, at most 30 min), so one sick ETF costs a few requests an hour and
never slows the rest of the monitor. Only after it has failed on its own for DROP_AFTER, at least DROP_FAILURES
times, is it dropped from polling (the pair's symbols never are); a dropped symbol is tried again after
DROPPED_FOR, or at once when the user asks (``forget_dropped``).

The record is a small JSON document kept in the cache's meta, so it survives restarts and is shared by every
monitor on the same cache.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from msgspec import Struct
from msgspec.structs import asdict, replace

FIRST_WAIT = timedelta(minutes=2)
MAX_WAIT = timedelta(minutes=30)
DROP_AFTER = timedelta(hours=6)
DROP_FAILURES = 5
DROPPED_FOR = timedelta(days=7)


class Trouble(Struct, frozen=True):
    """One symbol's run of failures of its own."""

    first_failed: datetime
    last_failed: datetime
    failures: int
    reason: str  # the latest failure, in plain words
    next_try: datetime
    dropped_at: datetime | None = None
    kind: str = "unusable"  # how it failed ("empty", "malformed", "no_data" …), to say many alike in one line


class SymbolHealth:
    """{symbol: Trouble} for the symbols failing on their own; a symbol absent is healthy."""

    def __init__(self, troubles: dict[str, Trouble] | None = None) -> None:
        self.troubles: dict[str, Trouble] = dict(troubles or {})

    # -- reading and writing the record -------------------------------------------------------------------
    @classmethod
    def from_json(cls, text: str | None) -> SymbolHealth:
        """The record as written by :meth:`to_json`; anything unreadable is a clean slate (it only holds waits)."""
        try:
            doc = json.loads(text) if text else {}
            troubles = {
                str(symbol): Trouble(
                    first_failed=datetime.fromisoformat(item["first_failed"]),
                    last_failed=datetime.fromisoformat(item["last_failed"]),
                    failures=int(item["failures"]),
                    reason=str(item["reason"]),
                    next_try=datetime.fromisoformat(item["next_try"]),
                    dropped_at=datetime.fromisoformat(item["dropped_at"]) if item.get("dropped_at") else None,
                    kind=str(item.get("kind", "unusable")),
                )
                for symbol, item in doc.items()
            }
        except (AttributeError, KeyError, TypeError, ValueError):
            return cls()
        return cls(troubles)

    def to_json(self) -> str:
        return json.dumps(
            {
                symbol: {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(t).items()}
                for symbol, t in sorted(self.troubles.items())
            },
            sort_keys=True,
        )

    # -- questions ----------------------------------------------------------------------------------------
    def due(self, symbol: str, now: datetime) -> bool:
        """Whether ``symbol`` may be asked now: healthy, its wait is over, or its drop has expired."""
        trouble = self.troubles.get(symbol)
        if trouble is None:
            return True
        if trouble.dropped_at is not None:
            return now - trouble.dropped_at >= DROPPED_FOR
        return now >= trouble.next_try

    def dropped(self) -> dict[str, Trouble]:
        return {s: t for s, t in self.troubles.items() if t.dropped_at is not None}

    def waiting(self, now: datetime) -> dict[str, Trouble]:
        """The symbols backing off on their own right now (not dropped)."""
        return {s: t for s, t in self.troubles.items() if t.dropped_at is None and now < t.next_try}

    # -- changes ------------------------------------------------------------------------------------------
    def failed(
        self, symbol: str, reason: str, now: datetime, *, kind: str = "unusable", droppable: bool = True
    ) -> Trouble:
        """Record one failure of ``symbol``'s own; returns its new state (``dropped_at`` set if dropped now)."""
        old = self.troubles.get(symbol)
        failures = 1 if old is None else old.failures + 1
        first = now if old is None else old.first_failed
        wait = min(FIRST_WAIT * 2 ** min(failures - 1, 16), MAX_WAIT)  # (the exponent capped: no overflow)
        trouble = Trouble(first, now, failures, reason, now + wait, kind=kind)
        if droppable and failures >= DROP_FAILURES and now - first >= DROP_AFTER:
            trouble = replace(trouble, dropped_at=now)
        self.troubles[symbol] = trouble
        return trouble

    def succeeded(self, symbol: str) -> bool:
        """``symbol`` was served: forget its troubles. Returns whether it had any."""
        return self.troubles.pop(symbol, None) is not None

    def forget_dropped(self) -> list[str]:
        """Put every dropped symbol back in the polling (the user asked to retry them); returns them."""
        symbols = sorted(self.dropped())
        for symbol in symbols:
            del self.troubles[symbol]
        return symbols
