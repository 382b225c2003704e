"""Delete my account: what goes (reflections, comments, evidence not accepted, the account's
address and password), what stays (accepted evidence as its frozen copy and hash, with its
assessor), who can no longer read what, signed out everywhere, audited without words; an admin
can do the same with a reason. Foreign keys hold on both databases."""

import pytest
from sqlalchemy import select, text

from journal.evidence.claims import content_hash
from journal.extensions import db
from journal.models import (
    AuditEvent,
    ClaimComment,
    Comment,
    Decision,
    Enrolment,
    EvidenceClaim,
    Membership,
    Reflection,
    User,
)
from journal.pwa.storage import storage_id
from tests.evidence.portfolio_common import (
    ANSWERED,
    ASKED,
    OFFERED,
    ON_PENDING,
    decide,
    offer,
)
from tests.factories import PASSWORD, table_rows
from tests.helpers import AuthActions
from tests.reflections.test_pages import field_errors, parse

from .common import (
    CALS_OWN,
    CARAS_COMMENT,
    CARAS_PRIVATE,
    EVERYONE,
    FRANS_COMMENT,
    PrivacyWorld,
    build,
)

ERASE = "X-Journal-Erase"
REASON = "Asked in writing on 1 December."


@pytest.fixture
def privacy(app, make) -> PrivacyWorld:
    return build(app, make)


def delete_own(visitor, password: str = PASSWORD):
    return visitor.client.post(
        "/account/delete", data={"csrf_token": visitor.token, "password": password}
    )


def words_in(app) -> str:
    """Every reflection's and comment's words, and every audit detail, as stored now."""
    with app.app_context():
        parts = [
            *(r.experience for r in db.session.scalars(select(Reflection))),
            *db.session.scalars(select(Comment.body)),
            *db.session.scalars(select(ClaimComment.body)),
        ]
    return "\n".join(parts)


def no_dangling_references(app) -> None:
    """SQLite does not enforce this app's foreign keys: ask it to check them. PostgreSQL
    refuses a dangling reference at the statement itself."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []


def test_deleting_my_account_takes_my_words_and_keeps_accepted_evidence(app, privacy, visit):
    world = privacy.world
    with app.app_context():
        frozen = dict(db.session.get(EvidenceClaim, world.accepted_claim).frozen_content)
    cara = visit(world.cara)

    answer = delete_own(cara)

    assert answer.status_code == 302 and answer.location == "/login"
    stored = words_in(app)
    for gone in (CARAS_PRIVATE, FRANS_COMMENT, CARAS_COMMENT, ANSWERED, ON_PENDING):
        assert gone not in stored
    assert CALS_OWN in stored  # cal's words on his own reflection stay
    assert ASKED in stored  # the assessor's question on the evidence kept
    with app.app_context():
        assert (
            db.session.scalars(
                select(Reflection).where(Reflection.author_id == world.cara.id)
            ).all()
            == []
        )
        kept = db.session.get(EvidenceClaim, world.accepted_claim)
        assert kept.reflection_id is None
        assert dict(kept.frozen_content) == frozen and frozen["experience"] == OFFERED
        assert kept.content_sha256 == content_hash(kept.frozen_content)
        assert [(c.criterion.code, c.decision) for c in kept.criteria] == [("1.2", "accepted")]
        assert db.session.get(EvidenceClaim, world.pending_claim) is None
        assert db.session.get(EvidenceClaim, world.withdrawn_claim) is None
        assert db.session.get(EvidenceClaim, world.cal_claim) is not None
        user = db.session.get(User, world.cara.id)
        assert user.deleted_at is not None and user.email != world.cara.email
        assert (
            db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all() == []
        )
    no_dangling_references(app)


def test_the_assessor_still_reads_the_accepted_evidence_and_nobody_reads_the_rest(
    app, privacy, visit
):
    world = privacy.world
    fran, ada = visit(world.fran), visit(world.ada)
    with app.app_context():
        shared = db.session.scalars(
            select(Reflection.id).where(
                Reflection.author_id == world.cara.id, Reflection.visibility != "private"
            )
        ).first()
    assert fran.get(f"/reflections/{shared}").status_code == 200
    delete_own(visit(world.cara))

    assert fran.get(f"/reflections/{shared}").status_code == 404
    claim = ada.get(f"/evidence/claims/{world.accepted_claim}")
    assert claim.status_code == 200 and "Zoë’s “feedback round”" in claim.text
    assert ada.get(f"/evidence/claims/{world.pending_claim}").status_code == 404
    assert ada.get(f"/portfolios/{world.enrolment}/coverage").status_code == 200


def test_i_am_signed_out_everywhere_and_cannot_sign_in_again(app, privacy, visit, client):
    world = privacy.world
    elsewhere = visit(world.cara)
    delete_own(visit(world.cara))
    assert elsewhere.get("/account").status_code == 302
    refused = AuthActions(client).login(world.cara.email)
    assert refused.status_code == 400 and "do not match an account" in refused.text


def test_the_audit_trail_says_who_deleted_which_account_without_words(app, privacy, visit):
    delete_own(visit(privacy.world.cara))
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.deleted"))
        assert (event.actor_id, event.subject_id) == (
            privacy.world.cara.id,
            str(privacy.world.cara.id),
        )
        assert event.detail == {"by": "self", "kept_claims": [privacy.world.accepted_claim]}
        details = " ".join(str(e.detail) for e in db.session.scalars(select(AuditEvent)))
    assert OFFERED not in details and privacy.world.cara.email not in details


def test_without_accepted_evidence_the_account_goes_whole(app, privacy, visit):
    world = privacy.world
    delete_own(visit(world.cal))
    with app.app_context():
        assert db.session.get(User, world.cal.id) is None
        assert db.session.get(EvidenceClaim, world.cal_claim) is None
        assert db.session.get(Enrolment, world.cal_enrolment) is None
        assert (
            db.session.scalars(
                select(AuditEvent.actor_id).where(AuditEvent.actor_id == world.cal.id)
            ).all()
            == []
        )
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.deleted")
        ).one()
    assert CARAS_COMMENT not in words_in(app)  # on his reflection, which went
    no_dangling_references(app)


def test_deleting_an_assessor_leaves_their_candidates_evidence_without_them(app, privacy, visit):
    world = privacy.world
    admin = visit(world.admin)
    answer = admin.post(f"/admin/people/{world.ada.id}/delete", {"reason": REASON})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(User, world.ada.id) is None
        assert db.session.get(Enrolment, world.enrolment).assessor_id is None
        kept = db.session.get(EvidenceClaim, world.accepted_claim)
        assert {c.decided_by_id for c in kept.criteria} == {None}
        assert {c.decision for c in kept.criteria} == {"accepted", "not_yet"}
    assert ASKED not in words_in(app)  # what she wrote goes
    no_dangling_references(app)


@pytest.mark.parametrize("password", ["", "not-my-password", "x" * 2000])
def test_a_wrong_or_missing_password_deletes_nothing(app, privacy, visit, password):
    cara = visit(privacy.world.cara)
    before = table_rows(app)
    answer = delete_own(cara, password)
    assert answer.status_code == 400
    assert "password" in field_errors(parse(answer.text))
    # Only the audit of failed attempts may differ: nothing of the account changed.
    after = table_rows(app)
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    assert cara.get("/account").status_code == 200


def test_asking_to_delete_needs_the_forms_token(app, privacy, visit):
    cara = visit(privacy.world.cara)
    before = table_rows(app)
    answer = cara.client.post("/account/delete", data={"password": PASSWORD})
    assert answer.status_code == 400
    assert table_rows(app) == before


def test_the_only_administrator_cannot_delete_their_account(app, privacy, visit):
    answer = delete_own(visit(privacy.world.admin))
    assert answer.status_code == 400
    assert "only administrator" in answer.text
    with app.app_context():
        assert db.session.get(User, privacy.world.admin.id) is not None


@pytest.mark.parametrize("who", EVERYONE)
def test_everyone_is_told_what_goes_and_what_stays_before_deleting(privacy, visit, who):
    page = visit(privacy.world.person(who)).get("/account/delete")
    assert page.status_code == 200
    assert "What goes" in page.text and "What stays" in page.text
    kept = "1 piece of evidence an assessor has accepted" in page.text
    assert kept is (who == "cara")


def test_signed_out_visitors_are_sent_to_sign_in(app, privacy, client):
    answer = client.get("/account/delete")
    assert answer.status_code == 302 and answer.location.startswith("/login")
    before = table_rows(app)
    # A post without a session has no token: refused before anything else.
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 400
    assert table_rows(app) == before


# An admin, for someone ----------------------------------------------------------------------


def test_an_admin_deletes_someones_account_with_a_reason(app, privacy, visit):
    world = privacy.world
    admin = visit(world.admin)
    assert "Delete Cara’s account" in admin.get(f"/admin/people/{world.cara.id}").text
    page = admin.get(f"/admin/people/{world.cara.id}/delete")
    assert page.status_code == 200 and "What stays" in page.text

    answer = admin.post(f"/admin/people/{world.cara.id}/delete", {"reason": REASON})

    assert answer.status_code == 302
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.deleted"))
        assert event.actor_id == world.admin.id
        assert event.detail == {
            "by": "admin",
            "kept_claims": [world.accepted_claim],
            "reason": REASON,
        }
        assert db.session.get(EvidenceClaim, world.accepted_claim) is not None
    assert CARAS_PRIVATE not in words_in(app)
    # The person page says so, and offers no second deletion.
    shown = admin.get(f"/admin/people/{world.cara.id}").text
    assert "Deleted " in shown and "Delete Cara’s account" not in shown
    assert admin.get(f"/admin/people/{world.cara.id}/delete").status_code == 404


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_an_admin_must_give_a_reason(app, privacy, visit, reason):
    admin = visit(privacy.world.admin)
    before = table_rows(app)
    answer = admin.post(f"/admin/people/{privacy.world.cara.id}/delete", {"reason": reason})
    assert answer.status_code == 400
    assert "reason" in field_errors(parse(answer.text))
    assert table_rows(app) == before


@pytest.mark.parametrize("who", ["cara", "cal", "lee", "ada", "abe", "fran"])
def test_nobody_but_an_admin_deletes_someone_elses_account(app, privacy, visit, who):
    visitor = visit(privacy.world.person(who))
    target = privacy.world.lee if who != "lee" else privacy.world.cal
    before = table_rows(app)
    assert visitor.get(f"/admin/people/{target.id}/delete").status_code == 404
    answer = visitor.post(f"/admin/people/{target.id}/delete", {"reason": REASON})
    assert answer.status_code == 404
    assert table_rows(app) == before


def test_signed_out_visitors_cannot_delete_anyone(app, privacy, client):
    before = table_rows(app)
    answer = client.post(f"/admin/people/{privacy.world.cara.id}/delete", data={"reason": REASON})
    assert answer.status_code == 302 and answer.location.startswith("/login")
    assert table_rows(app) == before


def test_an_admin_deletes_their_own_account_from_their_account_page_only(privacy, visit):
    admin = visit(privacy.world.admin)
    assert admin.get(f"/admin/people/{privacy.world.admin.id}/delete").status_code == 404
    assert admin.get(f"/admin/people/{2**31 - 1}/delete").status_code == 404


# The device forgets them ---------------------------------------------------------------------


def test_the_next_page_on_each_device_tells_the_offline_client_to_erase_the_storage(
    app, privacy, visit
):
    world = privacy.world
    with app.app_context():
        caras = storage_id(db.session.get(User, world.cara.id))
    here, elsewhere = visit(world.cara), visit(world.cara)
    assert ERASE not in here.get("/account").headers

    delete_own(here)

    following = here.get("/login")
    assert following.headers[ERASE] == caras
    assert following.headers["X-Journal-Storage"] == "none"
    # The outbox's count of what waited on the device (static/pwa/outbox.js) goes too.
    assert any(
        c.startswith(f"sj_waiting_{caras}=;") for c in following.headers.getlist("Set-Cookie")
    )
    assert ERASE not in here.get("/login").headers  # once
    sent_away = elsewhere.get("/account")
    assert sent_away.status_code == 302 and ERASE not in sent_away.headers
    assert elsewhere.get(sent_away.location).headers[ERASE] == caras
    assert ERASE not in elsewhere.get("/login").headers


def test_a_session_that_merely_ended_erases_nothing(app, privacy, visit):
    world = privacy.world
    elsewhere = visit(world.cal)
    here = visit(world.cal)
    here.post(
        "/account",
        {
            "current_password": PASSWORD,
            "password": "a new passphrase here",
            "confirm": "a new passphrase here",
        },
    )
    answers = [elsewhere.get("/account", follow_redirects=True), elsewhere.get("/login")]
    assert all(ERASE not in answer.headers for answer in answers)
    assert answers[0].headers["X-Journal-Storage"] == "none"
    with app.app_context():
        assert db.session.get(User, world.cal.id).deleted_at is None


def test_the_deletion_pages_cost_the_same_statements_with_more_evidence(
    app, make, privacy, visit, count_queries
):
    world = privacy.world
    pages = [
        (visit(world.cara), "/account/delete"),
        (visit(world.admin), f"/admin/people/{world.cara.id}/delete"),
    ]

    def statements() -> list[int]:
        counts = []
        for visitor, address in pages:
            with count_queries() as counted:
                assert visitor.get(address).status_code == 200
            counts.append(len(counted))
        return counts

    before = statements()
    for number in range(3):
        reflection = make.reflection(world.cara, experience=f"More {number}.")
        claim = offer(app, reflection, world.enrolment, [f"{number + 1}.1"])
        decide(app, claim, f"{number + 1}.1", Decision.ACCEPTED)
    assert "4 pieces of evidence" in pages[0][0].get("/account/delete").text
    # The signed-in user, then the accepted claims (and, for the admin, the person).
    assert statements() == before == [2, 3]
