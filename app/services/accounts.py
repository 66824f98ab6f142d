"""Accounts for the wijkteam to manage: facilitators and colleagues, their processes, resets.

New accounts and reset accounts get a one-time password that is shown once, to the wijkteam
member who made it, and is stored only as an argon2 hash; the holder is asked to choose their own.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain.codes import ALPHABET
from app.domain.vocabulary import Role
from app.errors import N_, InvalidInput, NotFound
from app.models import Process, ProcessFacilitator, User
from app.services import access, audit
from app.services import users as users_service
from app.services.forms import Fields


@dataclass
class Account:
    """An account with the processes it is assigned to (facilitators)."""

    user: User
    processes: list[Process] = field(default_factory=list)


def one_time_password() -> str:
    """A password that is easy to read out and type: 16 symbols in groups of 4 (80 bits)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def list_accounts(session: Session) -> list[Account]:
    """Every account, wijkteam first, with the processes of each facilitator."""
    users = session.exec(select(User).order_by(col(User.role).desc(), col(User.email))).all()
    assigned: dict[int, list[Process]] = defaultdict(list)
    for link, process in session.exec(
        select(ProcessFacilitator, Process)
        .join(Process, col(Process.id) == ProcessFacilitator.process_id)
        .order_by(col(Process.title), col(Process.version))
    ).all():
        assigned[link.user_id].append(process)
    return [Account(u, assigned[u.id or 0]) for u in users]


def user_in(session: Session, *, user_id: int) -> User:
    """An account, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("There is no account %(id)s."), id=user_id)
    return user


def create_account(
    session: Session, *, actor: User, email: str, role: Role, name: str = "", ip_address: str = ""
) -> tuple[User, str]:
    """Create an account with a one-time password; returns it with the password (shown once)."""
    f = Fields({"email": email, "name": name})
    address = f.text("email", max_length=254).lower()
    f.text("name", required=False, max_length=200)
    if address and ("@" not in address or address.startswith("@") or address.endswith("@")):
        f.error("email", N_("'%(email)s' is not an e-mail address."), email=address)
    elif address and session.exec(select(User).where(func.lower(User.email) == address)).first():
        f.error("email", N_("There is an account for '%(email)s' already."), email=address)
    f.check()
    return users_service.create_user(
        session,
        email=address,
        role=role,
        name=name.strip(),
        password=one_time_password(),
        actor_id=actor.id,
    )


def set_active(
    session: Session, *, actor: User, user_id: int, active: bool, ip_address: str = ""
) -> User:
    """Deactivate an account (ending its sessions) or make it active again."""
    user = user_in(session, user_id=user_id)
    if user.id == actor.id and not active:
        raise InvalidInput(N_("You cannot deactivate your own account."))
    if user.is_active == active:
        return user
    user.is_active = active
    ended = 0 if active else users_service.revoke_sessions(session, user_id=user_id)
    audit.record(
        session,
        action="user.activated" if active else "user.deactivated",
        user_id=actor.id,
        object_type="user",
        object_id=user_id,
        ip_address=ip_address,
        detail={"email": user.email, "sessions_ended": ended},
    )
    session.flush()
    return user


def reset_password(
    session: Session, *, actor: User, user_id: int, ip_address: str = ""
) -> tuple[User, str]:
    """Give an account a new one-time password and end its sessions; returns the password."""
    user = user_in(session, user_id=user_id)
    if user.id == actor.id:
        raise InvalidInput(N_("Change your own password on the password page."))
    password = one_time_password()
    user.password_hash = users_service.password_hash.hash(password)
    user.password_changed_at = None
    ended = users_service.revoke_sessions(session, user_id=user_id)
    audit.record(
        session,
        action="user.password_reset",
        user_id=actor.id,
        object_type="user",
        object_id=user_id,
        ip_address=ip_address,
        detail={"email": user.email, "sessions_ended": ended},
    )
    session.flush()
    return user, password


def facilitator_accounts(session: Session) -> list[User]:
    """The active facilitator accounts, for assigning to a process."""
    return list(
        session.exec(
            select(User)
            .where(User.role == Role.FACILITATOR, col(User.is_active).is_(True))
            .order_by(col(User.email))
        ).all()
    )


def assign(
    session: Session,
    *,
    actor: User,
    process_id: int,
    user_id: int,
    assigned: bool = True,
    ip_address: str = "",
) -> None:
    """Let a facilitator run this process's meetings (or no longer)."""
    process = access.process_for(session, user=actor, process_id=process_id)
    user = user_in(session, user_id=user_id)
    if user.role != Role.FACILITATOR:
        raise InvalidInput(
            N_("%(email)s is of the wijkteam and sees every process already."), email=user.email
        )
    link = session.get(ProcessFacilitator, (process_id, user_id))
    if assigned == (link is not None):
        return
    if assigned:
        session.add(ProcessFacilitator(process_id=process_id, user_id=user_id))
    else:
        session.delete(link)
    audit.record(
        session,
        action="facilitator.assigned" if assigned else "facilitator.unassigned",
        user_id=actor.id,
        object_type="user",
        object_id=user_id,
        process_id=process.id,
        ip_address=ip_address,
        detail={"email": user.email, "process": process.title},
    )
    session.flush()
