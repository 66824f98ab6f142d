"""Receipts the room can check: a short code per counted ballot, published after the close.

A receipt is a keyed hash (HMAC-SHA256) of the ballot as counted, written canonically, and the
ballot's number, with a secret of the round as key. Without the secret nobody can tell from a
receipt how anyone voted, or make a receipt for a ballot that was not counted; with the ballot's
number in it, two residents who voted alike still get different receipts. After the close the
facilitator publishes the round's list of receipts: its length is the number of ballots counted,
and each resident finds the receipt their phone showed them.

Receipts are written in the card alphabet (Crockford's base 32: no I, L, O or U), 12 symbols
(60 bits) as XXXX-XXXX-XXXX, so that reading one aloud or comparing it on a screen is easy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from app.domain.codes import ALPHABET

RECEIPT_SYMBOLS = 12
RECEIPT_GROUP = 4
SECRET_BYTES = 32
VERSION = "waardenzeef-receipt/1"

Line = tuple[int | None, int | None, int]
_CONFUSABLE = str.maketrans("ILO", "110")


def new_secret() -> str:
    """A fresh secret for a round's receipts (256 bits, hex)."""
    return secrets.token_hex(SECRET_BYTES)


def canonical_ballot(kind: str, lines: Iterable[Line]) -> str:
    """A ballot as text that does not depend on the order its lines were stored in."""
    parts = sorted(f"{'-' if m is None else m}:{'-' if e is None else e}:{v}" for m, e, v in lines)
    return f"{kind};{','.join(parts)}"


def receipt_code(secret: str, *, ballot_id: int, kind: str, lines: Iterable[Line]) -> str:
    """The receipt of a ballot as counted: XXXX-XXXX-XXXX in the card alphabet."""
    message = f"{VERSION}\n{ballot_id}\n{canonical_ballot(kind, lines)}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> (64 - 5 * RECEIPT_SYMBOLS)
    symbols = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(RECEIPT_SYMBOLS)))
    return "-".join(
        symbols[i : i + RECEIPT_GROUP] for i in range(0, RECEIPT_SYMBOLS, RECEIPT_GROUP)
    )


def normalise_receipt(typed: str) -> str | None:
    """A receipt as someone typed it (any case, spaces, dashes; I/L as 1, O as 0), or None."""
    raw = "".join(typed.split()).replace("-", "").upper()
    raw = raw.translate(_CONFUSABLE)
    if len(raw) != RECEIPT_SYMBOLS or any(ch not in ALPHABET for ch in raw):
        return None
    return "-".join(raw[i : i + RECEIPT_GROUP] for i in range(0, RECEIPT_SYMBOLS, RECEIPT_GROUP))
