"""Accounts and server-side login sessions for the wijkteam and facilitators."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
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
from app.settings import get_settings

password_hash = PasswordHash.recommended()  # argon2id
MIN_PASSWORD_LENGTH = 12

# Wrong passwords slow down and then limit the *source* of the attempts, never the account: the
# right password from another source always gets in, so nobody can lock a facilitator out by
# typing wrong passwords for their address. A source is a browser that has logged in to this
# account before (its login-device cookie, which only the right password earns) or else the
# client address. Failures are the `login.failed` audit events of the last LOGIN_WINDOW, since
# the account's last successful login: after SLOW_DOWN[f] seconds a source with f failures for an
# account may try again; at LOGIN_FAILURES_PER_SOURCE it waits until the window has passed. An
# address with LOGIN_FAILURES_PER_ADDRESS failures (any accounts, unknown ones too) is refused
# for every account except from browsers that have logged in to it before. Refused attempts are
# logged as `login.refused` and do not count, so a person who waits gets in on time.
LOGIN_WINDOW = timedelta(minutes=15)
SLOW_DOWN = (0, 0, 0, 5, 30)
LOGIN_FAILURES_PER_SOURCE = len(SLOW_DOWN)
LOGIN_FAILURES_PER_ADDRESS = 20
DEVICE_COOKIE_DAYS = 365


class LoginFailed(DomainError):
    """Wrong e-mail address or password (deliberately not saying which)."""

    status = 401
    code = "login_failed"


class LoginThrottled(DomainError):
    """Too many failed attempts from this source; says when to try again."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, **params: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **params)

    @property
    def headers(self) -> dict[str, str]:
        """Retry-After: the seconds until the next attempt is allowed."""
        return {"Retry-After": str(self.retry_after)}


@dataclass(frozen=True)
class RetryAfter:
    """When logging in is possible again."""

    at: datetime
    seconds: int

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up."""
        return max(1, -(-self.seconds // 60))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _attempt_key(email: str, source: str) -> str:
    # The audit row names the account (by a hash of the address typed, known account or not) and
    # the source of the attempt.
    return hashlib.sha256(f"login:{email.strip().lower()}|{source}".encode()).hexdigest()[:40]


def _device_signature(payload: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"login-device:{payload}".encode(), hashlib.sha256).hexdigest()[:32]


def device_cookie(user: User, *, current: str | None = None) -> str:
    """The login-device cookie a browser earns by logging in to this account (kept if it has)."""
    if current is not None and trusted_device(current, user) is not None:
        return current
    payload = f"{user.id}.{secrets.token_urlsafe(16)}"
    return f"{payload}.{_device_signature(payload)}"


def trusted_device(value: str | None, user: User | None) -> str | None:
    """The device id in a login-device cookie earned on this account, or None."""
    if not value or user is None or value.count(".") != 2:
        return None
    user_id, device, signature = value.split(".")
    if user_id != str(user.id) or not hmac.compare_digest(
        signature, _device_signature(f"{user_id}.{device}")
    ):
        return None
    return device


def _aware(moment: datetime) -> datetime:
    # SQLite gives timestamps back without their zone; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def login_retry_after(
    session: Session,
    *,
    email: str,
    ip_address: str,
    user: User | None = None,
    device: str | None = None,
) -> RetryAfter | None:
    """When this source may try to log in again, if it has failed too often lately; else None."""
    now = utcnow()
    since = now - LOGIN_WINDOW
    if user is not None:
        last_success = session.exec(
            select(func.max(AuditEvent.at)).where(
                AuditEvent.action == "login", AuditEvent.user_id == user.id
            )
        ).one()
        if last_success is not None:
            since = max(since, _aware(last_success))
    source = f"device:{device}" if device else f"address:{ip_address}"
    failures = [
        _aware(at)
        for at in session.exec(
            select(AuditEvent.at)
            .where(
                AuditEvent.action == "login.failed",
                AuditEvent.object_type == "login",
                AuditEvent.object_id == _attempt_key(email, source),
                AuditEvent.at > since,
            )
            .order_by(col(AuditEvent.at))
        ).all()
    ]
    moments: list[datetime] = []
    if len(failures) >= LOGIN_FAILURES_PER_SOURCE:
        moments.append(failures[-LOGIN_FAILURES_PER_SOURCE] + LOGIN_WINDOW)
    elif failures:
        moments.append(failures[-1] + timedelta(seconds=SLOW_DOWN[len(failures)]))
    if ip_address and device is None:
        from_address = session.exec(
            select(AuditEvent.at)
            .where(
                AuditEvent.action == "login.failed",
                AuditEvent.ip_address == ip_address,
                AuditEvent.at > now - LOGIN_WINDOW,
            )
            .order_by(col(AuditEvent.at).desc())
            .limit(LOGIN_FAILURES_PER_ADDRESS)
        ).all()
        if len(from_address) >= LOGIN_FAILURES_PER_ADDRESS:
            moments.append(_aware(from_address[-1]) + LOGIN_WINDOW)
    retry = max(moments, default=None)
    if retry is None or retry <= now:
        return None
    return RetryAfter(retry, max(1, math.ceil((retry - now).total_seconds())))


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
    one_time = not password
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(N_("password: use at least %(n)s characters."), n=MIN_PASSWORD_LENGTH)
    user = User(
        email=email,
        role=role,
        name=name,
        password_hash=password_hash.hash(password),
        must_change_password=one_time,
    )
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
    session: Session,
    *,
    email: str,
    password: str,
    hours: int,
    ip_address: str = "",
    device_cookie: str | None = None,
) -> tuple[User, str]:
    """Check the password and open a session; returns the user and the cookie token.

    Raises LoginThrottled, without checking the password, when this source failed too often.
    """
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    device = trusted_device(device_cookie, user)
    retry = login_retry_after(session, email=email, ip_address=ip_address, user=user, device=device)
    if retry is not None:
        audit.record(
            session,
            action="login.refused",
            ip_address=ip_address,
            user_id=user.id if user else None,
            detail={"email": email.strip().lower()[:254], "retry_at": retry.at.isoformat()},
        )
        if retry.seconds < 60:
            raise LoginThrottled(
                N_("Too many failed attempts. Wait %(seconds)s seconds and try again."),
                retry_after=retry.seconds,
                seconds=retry.seconds,
            )
        raise LoginThrottled(
            N_(
                "Too many failed attempts from here. Try again in %(minutes)s minutes "
                "(at %(time)s)."
            ),
            retry_after=retry.seconds,
            minutes=retry.minutes,
            time=i18n.local_time(retry.at, "%H:%M"),
        )
    # Hash even for unknown accounts, so that timing does not tell which e-mail addresses exist.
    valid, new_hash = password_hash.verify_and_update(
        password, user.password_hash if user else dummy_hash()
    )
    if user is None or not valid or not user.is_active:
        source = f"device:{device}" if device else f"address:{ip_address}"
        audit.record(
            session,
            action="login.failed",
            ip_address=ip_address,
            user_id=user.id if user else None,
            object_type="login",
            object_id=_attempt_key(email, source),
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
    user.must_change_password = False
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


def reset_password(
    session: Session, *, email: str, actor_id: int | None = None
) -> tuple[User, str, int]:
    """Give an account a new one-time password and end its sessions; returns the account, the
    password (shown once) and how many sessions were ended."""
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    if user is None:
        raise InvalidInput(N_("email: there is no account '%(email)s'."), email=email.strip())
    password = secrets.token_urlsafe(12)
    user.password_hash = password_hash.hash(password)
    user.must_change_password = True
    user.password_changed_at = utcnow()
    assert user.id is not None
    ended = revoke_sessions(session, user_id=user.id)
    audit.record(
        session,
        action="password.reset",
        user_id=actor_id,
        object_type="user",
        object_id=user.id,
        detail={"email": user.email, "sessions_ended": ended},
    )
    session.flush()
    return user, password, ended


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash of no one's password, checked when a login names no account (see `log_in`).

    Made once per process when first needed, or by the server at start-up (app.main), not when
    this module is imported: a command-line action that logs no one in does not pay for it."""
    return password_hash.hash("not-a-real-password-" + secrets.token_hex(8))


def operator(session: Session, *, email: str) -> User:
    """The active wijkteam account a command-line action is recorded under."""
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    if user is None or not user.is_active or user.role != Role.WIJKTEAM:
        raise InvalidInput(
            N_("--as: '%(email)s' is not an active wijkteam account."), email=email.strip()
        )
    return user
