"""The administration's lists of sets and invitations: a page at a time, searchable by name."""

import re

import pytest

from journal.auth import accounts
from journal.extensions import db
from journal.models import LearningSet
from tests.factories import PASSWORD


@pytest.fixture
def app_config() -> dict:
    return {"PAGE_SIZE": 2}


def set_names(page: str) -> list[str]:
    """The sets on a page of the administration's list, each heading a link to its own page."""
    return re.findall(
        r'<section class="card">\s*<h3><a href="/admin/sets/\d+">([^<]*)</a></h3>', page
    )


def invited(page: str) -> list[str]:
    return re.findall(r"<li>([^ <]+@example\.org) ·", page)


@pytest.fixture
def sets(make):
    for name in ("Glasgow 3", "Leeds 1", "Dundee 2", "Glasgow 4", "Perth_1"):
        make.set(name)


def test_sets_come_a_page_at_a_time_by_name(admin, sets):
    pages = [admin.get(f"/admin/?page={n}").text for n in (1, 2, 3)]
    assert [set_names(page) for page in pages] == [
        ["Dundee 2", "Glasgow 3"],
        ["Glasgow 4", "Leeds 1"],
        ["Perth_1"],
    ]
    assert 'href="/admin/?page=2"' in pages[0]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("glasgow", ["Glasgow 3", "Glasgow 4"]),
        ("  GLASGOW 4 ", ["Glasgow 4"]),
        ("_", ["Perth_1"]),  # a letter here, not LIKE's "any one character"
        ("%", []),
        ("\\", []),
        ("Nowhere", []),
    ],
)
def test_sets_can_be_found_by_name(admin, sets, q, found):
    answer = admin.get("/admin/", query_string={"q": q})
    assert answer.status_code == 200
    assert set_names(answer.text) == found


def test_a_search_pages_and_its_pager_keeps_it(admin, make):
    for n in range(5):
        make.set(f"Cohort {n}")
    make.set("Other")
    first = admin.get("/admin/?q=cohort").text
    assert set_names(first) == ["Cohort 0", "Cohort 1"]
    assert 'href="/admin/?q=cohort&amp;page=2"' in first


@pytest.mark.parametrize("q", ["a\x00b", "x" * 5000, "\udcff"])
def test_a_search_no_database_can_take_is_no_500(admin, sets, q):
    answer = admin.get("/admin/", query_string={"q": q.encode("utf-8", "surrogateescape")})
    assert answer.status_code == 200


def test_the_sets_page_costs_the_same_queries_for_two_sets_or_forty(
    app, admin, make, count_queries
):
    make.set("Small", candidates=[make.user("A")])
    with count_queries() as few:
        admin.get("/admin/")
    for n in range(40):
        make.set(f"Set {n:02}", candidates=[make.user(f"P{n}"), make.user(f"Q{n}")])
    with count_queries() as many:
        admin.get("/admin/")
    assert len(many) == len(few)


def test_the_invitation_form_offers_the_set_it_was_opened_for_not_every_set(
    app, admin, make, count_queries
):
    glasgow = make.set("Glasgow 3")
    with count_queries() as few:
        plain_page = admin.get("/admin/invitations").text
    for n in range(40):
        make.set(f"Set {n:02}")
    with count_queries() as many:
        admin.get("/admin/invitations")
    assert len(many) == len(few)
    sets_page = admin.get("/admin/?q=glasgow").text
    assert f'href="/admin/invitations?set_id={glasgow.id}"' in sets_page
    for_glasgow = admin.get(f"/admin/invitations?set_id={glasgow.id}").text
    assert set_options(plain_page) == [("", "No set (assessors and admins)", True)]
    assert set_options(for_glasgow) == [
        ("", "No set (assessors and admins)", False),
        (str(glasgow.id), "Glasgow 3", True),
    ]
    for unknown in ("99999", "abc", "%00"):
        assert len(set_options(admin.get(f"/admin/invitations?set_id={unknown}").text)) == 1


def set_options(html: str) -> list[tuple[str, str, bool]]:
    """The set field's options: (value, label, selected)."""
    field = re.search(r'<select[^>]*name="set_id".*?</select>', html, re.S).group(0)
    return [
        (value, label, "selected" in attrs)
        for attrs, value, label in re.findall(
            r'<option((?:[^>]*?value="([^"]*)")[^>]*)>([^<]*)</option>', field
        )
    ]


def invite(app, *emails):
    with app.app_context():
        for email in emails:
            accounts.invite(email, "assessor", None, invited_by=None)
        db.session.commit()


def test_invitations_come_latest_first_a_page_at_a_time_and_can_be_found(app, admin):
    invite(app, "ann@example.org", "bob@example.org", "cat@example.org", "anna@example.org")
    first, second = (
        admin.get("/admin/invitations").text,
        admin.get("/admin/invitations?page=2").text,
    )
    assert invited(first) == ["anna@example.org", "cat@example.org"]
    assert invited(second) == ["bob@example.org", "ann@example.org"]
    found = admin.get("/admin/invitations?q=ANN").text
    assert invited(found) == ["anna@example.org", "ann@example.org"]


def test_nobody_else_may_search(app, make, browser):
    candidate = make.user("Cara")
    make.set("Glasgow 3", candidates=[candidate])
    client = browser(candidate.email, PASSWORD)
    for url in ("/admin/?q=glasgow", "/admin/invitations?q=a"):
        assert client.get(url).status_code == 404
    with app.app_context():
        assert db.session.query(LearningSet).count() == 1
