"""Coverage: each criterion of the candidate's framework is nothing yet, claimed or accepted,
in colour, a symbol and a word; for the candidate and her current assessor only."""

import re

import pytest

from journal.evidence.coverage import State, coverage
from journal.extensions import db
from journal.models import Decision, Enrolment

from .portfolio_common import (
    OUTSIDERS,
    READERS,
    World,
    build_world,
    criterion,
    decide,
    enrol,
    offer,
    reassign,
)


@pytest.fixture
def world(app, make) -> World:
    return build_world(app, make)


def states(app, enrolment_id) -> dict[str, State]:
    with app.app_context():
        found = coverage(db.session.get(Enrolment, enrolment_id))
        return {c.criterion.code: c.state for u in found.units for c in u.criteria}


def test_a_criterion_is_accepted_claimed_or_nothing_yet(app, world):
    found = states(app, world.enrolment)

    assert found["1.2"] is State.ACCEPTED  # accepted on one claim
    assert found["3.1"] is State.NOT_YET  # judged "not yet", not offered again
    assert found["2.1"] is State.CLAIMED  # awaiting a decision
    assert found["4.1"] is State.NOTHING  # its only claim was withdrawn
    assert found["4.2"] is State.NOTHING  # claimed by cal, not by cara
    assert found["1.1"] is State.NOTHING


def test_one_accepted_claim_is_enough_beside_others_not_yet(app, make, world):
    again = make.reflection(world.cara)
    claim = offer(app, again, world.enrolment, ["3.1"])
    decide(app, claim, "3.1", Decision.ACCEPTED, "Now it is clear.")

    assert states(app, world.enrolment)["3.1"] is State.ACCEPTED


def test_counts_per_unit_and_overall(app, world):
    with app.app_context():
        found = coverage(db.session.get(Enrolment, world.enrolment))
    by_unit = {
        u.unit.code: (u.counts.accepted, u.counts.claimed, u.counts.nothing) for u in found.units
    }

    assert by_unit == {"701": (1, 0, 2), "702": (0, 1, 2), "703": (0, 1, 2), "704": (0, 0, 2)}
    assert (found.counts.total, found.counts.accepted, found.counts.claimed) == (11, 1, 2)
    assert (found.counts.awaiting, found.counts.not_yet, found.counts.nothing) == (1, 1, 8)


def item(page: str, code: str) -> str:
    match = re.search(
        rf'<li class="cov-([\w-]+)">(?:(?!</li>).)*?cov-code">{re.escape(code)}<.*?</li>',
        page,
        re.S,
    )
    assert match, f"no criterion {code} on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[0])).strip()


def test_the_page_shows_each_state_in_words_and_a_symbol_not_only_colour(visit, world):
    page = visit(world.cara).client.get(f"/portfolios/{world.enrolment}/coverage").text

    assert item(page, "1.2").startswith("✓ Accepted 1.2")
    assert 'class="cov-accepted"' in page
    assert item(page, "2.1").startswith("◐ Claimed 2.1")
    assert item(page, "1.1").startswith("○ Nothing yet 1.1")
    total = re.search(r'<p class="coverage-total">(.*?)</p>', page, re.S)[1]
    assert re.sub(r"<[^>]+>", "", total) == (
        "1 of 11 criteria accepted, 1 awaiting a decision, 1 not yet, 8 with nothing yet."
    )
    assert "1 of 3 accepted, 0 awaiting, 0 not yet, 2 nothing yet" in page  # unit 701
    # The symbols are decoration: a screen reader reads the word.
    assert page.count('aria-hidden="true">✓') == 2  # the key and 1.2


def feedback_link(app, world, code: str) -> str:
    with app.app_context():
        criterion_id = criterion(code).id
    return f'href="/evidence/claims/{world.accepted_claim}#criterion-{criterion_id}"'


@pytest.mark.parametrize("who", READERS)
def test_not_yet_shows_as_not_yet_with_a_link_to_its_feedback(app, visit, world, who):
    page = visit(world.person(who)).client.get(f"/portfolios/{world.enrolment}/coverage").text

    assert item(page, "3.1").startswith("↺ Not yet 3.1")
    assert 'class="cov-not-yet"' in page
    link = re.search(
        r'<li class="cov-not-yet">(?:(?!</li>).)*?cov-code">3\.1<.*?</li>', page, re.S
    )[0]
    assert feedback_link(app, world, "3.1") in link
    assert "Read the feedback" in link
    assert "Read the feedback" not in item(page, "2.1")  # awaiting: no feedback yet


def test_offered_again_after_not_yet_it_awaits_a_decision_and_keeps_the_feedback_link(
    app, make, visit, world
):
    offer(app, make.reflection(world.cara), world.enrolment, ["3.1"])

    assert states(app, world.enrolment)["3.1"] is State.CLAIMED
    page = visit(world.cara).client.get(f"/portfolios/{world.enrolment}/coverage").text
    assert item(page, "3.1").startswith("◐ Claimed 3.1")
    assert "Read the feedback" in item(page, "3.1")
    assert feedback_link(app, world, "3.1") in page


def test_accepted_after_not_yet_is_accepted_without_the_old_feedback(app, make, visit, world):
    claim = offer(app, make.reflection(world.cara), world.enrolment, ["3.1"])
    decide(app, claim, "3.1", Decision.ACCEPTED, "Now it is clear.")

    page = visit(world.cara).client.get(f"/portfolios/{world.enrolment}/coverage").text
    assert item(page, "3.1").startswith("✓ Accepted 3.1")
    assert "Read the feedback" not in page


@pytest.mark.parametrize("who", READERS)
def test_the_candidate_and_her_assessor_read_the_coverage(visit, world, who):
    answer = visit(world.person(who)).client.get(f"/portfolios/{world.enrolment}/coverage")

    assert answer.status_code == 200
    assert "1 of 11 criteria accepted" in answer.text


@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_else_gets_404(visit, world, who):
    client = visit(world.person(who)).client

    assert client.get(f"/portfolios/{world.enrolment}/coverage").status_code == 404
    assert "Cara" not in client.get("/portfolios").text


def test_signed_out_people_are_sent_to_sign_in(client, world):
    answer = client.get(f"/portfolios/{world.enrolment}/coverage")

    assert answer.status_code == 302
    assert answer.location.startswith("/login")


def test_an_unknown_portfolio_is_404_like_a_hidden_one(visit, world):
    client = visit(world.ada).client

    for address in (
        "/portfolios/999999/coverage",
        "/portfolios/0/coverage",
        "/portfolios/99999999999/coverage",
    ):
        assert client.get(address).status_code == 404


def test_a_new_assessor_sees_the_history_and_the_old_one_loses_it(app, visit, world):
    reassign(app, world.enrolment, world.abe)

    assert visit(world.abe).client.get(f"/portfolios/{world.enrolment}/coverage").status_code == 200
    assert visit(world.ada).client.get(f"/portfolios/{world.enrolment}/coverage").status_code == 404
    assert states(app, world.enrolment)["1.2"] is State.ACCEPTED


def test_the_portfolios_page_lists_mine_and_those_i_assess(visit, world):
    cara = visit(world.cara).client.get("/portfolios").text
    ada = visit(world.ada).client.get("/portfolios").text

    assert f"/portfolios/{world.enrolment}/coverage" in cara
    assert f"/portfolios/{world.cal_enrolment}/coverage" not in cara
    assert f"/portfolios/{world.enrolment}/coverage" in ada
    assert f"/portfolios/{world.cal_enrolment}/coverage" in ada
    assert f"/portfolios/{world.lee_enrolment}/coverage" not in ada


def test_the_page_costs_the_same_statements_with_years_of_evidence(
    app, make, visit, world, count_queries
):
    client = visit(world.ada).client
    address = f"/portfolios/{world.enrolment}/coverage"
    client.get(address)
    with count_queries() as before:
        assert client.get(address).status_code == 200
    for number in range(40):
        claim = offer(app, make.reflection(world.cara), world.enrolment, ["1.1", "2.2"])
        if number % 3 == 0:
            decide(app, claim, "2.2", Decision.ACCEPTED, "Yes.")

    with count_queries() as after:
        assert client.get(address).status_code == 200

    assert len(after) == len(before) == 5


def test_the_portfolio_list_costs_the_same_statements_with_more_candidates(
    app, make, visit, world, count_queries
):
    client = visit(world.ada).client
    with count_queries() as before:
        assert client.get("/portfolios").status_code == 200
    for number in range(25):
        enrol(app, make.user(f"Candidate {number}"), world.ada)

    with count_queries() as after:
        page = client.get("/portfolios")

    assert len(after) == len(before) == 2
    assert 'rel="next"' in page.text  # a page at a time
