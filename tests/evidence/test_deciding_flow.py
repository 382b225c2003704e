"""Deciding as an assessor works through her queue (issue 22, item 9): an invalid decision comes
back on the claim's page with status 400, what she typed kept, and the summary of problems at
the page's top linking to the message by its field; a saved decision leads on to what waits
next for her (the claim's next criterion, then the oldest claim in her queue), or back to her
workspace saying nothing waits."""

import pytest

from journal.models import Decision
from tests.reflections.test_pages import parse

from .conftest import decide, offer, write
from .test_lifecycle import send_decision


@pytest.fixture
def claim_id(app, cast, make) -> int:
    """Cara's reflection offered against 1.1 and 2.1, awaiting Ada."""
    return offer(app, cast, write(make, cast), ("1.1", "2.1"), days_ago=3)


def test_an_invalid_decision_comes_back_summarised_at_the_top_and_shown_at_its_form(
    app, cast, claim_id, visit
):
    criterion = cast.criteria["2.1"]

    answer = send_decision(visit(cast.ada), claim_id, criterion, "not_yet", "")

    assert answer.status_code == 400
    page = parse(answer.text)
    # The summary at the top of the page (focused by app.js) links to the message by the field.
    summary = page.one("div", id="error-summary")
    assert "“not yet” needs feedback" in summary.text
    form = page.one("form", id=f"decision-{criterion}")
    error = form.one("p", cls="error")
    assert "“not yet” needs feedback" in error.text
    assert summary.one("a").attrs["href"] == f"#{error.attrs['id']}"
    checked = [r.attrs["value"] for r in form.select("input", type="radio") if "checked" in r.attrs]
    assert checked == ["not_yet"]
    # The other criterion's form is as it was.
    other = page.one("form", id=f"decision-{cast.criteria['1.1']}")
    assert not other.select("p", cls="error")


def test_an_invalid_comment_comes_back_summarised_at_the_top(app, cast, claim_id, visit):
    answer = visit(cast.cara).post(f"/evidence/claims/{claim_id}/comments", {"body": " "})

    assert answer.status_code == 400
    page = parse(answer.text)
    assert "Write something first." in page.one("div", id="error-summary").text
    assert "Write something first." in page.one("form", id="comment-form").text


def test_a_decision_leads_on_to_the_claims_next_criterion_waiting(app, cast, claim_id, visit):
    ada = visit(cast.ada)

    answer = send_decision(ada, claim_id, cast.criteria["1.1"], "accepted")

    assert answer.status_code == 302
    assert answer.location == f"/evidence/claims/{claim_id}#criterion-{cast.criteria['2.1']}"
    assert "Decision on 1.1 saved. 2.1 waits for your decision." in ada.get(answer.location).text


def test_the_last_decision_on_a_claim_leads_on_to_the_oldest_claim_waiting(
    app, cast, make, claim_id, visit
):
    newer = offer(app, cast, write(make, cast), days_ago=1)
    older = offer(app, cast, write(make, cast, author="cal"), days_ago=2)
    offer(app, cast, write(make, cast, author="lee"), days_ago=9)  # abe's, not hers
    decide(app, claim_id, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    ada = visit(cast.ada)

    answer = send_decision(ada, claim_id, cast.criteria["2.1"], "not_yet", "Say more.")

    assert answer.status_code == 302
    assert answer.location == f"/evidence/claims/{older}#main"
    page = ada.get(answer.location).text
    assert "Decision on 2.1 saved. Next waiting: Cal Candidate’s evidence, offered" in page
    # Her workspace lists the same two, in the same order.
    queue = parse(ada.get("/").text).one("section", aria_labelledby="to-assess")
    links = [a.attrs["href"] for a in queue.select("a") if "/evidence/claims/" in a.attrs["href"]]
    assert links == [f"/evidence/claims/{older}", f"/evidence/claims/{newer}"]


def test_with_nothing_else_waiting_a_decision_leads_back_to_the_workspace(
    app, cast, claim_id, visit
):
    decide(app, claim_id, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    ada = visit(cast.ada)

    answer = send_decision(ada, claim_id, cast.criteria["2.1"], "accepted", "Good.")

    assert answer.status_code == 302
    assert answer.location == "/#to-assess"  # her workspace's queue, saying it is empty
    page = ada.get("/").text
    assert "Decision on 2.1 saved. No other evidence waits for your decision." in page


def test_changing_an_old_decision_also_leads_on(app, cast, make, claim_id, visit):
    decide(app, claim_id, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    decide(app, claim_id, cast.criteria["2.1"], cast.ada, Decision.NOT_YET, "More.")
    waiting = offer(app, cast, write(make, cast), days_ago=1)

    answer = send_decision(visit(cast.ada), claim_id, cast.criteria["2.1"], "accepted")

    assert answer.location == f"/evidence/claims/{waiting}#main"
