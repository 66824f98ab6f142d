"""Receipts the room can check: keyed per round, different for identical ballots, published after
the close as a list whose length is the number of ballots counted and in which every resident
finds the receipt their phone showed."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.domain.codes import ALPHABET
from app.domain.receipts import canonical_ballot, normalise_receipt, receipt_code
from app.domain.vocabulary import RoundKind
from app.main import app
from tests.routes.meeting_night import ballots_in, card, night

RECEIPT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def test_a_receipt_is_a_keyed_hash_of_the_ballot_its_number_and_the_rounds_secret() -> None:
    lines = [(None, 3, 60), (None, 1, 40)]
    code = receipt_code("s" * 64, ballot_id=7, kind="wegen", lines=lines)
    assert RECEIPT.fullmatch(code)
    assert set(code.replace("-", "")) <= set(ALPHABET)
    assert not set(code) & set("ILOU")
    # The order the lines were stored in does not matter; everything else does.
    assert receipt_code("s" * 64, ballot_id=7, kind="wegen", lines=lines[::-1]) == code
    assert receipt_code("s" * 64, ballot_id=8, kind="wegen", lines=lines) != code
    assert receipt_code("t" * 64, ballot_id=7, kind="wegen", lines=lines) != code
    changed = [(None, 3, 61), (None, 1, 39)]
    assert receipt_code("s" * 64, ballot_id=7, kind="wegen", lines=changed) != code
    assert canonical_ballot("kiezen", [(5, None, 1), (2, None, 1)]) == "kiezen;2:-:1,5:-:1"
    assert normalise_receipt(code.lower().replace("-", " ")) == code
    assert normalise_receipt("ABCD-EFGH") is None


def _phone() -> TestClient:
    return TestClient(app, base_url="http://testserver")


def test_the_published_list_holds_every_counted_ballot_once(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    assert client.post(f"/api/rounds/{round_id}/open").status_code == 200
    effects = [str(e) for e in n.effect_ids()]
    same = {"points": {effects[0]: 50, effects[1]: 50, effects[2]: 0}}
    shown: list[str] = []
    phones = []
    for i in range(3):
        phone = _phone()
        assert phone.post("/api/join", json={"code": card(session, korrewegwijk).code}).is_success
        # Two residents vote exactly alike; their receipts still differ.
        ballot = same if i < 2 else {"points": {effects[0]: 10, effects[1]: 0, effects[2]: 90}}
        sent = phone.post(
            f"/api/rounds/{round_id}/ballot", json={"idempotency_key": f"k{i}", **ballot}
        )
        assert sent.status_code == 200, sent.text
        shown.append(sent.json()["receipt"])
        phones.append(phone)
    assert shown[0] != shown[1]
    # The third changes their mind: the new ballot gets a new receipt, the old one is void.
    again = (
        phones[2]
        .post(
            f"/api/rounds/{round_id}/ballot",
            json={"idempotency_key": "k2-again", **same},
        )
        .json()
    )
    assert again["replaced"] is True
    void = shown[2]
    shown[2] = again["receipt"]
    assert void != shown[2]
    # A paper ballot counts too.
    paper = client.post(
        f"/api/rounds/{round_id}/paper-ballots",
        json={"code": card(session, korrewegwijk).code, "idempotency_key": "p1", **same},
    )
    assert paper.status_code == 200, paper.text
    shown.append(paper.json()["receipt"])

    early = client.post(f"/api/rounds/{round_id}/receipts/publish")
    assert (early.status_code, early.json()["code"]) == (409, "round_not_closed")
    assert client.post(f"/api/rounds/{round_id}/close").status_code == 200
    unpublished = _phone().get(f"/api/rounds/{round_id}/receipts")
    assert (unpublished.status_code, unpublished.json()["code"]) == (409, "receipts_not_published")
    assert _phone().post(f"/api/rounds/{round_id}/receipts/publish").status_code == 401

    published = client.post(f"/api/rounds/{round_id}/receipts/publish")
    assert published.status_code == 200, published.text
    listed = _phone().get(f"/api/rounds/{round_id}/receipts").json()
    assert listed == published.json()
    assert listed["count"] == len(listed["receipts"]) == ballots_in(session, round_id) == 4
    assert sorted(shown) == listed["receipts"]
    assert void not in listed["receipts"]
    # Each resident finds the receipt their phone shows them now.
    for phone, receipt in zip(phones, shown, strict=False):
        mine = phone.get(f"/api/rounds/{round_id}/ballot").json()["your_ballot"]["receipt"]
        assert mine == receipt
        assert mine in listed["receipts"]
    # The same list as a file, and on the projector.
    text = _phone().get(f"/rounds/{round_id}/receipts.txt")
    assert text.status_code == 200
    assert [line for line in text.text.splitlines() if not line.startswith("#")] == listed[
        "receipts"
    ]
    assert "4 stembiljetten geteld" in text.text
    # The projector shows them after the results, on pages of their own (it pages what it shows).
    projected: list[str] = []
    page = 1
    while True:
        screen = BeautifulSoup(
            client.get(f"/console/meetings/{n.meeting_id}/screen?page={page}").text, "html.parser"
        )
        projected += [c.get_text() for c in screen.select(".receipt-list code")]
        if screen.select_one("a[rel=next]") is None:
            break
        page += 1
    assert projected == listed["receipts"]
    # Publishing again changes nothing.
    assert client.post(f"/api/rounds/{round_id}/receipts/publish").json() == listed


def test_the_console_publishes_the_receipts_of_a_closed_round(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    client.post(f"/api/rounds/{round_id}/open")
    phone = _phone()
    phone.post("/api/join", json={"code": card(session, korrewegwijk).code})
    measure = n.menu.measures[0].id
    sent = phone.post(
        f"/api/rounds/{round_id}/ballot",
        json={"idempotency_key": "a", "measure_ids": [measure]},
    ).json()
    page = BeautifulSoup(client.get(f"/console/rounds/{round_id}").text, "html.parser")
    assert page.select_one("form.receipts-publish") is None  # open: nothing to publish yet
    client.post(f"/api/rounds/{round_id}/close")
    page = BeautifulSoup(client.get(f"/console/rounds/{round_id}").text, "html.parser")
    form = page.select_one("form.receipts-publish")
    assert form is not None
    answer = client.post(str(form["action"]), follow_redirects=False)
    assert answer.status_code == 303
    page = BeautifulSoup(client.get(answer.headers["location"]).text, "html.parser")
    assert [c.get_text() for c in page.select("#receipts .receipt-list code")] == [sent["receipt"]]
    assert page.select_one("form.receipts-publish") is None
