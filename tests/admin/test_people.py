"""The administration's list of people: a page at a time, by name, searchable by name or email;
each person's roles in sets and how many candidates they assess, and nothing they wrote."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.extensions import db
from journal.models import Enrolment, Framework, Reflection, User


@pytest.fixture
def app_config() -> dict:
    return {"PAGE_SIZE": 2}


CARD = re.compile(r'<section class="card person">\s*<h3>(.*?)</h3>(.*?)</section>', re.S)


def plain(page: str) -> str:
    """Text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def people_on(page: str) -> list[str]:
    """The names on a page of people, in order (the admin badge left out)."""
    return [plain(re.sub(r"<span.*?</span>", "", heading)) for heading, _ in CARD.findall(page)]


def cards(page: str) -> dict[str, dict]:
    """Each person's card: admin badge, email, (set, role) pairs and the assessor line."""
    found = {}
    for heading, body in CARD.findall(page):
        name = plain(re.sub(r"<span.*?</span>", "", heading))
        assessor = re.search(r'<p class="assessor">(.*?)</p>', body)
        found[name] = {
            "admin": '<span class="role">admin</span>' in heading,
            "email": plain(re.search(r'<p class="meta email">(.*?)</p>', body)[1]),
            "sets": re.findall(r'<li>(.*?) <span class="role">(.*?)</span></li>', body),
            "assessor": assessor[1] if assessor else None,
        }
    return found


def emails_on(page: str) -> list[str]:
    return [plain(email) for email in re.findall(r'<p class="meta email">(.*?)</p>', page)]


def without_csrf_tokens(page: str) -> str:
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*"', r'\1"', page)


def sign_in_then(location: str) -> str | None:
    parts = urlsplit(location)
    return parse_qs(parts.query)["next"][0] if parts.path == "/login" else None


def enrol(app: Flask, assessor: User | None, *candidates: User) -> None:
    """Enrol each candidate on a framework of their own, assessed by `assessor`."""
    with app.app_context():
        for candidate in candidates:
            framework = Framework(code=f"F{candidate.id}", title="Level 7")
            db.session.add(framework)
            db.session.add(
                Enrolment(
                    candidate_id=candidate.id,
                    framework=framework,
                    assessor_id=assessor.id if assessor else None,
                )
            )
        db.session.commit()


# Who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("facilitator", 404),
        ("candidate", 404),
        ("assessor", 404),
        ("nobody", 302),
    ],
)
def test_only_an_admin_may_see_the_people(app, make, browser, who, status):
    people = {
        "admin": make.user("Alex Admin", is_admin=True),
        "facilitator": make.user("Fran"),
        "candidate": make.user("Cara"),
        "assessor": make.user("Ada"),
    }
    make.set("Glasgow 3", facilitators=[people["facilitator"]], candidates=[people["candidate"]])
    enrol(app, people["assessor"], people["candidate"])
    client = browser(people[who].email) if who in people else browser()

    for path in ("/admin/people", "/admin/people?q=cara&page=1"):
        answer = client.get(path)
        assert answer.status_code == status, path
        if status == 302:
            assert sign_in_then(answer.location) == path
        if status == 404:
            # Exactly the page of an address that does not exist: nothing to learn from it.
            unknown = client.get("/no-such-page")
            assert without_csrf_tokens(answer.text) == without_csrf_tokens(unknown.text)
            assert "cara" not in answer.text.lower()


def test_every_administration_page_links_to_the_others(admin):
    pages = ["/admin/", "/admin/people", "/admin/invitations", "/admin/frameworks", "/admin/mail"]
    for path in pages:
        nav = re.search(r'<nav class="admin-nav".*?</nav>', admin.get(path).text, re.S)
        assert nav, path
        assert re.findall(r'href="([^"]+)"', nav[0]) == pages
        assert re.findall(r'href="([^"]+)" aria-current="page"', nav[0]) == [path]


# What it shows -------------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 20}])
def test_each_person_with_their_roles_by_set_and_the_candidates_they_assess(browser, demo_people):
    page = browser("admin@example.org", DEMO_PASSWORD).get("/admin/people")

    assert page.status_code == 200
    shown = cards(page.text)
    assert list(shown) == sorted(person.name for person in demo_people.values())
    by_email = {card["email"]: card for card in shown.values()}
    assert by_email["admin@example.org"] == {
        "admin": True,
        "email": "admin@example.org",
        "sets": [],
        "assessor": None,
    }
    assert by_email["fran@example.org"]["sets"] == [("Glasgow 3", "facilitator")]
    assert by_email["cara@example.org"]["sets"] == [("Glasgow 3", "candidate")]
    assert by_email["lee@example.org"]["sets"] == [("Leeds 1", "candidate")]
    assert by_email["ada@example.org"]["assessor"] == "Assessor of 2 candidates"
    assert by_email["abe@example.org"]["assessor"] == "Assessor of 1 candidate"
    assert [card["email"] for card in shown.values() if card["admin"]] == ["admin@example.org"]
    assert [card["email"] for card in shown.values() if card["assessor"]] == [
        "abe@example.org",
        "ada@example.org",
    ]


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 20}])
def test_roles_in_several_sets_come_by_set_name(app, admin, make):
    both = make.user("Bo Both", email="bo@example.org")
    make.set("Perth 2", candidates=[both])
    make.set("Dundee 1", facilitators=[both])
    make.set("Leeds 1")
    enrol(app, both, make.user("Cy"), make.user("Di"), make.user("Ed"))
    enrol(app, None, make.user("Flo"))  # no assessor yet: counts for nobody

    shown = cards(admin.get("/admin/people").text)

    assert shown["Bo Both"] == {
        "admin": False,
        "email": "bo@example.org",
        "sets": [("Dundee 1", "facilitator"), ("Perth 2", "candidate")],
        "assessor": "Assessor of 3 candidates",
    }
    assert [name for name, card in shown.items() if card["assessor"]] == ["Bo Both"]


def test_an_admin_never_sees_what_anyone_wrote(app, admin, make):
    cara = make.user("Cara", email="cara@example.org")
    glasgow = make.set("Glasgow 3", candidates=[cara])
    meeting = make.meeting(glasgow)
    secrets = []
    for visibility in ("private", "facilitator", "set"):
        texts = {
            field: f"Secret {field} {visibility} of Cara"
            for field in ("experience", "insight", "next_action", "action_outcome")
        }
        secrets.extend(texts.values())
        secrets.append(str(make.reflection(cara, meeting, visibility=visibility, **texts).id))

    for path in ("/admin/people", "/admin/people?q=cara", "/admin/people?q=secret"):
        answer = admin.get(path)
        assert answer.status_code == 200
        for secret in secrets:
            assert secret not in answer.text, (path, secret)
        assert "Secret" not in plain(answer.text)
    assert people_on(admin.get("/admin/people?q=cara").text) == ["Cara"]
    assert people_on(admin.get("/admin/people?q=secret").text) == []  # not searched either


def test_the_demo_people_page_shows_no_reflection(app, browser, demo_people):
    with app.app_context():
        written = db.session.scalars(select(Reflection)).all()
        telltales = [str(r.id) for r in written] + [
            plain(text.replace("*", ""))[:30]
            for r in written
            for text in (r.experience, r.insight, r.next_action, r.action_outcome)
            if text
        ]
    assert written
    client = browser("admin@example.org", DEMO_PASSWORD)
    for page in (1, 2, 3, 4, 5):
        shown = plain(client.get(f"/admin/people?page={page}").text)
        for tell in telltales:
            assert tell not in shown, (page, tell)


# Searching -----------------------------------------------------------------------------------


@pytest.fixture
def people(make):
    for name, email in [
        ("Ann Lee", "ann@example.org"),
        ("Bob Stone", "bob@work.example.net"),
        ("Cat Ng", "cat_ng@example.org"),
        ("Dee 100%", "dee@example.org"),
        ("Ed Ann", "ed@example.org"),
    ]:
        make.user(name, email=email)


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 20}])
@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("ann", ["Ann Lee", "Ed Ann"]),  # anywhere in the name
        ("  ANN LEE ", ["Ann Lee"]),  # trimmed, any case
        ("work.example", ["Bob Stone"]),  # the email
        ("BOB@", ["Bob Stone"]),
        ("_", ["Cat Ng"]),  # a letter here, not LIKE's "any one character"
        ("%", ["Dee 100%"]),  # likewise, not "anything"
        ("0%", ["Dee 100%"]),
        ("c%g", []),
        ("c_t", []),
        ("\\", []),
        ("Nowhere", []),
        ("", ["Alex Admin", "Ann Lee", "Bob Stone", "Cat Ng", "Dee 100%", "Ed Ann"]),
    ],
)
def test_people_can_be_found_by_name_or_email(admin, people, q, found):
    answer = admin.get("/admin/people", query_string={"q": q})
    assert answer.status_code == 200
    assert people_on(answer.text) == found
    if not found:
        assert f"No one's name or email holds “{q.strip()}”." in plain(answer.text)


@pytest.mark.parametrize("q", ["a\x00b", "\x00", "x" * 5000, "\udcff", "%00"])
def test_a_search_no_database_can_take_is_no_500(admin, people, q):
    answer = admin.get("/admin/people", query_string={"q": q.encode("utf-8", "surrogateescape")})
    assert answer.status_code == 200


# Paging --------------------------------------------------------------------------------------


def test_people_come_a_page_at_a_time_by_name(admin, people):
    pages = [admin.get(f"/admin/people?page={n}").text for n in (1, 2, 3)]
    assert [people_on(page) for page in pages] == [
        ["Alex Admin", "Ann Lee"],
        ["Bob Stone", "Cat Ng"],
        ["Dee 100%", "Ed Ann"],
    ]
    assert 'href="/admin/people?page=2"' in pages[0]
    assert 'href="/admin/people?page=1"' in pages[1]
    assert 'href="/admin/people?page=3"' in pages[1]
    assert 'rel="next"' not in pages[2]  # the last page


def test_one_name_twice_comes_in_the_order_of_the_accounts(admin, make):
    first = make.user("Sam Same", email="sam.b@example.org")
    second = make.user("Sam Same", email="sam.a@example.org")
    assert first.id < second.id
    assert emails_on(admin.get("/admin/people?q=same").text) == [first.email, second.email]


def test_a_search_pages_and_its_pager_keeps_it(admin, make):
    for n in range(5):
        make.user(f"Cohort {n}")
    make.user("Other")
    first = admin.get("/admin/people?q=cohort").text
    assert people_on(first) == ["Cohort 0", "Cohort 1"]
    assert 'href="/admin/people?q=cohort&amp;page=2"' in first
    second = admin.get("/admin/people?q=cohort&page=2").text
    assert people_on(second) == ["Cohort 2", "Cohort 3"]
    assert 'href="/admin/people?q=cohort&amp;page=1"' in second
    assert 'href="/admin/people?q=cohort&amp;page=3"' in second
    assert people_on(admin.get("/admin/people?q=cohort&page=3").text) == ["Cohort 4"]


@pytest.mark.parametrize("query", ["page=4", "page=999", "q=ann&page=2"])
def test_a_page_past_the_last_is_empty_and_leads_back(admin, people, query):
    answer = admin.get(f"/admin/people?{query}")
    assert answer.status_code == 200
    assert people_on(answer.text) == []
    assert "There is no page" in answer.text
    first = "/admin/people?q=ann" if "q=" in query else "/admin/people"
    assert f'href="{first}">Go to the first page' in answer.text
    assert 'rel="prev"' not in answer.text  # no pager pointing at pages past the end


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "page=99999999999999999999"])
def test_a_page_number_that_cannot_be_is_the_first_page(admin, people, query):
    answer = admin.get(f"/admin/people?{query}")
    assert answer.status_code == 200
    assert people_on(answer.text) == ["Alex Admin", "Ann Lee"]


# Cost ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 50}])
def test_the_people_page_costs_the_same_queries_for_three_people_or_forty(
    app, admin, make, count_queries
):
    a, b = make.user("A"), make.user("B")
    make.set("Small", candidates=[a])
    enrol(app, b, a)
    with count_queries() as few:
        assert people_on(admin.get("/admin/people").text) == ["A", "Alex Admin", "B"]
    for n in range(4):
        make.set(
            f"Set {n}",
            facilitators=[make.user(f"F{n}")],
            candidates=[make.user(f"P{n}{m}") for m in range(6)],
        )
    extra = [make.user(f"Q{n}") for n in range(6)]
    for n, person in enumerate(extra[:3]):
        make.set(f"Extra {n}", facilitators=[person], candidates=extra[3:])
    enrol(app, make.user("Assessor"), *extra[3:])
    make.user("Z1")
    make.user("Z2")
    with count_queries() as many:
        shown = cards(admin.get("/admin/people").text)
    assert len(shown) == 40
    assert shown["Q3"]["sets"] == [(f"Extra {n}", "candidate") for n in range(3)]
    assert shown["Assessor"]["assessor"] == "Assessor of 3 candidates"
    assert len(many) == len(few), many.statements
