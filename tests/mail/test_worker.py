"""E-mail on a real queue: RQ on the machine's Redis, run by a worker, to a real SMTP server.

Collected only when TEST_REDIS_URL names a Redis server (conftest.py leaves it out otherwise, as
it does the export worker's tests). Each test has a queue of its own.
"""

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from rq import Queue, SimpleWorker
from sqlalchemy import select

from journal import jobs
from journal.extensions import db
from journal.models import FailedMail, PasswordReset
from tests.helpers import csrf_token_of, form_token
from tests.mail.smtp_server import text_of

TEST_REDIS_URL = os.environ["TEST_REDIS_URL"]
LINK = re.compile(r"https?://[^\s\"'<>]+/(?:invite|password/reset)/[A-Za-z0-9_-]{20,}")


@pytest.fixture
def queue(app: Flask) -> Iterator[Queue]:
    """Jobs of this app go to a queue of this test's own (set after the app was made, so the
    sign-in throttle's counters stay in memory)."""
    app.config["REDIS_URL"] = TEST_REDIS_URL
    app.config["JOBS_QUEUE"] = f"test-mail-{uuid.uuid4().hex}"
    # Retried at once: RQ schedules a retry with a wait for its scheduler, which a burst
    # worker does not run.
    app.config["MAIL_RETRY_INTERVALS"] = [0, 0]
    found = jobs.queue(app)
    yield found
    found.delete(delete_jobs=True)
    found.connection.close()


def work(app: Flask, queue: Queue) -> None:
    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)


def invite(admin, glasgow):
    return admin.post(
        "/admin/invitations",
        data={
            "email": "nina@example.org",
            "role": "candidate",
            "set_id": str(glasgow.id),
            "csrf_token": form_token(admin),
        },
        buffered=True,
    )


def test_an_invitation_waits_on_the_queue_until_a_worker_sends_it(
    app, admin, glasgow, mailbox, queue
):
    answer = invite(admin, glasgow)

    assert answer.status_code == 200
    assert mailbox.messages == []
    (job,) = queue.get_jobs()
    assert job.func_name == "journal.mail.delivery.send_message"
    assert job.retries_left == 2

    work(app, queue)

    (message,) = mailbox.to("nina@example.org")
    assert LINK.findall(text_of(message)) == LINK.findall(answer.text)
    assert queue.count == 0


def test_a_refused_message_is_tried_again_then_shown_to_the_admin(
    app, admin, glasgow, mailbox, queue
):
    mailbox.refusing = True
    invite(admin, glasgow)

    work(app, queue)

    assert mailbox.messages == []
    with app.app_context():
        (failure,) = db.session.scalars(select(FailedMail)).all()
        assert (failure.recipient, failure.attempts) == ("nina@example.org", 3)
        assert "550" in failure.error
    assert "invitation to nina@example.org" in admin.get("/admin/mail").text


def test_a_password_reset_is_sent_by_the_worker_only_to_an_account(
    app, client, make, mailbox, queue
):
    cal = make.user("Cal", email="cal@example.org")
    for email in (cal.email, "nobody@example.org"):
        token = csrf_token_of(client.get("/password/forgot").text)
        asked = client.post("/password/forgot", data={"csrf_token": token, "email": email})
        assert asked.status_code == 200
    assert len(queue.get_jobs()) == 2  # the same work for both addresses

    work(app, queue)

    (message,) = mailbox.messages
    assert message["To"] == "cal@example.org"
    (link,) = LINK.findall(text_of(message))
    assert client.get(link.removeprefix("http://localhost")).status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(PasswordReset)).all()) == 1
