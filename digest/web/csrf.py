"""CSRF protection for the pages' forms: a signed double-submit token.

The browser holds a random nonce in an HttpOnly cookie; each form carries the nonce
signed with the app's key (itsdangerous, with a timestamp). A POST is accepted only
when the form's token is validly signed, recent, and matches the cookie. Another site
can neither read the cookie nor sign a nonce of its own, so it cannot forge the pair.
The RFC 8058 one-click unsubscribe POST is the one form without it: it comes from
mail providers without cookies, and its signed URL token is its authority.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "digest_csrf"
FIELD = "csrf_token"


class Csrf:
    """Issue and check form tokens with one secret key."""

    def __init__(self, secret_key: str, *, max_age_seconds: int = 4 * 3600) -> None:
        # The issue time travels inside the signed payload (not itsdangerous' own
        # timestamp) so that it comes from the app's clock, like everything else.
        self._serializer = URLSafeSerializer(secret_key, salt="digest.csrf")
        self.max_age_seconds = max_age_seconds

    @staticmethod
    def new_nonce() -> str:
        """A fresh random value for the cookie."""
        return secrets.token_urlsafe(24)

    def form_token(self, nonce: str, *, now: float) -> str:
        """The hidden-field value that goes with cookie ``nonce``, issued at ``now``."""
        return self._serializer.dumps([nonce, int(now)])

    def check(self, cookie: str | None, token: str | None, *, now: float) -> bool:
        """True when ``token`` signs ``cookie`` and is not older than the max age."""
        if not cookie or not token:
            return False
        try:
            payload = self._serializer.loads(token)
        except BadSignature:
            return False
        if not (isinstance(payload, list) and len(payload) == 2):
            return False
        nonce, issued = payload
        if not isinstance(nonce, str) or not isinstance(issued, int) or now - issued > self.max_age_seconds:
            return False
        return hmac.compare_digest(nonce.encode(), cookie.encode())
