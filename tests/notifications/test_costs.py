"""The pages that make events do no more work for them: the job that tells people runs after
the response (or on the worker), so each page's own queries are what they were before
notifications (the pinned numbers were measured on the branch before it, README: "What you are
told by e-mail")."""

import pytest

from journal.extensions import db
from journal.models import Decision, User
from journal.notifications import unsubscribe
from tests.evidence.conftest import offer, write

EXPECTED = {"reflection comment": 9, "offer": 10, "decision": 8, "claim comment": 8}


@pytest.mark.parametrize("event", list(EXPECTED))
def test_a_page_that_makes_an_event_costs_what_it_did(app, make, cast, visit, count_queries, event):
    reflection = write(make, cast)
    claim_id = offer(app, cast, write(make, cast))
    criterion = cast.criteria["1.1"]
    who, url, data = {
        "reflection comment": (
            cast.fran,
            f"/reflections/{reflection.id}/comments",
            {"body": "Hm."},
        ),
        "offer": (
            cast.cara,
            f"/evidence/offer/{reflection.id}",
            {"criteria": [str(criterion)], "declaration": "y", "base_version": "1"},
        ),
        "decision": (
            cast.ada,
            f"/evidence/claims/{claim_id}/criteria/{criterion}",
            {f"c{criterion}-decision": Decision.ACCEPTED.value, f"c{criterion}-feedback": "Yes."},
        ),
        "claim comment": (cast.ada, f"/evidence/claims/{claim_id}/comments", {"body": "Hm."}),
    }[event]
    visitor = visit(who)
    if event == "decision":
        data[f"c{criterion}-csrf_token"] = visitor.token

    with count_queries() as counted:
        answer = visitor.post(url, data, csrf=event != "decision")

    assert answer.status_code == 302
    assert len(counted) == EXPECTED[event], [s[:120] for s in counted.statements]


@pytest.mark.parametrize(("method", "expected"), [("get", 1), ("post", 2)])
def test_the_unsubscribe_page_costs_one_query_and_one_write(
    app, cast, count_queries, method, expected
):
    with app.app_context():
        token = unsubscribe.token_for(db.session.get(User, cast.cara.id))
    browser = app.test_client()

    with count_queries() as counted:
        answer = getattr(browser, method)(f"/unsubscribe/{token}")

    assert answer.status_code == 200
    assert len(counted) == expected, counted.statements
