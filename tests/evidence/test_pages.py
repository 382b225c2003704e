"""The assessor's workspace (the queue and the candidates on their home page), a candidate's
portfolio and a claim's page: what each lists, in which order, a page at a time, and SQL
statements that do not grow with a candidate's history."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from journal.evidence import claims
from journal.extensions import db
from journal.models import (
    ClaimComment,
    Criterion,
    Decision,
    Enrolment,
    Reflection,
    User,
)

from .conftest import PAGE_SIZE, decide, enrol, make_framework, offer, set_assessor, write


def claim_links(section) -> list[int]:
    return [
        int(a.attrs["href"].rsplit("/", 1)[1])
        for card in section.select("article", cls="claim")
        for a in card.one("h3").select("a")
    ]


def queue_of(visitor, url: str = "/") -> list[int]:
    return claim_links(visitor.page(url).one("section", aria_labelledby="to-assess"))


def test_the_queue_holds_undecided_claims_of_the_assessors_candidates_oldest_first(
    app, cast, make, visit
):
    newest = offer(app, cast, write(make, cast), days_ago=1)
    oldest = offer(app, cast, write(make, cast, author="cal"), days_ago=9)
    middle = offer(app, cast, write(make, cast), ("1.1", "2.1"), days_ago=5)
    decided = offer(app, cast, write(make, cast), days_ago=7)
    decide(app, decided, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    withdrawn = offer(app, cast, write(make, cast), days_ago=8)
    visit(cast.cara).post(f"/evidence/claims/{withdrawn}/withdraw", {})
    # Half decided: still waits for the other criterion.
    decide(app, middle, cast.criteria["1.1"], cast.ada, Decision.NOT_YET, "More.")
    leeds = offer(app, cast, write(make, cast, author="lee"), days_ago=10)

    assert queue_of(visit(cast.ada)) == [oldest, middle, newest]
    assert queue_of(visit(cast.abe)) == [leeds]
    card = visit(cast.ada).page("/").one("section", aria_labelledby="to-assess")
    first = card.select("article", cls="claim")[1]
    assert first.one("h3").text.startswith("Cara Candidate: offered ")
    assert [li.text for li in first.select("li")] == ["1.1 ↺ Not yet", "2.1 … Awaiting decision"]


def test_the_queue_comes_a_page_at_a_time(app, cast, make, visit):
    made = [offer(app, cast, write(make, cast), days_ago=20 - n) for n in range(PAGE_SIZE + 2)]
    ada = visit(cast.ada)
    page = ada.page("/")
    following = page.one("nav", aria_label="Pages of evidence to assess").select("a", rel="next")
    assert queue_of(ada) == made[:PAGE_SIZE]
    assert queue_of(ada, following[0].attrs["href"]) == made[PAGE_SIZE:]


def test_the_workspace_lists_the_assessors_candidates_with_what_awaits(app, cast, make, visit):
    claim = offer(app, cast, write(make, cast), ("1.1", "2.1"))
    decide(app, claim, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    section = visit(cast.ada).page("/").one("section", aria_labelledby="your-candidates")
    assert [li.text for li in section.select("li")] == [
        "Cal Candidate Level 7 sample",
        "Cara Candidate Level 7 sample; 1 criterion awaiting a decision",
    ]
    assert section.select("a", href=f"/evidence/candidates/{cast.cara.id}")


def test_an_assessor_who_is_also_a_candidate_sees_both(app, cast, make, visit):
    """Ada is also a candidate in Glasgow, assessed by Abe."""
    glasgow_member = make.set("Dundee 1", facilitators=[cast.fran], candidates=[cast.ada])
    second, _criteria = make_framework(app)
    enrol(app, cast.ada, second, cast.abe)
    claim = offer(app, cast, write(make, cast))
    page = visit(cast.ada).page("/")
    assert claim_links(page.one("section", aria_labelledby="to-assess")) == [claim]
    assert page.one("section", aria_labelledby="your-evidence")
    assert page.one("section", aria_labelledby=f"set-{glasgow_member.id}")
    assert "You are not in a set yet" not in page.text


def test_an_assessor_with_nobody_to_assess_yet_is_told_what_comes(app, make, visit):
    nobody = make.user("New Assessor")
    page = visit(nobody).page("/")
    assert not page.select("section", aria_labelledby="to-assess")
    assert "You are not in a set yet" in page.text


def test_a_portfolio_lists_a_candidates_claims_latest_first_a_page_at_a_time(
    app, cast, make, visit
):
    made = [offer(app, cast, write(make, cast), days_ago=20 - n) for n in range(PAGE_SIZE + 1)]
    offer(app, cast, write(make, cast, author="cal"))
    ada = visit(cast.ada)
    page = ada.page(f"/evidence/candidates/{cast.cara.id}")
    assert page.one("h1").text == "Cara Candidate’s evidence"
    section = page.one("section", aria_labelledby="claims")
    assert claim_links(section) == made[::-1][:PAGE_SIZE]
    following = section.one("nav").select("a", rel="next")[0].attrs["href"]
    assert following == f"/evidence/candidates/{cast.cara.id}?page=2"
    assert claim_links(ada.page(following)) == made[:1]
    # Her own, at /evidence, the same list; her portfolio's address leads there.
    cara = visit(cast.cara)
    assert claim_links(cara.page("/evidence")) == made[::-1][:PAGE_SIZE]
    assert cara.get(f"/evidence/candidates/{cast.cara.id}").location == "/evidence"


def test_the_candidates_own_evidence_page_without_an_enrolment(app, make, visit):
    page = visit(make.user("Nobody Enrolled")).page("/evidence")
    assert "not enrolled on a qualification yet" in page.text
    assert page.one("p", cls="empty").text == "Nothing offered yet."


# The assessor changes ------------------------------------------------------------------------


def test_a_new_assessor_sees_the_history_and_the_old_one_loses_access(app, cast, make, visit):
    claim = offer(app, cast, write(make, cast, experience="Evidence words 51f0."), ("1.1", "2.1"))
    decide(app, claim, cast.criteria["1.1"], cast.ada, Decision.NOT_YET, "Ada's feedback.")
    visit(cast.ada).post(f"/evidence/claims/{claim}/comments", {"body": "Ada asks."})

    set_assessor(app, cast.enrolments["cara"], cast.abe)

    ada, abe = visit(cast.ada), visit(cast.abe)
    for url in (f"/evidence/claims/{claim}", f"/evidence/candidates/{cast.cara.id}"):
        assert ada.get(url).status_code == 404
        assert abe.get(url).status_code == 200
    assert claim not in queue_of(ada)
    assert claim in queue_of(abe)
    page = abe.page(f"/evidence/claims/{claim}")
    assert "Evidence words 51f0." in page.text
    assert "Ada's feedback." in page.text and "Ada asks." in page.text
    history = page.one("section", aria_labelledby="history").text
    assert "Ada Assessor decided 1.1: not yet" in history
    # Abe decides now; Ada may not.
    assert (
        ada.post(
            f"/evidence/claims/{claim}/criteria/{cast.criteria['1.1']}",
            {
                f"c{cast.criteria['1.1']}-csrf_token": ada.token,
                f"c{cast.criteria['1.1']}-decision": "accepted",
            },
            csrf=False,
        ).status_code
        == 404
    )
    # With no assessor at all, nobody but Cara reads it.
    set_assessor(app, cast.enrolments["cara"], None)
    assert abe.get(f"/evidence/claims/{claim}").status_code == 404
    assert visit(cast.cara).get(f"/evidence/claims/{claim}").status_code == 200


# Statements per page ---------------------------------------------------------------------------


def add_history(app, cast, claims_each: int = 12) -> None:
    """Years of evidence for Cara and Cal: reflections offered, decided every way, withdrawn,
    commented on, with their audit events."""
    now = datetime.now(UTC)
    with app.app_context():
        people = {name: db.session.get(User, getattr(cast, name).id) for name in ("cara", "cal")}
        ada = db.session.get(User, cast.ada.id)
        criteria = [db.session.get(Criterion, i) for i in cast.criteria.values()]
        for name, person in people.items():
            enrolment = db.session.get(Enrolment, cast.enrolments[name])
            for n in range(claims_each):
                moment = now - timedelta(days=400 - n)
                reflection = Reflection(
                    id=uuid.uuid4(),
                    author_id=person.id,
                    set_id=cast.glasgow.id,
                    experience=f"History {name} {n}.",
                    created_at=moment,
                    updated_at=moment,
                )
                db.session.add(reflection)
                db.session.flush()
                claim = claims.offer(
                    reflection, enrolment, criteria[n % 2 : n % 2 + 2], offered_at=moment
                )
                if n % 3 == 0:
                    claims.decide(claim.criteria[0], ada, Decision.ACCEPTED, "Yes.")
                elif n % 3 == 1:
                    claims.decide(claim.criteria[0], ada, Decision.NOT_YET, "More.")
                if n % 4 == 0:
                    db.session.add(ClaimComment(claim_id=claim.id, author_id=ada.id, body="Hm."))
                if n % 5 == 2:
                    claim.withdrawn_at = moment + timedelta(days=1)
        db.session.commit()


PAGES = [
    # (who, address): {claim} is Cara's newest claim, {reflection} the reflection it came from
    ("ada", "/"),
    ("ada", "/?queue_page=2&candidates_page=1"),
    ("ada", "/evidence/candidates/{cara}"),
    ("ada", "/evidence/candidates/{cara}?page=2"),
    ("ada", "/evidence/claims/{claim}"),
    ("cara", "/"),
    ("cara", "/evidence"),
    ("cara", "/evidence/claims/{claim}"),
    ("cara", "/evidence/offer/{reflection}"),
    ("cara", "/reflections/{reflection}"),
]


def _world(app, cast, make, visit):
    reflection = write(make, cast)
    claim = offer(app, cast, reflection, ("1.1", "2.1"))
    decide(app, claim, cast.criteria["1.1"], cast.ada, Decision.NOT_YET, "More.")
    visit(cast.cara).post(f"/evidence/claims/{claim}/comments", {"body": "Answer."})
    visit(cast.ada).post(f"/evidence/claims/{claim}/comments", {"body": "Thanks."})
    return {"claim": claim, "reflection": reflection.id, "cara": cast.cara.id}


def _counter(count_queries, visitor, url):
    def queries() -> int:
        with count_queries() as counted:
            answer = visitor.get(url)
        assert answer.status_code == 200, url
        return len(counted)

    return queries


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_a_long_history_costs_no_more_queries(app, cast, make, visit, count_queries, who, url):
    names = _world(app, cast, make, visit)
    queries = _counter(count_queries, visit(getattr(cast, who)), url.format(**names))
    new = queries()
    add_history(app, cast)
    assert queries() == new


@pytest.mark.parametrize("url", ["/", "/evidence/claims/{claim}"])
def test_more_candidates_cost_the_assessor_no_more_queries(
    app, cast, make, visit, count_queries, url
):
    names = _world(app, cast, make, visit)
    queries = _counter(count_queries, visit(cast.ada), url.format(**names))
    few = queries()
    for number in range(4):
        extra = make.user(f"Extra {number}")
        enrolment = enrol(app, extra, cast.framework_id, cast.ada)
        reflection = make.reflection(extra, None, "private")
        with app.app_context():
            claims.offer(
                db.session.get(Reflection, reflection.id),
                db.session.get(Enrolment, enrolment),
                [db.session.get(Criterion, cast.criteria["2.2"])],
            )
            db.session.commit()
    assert queries() == few


# What each page costs, as measured on SQLite and PostgreSQL: the signed-in user with their
# memberships (1), then the page's own.
EXPECTED_QUERIES = {
    # what the home page says of evidence, a page of candidates, what awaits in each, a page
    # of the queue, open actions (in no set: no meetings to ask about)
    ("ada", "/"): 6,
    ("ada", "/evidence/candidates/{cara}"): 3,  # her enrolments, a page of claims
    ("ada", "/evidence/claims/{claim}"): 4,  # the claim with all it shows, comments, history
    ("cara", "/evidence"): 4,  # enrolments, a page of claims, marking them seen
    ("cara", "/evidence/claims/{claim}"): 4,  # the claim, the live reflection, comments
    # the reflection, its meeting, her frameworks with their criteria, her claims of it
    ("cara", "/evidence/offer/{reflection}"): 5,
}


@pytest.mark.parametrize(("who", "url", "expected"), [(*k, v) for k, v in EXPECTED_QUERIES.items()])
def test_what_each_page_costs(app, cast, make, visit, count_queries, who, url, expected):
    names = _world(app, cast, make, visit)
    visitor = visit(getattr(cast, who))
    with count_queries() as counted:
        assert visitor.get(url.format(**names)).status_code == 200
    assert len(counted) == expected, [s[:160] for s in counted.statements]
