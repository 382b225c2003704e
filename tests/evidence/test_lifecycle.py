"""A claim's life after it is offered: the assessor decides each criterion (accepted, or "not yet"
with feedback), either may comment, the candidate may withdraw until a criterion is accepted, and
the candidate is told on their home page. Every step is in the audit trail, with ids only."""

from collections.abc import Callable

import pytest
from sqlalchemy import event as sql_event

from journal.evidence import claims
from journal.evidence.claims import ClaimClosed
from journal.extensions import db
from journal.models import Decision, EvidenceClaim, User
from tests.factories import table_rows
from tests.reflections.test_pages import parse

from .conftest import (
    claim_ids,
    comment_bodies,
    decide,
    events,
    offer,
    stored_claim,
    write,
)


def decision_form(visitor, criterion_id: int, decision: str | None, feedback: str = "") -> dict:
    """The decision form of one criterion as the browser sends it (its fields are prefixed)."""
    prefix = f"c{criterion_id}"
    data = {f"{prefix}-csrf_token": visitor.token, f"{prefix}-feedback": feedback}
    if decision is not None:
        data[f"{prefix}-decision"] = decision
    return data


def send_decision(visitor, claim_id, criterion_id, decision, feedback=""):
    return visitor.post(
        f"/evidence/claims/{claim_id}/criteria/{criterion_id}",
        decision_form(visitor, criterion_id, decision, feedback),
        csrf=False,
    )


def decisions(app, claim_id) -> dict[int, tuple[str, str]]:
    claim = stored_claim(app, claim_id)
    return {c.criterion_id: (c.decision, c.feedback) for c in claim.criteria}


@pytest.fixture
def claim_id(app, cast, make) -> int:
    """Cara's reflection offered against 1.1 and 2.1, awaiting Ada."""
    return offer(app, cast, write(make, cast), ("1.1", "2.1"))


# Deciding ---------------------------------------------------------------------------------------


def test_the_assessor_accepts_one_criterion_and_asks_for_more_on_the_other(
    app, cast, claim_id, visit
):
    ada = visit(cast.ada)
    one, two = cast.criteria["1.1"], cast.criteria["2.1"]

    accepted = send_decision(ada, claim_id, one, "accepted", "  Clear and current.  ")
    not_yet = send_decision(ada, claim_id, two, "not_yet", "Say **what you did** next.")

    assert accepted.status_code == not_yet.status_code == 302
    assert accepted.location == f"/evidence/claims/{claim_id}#criterion-{two}"  # waits next
    assert decisions(app, claim_id) == {
        one: ("accepted", "Clear and current."),
        two: ("not_yet", "Say **what you did** next."),
    }
    claim = stored_claim(app, claim_id)
    assert {c.decided_by_id for c in claim.criteria} == {cast.ada.id}
    assert all(c.decided_at is not None for c in claim.criteria)
    decided = [e for e in events(app) if e.action == "claim.decided"]
    assert [(e.actor_id, e.subject_id, e.detail) for e in decided] == [
        (cast.ada.id, str(claim_id), {"criterion": one, "decision": "accepted"}),
        (cast.ada.id, str(claim_id), {"criterion": two, "decision": "not_yet"}),
    ]
    # Cara reads both, the feedback through Markdown.
    page = visit(cast.cara).page(f"/evidence/claims/{claim_id}")
    first = page.one("li", id=f"criterion-{one}")
    second = page.one("li", id=f"criterion-{two}")
    assert "✓ Accepted" in first.text and "Clear and current." in first.text
    assert "↺ Not yet" in second.text
    assert second.one("div", cls="feedback").one("strong").text == "what you did"
    assert not page.select("form", cls="decision")  # she may not decide


BAD_DECISIONS = [
    pytest.param(None, "", "Choose accepted or not yet.", id="no-decision"),
    pytest.param("maybe", "Fine.", "Not a valid choice", id="unknown-decision"),
    pytest.param("not_yet", "   ", "“not yet” needs feedback", id="not-yet-without-feedback"),
    pytest.param("accepted", "x" * 20_001, "20000", id="feedback-too-long"),
    pytest.param("accepted", "a\x00b", "null character", id="nul"),
]


@pytest.mark.parametrize(("decision", "feedback", "message"), BAD_DECISIONS)
def test_a_bad_decision_is_refused_with_the_input_kept_and_nothing_changed(
    app, cast, claim_id, visit, decision, feedback, message
):
    ada = visit(cast.ada)
    criterion = cast.criteria["2.1"]
    before = table_rows(app)

    answer = send_decision(ada, claim_id, criterion, decision, feedback)

    assert answer.status_code == 400
    assert table_rows(app) == before
    item = parse(answer.text).one("li", id=f"criterion-{criterion}")
    assert message in item.one("form").text
    if "\x00" not in feedback and len(feedback) < 100:
        assert item.one("textarea").raw_text.lstrip("\r\n") == feedback
    chosen = [r.attrs["value"] for r in item.select("input", type="radio") if "checked" in r.attrs]
    assert chosen == ([decision] if decision in ("accepted", "not_yet") else [])


def test_a_criterion_the_claim_does_not_hold_is_not_found(app, cast, claim_id, visit):
    before = table_rows(app)
    answer = send_decision(visit(cast.ada), claim_id, cast.criteria["1.2"], "accepted")
    assert answer.status_code == 404
    assert table_rows(app) == before


def test_the_assessor_may_change_a_decision_and_each_is_audited(app, cast, claim_id, visit):
    ada = visit(cast.ada)
    one = cast.criteria["1.1"]
    send_decision(ada, claim_id, one, "not_yet", "More, please.")
    page = ada.page(f"/evidence/claims/{claim_id}")
    # A decided criterion's form waits behind "Change the decision", holding what was decided.
    change = page.one("li", id=f"criterion-{one}").one("details")
    assert change.one("summary").text == "Change the decision on 1.1"
    assert "More, please." in change.one("textarea").raw_text

    send_decision(ada, claim_id, one, "accepted", "Now sufficient.")
    send_decision(ada, claim_id, one, "accepted", "Now sufficient.")  # sent twice

    assert decisions(app, claim_id)[one] == ("accepted", "Now sufficient.")
    assert [e.detail["decision"] for e in events(app) if e.action == "claim.decided"] == [
        "not_yet",
        "accepted",
    ]


# Withdrawing -----------------------------------------------------------------------------------


def test_the_candidate_withdraws_a_claim_awaiting_a_decision(app, cast, claim_id, visit):
    cara = visit(cast.cara)
    page = cara.page(f"/evidence/claims/{claim_id}")
    assert page.select("a", href=f"/evidence/claims/{claim_id}/withdraw")
    confirm = cara.page(f"/evidence/claims/{claim_id}/withdraw")
    assert "Withdraw the claim" in confirm.one("main").text

    answer = cara.post(f"/evidence/claims/{claim_id}/withdraw", {})

    assert answer.status_code == 302
    assert stored_claim(app, claim_id).withdrawn_at is not None
    assert events(app)[-1].action == "claim.withdrawn"
    assert events(app)[-1].actor_id == cast.cara.id
    # Out of Ada's queue; both still read it, marked withdrawn, with no forms left.
    assert f"/evidence/claims/{claim_id}" not in visit(cast.ada).get("/").text
    for person in (cast.cara, cast.ada):
        page = visit(person).page(f"/evidence/claims/{claim_id}")
        assert "Withdrawn" in page.one("p", cls="alert").text
        assert not page.select(
            "form", method="post", action=f"/evidence/claims/{claim_id}/comments"
        )
        assert not page.select("form", cls="decision")


def test_a_withdrawn_claim_can_no_longer_be_decided_commented_or_withdrawn(
    app, cast, claim_id, visit
):
    visit(cast.cara).post(f"/evidence/claims/{claim_id}/withdraw", {})
    before = table_rows(app)
    ada, cara = visit(cast.ada), visit(cast.cara)

    answers = [
        send_decision(ada, claim_id, cast.criteria["1.1"], "accepted", "Late."),
        ada.post(f"/evidence/claims/{claim_id}/comments", {"body": "Late comment."}),
        cara.post(f"/evidence/claims/{claim_id}/comments", {"body": "Late answer."}),
        cara.post(f"/evidence/claims/{claim_id}/withdraw", {}),
    ]

    assert [a.status_code for a in answers] == [302] * 4
    assert all(a.location == f"/evidence/claims/{claim_id}" for a in answers)
    assert table_rows(app) == before
    flashes = [p.text for p in parse(ada.get(answers[0].location).text).select("p", cls="flash")]
    assert flashes == [
        "This claim was withdrawn: it can no longer be decided.",
        "This claim was withdrawn: its comments are closed.",
    ]


def test_withdrawing_a_claim_with_a_not_yet_keeps_the_decision_and_feedback(
    app, cast, claim_id, visit
):
    decide(app, claim_id, cast.criteria["2.1"], cast.ada, Decision.NOT_YET, "Needs an outcome.")

    assert visit(cast.cara).post(f"/evidence/claims/{claim_id}/withdraw", {}).status_code == 302

    assert decisions(app, claim_id) == {
        cast.criteria["1.1"]: ("pending", ""),
        cast.criteria["2.1"]: ("not_yet", "Needs an outcome."),
    }
    assert stored_claim(app, claim_id).withdrawn_at is not None


def test_accepted_evidence_cannot_be_withdrawn(app, cast, claim_id, visit):
    decide(app, claim_id, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    cara = visit(cast.cara)
    assert not cara.page(f"/evidence/claims/{claim_id}").select(
        "a", href=f"/evidence/claims/{claim_id}/withdraw"
    )
    before = table_rows(app)

    def refused(answer) -> list[str]:
        assert answer.status_code == 302
        return [p.text for p in parse(cara.get(answer.location).text).select("p", cls="flash")]

    url = f"/evidence/claims/{claim_id}/withdraw"
    assert refused(cara.get(url)) == ["Accepted evidence cannot be withdrawn."]
    assert refused(cara.post(url, {})) == ["Accepted evidence cannot be withdrawn."]
    assert table_rows(app) == before


def test_withdrawing_needs_the_token(app, cast, claim_id, visit):
    before = table_rows(app)
    answer = visit(cast.cara).post(f"/evidence/claims/{claim_id}/withdraw", {}, csrf=False)
    assert answer.status_code == 400
    assert table_rows(app) == before


def test_after_withdrawing_the_reflection_may_be_offered_again(app, cast, make, visit):
    reflection = write(make, cast)
    first = offer(app, cast, reflection, ("1.1",))
    cara = visit(cast.cara)
    cara.post(f"/evidence/claims/{first}/withdraw", {})
    form = {"criteria": [str(cast.criteria["1.1"])], "declaration": "y", "base_version": "1"}

    assert cara.post(f"/evidence/offer/{reflection.id}", form).status_code == 302

    assert len(claim_ids(app)) == 2


# Comments ---------------------------------------------------------------------------------------


def before_first_write(other_request: Callable[[], None]) -> None:
    """Run `other_request` (in a session of its own, to its commit) just before this session
    first writes or locks a row, after it has read the claim: two requests at the same moment,
    interleaved the same way every time. (Before a row lock, not after: PostgreSQL would make
    the other wait for this session's commit, which a single thread never reaches.)"""

    def interleave(_connection, _cursor, statement: str, *_args) -> None:
        if interleave.done:
            return
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT")) or "FOR UPDATE" in statement:
            interleave.done = True
            other_request()

    interleave.done = False
    sql_event.listen(db.session.connection(), "before_cursor_execute", interleave)


def test_a_withdrawal_at_the_moment_of_an_acceptance_is_refused(app, cast, claim_id):
    with app.app_context():
        claim = db.session.get(EvidenceClaim, claim_id)
        assert claims.has_accepted(claim) is False  # what the withdrawal has read
        before_first_write(
            lambda: decide(app, claim_id, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
        )
        with pytest.raises(ClaimClosed, match=r"^Accepted evidence cannot be withdrawn\.$"):
            claims.withdraw(claim, db.session.get(User, cast.cara.id))
        db.session.rollback()

    stored = stored_claim(app, claim_id)
    assert stored.withdrawn_at is None
    assert [c.decision for c in stored.criteria] == [Decision.ACCEPTED, Decision.PENDING]
    assert [e.action for e in events(app)] == ["claim.offered", "claim.decided"]


def test_an_acceptance_at_the_moment_of_a_withdrawal_is_refused(app, cast, claim_id):
    def withdraw() -> None:
        with app.app_context():
            claim = db.session.get(EvidenceClaim, claim_id)
            claims.withdraw(claim, db.session.get(User, cast.cara.id))
            db.session.commit()

    with app.app_context():
        claim = db.session.get(EvidenceClaim, claim_id)
        assert claim.withdrawn_at is None and claim.criteria  # what the decision has read
        before_first_write(withdraw)
        with pytest.raises(ClaimClosed, match="withdrawn: it can no longer be decided"):
            claims.decide_criterion(
                claim,
                cast.criteria["1.1"],
                db.session.get(User, cast.ada.id),
                Decision.ACCEPTED,
                "",
            )
        db.session.rollback()

    stored = stored_claim(app, claim_id)
    assert stored.withdrawn_at is not None
    assert {c.decision for c in stored.criteria} == {Decision.PENDING}
    assert [e.action for e in events(app)] == ["claim.offered", "claim.withdrawn"]


def test_the_assessor_comments_and_the_candidate_answers(app, cast, claim_id, visit):
    ada, cara = visit(cast.ada), visit(cast.cara)

    asked = ada.post(f"/evidence/claims/{claim_id}/comments", {"body": "What did **Jo** say?"})
    answered = cara.post(f"/evidence/claims/{claim_id}/comments", {"body": "  She agreed.  "})

    assert asked.status_code == answered.status_code == 302
    assert comment_bodies(app, claim_id) == ["What did **Jo** say?", "She agreed."]
    page = visit(cast.ada).page(f"/evidence/claims/{claim_id}")
    comments = page.one("section", aria_labelledby="comments").select("article", cls="comment")
    assert [c.one("p", cls="meta").text.split(",")[0] for c in comments] == [
        "You",
        "Cara Candidate",
    ]
    assert comments[0].one("strong").text == "Jo"
    commented = [e for e in events(app) if e.action == "claim.commented"]
    assert [e.actor_id for e in commented] == [cast.ada.id, cast.cara.id]
    assert all(set(e.detail) == {"comment"} for e in commented)


def test_comments_are_markdown_made_safe(app, cast, claim_id, visit):
    visit(cast.ada).post(
        f"/evidence/claims/{claim_id}/comments",
        {"body": "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"},
    )
    text = visit(cast.cara).get(f"/evidence/claims/{claim_id}").text
    assert "<script>alert" not in text
    assert 'href="javascript' not in text
    assert "<img" not in text


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write something first."), ("  \r\n ", "Write something first."), ("x" * 5001, "5000")],
    ids=["empty", "blank", "too-long"],
)
def test_an_empty_or_overlong_comment_is_refused_with_the_text_kept(
    app, cast, claim_id, visit, body, message
):
    before = table_rows(app)
    answer = visit(cast.cara).post(f"/evidence/claims/{claim_id}/comments", {"body": body})
    assert answer.status_code == 400
    form = parse(answer.text).one("form", action=f"/evidence/claims/{claim_id}/comments")
    assert message in form.text
    assert form.one("textarea").raw_text.lstrip("\r\n") == body.lstrip("\r\n")
    assert table_rows(app) == before


def test_a_long_conversation_comes_a_page_at_a_time_and_a_new_comment_leads_to_its_page(
    app, cast, claim_id, visit
):
    ada = visit(cast.ada)
    for number in range(4):
        ada.post(f"/evidence/claims/{claim_id}/comments", {"body": f"Comment {number}."})
    answer = ada.post(f"/evidence/claims/{claim_id}/comments", {"body": "Comment 4."})
    assert answer.location.startswith(f"/evidence/claims/{claim_id}?comments_page=2#comment-")
    first = ada.page(f"/evidence/claims/{claim_id}").one("section", aria_labelledby="comments")
    second = ada.page(answer.location.split("#")[0]).one("section", aria_labelledby="comments")
    assert [a.one("div").text for a in first.select("article")] == [
        "Comment 0.",
        "Comment 1.",
        "Comment 2.",
    ]
    assert [a.one("div").text for a in second.select("article")] == ["Comment 3.", "Comment 4."]


# The audit trail ----------------------------------------------------------------------------


def test_the_history_names_every_step_to_the_assessor_with_no_text(app, cast, claim_id, visit):
    secret_feedback, secret_comment = "Feedback words 7c1e.", "Comment words 9b2d."
    decide(app, claim_id, cast.criteria["2.1"], cast.ada, Decision.NOT_YET, secret_feedback)
    visit(cast.cara).post(f"/evidence/claims/{claim_id}/comments", {"body": secret_comment})
    visit(cast.cara).post(f"/evidence/claims/{claim_id}/withdraw", {})

    page = visit(cast.ada).page(f"/evidence/claims/{claim_id}")

    history = page.one("section", aria_labelledby="history")
    earlier = visit(cast.ada).page(f"/evidence/claims/{claim_id}?history_page=2")
    lines = [
        li.text.split(": ", 1)[1]
        for section in (history, earlier.one("section", aria_labelledby="history"))
        for li in section.select("li")
    ]
    assert lines == [
        "Cara Candidate withdrew it",
        "Cara Candidate commented",
        "Ada Assessor decided 2.1: not yet",
        "Cara Candidate offered it against 1.1, 2.1",
    ]
    assert secret_feedback not in history.text and secret_comment not in history.text
    for event in events(app):
        assert secret_feedback not in str(event.detail) and secret_comment not in str(event.detail)
    # The candidate reads decisions and comments, not the trail.
    assert (
        not visit(cast.cara)
        .page(f"/evidence/claims/{claim_id}")
        .select("section", aria_labelledby="history")
    )


# The candidate is told --------------------------------------------------------------------------


def news(visitor) -> str:
    section = visitor.page("/").select("section", aria_labelledby="your-evidence")
    return section[0].text if section else ""


def test_the_candidate_is_told_of_decisions_and_comments_since_they_last_looked(
    app, cast, claim_id, visit
):
    cara = visit(cast.cara)
    assert news(cara).startswith("Your evidence Nothing new on your evidence.")

    decide(app, claim_id, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    decide(app, claim_id, cast.criteria["2.1"], cast.ada, Decision.NOT_YET, "More.")
    visit(cast.ada).post(f"/evidence/claims/{claim_id}/comments", {"body": "See above."})
    cara.post(f"/evidence/claims/{claim_id}/comments", {"body": "Will do."})  # hers: not news

    assert news(cara) == "Your evidence 2 decisions and 1 comment on your evidence"
    portfolio = cara.page("/evidence")
    # What is new since she last looked is marked, once.
    assert len(portfolio.select("strong", cls="new")) == 2
    assert not cara.page("/evidence").select("strong", cls="new")
    told = news(cara)
    assert told.startswith("Your evidence Nothing new on your evidence since ")

    decide(app, claim_id, cast.criteria["2.1"], cast.ada, Decision.ACCEPTED, "Now enough.")
    assert news(cara).startswith("Your evidence 1 decision on your evidence since ")


def test_nobody_else_is_told_anything(app, cast, claim_id, visit):
    decide(app, claim_id, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    for person in (cast.cal, cast.fran, cast.abe, cast.lee):
        home = visit(person).get("/").text
        assert "1 decision" not in home
    assert "your-evidence" not in visit(cast.fran).get("/").text


def test_an_admin_who_assesses_sees_the_workspace_not_the_administration(app, cast, make, visit):
    with app.app_context():
        db.session.get(User, cast.ada.id).is_admin = True
        db.session.commit()
    claim = offer(app, cast, write(make, cast))
    answer = visit(cast.ada).get("/")
    assert answer.status_code == 200
    assert f"/evidence/claims/{claim}" in answer.text
    assert visit(cast.alex).get("/").status_code == 302
