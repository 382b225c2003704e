"""GET /api/v1/reflections a page at a time: a client with years of history syncs in pieces.

Every answer is checked against the OpenAPI document by the `Api` helper of the API tests.
"""

import base64
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from journal.extensions import db
from journal.models import Reflection
from tests.api.test_reflections_api import body, sign_in


@pytest.fixture
def cara(make):
    person = make.user("Cara")
    make.set("Glasgow 3", candidates=[person])
    return person


def history(app, author, count: int) -> list[str]:
    """`count` reflections of `author`'s, changed a minute apart, oldest first; their ids."""
    start = datetime.now(UTC) - timedelta(days=30)
    ids = []
    with app.app_context():
        for i in range(count):
            moment = start + timedelta(minutes=i)
            reflection_id = uuid.uuid4()
            db.session.add(
                Reflection(
                    id=reflection_id,
                    author_id=author.id,
                    experience=f"Entry {i}.",
                    created_at=moment,
                    updated_at=moment,
                )
            )
            ids.append(str(reflection_id))
        db.session.commit()
    return ids


def every_page(api, url: str) -> list[list[str]]:
    pages = []
    while url is not None:
        answer = api.get(url)
        assert answer.status_code == 200, answer.json
        pages.append([r["id"] for r in answer.json["reflections"]])
        url = answer.json["next"]
    return pages


def test_a_long_history_comes_in_pages_that_add_up_to_all_of_it(app, cara):
    ids = history(app, cara, 7)
    pages = every_page(sign_in(app, cara), "/api/v1/reflections?limit=3")
    assert pages == [ids[0:3], ids[3:6], ids[6:7]]


def test_a_history_that_fits_one_page_has_no_next(app, cara):
    ids = history(app, cara, 3)
    answer = sign_in(app, cara).get("/api/v1/reflections?limit=3")
    assert [r["id"] for r in answer.json["reflections"]] == ids
    assert answer.json["next"] is None


def test_a_page_holds_a_hundred_unless_asked_otherwise(app, cara):
    ids = history(app, cara, 101)
    pages = every_page(sign_in(app, cara), "/api/v1/reflections")
    assert [len(page) for page in pages] == [100, 1]
    assert [i for page in pages for i in page] == ids


def test_the_next_link_keeps_updated_since(app, cara):
    ids = history(app, cara, 6)
    api = sign_in(app, cara)
    since = api.get("/api/v1/reflections?limit=6").json["reflections"][2]["updated_at"]
    first = api.get("/api/v1/reflections", query_string={"updated_since": since, "limit": 2})
    assert [r["id"] for r in first.json["reflections"]] == ids[2:4]
    assert parse_qs(urlsplit(first.json["next"]).query)["updated_since"] == [since]
    assert every_page(api, first.json["next"]) == [ids[4:6]]


def test_a_reflection_saved_while_paging_moves_to_the_end_and_is_not_lost(app, cara):
    ids = history(app, cara, 4)
    api = sign_in(app, cara)
    first = api.get("/api/v1/reflections?limit=2")
    assert [r["id"] for r in first.json["reflections"]] == ids[0:2]
    # Another device saves the first one again: it now sorts last.
    current = first.json["reflections"][0]
    changed = {name: current[name] for name in body() if name != "base_version"}
    saved = api.put(ids[0], {**changed, "insight": "Later.", "base_version": 1})
    assert saved.status_code == 200
    assert every_page(api, first.json["next"]) == [ids[2:4], [ids[0]]]


def test_only_my_own_reflections_are_paged(app, make, cara):
    other = make.user("Cal")
    history(app, other, 3)
    mine = history(app, cara, 2)
    assert every_page(sign_in(app, cara), "/api/v1/reflections?limit=1") == [[mine[0]], [mine[1]]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("limit=%C2%B2", "limit"),  # ²
        ("limit=99999999999999999999", "limit"),
        ("after=not-a-cursor", "after"),
        ("after=", "after"),
        ("after=fHw", "after"),  # base64 of "||"
        ("after=MjAyNi0wMS0wMXx4", "after"),  # "2026-01-01|x": no zone, no uuid
    ],
)
def test_a_bad_limit_or_cursor_is_422_naming_it(app, cara, query, field):
    answer = sign_in(app, cara).get(f"/api/v1/reflections?{query}")
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {field}


def cursor(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


EDGE_ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+05:00",  # before the first moment Python holds in UTC
        "9999-12-31T23:59:59-05:00",  # after the last
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59.999999-00:01",
    ],
)
def test_a_cursor_past_the_edges_of_time_is_422_naming_it(app, cara, moment):
    answer = sign_in(app, cara).get(
        "/api/v1/reflections", query_string={"after": cursor(f"{moment}|{EDGE_ID}")}
    )
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {"after"}


@pytest.mark.parametrize(
    ("moment", "listed"),
    [("0001-01-01T00:00:00+00:00", True), ("9999-12-31T23:59:59.999999+00:00", False)],
)
def test_a_cursor_at_the_edges_of_time_pages_on_from_there(app, cara, moment, listed):
    ids = history(app, cara, 1)
    answer = sign_in(app, cara).get(
        "/api/v1/reflections", query_string={"after": cursor(f"{moment}|{EDGE_ID}")}
    )
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json["reflections"]] == (ids if listed else [])


def test_a_page_costs_the_same_queries_whatever_the_history(app, make, cara, count_queries):
    history(app, cara, 3)
    api = sign_in(app, cara)
    with count_queries() as small:
        api.get("/api/v1/reflections?limit=2")
    history(app, cara, 300)
    with count_queries() as large:
        api.get("/api/v1/reflections?limit=2")
    assert len(large) == len(small)
