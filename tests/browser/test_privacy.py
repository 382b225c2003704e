"""A deleted account leaves nothing on a phone (README.md "Your data"), in real Chromium: the
phone's next page after an admin deleted the account names its storage in X-Journal-Erase, and
the service worker erases it whole, the sealed outbox too (signing out would keep that)."""

import re
import uuid

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from journal.extensions import db
from journal.models import User
from journal.privacy import erasure
from tests.browser.test_offline import (
    EVERYTHING_READABLE,
    Server,
    browser,  # noqa: F401 (a fixture)
    entry_ids,
    outbox_card,
    phone,
    playwright,  # noqa: F401 (a fixture)
    ready_offline,
    server,  # noqa: F401 (a fixture)
    sign_in,
    storage_of,
    wait_until,
    where,
    write,
)

pytestmark = pytest.mark.browser

DEVICE_HOLDS = """async (name) => ({
  databases: (await indexedDB.databases()).map((d) => d.name).filter((n) => n.includes(name)),
  caches: (await caches.keys()).filter((n) => n.includes(name)),
  cookies: document.cookie,
})"""


def delete_by_an_admin(running: Server, person: str) -> None:
    with running.app.app_context():
        people = db.session.scalars(select(User))
        found = {user.email: user for user in people}
        admin = next(user for user in found.values() if user.is_admin)
        erasure.delete_account(found[f"{person}@example.org"], admin, "Asked by e-mail.")
        db.session.commit()
        db.session.remove()


def test_a_phone_erases_a_deleted_accounts_storage_at_its_next_page(
    browser: Browser,  # noqa: F811
    server: Server,  # noqa: F811
):
    experience = f"Unsent {uuid.uuid4().hex[:8]}: written on the train."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        lees = storage_of(page)
        page.goto(server.url + "/reflections/new")
        context.set_offline(True)
        write(page, experience)
        expect(outbox_card(page, experience)).to_contain_text("Not yet synced")
        assert entry_ids(page)
        held = page.evaluate(DEVICE_HOLDS, lees)
        assert held["databases"] and held["caches"] and lees in held["cookies"]

        delete_by_an_admin(server, "lee")
        context.set_offline(False)
        page.goto(server.url + "/reflections")

        expect(page).to_have_url(re.compile(r"/login"))

        def erased() -> bool:
            found = page.evaluate(EVERYTHING_READABLE)
            # A reader that was running may open the database again, empty: nothing in it.
            kept = found["databases"].get(f"sj-person-{lees}", {})
            return (
                all(value == "[]" for value in kept.values())
                and where(found, experience) == []
                and where(found["caches"], lees) == []
                and lees not in found["cookies"]
            )

        wait_until(erased, "the deleted account's storage to be erased")
