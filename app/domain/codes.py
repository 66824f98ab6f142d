"""Voting codes people type, and QR tokens: generation, reading what people typed, and hashing.

A typed code has 14 symbols from Crockford's base-32 alphabet (no I, L, O or U), so 70 bits,
shown as XXXX-XXXX-XXXX-XX. Reading is forgiving: dashes, spaces and lower case are ignored, and
the letters people confuse with digits (I, L -> 1; O -> 0) are read as those digits. The QR token
is a separate 192-bit URL-safe string. Only SHA-256 hashes of both are stored; at 70 and 192 bits
of randomness a plain hash cannot be reversed by trying.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from app.domain.vocabulary import StakeholderGroup

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
CODE_LENGTH = 14
CODE_BITS = CODE_LENGTH * 5
GROUPS = (4, 4, 4, 2)
TOKEN_BYTES = 24
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})


@dataclass(frozen=True)
class IssuedCode:
    """A code card as printed: the only moment its code and token exist in plain text."""

    id: int
    code: str
    token: str
    stakeholder_group: StakeholderGroup | None
    batch: str


def new_code() -> str:
    """A fresh random code, grouped for reading: XXXX-XXXX-XXXX-XX."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return group(raw)


def new_token() -> str:
    """A fresh random token for the QR code's URL (192 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def group(raw: str) -> str:
    """Split a normalised code into its reading groups."""
    parts, start = [], 0
    for size in GROUPS:
        parts.append(raw[start : start + size])
        start += size
    return "-".join(parts)


def normalise(typed: str) -> str | None:
    """What someone typed as a code, in canonical form; None when it cannot be a code."""
    raw = "".join(typed.split()).replace("-", "").upper().translate(_CONFUSABLE)
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def code_hash(typed: str) -> str | None:
    """The stored hash of a typed code, or None when it cannot be a code."""
    raw = normalise(typed)
    return None if raw is None else hashlib.sha256(f"code:{raw}".encode()).hexdigest()


def token_hash(token: str) -> str:
    """The stored hash of a QR token."""
    return hashlib.sha256(f"token:{token}".encode()).hexdigest()
