"""API key format and hashing. A key is ``wsk_<prefix>_<secret>``: the prefix finds the row,
the SHA-256 of the whole key proves it. Keys are long random strings, so a fast hash is enough."""

import hashlib
import hmac
import secrets

KEY_START = "wsk_"


def key_generate() -> tuple[str, str]:
    """A new ``(prefix, key)``; the key is shown once and never stored."""
    prefix = secrets.token_hex(6)
    return prefix, f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    if not key.startswith(KEY_START):
        return None
    prefix, _, secret = key[len(KEY_START) :].partition("_")
    return prefix if len(prefix) == 12 and secret else None


def key_matches(key: str, hashed: str) -> bool:
    return hmac.compare_digest(key_hash(key), hashed)
