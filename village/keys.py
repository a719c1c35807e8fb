"""The integrity key: kept outside the database, so that someone who can write the database
cannot rewrite the audit chain (each chain's head is sealed with it) nor open a secret ballot
box while the vote is on (each sealed ballot is encrypted with a key derived from it).

Settings: `CUNZHI_AUDIT_KEY` (the current key, ≥ 32 characters, from the environment in
production) and `CUNZHI_AUDIT_OLD_KEYS` (keys retired by a rotation, still accepted when
verifying). Every seal carries the id of the key that made it; see docs/core.md, "Key rotation".
"""

import hashlib
import hmac
import secrets
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 32


def _id(key: bytes) -> str:
    return hashlib.sha256(b"cunzhi-key-id:" + key).hexdigest()[:12]


@cache
def _keys(current: str, old: tuple[str, ...]) -> tuple[str, dict[str, bytes]]:
    if len(current or "") < MIN_LENGTH:
        raise ImproperlyConfigured(
            f"CUNZHI_AUDIT_KEY must be set to a secret of at least {MIN_LENGTH} characters "
            "kept outside the database (it seals the audit chain and the secret ballot box)."
        )
    keys = {}
    for text in (current, *old):
        key = text.encode()
        keys[_id(key)] = key
    return _id(current.encode()), keys


def _configured() -> tuple[str, dict[str, bytes]]:
    return _keys(settings.CUNZHI_AUDIT_KEY, tuple(settings.CUNZHI_AUDIT_OLD_KEYS))


def current_id() -> str:
    return _configured()[0]


def derive(purpose: str, *, key_id: str | None = None) -> tuple[str, bytes]:
    """A 32-byte key for one purpose (a chain seal, a meeting's ballot box), from the current
    key or, to verify or open something older, from the key it names."""
    current, keys = _configured()
    key_id = key_id or current
    if key_id not in keys:
        raise KeyError(key_id)
    return key_id, hmac.new(keys[key_id], purpose.encode(), hashlib.sha256).digest()


def seal(purpose: str, message: str) -> tuple[str, str]:
    """(key id, HMAC-SHA256 of `message`) under the current key."""
    key_id, key = derive(purpose)
    return key_id, hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def seal_ok(purpose: str, message: str, *, key_id: str, mac: str) -> bool:
    try:
        _key_id, key = derive(purpose, key_id=key_id)
    except KeyError:
        return False
    expected = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, mac or "")


def dev_key(path: Path) -> str:
    """The development key: generated once into a git-ignored file beside the database."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key
