"""Accounts: login limits per account and address, password changes and resets end sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role
from app.errors import InvalidInput
from app.models import AuditEvent, ProcessFacilitator, User
from app.services import accounts as accounts_service
from app.services import users as users_service
from app.services.forms import FormInvalid
from tests.conftest import PRODUCTION_PASSWORD_HASH

PASSWORD = "correct horse battery"


@pytest.fixture
def wijkteam(session: Session) -> User:
    user, _ = users_service.create_user(
        session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD
    )
    return user


def _log_in(session: Session, email: str, password: str, ip: str = "10.0.0.1") -> str:
    _user, token = users_service.log_in(
        session, email=email, password=password, hours=12, ip_address=ip
    )
    return token


def _fail(session: Session, email: str, ip: str = "10.0.0.1", times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(users_service.LoginFailed):
            _log_in(session, email, "wrong password", ip)
        # Wait out the slow-down between attempts (seconds), not the limit (minutes).
        for event in session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed")):
            event.at -= timedelta(seconds=max(users_service.SLOW_DOWN))
        session.flush()


def test_production_hashes_at_full_cost_and_logs_in_with_it(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other tests hash cheaply (see conftest); this one runs the hasher production runs.
    monkeypatch.setattr(users_service, "password_hash", PRODUCTION_PASSWORD_HASH)
    user, _ = users_service.create_user(
        session, email="p@example.org", role=Role.WIJKTEAM, password=PASSWORD
    )
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert _log_in(session, "p@example.org", PASSWORD)
    with pytest.raises(users_service.LoginFailed):
        _log_in(session, "p@example.org", "wrong password")


def test_five_failures_stop_their_source_for_a_while(session: Session, wijkteam: User) -> None:
    _fail(session, "w@example.org", times=5)
    with pytest.raises(users_service.LoginThrottled) as refused:
        _log_in(session, "w@example.org", PASSWORD)  # even the right password waits
    assert refused.value.status == 429
    assert refused.value.params["minutes"] == 13  # 15 after the first, spread over 2.5 minutes
    assert refused.value.headers["Retry-After"] == str(refused.value.retry_after)
    assert re.fullmatch(r"\d\d:\d\d", refused.value.params["time"])
    assert "Try again in 13 minutes" in refused.value.message
    actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
    assert actions[-1] == "login.refused"
    # Another address gets in: the limit is on the source, never on the account.
    assert _log_in(session, "W@Example.org ", PASSWORD, ip="10.9.9.9")


def test_the_lock_ends_when_the_failures_are_older_than_the_window(
    session: Session, wijkteam: User
) -> None:
    _fail(session, "w@example.org", times=5)
    for event in session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed")):
        event.at -= timedelta(minutes=16)
    session.flush()
    assert _log_in(session, "w@example.org", PASSWORD)


def test_a_successful_login_starts_the_count_afresh(session: Session, wijkteam: User) -> None:
    _fail(session, "w@example.org", times=4)
    _log_in(session, "w@example.org", PASSWORD)
    _fail(session, "w@example.org", times=4)
    assert _log_in(session, "w@example.org", PASSWORD)


def test_unknown_addresses_are_limited_the_same_way(session: Session) -> None:
    # Otherwise the limit would tell which e-mail addresses have an account.
    _fail(session, "nobody@example.org", times=5)
    with pytest.raises(users_service.LoginThrottled):
        _log_in(session, "nobody@example.org", "anything")


def test_twenty_failures_from_one_address_lock_that_address(
    session: Session, wijkteam: User
) -> None:
    for i in range(20):
        _fail(session, f"guess{i}@example.org", ip="192.0.2.7")
    with pytest.raises(users_service.LoginThrottled):
        _log_in(session, "w@example.org", PASSWORD, ip="192.0.2.7")
    assert _log_in(session, "w@example.org", PASSWORD, ip="192.0.2.8")


def test_changing_the_password_ends_every_other_session(session: Session, wijkteam: User) -> None:
    here = _log_in(session, "w@example.org", PASSWORD)
    elsewhere = _log_in(session, "w@example.org", PASSWORD, ip="10.0.0.2")
    ended = users_service.change_password(
        session,
        user=wijkteam,
        current=PASSWORD,
        new="a much longer new passphrase",
        confirm="a much longer new passphrase",
        keep_token=here,
    )
    assert ended == 1
    assert users_service.user_for_token(session, token=here) == wijkteam
    assert users_service.user_for_token(session, token=elsewhere) is None
    assert wijkteam.password_changed_at is not None
    assert _log_in(session, "w@example.org", "a much longer new passphrase")
    with pytest.raises(users_service.LoginFailed):
        _log_in(session, "w@example.org", PASSWORD)


def test_a_password_change_names_each_wrong_field(session: Session, wijkteam: User) -> None:
    with pytest.raises(FormInvalid) as invalid:
        users_service.change_password(
            session, user=wijkteam, current="nope", new="short", confirm="short", keep_token=None
        )
    assert set(invalid.value.errors) == {"current_password", "new_password"}
    with pytest.raises(FormInvalid) as invalid:
        users_service.change_password(
            session,
            user=wijkteam,
            current=PASSWORD,
            new="twelve chars or more",
            confirm="something else entirely",
            keep_token=None,
        )
    assert set(invalid.value.errors) == {"confirm_password"}


def test_a_facilitator_account_gets_a_one_time_password(session: Session, wijkteam: User) -> None:
    user, password = accounts_service.create_account(
        session, actor=wijkteam, email=" F@Example.org", role=Role.FACILITATOR, name="Fatima"
    )
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", password)
    assert password not in user.password_hash
    assert user.email == "f@example.org"
    assert user.password_changed_at is None
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "user.created")
        .order_by(col(AuditEvent.id).desc())
    ).first()
    assert event is not None
    assert event.user_id == wijkteam.id
    assert _log_in(session, "f@example.org", password)
    with pytest.raises(FormInvalid) as invalid:
        accounts_service.create_account(
            session, actor=wijkteam, email="f@example.org", role=Role.FACILITATOR
        )
    assert "already" in invalid.value.errors["email"][0]


def test_deactivating_and_resetting_end_the_sessions(session: Session, wijkteam: User) -> None:
    user, password = accounts_service.create_account(
        session, actor=wijkteam, email="f@example.org", role=Role.FACILITATOR
    )
    token = _log_in(session, "f@example.org", password)
    accounts_service.set_active(session, actor=wijkteam, user_id=user.id or 0, active=False)
    assert users_service.user_for_token(session, token=token) is None
    with pytest.raises(users_service.LoginFailed):
        _log_in(session, "f@example.org", password)
    accounts_service.set_active(session, actor=wijkteam, user_id=user.id or 0, active=True)
    token = _log_in(session, "f@example.org", password)
    _user, new_password = accounts_service.reset_password(
        session, actor=wijkteam, user_id=user.id or 0
    )
    assert users_service.user_for_token(session, token=token) is None
    assert _log_in(session, "f@example.org", new_password)
    with pytest.raises(InvalidInput):
        accounts_service.set_active(session, actor=wijkteam, user_id=wijkteam.id or 0, active=False)


def test_only_facilitators_are_assigned_to_processes(
    session: Session, wijkteam: User, korrewegwijk: int
) -> None:
    user, _ = accounts_service.create_account(
        session, actor=wijkteam, email="f@example.org", role=Role.FACILITATOR
    )
    accounts_service.assign(session, actor=wijkteam, process_id=korrewegwijk, user_id=user.id or 0)
    assert session.get(ProcessFacilitator, (korrewegwijk, user.id)) is not None
    with pytest.raises(InvalidInput):
        accounts_service.assign(
            session, actor=wijkteam, process_id=korrewegwijk, user_id=wijkteam.id or 0
        )
    accounts_service.assign(
        session, actor=wijkteam, process_id=korrewegwijk, user_id=user.id or 0, assigned=False
    )
    assert session.get(ProcessFacilitator, (korrewegwijk, user.id)) is None
