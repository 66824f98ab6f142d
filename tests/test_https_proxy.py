"""The hosted set-up, as far as this machine allows: the app behind Debian's Caddy over HTTPS.

Caddy's own certificate authority (`tls internal`) stands in for Let's Encrypt, and a thread of
uvicorn for the app container. Over https a wijkteam member logs in and opens a round, and a
resident joins with a card's QR link and votes: every cookie is Secure, every redirect stays on
https, and plain http is sent to https. Skips where caddy is missing, except under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlmodel import Session, select

from app import schema
from app.db import get_engine
from app.domain.vocabulary import Role
from app.models import Process
from app.services import codes as codes_service
from app.services import menus as menus_service
from app.services import users as users_service
from app.settings import get_settings
from tests.conftest import REPO, unavailable

PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@dataclass
class Hosted:
    https: str
    http: str
    root_ca: Path
    token: str
    email: str
    process_id: int


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    """The app on a free port, and Caddy in front of it with its internal CA."""
    caddy = shutil.which("caddy")
    if caddy is None:
        unavailable("Debian's caddy is not installed (apt-get install caddy)")
    assert caddy is not None
    folder = tmp_path_factory.mktemp("hosted")
    app_port, https_port, http_port = _free_port(), _free_port(), _free_port()
    https = f"https://localhost:{https_port}"
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", f"sqlite:///{folder / 'hosted.sqlite3'}")
    mp.setenv("ENVIRONMENT", "production")
    mp.setenv("SECRET_KEY", "test-only-" + "k" * 40)
    mp.setenv("PUBLIC_BASE_URL", https)
    get_settings.cache_clear()
    get_engine.cache_clear()
    schema.upgrade()
    with Session(get_engine(), expire_on_commit=False) as session, session.begin():
        document = menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")
        process_id = menus_service.load_menu(session, document=document).process_id
        users_service.create_user(
            session, email="wijkteam@example.org", role=Role.WIJKTEAM, password=PASSWORD
        )
        [issued] = codes_service.issue_codes(session, process_id=process_id, count=1)
        assert session.exec(select(Process)).first() is not None
    from app.main import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(),
            host="127.0.0.1",
            port=app_port,
            log_level="warning",
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    (folder / "Caddyfile").write_text(
        "{\n"
        "\tadmin off\n"
        "\tskip_install_trust\n"
        f"\thttp_port {http_port}\n"
        f"\thttps_port {https_port}\n"
        "}\n"
        f"localhost {{\n\ttls internal\n\treverse_proxy 127.0.0.1:{app_port}\n}}\n",
        encoding="utf-8",
    )
    environment = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data")}
    environment["XDG_CONFIG_HOME"] = str(folder / "config")
    proxy = subprocess.Popen(
        [caddy, "run", "--config", str(folder / "Caddyfile"), "--adapter", "caddyfile"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "caddy.log").open("w"),
    )
    try:
        _wait_for(app_port)
        _wait_for(https_port)
        root = folder / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + 20
        while not root.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert root.exists(), (folder / "caddy.log").read_text()
        yield Hosted(
            https,
            f"http://localhost:{http_port}",
            root,
            issued.token,
            "wijkteam@example.org",
            process_id,
        )
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        server.should_exit = True
        thread.join(timeout=10)
        get_engine().dispose()
        mp.undo()
        get_settings.cache_clear()
        get_engine.cache_clear()


def _client(hosted: Hosted) -> httpx.Client:
    # Only Caddy's own root certificate is trusted: a wrong certificate fails the test.
    return httpx.Client(base_url=hosted.https, verify=str(hosted.root_ca), timeout=20)


def _secure_cookie(response: httpx.Response, name: str) -> str:
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"secure", "httponly"} <= attributes, header
    return header


def _stays_on_https(response: httpx.Response, hosted: Hosted) -> str:
    location = response.headers["location"]
    assert location.startswith("/") or location.startswith(hosted.https), location
    return location


def test_plain_http_is_sent_to_https(hosted: Hosted) -> None:
    response = httpx.get(f"{hosted.http}/login", follow_redirects=False, timeout=20)
    assert response.status_code in (301, 302, 307, 308)
    # Caddy's automatic redirect names the standard https port (443, as on a real server), not
    # the test's own port; what matters is that plain http never reaches the app.
    location = httpx.URL(response.headers["location"])
    assert (location.scheme, location.host, location.path) == ("https", "localhost", "/login")


def test_login_join_and_ballot_over_https_with_secure_cookies(hosted: Hosted) -> None:
    origin = {"Origin": hosted.https}
    with _client(hosted) as wijkteam:
        assert wijkteam.get("/login").status_code == 200
        login = wijkteam.post(
            "/login",
            data={"email": hosted.email, "password": PASSWORD, "next": "/wijkteam"},
            headers=origin,
            follow_redirects=False,
        )
        assert login.status_code == 303
        assert _stays_on_https(login, hosted) == "/wijkteam"
        # Over https the cookies carry the __Host- prefix (bound to this host, Secure, path /).
        _secure_cookie(login, "__Host-wz_session")
        assert wijkteam.get("/wijkteam").status_code == 200
        # The Origin check sees https behind the proxy (else this POST would be refused).
        meeting = wijkteam.post(
            f"/api/processes/{hosted.process_id}/meetings",
            json={"title": "Wijkavond"},
            headers=origin,
        )
        assert meeting.status_code == 201, meeting.text
        body = meeting.json()
        assert body["join_url"] == f"{hosted.https}/m/{body['id']}"
        wegen = body["rounds"][0]["id"]
        assert wijkteam.post(f"/api/rounds/{wegen}/open", headers=origin).status_code == 200

    with _client(hosted) as phone:
        joined = phone.get(f"/j/{hosted.token}", follow_redirects=False)
        assert joined.status_code == 303
        target = _stays_on_https(joined, hosted)
        _secure_cookie(joined, "__Host-wz_participant")
        page = phone.get(target, follow_redirects=True)
        assert page.status_code == 200
        assert str(page.url).startswith(hosted.https)
        form = phone.get(f"/api/rounds/{wegen}/ballot").json()
        effects = [e["id"] for e in form["effects"] if e["parent_id"] is None]
        vote = phone.post(
            f"/m/{body['id']}/rounds/{wegen}/ballot",
            data={
                "idempotency_key": form["idempotency_key"],
                **{f"points-{e}": "0" for e in effects},
                f"points-{effects[0]}": "100",
            },
            headers=origin,
            follow_redirects=False,
        )
        assert vote.status_code == 303, vote.text
        _stays_on_https(vote, hosted)
        receipt = phone.get(f"/api/rounds/{wegen}/ballot").json()["your_ballot"]
        assert receipt["counted"] is True
        assert receipt["lines"] == [{"measure_id": None, "effect_id": effects[0], "value": 100}]
