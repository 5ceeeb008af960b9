"""Exponential backoff with jitter, so a rate-limited or failing Yahoo is not hammered every refresh."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


class Backoff:
    """Delay after consecutive failures: ``base * factor**(n-1)``, capped, then spread by ``±jitter``.

    Jitter keeps many monitors started together (or one monitor and its ``--once`` twin) from retrying in
    lockstep. The delay never exceeds the cap.
    """

    def __init__(
        self,
        base: float = 60.0,
        cap: float = 900.0,
        factor: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        if base <= 0 or cap < base or factor < 1 or not 0 <= jitter < 1:
            raise ValueError("Backoff needs 0 < base <= cap, factor >= 1 and 0 <= jitter < 1")
        self.base = base
        self.cap = cap
        self.factor = factor
        self.jitter = jitter
        self._rng = rng or random.Random()
        self.failures = 0
        self.delay = 0.0  # seconds of the current backoff; 0 when healthy
        self.until: datetime | None = None  # no request before this instant

    def failure(self, now: datetime | None = None) -> float:
        """Record one more failure and return the delay (seconds) before the next attempt."""
        self.failures += 1
        raw = self.base * self.factor ** (self.failures - 1)
        self.delay = min(raw, self.cap) * (1 + self._rng.uniform(-self.jitter, self.jitter))
        if self.delay > self.cap:  # jitter downwards at the cap, so capped retries still spread out
            self.delay = self.cap * (1 - self._rng.uniform(0, self.jitter))
        if now is not None:
            self.until = now + timedelta(seconds=self.delay)
        return self.delay

    def success(self) -> None:
        self.failures = 0
        self.delay = 0.0
        self.until = None

    def ready(self, now: datetime) -> bool:
        """True when a request may be sent (no backoff running, or it has expired)."""
        return self.until is None or now >= self.until

    def remaining(self, now: datetime) -> float:
        """Seconds left before :meth:`ready`; 0 when ready."""
        if self.until is None:
            return 0.0
        return max(0.0, (self.until - now).total_seconds())
