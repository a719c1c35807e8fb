"""One-time codes typed by hand from a printed slip: a villager's activation code and a
亲情账号's. Only their digest is stored."""

import hashlib
import secrets

from django.conf import settings

# No 0/O, 1/I/L: the code is typed by hand from a printed slip.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def code_digest(code: str) -> str:
    """What is stored of a code: typed with or without its dash, in either case."""
    normalised = code.replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(f"{settings.SECRET_KEY}:{normalised}".encode()).hexdigest()


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"
