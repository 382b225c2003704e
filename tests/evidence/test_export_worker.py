"""Exports on a real queue: RQ on the machine's Redis, run by a worker, to the end.

Collected only when TEST_REDIS_URL names a Redis server (.ci/run sets it; conftest.py leaves
this module out otherwise, as it does the PostgreSQL plan tests without PostgreSQL). Each test
has a queue of its own, so workers running at once never take each other's jobs.
"""

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader
from rq import Queue, SimpleWorker
from sqlalchemy import select

from journal import jobs
from journal.extensions import db
from journal.models import PortfolioExport, utcnow

from .portfolio_common import OFFERED, World, build_world

TEST_REDIS_URL = os.environ["TEST_REDIS_URL"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(app, make) -> World:
    return build_world(app, make)


@pytest.fixture
def queue(app: Flask) -> Iterator[Queue]:
    """Jobs of this app go to a queue of this test's own on TEST_REDIS_URL.

    Set after the app was made: as REDIS_URL in the test config it would also move the
    sign-in throttle's counters to this Redis.
    """
    app.config["REDIS_URL"] = TEST_REDIS_URL
    app.config["JOBS_QUEUE"] = f"test-exports-{uuid.uuid4().hex}"
    found = jobs.queue(app)
    yield found
    found.delete(delete_jobs=True)
    found.connection.close()


def ask(visit, world: World) -> tuple:
    visitor = visit(world.cara)
    asked = visitor.client.post(
        f"/portfolios/{world.enrolment}/exports",
        data={"csrf_token": visitor.token, "format": "pdf"},
    )
    assert asked.status_code == 302
    return visitor.client, asked.location


def stored(app: Flask, address: str) -> PortfolioExport:
    with app.app_context():
        export = db.session.get(PortfolioExport, int(address.rsplit("/", 1)[1]))
        db.session.expunge(export)
        return export


def test_an_export_waits_in_the_queue_until_a_worker_runs_it(app, visit, world, queue):
    client, page = ask(visit, world)

    waiting = client.get(page).text
    assert "Waiting for its turn in the queue" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting
    (job,) = queue.get_jobs()
    # Redis holds the export's id, never the portfolio.
    assert (job.func_name, job.args) == (
        "journal.evidence.exports.run_export",
        (stored(app, page).id,),
    )

    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)

    assert "Ready, " in client.get(page).text
    download = client.get(f"{page}/download")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.data)).pages)
    assert OFFERED in text
    assert queue.count == 0


def run_worker_command(app: Flask) -> subprocess.CompletedProcess:
    """`flask --app wsgi worker --burst`, as README.md says to run it, on this test's queue."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": "test-secret-key",
        # Production refuses to start without it (README, "Configuration").
        "BASE_URL": "https://journal.example.org",
        "FLASK_JOBS_QUEUE": app.config["JOBS_QUEUE"],
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_documented_worker_command_runs_an_export_to_the_end(app, visit, world, queue):
    client, page = ask(visit, world)

    finished = run_worker_command(app)

    assert finished.returncode == 0, finished.stderr
    export = stored(app, page)
    assert (export.status, export.progress) == ("done", 100)
    assert client.get(f"{page}/download").data.startswith(b"%PDF")


def test_the_worker_deletes_exports_past_their_lifetime_as_part_of_its_maintenance(
    app, visit, world, queue
):
    _client, old = ask(visit, world)
    _client, recent = ask(visit, world)
    with app.app_context():
        aged = db.session.get(PortfolioExport, int(old.rsplit("/", 1)[1]))
        aged.created_at = utcnow() - timedelta(hours=25)
        db.session.commit()

    finished = run_worker_command(app)  # maintenance runs as the worker starts

    assert finished.returncode == 0, finished.stderr
    with app.app_context():
        kept = db.session.scalars(select(PortfolioExport.id)).all()
    assert kept == [int(recent.rsplit("/", 1)[1])]
    assert stored(app, recent).status == "done"  # and it ran the waiting job
