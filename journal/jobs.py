"""Background jobs: RQ on Redis when REDIS_URL is set, run inline (in the request) when not.

With Redis, a job is queued on `JOBS_QUEUE` and a worker runs it:

    REDIS_URL=redis://... DATABASE_URL=... flask --app wsgi worker

(`--burst` to stop once the queue is empty). The worker is RQ's own, started inside the app
factory's app context, which each job's forked process inherits; a job also runs under plain
`rq worker` (RQ's command), where `task` creates the app itself. Without Redis, as in
development on the embedded SQLite, `enqueue` runs the job at once, so every feature works.

When REDIS_URL is set but Redis does not answer (down, restarting, unreachable), `enqueue` runs
the job at once too, as without Redis, rather than lose it or fail the page (README, "Running it
in production"). The web process talks to Redis with short timeouts (REDIS_CONNECT_TIMEOUT,
REDIS_TIMEOUT), so a Redis that never answers costs a page a second or two, never a hang.
"""

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import click
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from .config import redis_timeouts

P = ParamSpec("P")
R = TypeVar("R")

JOB_TIMEOUT = 15 * 60  # seconds: an export of a very long portfolio must still finish
FAILED_JOB_TTL = 7 * 24 * 3600  # seconds RQ keeps a failed job's traceback for operators


def task(function: Callable[P, R]) -> Callable[P, R]:
    """A job function: run in the current app's context, or in a new app's (`rq worker`)."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return function(*args, **kwargs)
        from . import create_app

        with create_app().app_context():
            return function(*args, **kwargs)

    return run


def redis_connection(app: Flask | None = None) -> Redis:
    """A connection to REDIS_URL that gives up after the configured timeouts (redis-py's
    default is to wait for ever, connecting and reading alike)."""
    config = (app or current_app).config
    return Redis.from_url(config["REDIS_URL"], **redis_timeouts(config))


def queue(app: Flask | None = None):
    """The RQ queue the app's jobs go to (REDIS_URL must be set). The worker's own blocking
    reads outlast REDIS_TIMEOUT: RQ's Worker raises the socket timeout of its connection."""
    from rq import Queue

    config = (app or current_app).config
    return Queue(config["JOBS_QUEUE"], connection=redis_connection(app))


def is_queued() -> bool:
    """True when jobs go to a worker, False when they run inline."""
    return bool(current_app.config.get("REDIS_URL"))


def enqueue(function: Callable[..., Any], *args: Any) -> None:
    """Run `function(*args)` in the background (RQ), or now when there is no Redis or Redis
    does not answer (logged). A job must be safe to run twice: Redis may have taken one whose
    answer was lost, and a worker then runs it after this process has."""
    if is_queued():
        try:
            enqueue_with(function, *args)
            return
        except RedisError as error:
            current_app.logger.warning(
                "Job queue (Redis) unreachable, running %s now instead: %s",
                function.__name__,
                error,
            )
    function(*args)


def enqueue_with(function: Callable[..., Any], *args: Any, **options: Any) -> None:
    """Put `function(*args)` on the queue with RQ's `options` (retry, job_timeout, ...); only
    with Redis (callers that run inline without it decide when: e.g. journal/mail/)."""
    jobs = queue()
    options = {
        "job_timeout": JOB_TIMEOUT,
        "result_ttl": 0,
        "failure_ttl": FAILED_JOB_TTL,
        **options,
    }
    try:
        jobs.enqueue(function, *args, **options)
    finally:
        jobs.connection.close()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs (portfolio exports, e-mail) from Redis (REDIS_URL) until stopped."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is not set: jobs run inline in the web process, no worker is needed."
        )
    jobs = queue()
    _worker_class()([jobs], connection=jobs.connection).work(burst=burst)


def _worker_class():
    from rq import Worker

    class MaintainingWorker(Worker):
        """RQ's worker, whose maintenance (as it starts, then every `maintenance_interval`, ten
        minutes) also deletes the exports past their lifetime (README.md, "Portfolio exports")."""

        def run_maintenance_tasks(self) -> None:
            super().run_maintenance_tasks()
            try:
                purge_exports()
            except SQLAlchemyError:  # the database away: try again at the next maintenance
                self.log.exception("Expired exports could not be deleted")

    return MaintainingWorker


def purge_exports() -> None:
    """Delete the exports past their lifetime, from the worker's own process."""
    from .evidence import exports  # which queues its jobs through this module
    from .extensions import db

    try:
        exports.purge_expired()
        db.session.commit()
    finally:
        # Jobs run in processes forked from this one: none may inherit a connection of ours.
        db.session.remove()
        db.engine.dispose()


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
