"""The reachability check: a test QR code on the console that a phone on the room's network scans.

The QR code's address is the public address plus a token derived from the meeting and that
address (nothing is stored until a phone arrives). When a phone opens it, the check is recorded
with the address the phone used and where it came from; the console then turns green. A check
counts only for the public address it was made for: after a restart on another network it reads
"not tested yet" again.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.errors import N_, NotFound
from app.models import AddressCheck, Meeting, utcnow
from app.settings import get_settings, public_address


@dataclass(frozen=True)
class CheckState:
    """The test QR code of a meeting and whether a phone has reached it."""

    url: str
    address: str
    is_loopback: bool
    check: AddressCheck | None

    @property
    def reached(self) -> bool:
        """Whether a phone reached the server at the current public address."""
        return self.check is not None and self.check.reached_at is not None


def _token(meeting_id: int, address: str) -> str:
    key = get_settings().secret_key.encode()
    message = f"address-check:{meeting_id}:{address}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def state(session: Session, *, meeting_id: int) -> CheckState:
    """The meeting's test QR code for the current public address, and whether it was reached."""
    address = public_address()
    token = _token(meeting_id, address.base_url)
    check = session.exec(
        select(AddressCheck)
        .where(AddressCheck.meeting_id == meeting_id, AddressCheck.token == token)
        .order_by(col(AddressCheck.id).desc())
    ).first()
    return CheckState(
        url=f"{address.base_url}/check/{meeting_id}/{token}",
        address=address.base_url,
        is_loopback=address.is_loopback,
        check=check,
    )


def reached(
    session: Session, *, meeting_id: int, token: str, via: str, client: str
) -> AddressCheck:
    """Record that a phone opened the test QR code (via the address it used, from where)."""
    meeting = session.get(Meeting, meeting_id)
    address = public_address().base_url
    if meeting is None or not hmac.compare_digest(token, _token(meeting_id, address)):
        raise NotFound(N_("This test code is not valid (any more). Scan the one on the console."))
    check = session.exec(
        select(AddressCheck).where(
            AddressCheck.meeting_id == meeting_id, AddressCheck.token == token
        )
    ).first()
    if check is None:
        check = AddressCheck(meeting_id=meeting_id, token=token, address=address)
        session.add(check)
    check.reached_at = utcnow()
    check.reached_via = via[:300]
    check.reached_from = client[:64]
    session.flush()
    return check
