"""PostgreSQL's plans for every page's queries, on seeded years of data: each list reads only the
rows of the viewer's own sets and their own reflections, through an index, never the whole table,
and every plan is cheap enough that JIT compilation never starts.

Collected only when TEST_DATABASE_URL names a PostgreSQL server (see conftest.py): SQLite's
planner is not the production one. The data goes into a database of its own, seeded once for
the module (the demo, its people's years of history, and SEEDED other reflections).
"""

import json
import os
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event, func, or_, select, text

from journal import demo, seed
from journal.extensions import db
from journal.models import Reflection, User

from ..helpers import DEMO_PAGES, AuthActions, demo_page_ids, make_app, postgres_database

SEEDED = 40_000


@pytest.fixture(scope="module")
def seeded() -> Iterator[Flask]:
    # A database of its own, and of this worker's own: under `--dist load` two workers may each
    # run some of these tests, and each drops and seeds it.
    app = make_app(postgres_database("plans_" + os.environ.get("PYTEST_XDIST_WORKER", "main")))
    with app.app_context():
        db.drop_all()
        db.create_all()
        demo.load()
        seed.seed(SEEDED)
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def statements_of(app: Flask, who: str, url: str) -> list[tuple[str, dict]]:
    """The SELECTs that reading `url` as `who` sends, with their parameters."""
    client = app.test_client()
    assert AuthActions(client).login(f"{who}@example.org", demo.PASSWORD).status_code == 302
    sent: list[tuple[str, dict]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def rows_read(node: dict) -> int:
    """Rows a scan node took from the table, kept or thrown away, over all its loops."""
    taken = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
    return (taken + node.get("Rows Removed by Index Recheck", 0)) * node["Actual Loops"]


def viewers_rows(app: Flask, who: str) -> int:
    """Reflections the viewer's own sets hold, plus their own: what a page may need to read."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"{who}@example.org"))
        sets = [m.set_id for m in user.memberships]
        query = select(func.count()).where(
            or_(Reflection.author_id == user.id, Reflection.set_id.in_(sets))
        )
        return db.session.scalar(query)


@pytest.fixture(scope="module")
def ids(seeded) -> dict[str, str]:
    with seeded.app_context():
        return demo_page_ids()


def test_the_seeded_data_dwarfs_every_viewer(seeded):
    with seeded.app_context():
        total = db.session.scalar(select(func.count()).select_from(Reflection))
    assert total > SEEDED
    assert all(viewers_rows(seeded, who) < total / 20 for who in ("cara", "fran"))


@pytest.mark.parametrize(("who", "url"), DEMO_PAGES)
def test_each_query_reads_only_the_viewers_rows(seeded, ids, who, url):
    # Per scan: a query may read a row twice (find ids, then load them), never a stranger's.
    budget = viewers_rows(seeded, who)
    with seeded.app_context():
        jit_above = float(db.session.scalar(text("SHOW jit_above_cost")))
        # The page first: it may commit (opening one's evidence marks it seen), which ends the
        # session's connection in this same app context.
        sent = statements_of(seeded, who, url.format(**ids))
        connection = db.session.connection()
        for statement, parameters in sent:
            explained = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
            ).scalar()
            plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
            where = f"{url} as {who}: {statement[:200]}"
            assert plan["Total Cost"] < jit_above, f"JIT would compile {where}"
            scans = [n for n in nodes(plan) if n.get("Relation Name") == "reflections"]
            assert not [n for n in scans if n["Node Type"] == "Seq Scan"], f"Seq Scan in {where}"
            for scan in scans:
                read = rows_read(scan)
                assert read <= budget, f"{read} rows read, beyond the viewer's {budget}: {where}"


# The pages that show a page of reflections chosen from a set's whole history, or a person's.
SET_LISTS = [
    ("cara", "/"),
    ("fran", "/"),
    ("cara", "/actions"),
    ("cara", "/shared"),
    ("cara", "/sets/{glasgow}"),
    ("fran", "/shared"),
    ("fran", "/shared?set_id={glasgow}"),
    ("fran", "/shared?page=4"),
    ("fran", "/sets/{glasgow}"),
]


@pytest.mark.parametrize(("who", "url"), SET_LISTS)
def test_a_list_joins_its_people_to_the_page_it_shows_only(seeded, ids, who, url):
    # Joined before the page is cut, each row of the set's history costs a lookup of its
    # author, meeting and set: a page would cost what the history holds, not what it shows.
    # A page is read with one row more, to know whether another follows, and an incremental
    # sort reads one past that, to see where its key changes.
    page = seeded.config["PAGE_SIZE"] + 2
    with seeded.app_context():
        sent = statements_of(seeded, who, url.format(**ids))
        connection = db.session.connection()
        cards = [(s, p) for s, p in sent if "reflections.experience" in s]
        assert cards, f"{url} as {who} loads no reflections"
        for statement, parameters in cards:
            explained = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
            ).scalar()
            plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
            people = [
                n for n in nodes(plan) if n.get("Relation Name") in ("users", "meetings", "sets")
            ]
            looked_up = max(
                (n["Actual Loops"] * max(n["Actual Rows"], 1) for n in people), default=0
            )
            assert looked_up <= page, f"{looked_up} lookups for a page of {page}: {url} as {who}"
