"""Sending by a job, so a slow or failing mail server never makes a page slow or fail.

With Redis (REDIS_URL), the job goes on the queue with RQ's retries and backoff
(MAIL_RETRY_INTERVALS). Without it, or while it does not answer, the job runs once after the
response has been sent (Werkzeug's call_on_close), or at once outside a request (a command), and
nothing it raises reaches the page. A message the server never takes, after its last attempt, is
logged (never its body: it may hold a link that signs someone in) and kept as a FailedMail row
for the admins.
"""

import email
import email.policy
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from flask import Flask, Response, after_this_request, current_app, has_request_context
from redis.exceptions import RedisError
from rq import Retry, get_current_job

from .. import jobs
from ..extensions import db
from ..models import FailedMail
from . import smtp

# A job that sends one message: far less than an export's quarter of an hour.
MAIL_JOB_TIMEOUT = 5 * 60  # seconds
NOT_TAKEN = (smtplib.SMTPException, OSError)


def send_later(message: EmailMessage, kind: str) -> None:
    """Send `message` by a job; `kind` (e.g. "invitation") names it in logs and to admins."""
    run_later(
        send_message,
        kind,
        message.as_string(),
        kind=kind,
        recipient=str(message["To"]),
    )


def run_later(job: Callable[..., Any], *args: Any, kind: str, recipient: str = "") -> None:
    """Run a mail job (a `jobs.task`) on the queue with retries, or inline after the response
    (without Redis, or while it does not answer). `kind` and `recipient` name it in the log."""
    if jobs.is_queued():
        try:
            _enqueue(job, *args)
            return
        except RedisError as error:
            # Sent from here instead, once, as without Redis: a message that waits for Redis to
            # come back may be one someone is waiting for (a reset link). README, "Running it in
            # production".
            current_app.logger.warning(
                "Job queue (Redis) unreachable, sending e-mail %s to %s from the web process: %s",
                kind,
                recipient,
                error,
            )
    if has_request_context():
        app = current_app._get_current_object()

        @after_this_request
        def after_sending(response: Response) -> Response:
            response.call_on_close(lambda: _run_inline(app, job, args))
            return response
    else:
        _run_inline(current_app._get_current_object(), job, args)


def _enqueue(job: Callable[..., Any], *args: Any) -> None:
    intervals = list(current_app.config["MAIL_RETRY_INTERVALS"])
    jobs.enqueue_with(
        job,
        *args,
        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        job_timeout=MAIL_JOB_TIMEOUT,
    )


def _run_inline(app: Flask, job: Callable[..., Any], args: tuple) -> None:
    with app.app_context():
        try:
            job(*args)
        except Exception:
            # Recorded already by deliver() if the server did not take it; this is the rest.
            app.logger.exception("E-mail job %s failed", job.__name__)


def deliver(message: EmailMessage, kind: str) -> None:
    """Hand the message to the server; if it fails on the last attempt, log it and record it for
    the admins. Raises the server's refusal either way, so RQ retries (or marks the job failed)."""
    try:
        smtp.deliver(message)
    except NOT_TAKEN as error:
        job = get_current_job()
        if job is not None and job.retries_left:
            current_app.logger.warning(
                "E-mail %s to %s not taken, to be tried again: %s", kind, message["To"], error
            )
            raise
        attempts = 1 + (len(current_app.config["MAIL_RETRY_INTERVALS"]) if job else 0)
        current_app.logger.error(
            "E-mail %s to %s not sent after %d attempt(s): %s",
            kind,
            message["To"],
            attempts,
            error,
        )
        db.session.rollback()
        _record(kind, str(message["To"]), str(message["Subject"]), _describe(error), attempts)
        db.session.commit()
        raise


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _record(kind: str, recipient: str, subject: str, error: str, attempts: int = 1) -> None:
    db.session.add(
        FailedMail(
            kind=kind[:40],
            recipient=recipient[:254],
            subject=subject[:200],
            error=error[:500],
            attempts=attempts,
        )
    )


@jobs.task
def send_message(kind: str, raw: str) -> None:
    """The job: send one composed message (its text, as RQ stores a job's arguments)."""
    deliver(email.message_from_string(raw, policy=email.policy.default), kind)
