"""Signed, expiring tokens for the links in emails and pages (itsdangerous).

A token binds a subscriber id to one purpose ("unsubscribe", "preferences", "confirm",
"archive"...): the purpose is the signer's salt, so a token made for one purpose is
refused for another, and any change to the token breaks its signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import NamedTuple

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes
from itsdangerous.signer import SigningAlgorithm

from digest.errors import TokenError

PURPOSES = frozenset(
    {"confirm", "unsubscribe", "preferences", "archive", "one-click", "request", "mailto", "click", "open"}
)

#: Opt-out tokens never expire: only their signature is checked. Gmail, Yahoo and
#: CAN-SPAM expect an unsubscribe link in a months-old mail to keep working.
NEVER_EXPIRE = frozenset({"unsubscribe", "one-click", "mailto"})


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
        self._untimed: dict[str, URLSafeSerializer] = {}
        self._signers: dict[tuple[str, str], _Signer] = {}
        self._last_payload: tuple[int | None, bytes] = (None, b"")

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
        ts = int(now.astimezone(UTC).timestamp())
        return _sign_at(self._signer(purpose, scope), self._payload(subscriber_id), ts)

    def _signer(self, purpose: str, scope: str) -> _Signer:
        # The signer's derived key is computed once per purpose and scope, not once per
        # token (itsdangerous derives it again for every signature it makes).
        found = self._signers.get((purpose, scope))
        if found is None:
            serializer = self._serializer(purpose, scope)
            signer = serializer.make_signer(serializer.salt)
            found = _Signer(signer.sep, signer.derive_key(), signer.algorithm)
            self._signers[purpose, scope] = found
        return found

    def _payload(self, subscriber_id: int) -> bytes:
        # A message carries three tokens for the same reader: the payload is made once.
        if self._last_payload[0] != subscriber_id:
            self._last_payload = (subscriber_id, self._serializer("unsubscribe").dump_payload(subscriber_id))
        return self._last_payload[1]

    def check(self, purpose: str, token: str, *, now: datetime | None = None, scope: str = "") -> int:
        """The subscriber id inside a valid token; TokenError when forged, altered,
        expired (except opt-out purposes, see :data:`NEVER_EXPIRE`) or made for
        another purpose or scope."""
        value, signed_at = self._load(purpose, token, scope)
        current = now if now is not None else datetime.now(UTC)
        if purpose not in NEVER_EXPIRE and (current - signed_at).total_seconds() > self.max_age_seconds:
            raise TokenError("link expired")
        return value

    def _load(self, purpose: str, token: str, scope: str = "") -> tuple[int, datetime]:
        serializer = self._serializer(purpose, scope)
        try:
            value, signed_at = serializer.loads(token, max_age=None, return_timestamp=True)
        except SignatureExpired:  # pragma: no cover - max_age=None never expires here
            raise TokenError("link expired") from None
        except BadSignature:
            raise TokenError("invalid link") from None
        if not isinstance(value, int) or isinstance(value, bool):
            raise TokenError("invalid link")
        return value, signed_at

    def check_signature(self, purpose: str, token: str) -> int:
        """The subscriber id inside a token whose signature is valid, however old: to
        mail a fresh link to the owner of an expired one (never to act on it)."""
        return self._load(purpose, token)[0]

    def make_short(self, purpose: str, subscriber_id: int) -> str:
        """A short, never-expiring token ``<id>.<16 chars>`` (HMAC-SHA256 cut to 96
        bits): short enough for a mail subject in a header line of 78 characters."""
        if purpose not in NEVER_EXPIRE:
            raise ValueError(f"short tokens are for opt-out purposes only, not {purpose!r}")
        return f"{subscriber_id}.{self._short_mac(purpose, subscriber_id)}"

    def check_short(self, purpose: str, token: str) -> int:
        """The subscriber id inside a short token; TokenError when forged or altered."""
        match = _SHORT.fullmatch(token)
        if match is None or purpose not in NEVER_EXPIRE:
            raise TokenError("invalid link")
        subscriber_id = int(match.group(1))
        if not hmac.compare_digest(match.group(2), self._short_mac(purpose, subscriber_id)):
            raise TokenError("invalid link")
        return subscriber_id

    def _short_mac(self, purpose: str, subscriber_id: int) -> str:
        key = hashlib.sha256(f"digest.{purpose}.short|{self._secret}".encode()).digest()
        mac = hmac.new(key, str(subscriber_id).encode("ascii"), hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac).decode("ascii")

    # --- tracked links: signed facts, not a person -------------------------------

    def _untimed_serializer(self, purpose: str) -> URLSafeSerializer:
        cached = self._untimed.get(purpose)
        if cached is None:
            if purpose not in PURPOSES:
                raise ValueError(f"unknown token purpose {purpose!r}")
            cached = URLSafeSerializer(self._secret, salt=f"digest.{purpose}.data")
            self._untimed[purpose] = cached
        return cached

    def make_link(self, purpose: str, edition_id: int, position: int, variant: str) -> str:
        """A never-expiring token naming a story link of an edition variant ("click")
        or a variant's open image ("open"): no date and no person, so one token serves
        every reader of the variant and the message is rendered once."""
        return str(self._untimed_serializer(purpose).dumps([edition_id, position, variant]))

    def check_link(self, purpose: str, token: str) -> tuple[int, int, str]:
        """(edition id, position, variant) of a valid :meth:`make_link` token;
        TokenError when forged, altered or made for another purpose."""
        try:
            value = self._untimed_serializer(purpose).loads(token)
        except BadSignature:
            raise TokenError("invalid link") from None
        return _link_value(value)

    def peek_link(self, purpose: str, token: str) -> int | None:
        """The edition id a link token *claims*, signature unchecked: only to send a
        visitor with a damaged link to that edition's own archive page (never to act)."""
        try:
            _ok, value = self._untimed_serializer(purpose).loads_unsafe(token)
            return _link_value(value)[0]
        except (TokenError, ValueError, TypeError):
            return None

    def make_stamp(self, edition_id: int, sent: int, subscriber_id: int | None = None) -> str:
        """A message's stamp ``<sent>.<subscriber or empty>.<mac>``: when the message
        was composed (seconds since the epoch, base 36) and, only for a reader who
        consented to per-person tracking, their id. Appended to the tracked links of
        one message, it tells clicks seconds after delivery (link scanners) apart."""
        body = f"{_b36(sent)}.{'' if subscriber_id is None else _b36(subscriber_id)}"
        return f"{body}.{self._stamp_mac(edition_id, body)}"

    def check_stamp(self, edition_id: int, stamp: str) -> tuple[int, int | None]:
        """(sent, subscriber id or None) of a valid stamp for ``edition_id``; TokenError otherwise."""
        match = _STAMP.fullmatch(stamp)
        if match is None:
            raise TokenError("invalid link")
        body = f"{match.group(1)}.{match.group(2)}"
        if not hmac.compare_digest(match.group(3), self._stamp_mac(edition_id, body)):
            raise TokenError("invalid link")
        return int(match.group(1), 36), (int(match.group(2), 36) if match.group(2) else None)

    def _stamp_mac(self, edition_id: int, body: str) -> str:
        key = hashlib.sha256(f"digest.stamp|{self._secret}".encode()).digest()
        mac = hmac.new(key, f"{edition_id}|{body}".encode("ascii"), hashlib.sha256).digest()[:9]
        return base64.urlsafe_b64encode(mac).decode("ascii")

    def client_key(self, *parts: str) -> int:
        """A keyed hash of ``parts`` (IP address, user agent, day) as a signed 64-bit
        integer: it tells one client from another without keeping either in clear."""
        key = hashlib.sha256(f"digest.client|{self._secret}".encode()).digest()
        mac = hmac.new(key, "|".join(parts).encode("utf-8", "replace"), hashlib.sha256).digest()
        return int.from_bytes(mac[:8], "big", signed=True)


def _link_value(value: object) -> tuple[int, int, str]:
    if (
        isinstance(value, list)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value[:2])
        and isinstance(value[2], str)
    ):
        return int(value[0]), int(value[1]), str(value[2])
    raise TokenError("invalid link")


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n < 0:
        raise ValueError("negative")
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


_STAMP = re.compile(r"([0-9a-z]{1,13})\.([0-9a-z]{0,13})\.([A-Za-z0-9_-]{12})")
_SHORT = re.compile(r"([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{16})")


class _Signer(NamedTuple):
    """What a TimestampSigner signs with: its separator, derived key and algorithm."""

    sep: bytes
    key: bytes
    algorithm: SigningAlgorithm


def _sign_at(signer: _Signer, payload: bytes, ts: int) -> str:
    """Sign ``payload`` as TimestampSigner would at time ``ts`` (the same bytes as its
    ``get_signature``: the algorithm's signature with the derived key, base64)."""
    value = payload + signer.sep + base64_encode(int_to_bytes(ts))
    sig = base64_encode(signer.algorithm.get_signature(signer.key, value))
    return (value + signer.sep + sig).decode("ascii")
