"""Signed link tokens: round trips, purpose binding, tampering and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import BadData
from itsdangerous.encoding import base64_decode

from digest.errors import TokenError
from digest.tokens import Tokens

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
tokens = Tokens("test-secret", max_age_seconds=3600)


@given(st.integers(min_value=1, max_value=2**53), st.sampled_from(["confirm", "unsubscribe", "preferences"]))
def test_round_trip(subscriber_id: int, purpose: str) -> None:
    token = tokens.make(purpose, subscriber_id, now=NOW)
    assert tokens.check(purpose, token, now=NOW + timedelta(minutes=59)) == subscriber_id


def test_token_for_one_purpose_is_refused_for_another() -> None:
    token = tokens.make("preferences", 7, now=NOW)
    with pytest.raises(TokenError, match="invalid"):
        tokens.check("unsubscribe", token, now=NOW)


@given(st.integers(min_value=0), st.characters(codec="ascii", categories=["L", "N"]))
def test_any_altered_character_is_refused(position: int, replacement: str) -> None:
    token = tokens.make("unsubscribe", 42, now=NOW)
    i = position % len(token)
    if token[i] == replacement:
        return
    altered = token[:i] + replacement + token[i + 1 :]
    if _decoded(altered) == _decoded(token):
        return  # unused low bits of a base64 character: the same bytes, not an alteration
    with pytest.raises(TokenError):
        tokens.check("unsubscribe", altered, now=NOW)


def _decoded(token: str) -> list[bytes] | None:
    try:
        return [base64_decode(part) for part in token.split(".")]
    except BadData:
        return None


@pytest.mark.parametrize("purpose", ["confirm", "preferences", "archive"])
def test_expired_token_is_refused(purpose: str) -> None:
    token = tokens.make(purpose, 1, now=NOW)
    with pytest.raises(TokenError, match="expired"):
        tokens.check(purpose, token, now=NOW + timedelta(hours=1, seconds=1))


@pytest.mark.parametrize("purpose", ["unsubscribe", "one-click"])
def test_opt_out_tokens_never_expire_but_keep_their_signature(purpose: str) -> None:
    token = tokens.make(purpose, 7, now=NOW)
    assert tokens.check(purpose, token, now=NOW + timedelta(days=3650)) == 7
    with pytest.raises(TokenError, match="invalid"):
        tokens.check(purpose, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), now=NOW)


def test_short_mailto_tokens_round_trip_and_refuse_forgery() -> None:
    short = tokens.make_short("mailto", 4242)
    assert tokens.check_short("mailto", short) == 4242
    assert len(short) <= 22
    for forged in ("4243" + short[4:], short[:-1] + ("A" if short[-1] != "A" else "B"), "x", "4242."):
        with pytest.raises(TokenError):
            tokens.check_short("mailto", forged)
    with pytest.raises(TokenError):
        Tokens("other-secret", max_age_seconds=3600).check_short("mailto", short)


def test_other_key_is_refused() -> None:
    token = Tokens("another-secret", max_age_seconds=3600).make("unsubscribe", 1, now=NOW)
    with pytest.raises(TokenError):
        tokens.check("unsubscribe", token, now=NOW)


def test_same_time_same_token() -> None:
    assert tokens.make("unsubscribe", 5, now=NOW) == tokens.make("unsubscribe", 5, now=NOW)


def test_without_now_uses_the_clock() -> None:
    token = tokens.make("confirm", 3)
    assert tokens.check("confirm", token) == 3
