"""The web app's small parts: the rate limiter, CSRF tokens, language choice (the
labels are checked with the catalogues, in test_render_i18n)."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import BadData
from itsdangerous.encoding import base64_decode

from digest.web.csrf import Csrf
from digest.web.pages import negotiate
from digest.web.ratelimit import RequestLimiter
from digest.web.subscribe import consent_version


@given(
    capacity=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), min_size=1, max_size=80),
)
def test_rate_limiter_never_allows_more_than_capacity_plus_refill(capacity: int, gaps: list[float]) -> None:
    limiter = RequestLimiter(capacity, 60.0)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        ok, retry_after = limiter.allow("ip", now)
        allowed += ok
        assert ok or retry_after > 0
    assert allowed <= capacity + now * capacity / 60.0 + 1e-9


def test_rate_limiter_refills_and_keeps_keys_apart() -> None:
    limiter = RequestLimiter(2, 60.0)
    assert [limiter.allow("a", 0.0)[0] for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", 0.0)[0]
    ok, retry_after = limiter.allow("a", 10.0)
    assert not ok and abs(retry_after - 20.0) < 1e-9
    assert limiter.allow("a", 30.0)[0]


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RequestLimiter(1, 60.0, max_keys=100)
    for i in range(1000):
        limiter.allow(f"ip{i}", float(i) / 1000)
    assert len(limiter._buckets) <= 100


@given(nonce=st.text(string.ascii_letters + string.digits + "-_", min_size=8, max_size=40), at=st.integers(0, 2**31))
def test_csrf_token_matches_only_its_own_cookie(nonce: str, at: int) -> None:
    csrf = Csrf("key")
    value = csrf.form_token(nonce, now=at)
    assert csrf.check(nonce, value, now=at + 60)
    assert not csrf.check(nonce + "x", value, now=at)
    assert not csrf.check(nonce, value, now=at + 4 * 3600 + 1)
    assert not Csrf("other key").check(nonce, value, now=at)


@given(st.integers(min_value=0), st.sampled_from(string.ascii_letters + string.digits + "-_."))
def test_a_changed_csrf_token_is_refused_unless_it_decodes_to_the_same_bytes(position: int, char: str) -> None:
    csrf = Csrf("key")
    value = csrf.form_token("nonce-value", now=1000)
    i = position % len(value)
    changed = value[:i] + char + value[i + 1 :]
    if csrf.check("nonce-value", changed, now=1000):
        # Only the unused low bits of a base64 character may differ: the same bytes.
        assert [_bytes(p) for p in changed.split(".")] == [_bytes(p) for p in value.split(".")]


def _bytes(part: str) -> bytes | None:
    try:
        return base64_decode(part)
    except BadData:
        return None


def test_language_is_negotiated_from_accept_language() -> None:
    assert negotiate("en-US,en;q=0.9,fr;q=0.8", "fr") == "en"
    assert negotiate("de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "en") == "fr"
    assert negotiate("de, it", "fr") == "fr"
    assert negotiate("en;q=0, fr;q=0.1", "en") == "fr"
    assert negotiate(None, "en") == "en"
    assert consent_version("fr") == "web-2026-11/fr"
