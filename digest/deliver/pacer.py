"""A token bucket shared by every connection of a sender's pool, that backs off when the
server says "slow down".

``[smtp] rate_per_second`` caps the pool's sending rate (0: as fast as the server
takes). A throttling reply (421, 454, a rate-limit 4.7.28) halves the current rate and
pauses the whole pool briefly (the pause doubling while throttling goes on); every
accepted message then raises the rate by a small step until it is back at the cap
(additive increase, multiplicative decrease, as TCP does). With no cap, throttling
sets a cap at half the rate measured just before (when there is one), and lifts it
once the rate has recovered past one and a half times that.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

#: Lowest rate throttling can push the pool down to, in messages per second.
MIN_RATE = 0.2
#: The pause after a throttling reply, doubled for each one in a row, at most MAX_PAUSE.
FIRST_PAUSE = 0.25
MAX_PAUSE = 30.0
#: Share of the current rate added back per accepted message.
RECOVERY = 0.02
#: Seconds over which the accepted rate is measured.
WINDOW = 2.0


class SendPacer:
    """Paces the pool's messages; ``acquire()`` before each one."""

    def __init__(
        self,
        rate_per_second: float = 0.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ceiling = max(0.0, rate_per_second)
        self.rate = self.ceiling  # 0: unlimited
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._capacity()
        self._stamp = clock()
        self._paused_until = 0.0
        self._pause = FIRST_PAUSE
        self._lift_at = 0.0  # with no ceiling: the rate at which throttling is forgotten
        self._recent: deque[float] = deque()  # when recent messages were accepted
        self._since = clock()
        self._lock = asyncio.Lock()
        self.throttled = 0  # throttling replies seen

    def _capacity(self) -> float:
        # A tenth of a second's worth: smooth pacing, no burst of a whole second.
        return max(1.0, self.rate * 0.1)

    @property
    def limited(self) -> bool:
        """True while a rate applies (a ceiling, or throttling in force)."""
        return self.rate > 0

    def observed_rate(self) -> float:
        """Messages accepted per second over the last two seconds (0 before two
        seconds of history: too few to measure)."""
        now = self._clock()
        while self._recent and self._recent[0] < now - WINDOW:
            self._recent.popleft()
        if now - self._since < WINDOW:
            return 0.0
        return len(self._recent) / WINDOW

    def would_wait(self) -> bool:
        """True when :meth:`acquire` may have to wait (a pause or a rate applies)."""
        return self.rate > 0 or self._clock() < self._paused_until or self._lock.locked()

    async def acquire(self) -> None:
        """Wait for the pool's turn to start a message."""
        async with self._lock:  # waiters queue up in order
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await self._sleep(self._paused_until - now)
                    continue
                if self.rate <= 0:
                    break
                self._tokens = min(self._capacity(), self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0 - 1e-9:  # tolerance: float sums may fall a hair short
                    self._tokens = max(0.0, self._tokens - 1.0)
                    break
                await self._sleep((1.0 - self._tokens) / self.rate)

    def slow_down(self) -> None:
        """A throttling reply: halve the rate and pause the pool."""
        self.throttled += 1
        now = self._clock()
        self._paused_until = max(self._paused_until, now + self._pause)
        self._pause = min(MAX_PAUSE, self._pause * 2)
        if self.rate > 0:
            self.rate = max(MIN_RATE, self.rate / 2)
        else:
            observed = self.observed_rate()
            if observed < 1.0:
                return  # nothing measured yet to halve: the pause alone slows us down
            self._lift_at = observed * 1.5
            self.rate = max(MIN_RATE, observed / 2)
        self._tokens = min(self._tokens, self._capacity())
        self._stamp = now

    def accepted(self) -> None:
        """A message went through: recover some of the rate."""
        self._pause = FIRST_PAUSE
        self._recent.append(self._clock())
        if self.rate <= 0:
            return
        if self.ceiling > 0:
            if self.rate < self.ceiling:
                self.rate = min(self.ceiling, self.rate + max(0.05, self.rate * RECOVERY))
            return
        self.rate += max(0.05, self.rate * RECOVERY)
        if self.rate >= self._lift_at:
            self.rate, self._lift_at = 0.0, 0.0  # recovered: back to unlimited
