"""The send's circuit breaker: when refusals that are not the readers' doing dominate,
stop instead of charging every reader for them.

It watches the outcomes that cost an attempt (the server answered about a recipient)
of rows on their first attempt — rows already retrying are readers known to be in
trouble, no evidence about the relay — and trips when one class of refusal — ours (a relay that refuses us, 5.7.1) or
temporary (every reader greylisted, a full disk at the relay) — dominates:

* **from the start**: the first :data:`FIRST` outcomes of the run (fewer when the run
  has fewer rows) are all refusals of the same class, with no delivery among them;
* **in a window**: among the last :data:`WINDOW` outcomes, refusals of ours make up at
  least :data:`OURS_SHARE` (and number at least :data:`FIRST`), or temporary ones
  :data:`TEMPORARY_SHARE`.

A tripped breaker names the class and the last such reply; the sender stops, and the
rows whose refusals were evidence (and every later one) get their attempt back
(:func:`digest.store.outcomes.refund`), so nobody is charged an attempt, a soft bounce
or a suppression for it. The readers' own refusals (5.1.1) and deliveries never trip it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from digest.deliver.replies import Fault, SmtpOutcome, Verdict

#: Refusals of one class in a row, from the start of a run, that stop it.
FIRST = 10
#: Outcomes the sliding window holds.
WINDOW = 200
#: Share of the window that stops the send, per class.
OURS_SHARE = 0.10
TEMPORARY_SHARE = 0.50


@dataclass
class Breaker:
    """Watches a run's charged outcomes; :attr:`tripped` once one class dominates."""

    expected: int = FIRST  # first-attempt rows of the run so far (a run smaller than FIRST trips sooner)
    tripped: Fault | None = None
    cause: str = ""
    evidence: list[int] = field(default_factory=list)  # delivery ids charged for the dominating class
    _seen: int = 0
    _delivered: int = 0
    _window: deque[tuple[Fault | None, int]] = field(default_factory=lambda: deque(maxlen=WINDOW))
    _last: dict[Fault, str] = field(default_factory=dict)

    def observe(self, delivery_id: int, outcome: SmtpOutcome, *, first_attempt: bool = True) -> bool:
        """Count one outcome; True when the breaker is (now or already) tripped."""
        if self.tripped is not None:
            return True
        if not outcome.charged or not first_attempt:
            return False
        fault = None if outcome.verdict is Verdict.SENT else outcome.fault
        self._seen += 1
        if fault is None:
            self._delivered += 1
        else:
            self._last[fault] = outcome.message
        self._window.append((fault, delivery_id))
        for candidate in (Fault.OURS, Fault.TEMPORARY):
            if self._dominates(candidate):
                self._trip(candidate)
                return True
        return False

    def _dominates(self, fault: Fault) -> bool:
        count = sum(1 for f, _ in self._window if f is fault)
        first = max(1, min(FIRST, self.expected))
        if self._delivered == 0 and self._seen >= first and count == self._seen:
            return True
        share = OURS_SHARE if fault is Fault.OURS else TEMPORARY_SHARE
        return len(self._window) >= 2 * FIRST and count >= FIRST and count >= share * len(self._window)

    def _trip(self, fault: Fault) -> None:
        self.tripped = fault
        self.cause = self._last.get(fault, "")
        self.evidence = [i for f, i in self._window if f is fault]

    def describe(self) -> str:
        """One line: which class stopped the send and the server's reply."""
        if self.tripped is None:
            return ""
        if self.tripped is Fault.OURS:
            return f"the SMTP server refuses our mail (a fault of ours, not the readers'): {self.cause}"
        return f"the SMTP server refuses every reader for now (temporary): {self.cause}"
