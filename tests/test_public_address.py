"""The address phones reach: from PUBLIC_BASE_URL, else HOST and PORT; cards refuse loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select
from typer.testing import CliRunner

from app import settings as settings_module
from app.cli import cli
from app.db import get_engine
from app.domain.vocabulary import Role
from app.models import AddressCheck, ParticipantCode
from app.services import meetings as meetings_service
from app.services import users as users_service
from app.settings import Settings, get_settings, is_loopback_host, public_address
from tests.routes.meeting_night import PASSWORD, facilitator, log_in, soup

runner = CliRunner()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set settings through the environment; the cached settings are read afresh."""
    for name in ("PUBLIC_BASE_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _reread(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def test_without_a_public_base_url_the_address_follows_host_and_port(
    environment: pytest.MonkeyPatch,
) -> None:
    assert public_address().base_url == "http://127.0.0.1:8000"
    assert public_address().is_loopback
    _reread(environment, PORT="8131")
    assert public_address().base_url == "http://127.0.0.1:8131"
    _reread(environment, HOST="192.168.1.20")
    assert public_address().base_url == "http://192.168.1.20:8131"
    assert not public_address().is_loopback


def test_host_0000_uses_the_lan_address_found_at_start_up(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setattr(settings_module, "lan_address", lambda: "10.20.30.40")
    _reread(environment, HOST="0.0.0.0", PORT="8132")
    address = public_address()
    assert (address.base_url, address.source, address.is_loopback) == (
        "http://10.20.30.40:8132",
        "lan",
        False,
    )
    _reread(environment, HOST="::")
    assert public_address().base_url == "http://10.20.30.40:8132"
    environment.setattr(settings_module, "lan_address", lambda: None)
    assert public_address().source == "no_lan"
    assert public_address().is_loopback


def test_the_real_lan_address_of_this_machine_is_not_loopback() -> None:
    found = settings_module.lan_address()
    assert found is None or not is_loopback_host(found)


def test_a_public_base_url_wins_and_says_whether_it_is_https(
    environment: pytest.MonkeyPatch,
) -> None:
    _reread(environment, PUBLIC_BASE_URL="https://stemmen.example.nl/", HOST="0.0.0.0")
    address = public_address()
    assert (address.base_url, address.is_https, address.is_loopback) == (
        "https://stemmen.example.nl",
        True,
        False,
    )
    assert meetings_service.join_address(7) == "https://stemmen.example.nl/m/7"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("stemmen.localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("192.168.1.20", False),
        ("stemmen.example.nl", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_production_requires_an_https_public_address() -> None:
    secret = "s" * 40
    with pytest.raises(ValidationError, match="HTTPS"):
        Settings(environment="production", secret_key=secret)
    with pytest.raises(ValidationError, match="HTTPS"):
        Settings(environment="production", secret_key=secret, public_base_url="http://x.nl")
    with pytest.raises(ValidationError, match="PUBLIC_BASE_URL"):
        Settings(environment="lan", secret_key=secret, public_base_url="stemmen.nl")
    lan = Settings(environment="lan", secret_key=secret, host="0.0.0.0")
    assert lan.public_base_url == ""
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="lan", secret_key="development-only")


# --- printing cards is refused while the address is loopback ---------------------------------


def _wijkteam(session: Session, client: TestClient) -> None:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    session.flush()
    log_in(client, "w@example.org")


def _cards(session: Session) -> int:
    return len(session.exec(select(ParticipantCode)).all())


def test_the_card_page_refuses_a_loopback_address_unless_ticked(
    client: TestClient, session: Session, korrewegwijk: int, environment: pytest.MonkeyPatch
) -> None:
    _wijkteam(session, client)
    base = f"/wijkteam/processes/{korrewegwijk}/codes"
    page = soup(client.get(base).text)
    assert "http://127.0.0.1:8000" in page.select_one("#address").get_text()  # type: ignore[union-attr]
    assert page.select_one("input[name=allow_local]") is not None
    refused = client.post(base, data={"count": "2", "output": "csv"})
    assert refused.status_code == 409
    message = soup(refused.text).select_one("#address .field-error").get_text()  # type: ignore[union-attr]
    assert "127.0.0.1" in message
    assert "PUBLIC_BASE_URL" in message
    assert _cards(session) == 0
    allowed = client.post(base, data={"count": "2", "output": "csv", "allow_local": "1"})
    assert allowed.status_code == 200
    assert _cards(session) == 2
    # With the LAN address, no tick is needed and the cards carry that address.
    _reread(environment, PUBLIC_BASE_URL="http://192.168.1.20:8000")
    assert soup(client.get(base).text).select_one("input[name=allow_local]") is None
    lan = client.post(base, data={"count": "1", "output": "csv"})
    assert lan.status_code == 200
    assert "http://192.168.1.20:8000/j/" in lan.content.decode("utf-8-sig")


def test_the_api_refuses_a_loopback_address_with_409_unless_allowed(
    client: TestClient, session: Session, korrewegwijk: int, environment: pytest.MonkeyPatch
) -> None:
    _wijkteam(session, client)
    url = f"/api/processes/{korrewegwijk}/codes"
    refused = client.post(url, json={"count": 2})
    assert refused.status_code == 409
    assert refused.json()["code"] == "unreachable_address"
    assert "PUBLIC_BASE_URL" in refused.json()["detail"]
    assert _cards(session) == 0
    assert client.post(url, json={"count": 2, "allow_local": True}).status_code == 200
    _reread(environment, PUBLIC_BASE_URL="http://192.168.1.20:8000")
    lan = client.post(url, json={"count": 1})
    assert lan.status_code == 200
    assert "http://192.168.1.20:8000/j/" in lan.content.decode("utf-8-sig")


@pytest.fixture
def cli_database(tmp_path: Path, environment: pytest.MonkeyPatch) -> Iterator[None]:
    """A migrated SQLite file with the Korrewegwijk seed and a wijkteam account, for the CLI."""
    _reread(environment, DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    get_engine.cache_clear()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["seed", "korrewegwijk"]).exit_code == 0
    created = runner.invoke(cli, ["create-user", "ops@wijkteam.example"])
    assert created.exit_code == 0, created.output
    yield
    get_engine().dispose()
    get_engine.cache_clear()


def test_the_cli_refuses_cards_on_a_loopback_address_with_exit_2(
    cli_database: None, tmp_path: Path, environment: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "cards.csv"
    args = ["cards", "1", "--count", "2", "--out", str(out), "--as", "ops@wijkteam.example"]
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 2
    assert "127.0.0.1" in refused.output
    assert "--allow-local" in refused.output
    assert not out.exists()
    allowed = runner.invoke(cli, [*args, "--allow-local"])
    assert allowed.exit_code == 0, allowed.output
    assert "http://127.0.0.1:8000/j/" in out.read_text(encoding="utf-8-sig")
    _reread(environment, HOST="0.0.0.0")
    environment.setattr(settings_module, "lan_address", lambda: "10.1.2.3")
    lan = runner.invoke(cli, args)
    assert lan.exit_code == 0, lan.output
    assert "http://10.1.2.3:8000/j/" in out.read_text(encoding="utf-8-sig")


def test_reset_password_gives_a_one_time_password_that_must_be_changed(
    cli_database: None, environment: pytest.MonkeyPatch
) -> None:
    from app.main import app

    missing = runner.invoke(cli, ["reset-password", "nobody@example.org"])
    assert missing.exit_code == 2
    result = runner.invoke(cli, ["reset-password", "ops@wijkteam.example"])
    assert result.exit_code == 0, result.output
    password = result.output.split("(shown only now): ")[1].split()[0]
    with TestClient(app, base_url="http://testserver") as browser:
        login = browser.post(
            "/login",
            data={"email": "ops@wijkteam.example", "password": password},
            follow_redirects=False,
        )
        assert login.status_code == 303
        # Every page leads to choosing a new password first; the API says so with a code.
        home = browser.get("/wijkteam", follow_redirects=False)
        assert home.headers["location"] == "/account/password"
        api = browser.get("/api/users")
        assert (api.status_code, api.json()["code"]) == (403, "password_change_required")
        changed = browser.post(
            "/account/password",
            data={
                "current_password": password,
                "new_password": "a much longer new password",
                "confirm_password": "a much longer new password",
            },
        )
        assert changed.status_code == 200
        assert browser.get("/wijkteam", follow_redirects=False).status_code == 200
    # A second reset ends the session that was logged in.
    again = runner.invoke(cli, ["reset-password", "ops@wijkteam.example"])
    assert "1 login session(s) ended" in again.output


# --- the reachability check --------------------------------------------------------------------


def test_a_phone_scanning_the_test_qr_code_turns_the_check_green(
    client: TestClient, session: Session, korrewegwijk: int, environment: pytest.MonkeyPatch
) -> None:
    _reread(environment, PUBLIC_BASE_URL="http://192.168.1.20:8000")
    user = facilitator(session, korrewegwijk)
    meeting = meetings_service.create_meeting(
        session, user=user, process_id=korrewegwijk, title="Wijkavond"
    )
    log_in(client, user.email)
    console = soup(client.get(f"/console/meetings/{meeting.id}").text)
    check = console.select_one("#address-check")
    assert check is not None
    assert "reached" not in (check.get("class") or [])
    assert console.select_one(".address-banner") is None  # a LAN address: no warning
    # The test QR code points at the public address; a phone opening it is recorded.
    from app.services import address_checks

    url = address_checks.state(session, meeting_id=meeting.id or 0).url
    assert url.startswith(f"http://192.168.1.20:8000/check/{meeting.id}/")
    path = url.split("8000", 1)[1]
    assert client.get(f"/check/{meeting.id}/not-the-token").status_code == 404
    phone = TestClient(client.app, base_url="http://192.168.1.20:8000")
    reached = phone.get(path)
    assert reached.status_code == 200
    assert "192.168.1.20:8000" in reached.text
    fragment = soup(client.get(f"/console/meetings/{meeting.id}/address-check").text)
    assert "reached" in fragment.select_one("#address-check")["class"]  # type: ignore[index]
    assert "192.168.1.20:8000" in fragment.get_text()
    stored = session.exec(select(AddressCheck)).one()
    assert stored.reached_via == "192.168.1.20:8000"
    # Another address (a restart on another network): not tested yet again.
    _reread(environment, PUBLIC_BASE_URL="http://10.0.0.5:8000")
    again = soup(client.get(f"/console/meetings/{meeting.id}/address-check").text)
    assert "reached" not in (again.select_one("#address-check").get("class") or [])  # type: ignore[union-attr]


def test_console_and_projector_warn_while_the_address_is_loopback(
    client: TestClient, session: Session, korrewegwijk: int, environment: pytest.MonkeyPatch
) -> None:
    user = facilitator(session, korrewegwijk)
    meeting = meetings_service.create_meeting(
        session, user=user, process_id=korrewegwijk, title="Wijkavond"
    )
    log_in(client, user.email)
    for url in (f"/console/meetings/{meeting.id}", f"/console/meetings/{meeting.id}/screen"):
        banner = soup(client.get(url).text).select_one(".address-banner")
        assert banner is not None, url
        assert "127.0.0.1:8000" in banner.get_text()
