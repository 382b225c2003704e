"""The outbox and a database outage, in real Chromium (journal/errors.py, static/pwa/outbox.js):
the app's own 503 (the database locked for longer than it waits) keeps a reflection queued as
"try again later", and the next attempt saves it exactly once."""

import sqlite3
import uuid

from flask import has_request_context, request
from playwright.sync_api import Browser, expect
from sqlalchemy import event

from journal.extensions import db
from tests.browser import test_offline
from tests.browser.test_offline import (
    Server,
    on_server,
    outbox_card,
    phone,
    puts_of,
    ready_offline,
    sign_in,
    write,
)

# test_offline.py's fixtures: a live server on the demo data, and Chromium.
server = test_offline.server
browser = test_offline.browser
playwright = test_offline.playwright


def test_a_put_answered_503_by_the_app_stays_queued_and_is_saved_once(
    browser: Browser, server: Server
):
    experience = f"Sent during an outage {uuid.uuid4().hex[:8]}: kept until it was saved."
    with server.app.app_context():
        engine = db.engine
    failures = [2]

    def locked(_connection, _cursor, _statement, _parameters, _context, _many) -> None:
        # The first statement of each of the next two PUTs meets the database locked.
        if has_request_context() and request.method == "PUT" and failures[0]:
            failures[0] -= 1
            raise sqlite3.OperationalError("database is locked")

    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        page.goto(server.url + "/reflections/new")
        event.listen(engine, "before_cursor_execute", locked)
        try:
            write(page, experience)
            expect(page).to_have_url(server.url + "/reflections")
            card = outbox_card(page, experience)
            expect(card).to_contain_text("Synced")
        finally:
            event.remove(engine, "before_cursor_execute", locked)
        reflection_id = card.get_attribute("data-id")

        assert on_server(server, "lee", reflection_id)["version"] == 1
        assert puts_of(server, reflection_id) == [503, 503, 201]
