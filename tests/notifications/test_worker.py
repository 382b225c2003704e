"""Notifications on a real queue: the page puts one job on RQ (Redis) and reads nothing more;
a worker works out who is told and queues their message, which it then sends to a real SMTP
server. Collected only when TEST_REDIS_URL names a Redis server (tests/conftest.py)."""

from tests.evidence.conftest import write
from tests.mail.smtp_server import text_of
from tests.mail.test_worker import queue, work

from .common import send

__all__ = ["queue"]


def test_a_comment_is_told_by_the_worker_not_the_page(app, make, cast, visit, mailbox, queue):
    reflection = write(make, cast)

    answer = send(visit(cast.fran), f"/reflections/{reflection.id}/comments", {"body": "Hm."})

    assert answer.status_code == 302
    assert mailbox.messages == []
    (job,) = queue.get_jobs()
    assert job.func_name == "journal.notifications.events.tell"

    work(app, queue)

    (message,) = mailbox.to(cast.cara.email)
    assert message["Subject"] == "Fran Facilitator commented on your reflection"
    # The worker has no request: without BASE_URL (development), the local server's address.
    assert f"http://127.0.0.1:5000/reflections/{reflection.id}" in text_of(message)
    assert queue.count == 0
