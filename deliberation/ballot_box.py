"""The secret online ballot box: a vote is sealed (AES-GCM) under a key derived for its
meeting from the integrity key, which lives outside the database (village/keys.py); the box
is opened only when the vote is counted. See `SealedBallot` and docs/deliberation.md."""

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from village import keys

# Every sealed ballot has the same length whatever it holds ("yes" and "abstain" alike).
PLAIN_LENGTH = 64
NONCE_LENGTH = 12


class BrokenSeal(Exception):
    """A sealed ballot that does not open: changed, moved from another meeting, or made
    without the integrity key."""


def _key(meeting_id: int, key_id: str | None = None) -> tuple[str, bytes]:
    return keys.derive(f"ballot-box:{meeting_id}", key_id=key_id)


def _associated(meeting_id: int) -> bytes:
    return f"cunzhi-ballot:{meeting_id}".encode()


def seal(*, meeting_id: int, choice: str, receipt: str) -> tuple[str, bytes]:
    """(key id, sealed bytes) of one vote."""
    key_id, key = _key(meeting_id)
    plain = json.dumps({"c": choice, "r": receipt}, separators=(",", ":")).encode()
    plain = plain.ljust(PLAIN_LENGTH, b" ")
    nonce = os.urandom(NONCE_LENGTH)
    return key_id, nonce + AESGCM(key).encrypt(nonce, plain, _associated(meeting_id))


def unseal(*, meeting_id: int, key_id: str, sealed: bytes) -> tuple[str, str]:
    """(choice, receipt) of one sealed vote; BrokenSeal when it does not open."""
    try:
        _key_id, key = _key(meeting_id, key_id)
        data = bytes(sealed)
        nonce, body = data[:NONCE_LENGTH], data[NONCE_LENGTH:]
        vote = json.loads(AESGCM(key).decrypt(nonce, body, _associated(meeting_id)))
        return vote["c"], vote["r"]
    except (KeyError, InvalidTag, ValueError, TypeError) as exc:
        raise BrokenSeal(str(exc) or exc.__class__.__name__) from exc
