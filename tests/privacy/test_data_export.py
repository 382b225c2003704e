"""Download my data: a ZIP of me.json and one Markdown file per reflection, made on the queue
(inline here) with a progress page, holding what is the person's own and, of anyone else's
words, only the comments on their reflections, attributed; opened by that person alone."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from journal.extensions import db
from journal.models import AuditEvent, DataExport
from tests.evidence.portfolio_common import (
    ANSWERED,
    ASKED,
    LIVE_EDIT,
    OFFERED,
    ON_CALS,
    ON_WITHDRAWN,
)

from .common import (
    CALS_OWN,
    CALS_WORDS,
    CARAS_COMMENT,
    CARAS_PRIVATE,
    EVERYONE,
    FRANS_COMMENT,
    PrivacyWorld,
    build,
    download_data,
    me_of,
)


@pytest.fixture
def privacy(app, make) -> PrivacyWorld:
    return build(app, make)


def everything(archive) -> str:
    return "\n".join(archive.read(name).decode() for name in archive.namelist())


def test_the_download_holds_my_reflections_and_the_comments_on_them_attributed(privacy, visit):
    archive = download_data(visit(privacy.world.cara))
    me = me_of(archive)
    assert me["account"]["email"] == privacy.world.cara.email
    assert [m["role"] for m in me["memberships"]] == ["candidate"]
    ids = [r["id"] for r in me["reflections"]]
    assert privacy.caras_private in ids  # private ones too: they are hers
    assert len(ids) == 4
    # One Markdown file per reflection, each with its words.
    markdown = [name for name in archive.namelist() if name.startswith("reflections/")]
    assert len(markdown) == 4
    assert any(CARAS_PRIVATE in archive.read(name).decode() for name in markdown)
    # Fran's comment on cara's reflection, with fran's name, in me.json and its Markdown file.
    (commented,) = [r for r in me["reflections"] if r["comments"]]
    assert commented["comments"][0]["author"] == "Fran"
    assert commented["comments"][0]["text"] == FRANS_COMMENT
    (its_file,) = [n for n in markdown if commented["id"][:8] in n]
    assert "**Fran**" in archive.read(its_file).decode()
    assert f"> {FRANS_COMMENT}" in archive.read(its_file).decode()


def test_the_download_holds_every_version_kept(privacy, visit):
    """Only the current version is stored; the one offered as evidence before the live edit
    is kept in its claim's frozen copy, and the download gives both."""
    me = me_of(download_data(visit(privacy.world.cara)))
    (edited,) = [r for r in me["reflections"] if r["current"]["experience"] == LIVE_EDIT]
    assert edited["current"]["version"] == 2
    assert [copy["experience"] for copy in edited["earlier_versions"]] == [OFFERED]


def test_nothing_of_anyone_elses_words_but_comments_on_my_reflections(privacy, visit):
    text = everything(download_data(visit(privacy.world.cara)))
    # Cara's own comment on cal's reflection is hers; cal's reflection and comment are not.
    assert CARAS_COMMENT in text
    assert privacy.cals_reflection in text  # which reflection she commented on: its id only
    assert CALS_WORDS not in text
    assert CALS_OWN not in text
    # Her answer on a claim is hers; the assessor's questions and feedback are the assessor's.
    assert ANSWERED in text
    assert ASKED not in text and ON_WITHDRAWN not in text and ON_CALS not in text
    assert "Clear account" not in text


def test_claims_decisions_actions_and_audit_events_about_me(privacy, visit):
    me = me_of(download_data(visit(privacy.world.cara)))
    decisions = {
        (claim["id"], c["criterion"]): (c["decision"], c["decided_by"])
        for claim in me["claims"]
        for c in claim["criteria"]
    }
    assert decisions[(privacy.world.accepted_claim, "1.2")] == ("accepted", "Ada")
    assert decisions[(privacy.world.accepted_claim, "3.1")] == ("not_yet", "Ada")
    assert privacy.world.cal_claim not in {claim["id"] for claim in me["claims"]}
    assert {a["reflection_id"] for a in me["actions"]} <= {r["id"] for r in me["reflections"]}
    assert len(me["actions"]) == 4
    actions = {event["action"] for event in me["audit_events"]}
    assert {"claim.commented", "data_export.requested"} <= actions


def test_cals_download_never_holds_caras_reflections(privacy, visit):
    text = everything(download_data(visit(privacy.world.cal)))
    assert CALS_WORDS in text and CALS_OWN in text
    # Cara's comment is on his reflection: his to take, with her name.
    assert CARAS_COMMENT in text and "**Cara**" in text
    assert OFFERED not in text and CARAS_PRIVATE not in text and FRANS_COMMENT not in text


@pytest.mark.parametrize("who", EVERYONE)
def test_everyone_may_download_their_own_data(privacy, visit, who):
    visitor = visit(privacy.world.person(who))
    assert visitor.client.get("/account/data").status_code == 200
    me = me_of(download_data(visitor))
    assert me["account"]["id"] == privacy.world.person(who).id


@pytest.mark.parametrize("who", [name for name in EVERYONE if name != "cara"])
def test_nobody_else_opens_my_download(privacy, visit, who):
    cara = visit(privacy.world.cara)
    asked = cara.client.post("/account/data", data={"csrf_token": cara.token})
    visitor = visit(privacy.world.person(who))
    assert visitor.client.get(asked.location).status_code == 404
    assert visitor.client.get(f"{asked.location}/download").status_code == 404


@pytest.mark.parametrize("path", ["/account/data", "/account/data/1", "/account/data/1/download"])
def test_signed_out_visitors_are_sent_to_sign_in(privacy, client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.location.startswith("/login")


def test_asking_needs_the_forms_token(privacy, visit):
    visitor = visit(privacy.world.cara)
    assert visitor.client.post("/account/data", data={}).status_code == 400
    assert visitor.client.get("/account/data/0").status_code == 404
    assert visitor.client.get(f"/account/data/{2**40}").status_code == 404


def test_a_download_expires_like_a_portfolio_export(app, privacy, visit):
    visitor = visit(privacy.world.cara)
    asked = visitor.client.post("/account/data", data={"csrf_token": visitor.token})
    with app.app_context():
        export = db.session.scalars(select(DataExport)).one()
        export.created_at -= timedelta(hours=25)
        db.session.commit()
    gone = visitor.client.get(f"{asked.location}/download")
    assert gone.status_code == 410
    assert "has expired" in gone.text
    # Asking again purges it, file and all.
    visitor.client.post("/account/data", data={"csrf_token": visitor.token})
    with app.app_context():
        assert len(db.session.scalars(select(DataExport)).all()) == 1


def test_downloading_is_in_the_audit_trail(app, privacy, visit):
    download_data(visit(privacy.world.cara))
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == privacy.world.cara.id)
        ).all()
    assert "data_export.downloaded" in actions


def test_the_download_pages_cost_the_same_statements_with_more_downloads(
    privacy, visit, count_queries
):
    visitor = visit(privacy.world.cara)
    asked = visitor.client.post("/account/data", data={"csrf_token": visitor.token})
    addresses = ["/account/data", asked.location]

    def statements() -> list[int]:
        counts = []
        for address in addresses:
            with count_queries() as counted:
                assert visitor.client.get(address).status_code == 200
            counts.append(len(counted))
        return counts

    before = statements()
    for _ in range(7):
        visitor.client.post("/account/data", data={"csrf_token": visitor.token})
    # The signed-in user, then the exports (the list, or the one).
    assert statements() == before == [2, 2]


def test_the_purge_command_deletes_downloads_past_their_lifetime(app, privacy, visit, runner):
    visitor = visit(privacy.world.cara)
    visitor.client.post("/account/data", data={"csrf_token": visitor.token})
    visitor.client.post("/account/data", data={"csrf_token": visitor.token})
    with app.app_context():
        db.session.scalars(select(DataExport)).first().created_at -= timedelta(hours=25)
        db.session.commit()
    assert "Deleted 1 export past its lifetime" in runner.invoke(args=["purge-exports"]).output
    with app.app_context():
        assert len(db.session.scalars(select(DataExport)).all()) == 1
