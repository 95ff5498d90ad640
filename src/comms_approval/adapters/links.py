"""Secret link tokens: 256 random bits, handed out once, stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits, well above the 128-bit floor of the design


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str, secret_key: str) -> str:
    """Keyed hash: a copy of the database alone does not let anyone check guessed tokens offline."""
    return hmac.new(secret_key.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def looks_like_token(token: str) -> bool:
    """Cheap shape check before any database work (constant-time compare happens via the hash lookup)."""
    return 30 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
