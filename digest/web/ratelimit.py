"""An in-memory token bucket per key (an IP address, an address hash).

Each key holds up to ``capacity`` tokens and regains ``capacity`` of them per
``period`` seconds; a request spends one. Time is passed in (seconds, any epoch), so
tests drive it without sleeping. Per process: several processes behind a balancer each
allow the full rate, which is fine for its purpose (stopping a flood from one client).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RequestLimiter:
    """``allow(key, now)`` spends a token of ``key``'s bucket if it has one."""

    def __init__(self, capacity: int, period: float, *, max_keys: int = 100_000) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("capacity must be at least 1 and period positive")
        self.capacity = capacity
        self.rate = capacity / period  # tokens regained per second
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float) -> tuple[bool, float]:
        """(allowed, seconds until the next token when refused)."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._prune(now)
                bucket = self._buckets[key] = _Bucket(float(self.capacity), now)
            else:
                elapsed = max(0.0, now - bucket.at)
                bucket.tokens = min(float(self.capacity), bucket.tokens + elapsed * self.rate)
                bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True, 0.0
            return False, (1.0 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        # Buckets that have refilled completely carry no information: drop them.
        full_after = self.capacity / self.rate
        stale = [k for k, b in self._buckets.items() if now - b.at >= full_after]
        for k in stale:
            del self._buckets[k]
        if len(self._buckets) >= self.max_keys:  # still full under a flood: forget the oldest
            for k in sorted(self._buckets, key=lambda k: self._buckets[k].at)[: self.max_keys // 10]:
                del self._buckets[k]
