"""Reads run outside a transaction on PostgreSQL (no BEGIN, no ROLLBACK: two round trips of a
page's few); whatever changes data runs in one transaction, on the same pooled connections."""

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import select

from journal.extensions import csrf, db

# Collected only with PostgreSQL (conftest.py): SQLite's driver begins only before a write.
pytestmark = pytest.mark.parametrize("database", ["postgresql"])


@pytest.fixture
def probe(app):
    """A route that reads, then says whether its connection is inside a transaction."""

    @csrf.exempt
    def in_transaction():
        db.session.scalar(select(1))
        dbapi_connection = db.session.connection().connection.dbapi_connection
        return {"transaction": dbapi_connection.info.transaction_status != TransactionStatus.IDLE}

    app.add_url_rule("/probe", view_func=in_transaction, methods=["GET", "POST", "PUT"])
    return app.test_client()


def test_a_read_runs_outside_a_transaction(probe):
    assert probe.get("/probe").json == {"transaction": False}


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_write_runs_in_a_transaction_even_on_a_connection_a_read_used(probe, app, method):
    with app.app_context():
        db.engine.dispose()  # one connection in the pool: the read's, then the write's
    assert probe.get("/probe").json == {"transaction": False}
    assert probe.open("/probe", method=method).json == {"transaction": True}
    assert probe.get("/probe").json == {"transaction": False}
