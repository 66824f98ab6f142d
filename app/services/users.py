"""Accounts and server-side login sessions for the wijkteam and facilitators."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from pwdlib import PasswordHash
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role
from app.errors import N_, DomainError, InvalidInput
from app.models import User, UserSession, utcnow
from app.services import audit

password_hash = PasswordHash.recommended()  # argon2id
MIN_PASSWORD_LENGTH = 12


class LoginFailed(DomainError):
    """Wrong e-mail address or password (deliberately not saying which)."""

    status = 401
    code = "login_failed"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session, *, email: str, role: Role, password: str | None = None, name: str = ""
) -> tuple[User, str]:
    """Create an account; returns it with its password (a random one when none was given)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidInput(N_("email: '%(email)s' is not an e-mail address."), email=email)
    if session.exec(select(User).where(func.lower(User.email) == email)).first():
        raise InvalidInput(N_("email: an account for '%(email)s' already exists."), email=email)
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(N_("password: use at least %(n)s characters."), n=MIN_PASSWORD_LENGTH)
    user = User(email=email, role=role, name=name, password_hash=password_hash.hash(password))
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="user.created",
        object_type="user",
        object_id=user.id,
        detail={"email": email, "role": str(role)},
    )
    return user, password


def has_users(session: Session, *, role: Role | None = None) -> bool:
    """Whether any account (of this role) exists."""
    query = select(func.count()).select_from(User)
    if role is not None:
        query = query.where(User.role == role)
    return bool(session.exec(query).one())


def log_in(
    session: Session, *, email: str, password: str, hours: int, ip_address: str = ""
) -> tuple[User, str]:
    """Check the password and open a session; returns the user and the cookie token."""
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    # Hash even for unknown accounts, so that timing does not tell which e-mail addresses exist.
    valid, new_hash = password_hash.verify_and_update(
        password, user.password_hash if user else _DUMMY_HASH
    )
    if user is None or not valid or not user.is_active:
        audit.record(
            session,
            action="login.failed",
            ip_address=ip_address,
            user_id=user.id if user else None,
            detail={"email": email.strip().lower()},
        )
        raise LoginFailed(N_("The e-mail address or password is not right."))
    if new_hash:
        user.password_hash = new_hash
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + timedelta(hours=hours),
            ip_address=ip_address,
        )
    )
    audit.record(
        session,
        action="login",
        user_id=user.id,
        object_type="user",
        object_id=user.id,
        ip_address=ip_address,
    )
    return user, token


def user_for_token(session: Session, *, token: str) -> User | None:
    """The user of a live session token, or None when it is unknown, expired or revoked."""
    row = session.exec(
        select(User)
        .join(UserSession, col(UserSession.user_id) == User.id)
        .where(
            UserSession.token_hash == _token_hash(token),
            col(UserSession.revoked_at).is_(None),
            UserSession.expires_at > utcnow(),
            col(User.is_active).is_(True),
        )
    ).first()
    return row


def log_out(session: Session, *, token: str) -> None:
    """Revoke the session of this token."""
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == _token_hash(token))
    ).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session, action="logout", user_id=row.user_id, object_type="user", object_id=row.user_id
        )


_DUMMY_HASH = password_hash.hash("not-a-real-password-" + secrets.token_hex(8))
