"""cal forgets his password and resets it from the e-mail, on a 360 px phone: the sign-in page's
link, the address in, the message read from a real SMTP server (aiosmtpd), the link followed, a
new password chosen; he is signed in there and signed out on the device he used before. Each
page has no serious axe-core finding and no tap target under 44 px."""

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from journal import demo
from journal.extensions import db
from tests.browser.test_phone import (  # noqa: F401 (browser: the fixture, as is)
    AXE_JS,
    SMALL_TARGETS_JS,
    TARGET_PX,
    browser,
    phone,
)
from tests.helpers import make_app
from tests.mail.smtp_server import Mailbox, running_server, text_of

pytestmark = pytest.mark.browser

NEW_PASSWORD = "kettle-orchard-lantern"


@dataclass
class Server:
    url: str
    app: Flask
    mailbox: Mailbox


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with running_server() as mailbox:
        app = make_app(
            f"sqlite:///{tmp_path_factory.mktemp('mail') / 'journal.sqlite'}",
            MAIL_URL=f"smtp://127.0.0.1:{mailbox.port}",
        )
        with app.app_context():
            db.create_all()
            demo.load()
            db.session.remove()
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=httpd.serve_forever, name="mail-server", daemon=True)
        thread.start()
        yield Server(f"http://127.0.0.1:{httpd.server_port}", app, mailbox)
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        with app.app_context():
            db.engine.dispose()


def wait_for_message(mailbox: Mailbox, to: str) -> EmailMessage:
    """The message to `to`: sent once the response has gone, so it may come a moment later."""
    deadline = time.monotonic() + 10
    while not mailbox.to(to):
        assert time.monotonic() < deadline, f"no e-mail to {to}"
        time.sleep(0.05)
    (message,) = mailbox.to(to)
    return message


def check(page: Page) -> None:
    """No serious axe-core finding, no small tap target, nothing wider than the phone."""
    assert page.evaluate(AXE_JS) == []
    assert page.evaluate(SMALL_TARGETS_JS, [TARGET_PX]) == []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360


def test_cal_resets_his_forgotten_password_from_the_email(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    server: Server,
):
    with phone(browser) as before, phone(browser, axe=True) as context:
        old_device = before.new_page()
        old_device.goto(f"{server.url}/login")
        old_device.get_by_label("Email").fill("cal@example.org")
        old_device.get_by_label("Password", exact=True).fill(demo.PASSWORD)
        old_device.get_by_role("button", name="Sign in").click()
        expect(old_device).not_to_have_url(re.compile(r"/login"))

        page = context.new_page()
        page.goto(f"{server.url}/login")
        page.get_by_role("link", name="Forgot your password?").click()
        check(page)
        page.get_by_label("Email").fill("cal@example.org")
        page.get_by_role("button", name="Send me a link").click()
        expect(page.get_by_role("status")).to_contain_text("is on its way")
        check(page)

        message = wait_for_message(server.mailbox, "cal@example.org")
        (link,) = set(re.findall(r"http://\S+/password/reset/\S+", text_of(message)))
        assert link.startswith(f"{server.url}/password/reset/")  # the host he asked at
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
        check(page)
        page.get_by_label("New password").fill(NEW_PASSWORD)
        page.get_by_label("Password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Save my new password").click()
        expect(page.get_by_role("status").first).to_contain_text("Password changed")

        old_device.reload()
        expect(old_device).to_have_url(re.compile(r"/login"))
