"""Words of the claim page and of enrolling (issue 22, item 15): the comment field and its
button say the same thing, and to whom; "not enrolled" says who can enrol, with the link for an
admin."""

import pytest

from tests.reflections.test_pages import parse

from .conftest import offer, set_assessor, write


@pytest.fixture
def claim_id(app, cast, make) -> int:
    return offer(app, cast, write(make, cast), ("1.1",))


@pytest.mark.parametrize(
    ("who", "label", "button"),
    [
        ("cara", "Your comment for Ada Assessor", "Send to Ada Assessor"),
        ("ada", "Your comment for Cara Candidate", "Send to Cara Candidate"),
    ],
)
def test_the_comment_field_and_its_button_say_to_whom(visit, cast, claim_id, who, label, button):
    visitor = visit(cast.person(who))
    shown = parse(visitor.get(f"/evidence/claims/{claim_id}").text)
    refused = parse(visitor.post(f"/evidence/claims/{claim_id}/comments", {"body": ""}).text)

    for page in (shown, refused):
        form = page.one("form", id="comment-form")
        assert form.one("label").text == label
        assert form.one("button").text == button


def test_without_an_assessor_the_candidate_comments_for_whoever_assesses(
    app, visit, cast, claim_id
):
    set_assessor(app, cast.enrolments["cara"], None)

    form = parse(visit(cast.cara).get(f"/evidence/claims/{claim_id}").text).one(
        "form", id="comment-form"
    )

    assert form.one("label").text == "Your comment"
    assert form.one("button").text == "Send comment"


def test_someone_not_enrolled_is_told_which_administrator_can_enrol_them(make, visit, cast):
    page = visit(make.user("Nobody Enrolled")).get("/evidence").text

    assert "Ask an administrator (Alex Admin) to enrol you on a qualification." in page


def test_an_admin_reads_not_enrolled_with_a_link_to_enrol(visit, cast, make):
    newcomer = make.user("Nia Newcomer")
    dundee = make.set("Dundee 1", candidates=[newcomer])

    page = parse(visit(cast.alex).get(f"/admin/sets/{dundee.id}").text)
    card = next(c for c in page.select("div", cls="member") if "Nia Newcomer" in c.text)

    assert card.one("p", cls="meta").text == "Not enrolled on a framework."
    enrol = [a for a in card.select("a") if a.attrs["href"] == f"/admin/people/{newcomer.id}/enrol"]
    assert [a.text for a in enrol] == ["Enrol"]
    assert enrol[0].attrs["aria-label"] == "Enrol Nia Newcomer on a framework"


def test_the_portfolios_page_of_someone_enrolled_nowhere_says_who_can_enrol(make, visit, cast):
    page = visit(cast.fran).get("/portfolios").text

    assert "you are not enrolled on a qualification" in page
    assert "Ask an administrator (Alex Admin) to enrol you on a qualification." in page
