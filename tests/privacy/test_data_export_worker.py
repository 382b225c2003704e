"""My data on a real queue (RQ on TEST_REDIS_URL): the download waits until a worker makes it.
Collected only with TEST_REDIS_URL, as tests/evidence/test_export_worker.py is."""

import os
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from rq import Queue, SimpleWorker

from journal import jobs

from .common import CARAS_PRIVATE, build, me_of, zip_of

TEST_REDIS_URL = os.environ["TEST_REDIS_URL"]


@pytest.fixture
def queue(app: Flask) -> Iterator[Queue]:
    app.config["REDIS_URL"] = TEST_REDIS_URL
    app.config["JOBS_QUEUE"] = f"test-data-exports-{uuid.uuid4().hex}"
    found = jobs.queue(app)
    yield found
    found.delete(delete_jobs=True)
    found.connection.close()


def test_my_download_waits_in_the_queue_until_a_worker_makes_it(app, make, visit, queue):
    world = build(app, make).world
    visitor = visit(world.cara)
    page = visitor.client.post("/account/data", data={"csrf_token": visitor.token}).location

    assert "Waiting for its turn in the queue" in visitor.client.get(page).text
    assert visitor.client.get(f"{page}/download").status_code == 404  # not made yet
    (job,) = queue.get_jobs()
    # Redis holds the export's id, never anyone's words.
    assert job.func_name == "journal.privacy.exports.run_data_export"
    assert job.args == (int(page.rsplit("/", 1)[1]),)

    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)

    assert "Ready, " in visitor.client.get(page).text
    archive = zip_of(visitor.client.get(f"{page}/download"))
    assert me_of(archive)["account"]["id"] == world.cara.id
    assert any(CARAS_PRIVATE in archive.read(name).decode() for name in archive.namelist())
