"""`waardenzeef purge-offers`: offers past their retention date are deleted, and --check says so."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import get_engine
from app.models import HelpOffer, Measure, Participant
from app.services import offers as offers_service
from tests.test_cli import database  # noqa: F401  (a migrated database of its own)

runner = CliRunner()


def test_purge_offers_deletes_what_is_past_its_date_and_check_only_tells(
    database: str,  # noqa: F811
) -> None:
    assert runner.invoke(cli, ["seed", "korrewegwijk"]).exit_code == 0
    with Session(get_engine()) as session, session.begin():
        drainage = session.exec(select(Measure).where(Measure.key == "drainage-vensterpark")).one()
        for offered_on in (date(2020, 1, 1), offers_service.today()):
            person = Participant(process_id=drainage.process_id)
            session.add(person)
            session.flush()
            offers_service.offer(
                session,
                participant=person,
                given=offers_service.OfferInput(
                    [drainage.id or 0], "Cor", "phone", "050 123 4567", consent=True
                ),
                on=offered_on,
            )
        process_id = drainage.process_id
    assert runner.invoke(cli, ["purge-offers", "--check"]).output == (
        "1 offer(s) of help are past their retention date: "
        "run 'waardenzeef purge-offers' to delete them.\n"
    )
    with Session(get_engine()) as session:
        assert len(session.exec(select(HelpOffer)).all()) == 2
    purged = runner.invoke(cli, ["purge-offers"])
    assert purged.exit_code == 0, purged.output
    assert purged.output == (
        f"Deleted 1 offer(s) of help past their retention date (process {process_id}: 1).\n"
    )
    assert runner.invoke(cli, ["purge-offers", "--check"]).output == ""
    with Session(get_engine()) as session:
        [kept] = session.exec(select(HelpOffer)).all()
        assert kept.offered_on == offers_service.today()
