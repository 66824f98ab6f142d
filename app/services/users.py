"""Accounts and server-side login sessions for the wijkteam and facilitators."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import func
from sqlmodel import Session, col, select

from app import i18n
from app.domain.vocabulary import Role
from app.errors import N_, DomainError, InvalidInput
from app.models import AuditEvent, User, UserSession, utcnow
from app.services import audit
from app.services.forms import FormInvalid

password_hash = PasswordHash.recommended()  # argon2id
MIN_PASSWORD_LENGTH = 12

# Login attempts are limited by counting the `login.failed` audit events of the last
# LOGIN_WINDOW: at most LOGIN_FAILURES_PER_ACCOUNT for one e-mail address (known or not, so that
# the limit does not tell which accounts exist; a successful login starts the count afresh) and
# LOGIN_FAILURES_PER_ADDRESS from one IP address. Refused attempts are logged as `login.refused`
# and do not count, so a person who waits gets in on time.
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_ADDRESS = 20


class LoginFailed(DomainError):
    """Wrong e-mail address or password (deliberately not saying which)."""

    status = 401
    code = "login_failed"


class LoginThrottled(DomainError):
    """Too many failed attempts for this account or from this address; says when to try again."""

    status = 429
    code = "too_many_attempts"


@dataclass(frozen=True)
class RetryAfter:
    """When logging in is possible again."""

    at: datetime
    minutes: int


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account_key(email: str) -> str:
    # The audit row names the account by a hash of the address typed, known account or not.
    return hashlib.sha256(f"login:{email.strip().lower()}".encode()).hexdigest()[:40]


def _aware(moment: datetime) -> datetime:
    # SQLite gives timestamps back without their zone; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def login_retry_after(
    session: Session, *, email: str, ip_address: str, user: User | None = None
) -> RetryAfter | None:
    """When the next login attempt is allowed, if too many recent attempts failed; else None."""
    now = utcnow()
    since = now - LOGIN_WINDOW
    account_since = since
    if user is not None:
        last_success = session.exec(
            select(func.max(AuditEvent.at)).where(
                AuditEvent.action == "login", AuditEvent.user_id == user.id
            )
        ).one()
        if last_success is not None:
            account_since = max(since, _aware(last_success))
    limits: list[tuple[tuple[Any, ...], datetime, int]] = [
        (
            (AuditEvent.object_type == "login", AuditEvent.object_id == _account_key(email)),
            account_since,
            LOGIN_FAILURES_PER_ACCOUNT,
        )
    ]
    if ip_address:
        limits.append(((AuditEvent.ip_address == ip_address,), since, LOGIN_FAILURES_PER_ADDRESS))
    retry: datetime | None = None
    for conditions, start, limit in limits:
        failures = session.exec(
            select(AuditEvent.at)
            .where(AuditEvent.action == "login.failed", AuditEvent.at > start, *conditions)
            .order_by(col(AuditEvent.at))
        ).all()
        if len(failures) >= limit:
            moment = _aware(failures[-limit]) + LOGIN_WINDOW
            retry = moment if retry is None else max(retry, moment)
    if retry is None:
        return None
    minutes = max(1, int((retry - now).total_seconds() + 59) // 60)
    return RetryAfter(retry, minutes)


def create_user(
    session: Session,
    *,
    email: str,
    role: Role,
    password: str | None = None,
    name: str = "",
    actor_id: int | None = None,
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
        user_id=actor_id,
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
    """Check the password and open a session; returns the user and the cookie token.

    Raises LoginThrottled, without checking the password, after too many failed attempts.
    """
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    retry = login_retry_after(session, email=email, ip_address=ip_address, user=user)
    if retry is not None:
        audit.record(
            session,
            action="login.refused",
            ip_address=ip_address,
            user_id=user.id if user else None,
            detail={"email": email.strip().lower()[:254], "retry_at": retry.at.isoformat()},
        )
        raise LoginThrottled(
            N_(
                "Too many failed attempts. Try again in %(minutes)s minutes (at %(time)s), or "
                "ask the wijkteam to reset your password."
            ),
            minutes=retry.minutes,
            time=i18n.local_time(retry.at, "%H:%M"),
        )
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
            object_type="login",
            object_id=_account_key(email),
            detail={"email": email.strip().lower()[:254]},
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


def revoke_sessions(session: Session, *, user_id: int, keep_token: str | None = None) -> int:
    """Revoke every live session of a user (except the one of `keep_token`); returns how many."""
    keep = _token_hash(keep_token) if keep_token else None
    rows = session.exec(
        select(UserSession).where(
            UserSession.user_id == user_id, col(UserSession.revoked_at).is_(None)
        )
    ).all()
    count = 0
    for row in rows:
        if row.token_hash != keep:
            row.revoked_at = utcnow()
            count += 1
    return count


def check_new_password(user: User, password: str, confirm: str) -> tuple[str, str] | None:
    """What is wrong with a new password, as (field, message), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "new_password", N_("Use at least 12 characters.")
    if password.strip().lower() == user.email.lower():
        return "new_password", N_("Do not use your e-mail address as password.")
    if password != confirm:
        return "confirm_password", N_("The two new passwords are not the same.")
    return None


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    confirm: str,
    keep_token: str | None,
    ip_address: str = "",
) -> int:
    """Change one's own password and end all other sessions; returns how many were ended."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    if not password_hash.verify(current, user.password_hash):
        errors["current_password"] = (N_("This is not your current password."), {})
    problem = check_new_password(user, new, confirm)
    if problem is not None:
        errors[problem[0]] = (problem[1], {})
    elif not errors and new == current:
        errors["new_password"] = (N_("Choose a password other than your current one."), {})
    if errors:
        raise FormInvalid(errors)
    user.password_hash = password_hash.hash(new)
    user.password_changed_at = utcnow()
    assert user.id is not None
    ended = revoke_sessions(session, user_id=user.id, keep_token=keep_token)
    audit.record(
        session,
        action="password.changed",
        user_id=user.id,
        object_type="user",
        object_id=user.id,
        ip_address=ip_address,
        detail={"other_sessions_ended": ended},
    )
    return ended


_DUMMY_HASH = password_hash.hash("not-a-real-password-" + secrets.token_hex(8))


def operator(session: Session, *, email: str) -> User:
    """The active wijkteam account a command-line action is recorded under."""
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    if user is None or not user.is_active or user.role != Role.WIJKTEAM:
        raise InvalidInput(
            N_("--as: '%(email)s' is not an active wijkteam account."), email=email.strip()
        )
    return user
