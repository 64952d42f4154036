"""Signed, expiring tokens for the links in emails and pages (itsdangerous).

A token binds a subscriber id to one purpose ("unsubscribe", "preferences", "confirm",
"archive"...): the purpose is the signer's salt, so a token made for one purpose is
refused for another, and any change to the token breaks its signature.
"""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from digest.errors import TokenError

PURPOSES = frozenset({"confirm", "unsubscribe", "preferences", "archive", "one-click"})


class Tokens:
    """Make and check tokens with one secret key."""

    def __init__(self, secret_key: str, *, max_age_seconds: int) -> None:
        if not secret_key:
            raise TokenError("no secret key: set the variable named by [web] secret_key_env")
        self._secret = secret_key
        self.max_age_seconds = max_age_seconds
        # One serializer per purpose: building one derives its key, which is most of
        # the cost of a token, and a send makes three tokens per subscriber.
        self._serializers: dict[str, URLSafeTimedSerializer] = {}

    def _serializer(self, purpose: str, scope: str = "") -> URLSafeTimedSerializer:
        # A scope (e.g. the edition an archive link names) is part of the salt: the
        # token is then valid for that scope only.
        cached = self._serializers.get(f"{purpose}:{scope}")
        if cached is not None:
            return cached
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        salt = f"digest.{purpose}" + (f".{scope}" if scope else "")
        serializer = URLSafeTimedSerializer(self._secret, salt=salt)
        self._serializers[f"{purpose}:{scope}"] = serializer
        return serializer

    def make(self, purpose: str, subscriber_id: int, *, now: datetime | None = None, scope: str = "") -> str:
        """A token for ``subscriber_id`` and ``purpose`` (and ``scope``), dated ``now``."""
        serializer = self._serializer(purpose, scope)
        if now is None:
            return serializer.dumps(subscriber_id)
        # itsdangerous reads the clock itself; pinning it makes tokens reproducible
        # (per-variant message bytes, tests) without patching time.
        signer = serializer.make_signer(serializer.salt)
        payload = serializer.dump_payload(subscriber_id)
        ts = int(now.astimezone(UTC).timestamp())
        return _sign_at(signer, payload, ts)

    def check(self, purpose: str, token: str, *, now: datetime | None = None, scope: str = "") -> int:
        """The subscriber id inside a valid token; TokenError when forged, altered,
        expired or made for another purpose or scope."""
        serializer = self._serializer(purpose, scope)
        try:
            value, signed_at = serializer.loads(token, max_age=None, return_timestamp=True)
        except SignatureExpired:  # pragma: no cover - max_age=None never expires here
            raise TokenError("link expired") from None
        except BadSignature:
            raise TokenError("invalid link") from None
        current = now if now is not None else datetime.now(UTC)
        if (current - signed_at).total_seconds() > self.max_age_seconds:
            raise TokenError("link expired")
        if not isinstance(value, int) or isinstance(value, bool):
            raise TokenError("invalid link")
        return value


def _sign_at(signer: object, payload: bytes, ts: int) -> str:
    """Sign ``payload`` as TimestampSigner would at time ``ts``."""
    from itsdangerous.encoding import base64_encode, int_to_bytes

    sep: bytes = signer.sep  # type: ignore[attr-defined]
    value = payload + sep + base64_encode(int_to_bytes(ts))
    sig: bytes = signer.get_signature(value)  # type: ignore[attr-defined]
    return (value + sep + sig).decode("ascii")
