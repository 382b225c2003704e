"""How a request holds the database: reads outside a transaction on PostgreSQL.

psycopg opens a transaction with a BEGIN of its own, and the request ends with a ROLLBACK: two
round trips to the server beside the page's own statements, on a page of two or three. Under
READ COMMITTED, PostgreSQL's default, each statement reads its own snapshot either way, so a
page reads exactly the same without them. Reads (GET, HEAD, OPTIONS) therefore run in
autocommit; everything that changes data comes by POST, PUT or DELETE and runs in one
transaction as before. The few writes a read makes (noting that a candidate has seen their
evidence, auditing a download) are single statements, atomic on their own.

SQLite needs none of this: its driver sends BEGIN only before the first write.
"""

from flask import Flask, request

from .extensions import db

READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Views that hold a connection of their own: /healthz asks whether the database answers at all,
# and must say so (503) rather than fail here first.
OWN_CONNECTION = frozenset({"health.healthz"})


def init_app(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.before_request(_read_without_transaction)


def _read_without_transaction() -> None:
    # Only a session not yet begun can choose: one that is (a test's own, shared with the
    # request) reads in its transaction as before.
    if request.endpoint in OWN_CONNECTION:
        return
    if request.method in READS and not db.session().in_transaction():
        # SQLAlchemy gives the connection back to the pool with the engine's isolation level.
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
