"""A refused form's page starts with a summary of its problems (`_macros.error_summary`, shown by
base.html): one link per invalid field, to the message beside it; none on a page without
problems, and none for a hidden field (the page says what a refused token means). Its focus and
layout on a phone are tests/browser/test_form_errors.py."""

from flask.testing import FlaskClient

from tests.helpers import csrf_token_of
from tests.reflections.test_pages import parse


def refused_login(client: FlaskClient, **data: str):
    token = csrf_token_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, **data})
    assert answer.status_code == 400
    return parse(answer.text)


def test_each_invalid_field_is_listed_at_the_top_linked_to_its_message(client):
    page = refused_login(client, email="", password="")
    main = page.one("main")
    summary = main.one("div", cls="error-summary")
    assert summary.attrs["tabindex"] == "-1" and summary.attrs["id"] == "error-summary"
    assert summary.one("h2").text == "There are 2 problems"
    targets = [a.attrs["href"] for a in summary.select("a")]
    assert targets == ["#email-error", "#password-error"]
    for target in targets:
        assert page.one(id=target[1:]).has_class("error")
    # It comes before the form.
    order = [e for e in main.iter() if e is summary or e.tag == "form"]
    assert order[0] is summary


def test_one_problem_is_one_problem(client):
    summary = refused_login(client, email="cara@example.org", password="").one(
        "div", cls="error-summary"
    )
    assert summary.one("h2").text == "There is a problem"
    assert [a.attrs["href"] for a in summary.select("a")] == ["#password-error"]


def test_a_page_without_problems_has_no_summary(client):
    assert not parse(client.get("/login").text).select("div", cls="error-summary")


def test_a_refused_token_alone_lists_no_field(client):
    answer = client.post("/login", data={"email": "cara@example.org", "password": "x"})
    assert answer.status_code == 400
    assert not parse(answer.text).select("div", cls="error-summary")
