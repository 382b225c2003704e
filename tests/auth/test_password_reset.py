"""Forgot your password? An address in, the same answer whether or not an account has it; the
account's owner gets an e-mail (through a real SMTP server, aiosmtpd) with a link that works
once, for an hour; choosing a new password (sign-up's rules) ends every other session and signs
this browser in. Asking is limited per address and per e-mail address asked for.

Inline (no Redis), the e-mail is sent once the response has gone: `buffered=True` makes the test
client close the response as a server does after sending it.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from journal.extensions import db
from journal.models import AuditEvent, PasswordReset
from tests.admin.common import plain
from tests.factories import NEW_PASSWORD, PASSWORD
from tests.helpers import AuthActions, csrf_token_of
from tests.mail.smtp_server import html_of, text_of

LINK = re.compile(r"(https?://[^\s\"'<>]+/password/reset/([A-Za-z0-9_-]{20,}))")


@pytest.fixture
def cal(make):
    return make.user("Cal Candidate", email="cal@example.org")


def ask(client, email: str):
    token = csrf_token_of(client.get("/password/forgot").text)
    return client.post(
        "/password/forgot", data={"csrf_token": token, "email": email}, buffered=True
    )


def choose(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    token = csrf_token_of(client.get(path).text)
    return client.post(
        path,
        data={
            "csrf_token": token,
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def link_in(mailbox, email: str) -> tuple[str, str]:
    (message,) = mailbox.to(email)
    (found,) = set(LINK.findall(text_of(message)))
    return found


def test_the_sign_in_page_offers_to_reset_a_forgotten_password(client):
    page = client.get("/login").text
    assert 'href="/password/forgot"' in page
    assert "Forgot your password?" in page


def test_cal_resets_his_password_from_the_email_and_every_other_session_ends(
    app, client, browser, cal, mailbox
):
    elsewhere = browser(cal.email)  # signed in on another device before
    assert elsewhere.get("/account").status_code == 200

    answer = ask(client, "  Cal@Example.org ")

    assert answer.status_code == 200
    assert "a link to choose a new password is on its way" in plain(answer.text)
    (message,) = mailbox.messages
    assert message["To"] == "cal@example.org"
    assert message["Subject"] == "Choose a new Set Journal password"
    address, _token = link_in(mailbox, "cal@example.org")
    assert address.startswith("http://localhost/password/reset/")
    assert address in html_of(message)
    assert "Hello Cal Candidate" in text_of(message)

    path = address.removeprefix("http://localhost")
    assert "For cal@example.org" in plain(client.get(path).text)
    chosen = choose(client, path)

    assert chosen.status_code == 302
    assert chosen.location == "/"
    assert client.get("/account").status_code == 200  # this browser is signed in
    assert elsewhere.get("/account").status_code == 302  # the other device is not
    assert AuthActions(app.test_client()).login(cal.email, PASSWORD).status_code == 400
    assert AuthActions(app.test_client()).login(cal.email, NEW_PASSWORD).status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.password_reset" in actions


def test_the_link_works_once(app, client, cal, mailbox):
    ask(client, cal.email)
    address, _ = link_in(mailbox, cal.email)
    path = address.removeprefix("http://localhost")
    assert choose(client, path).status_code == 302

    stranger = app.test_client()
    assert stranger.get(path).status_code == 404
    again = choose(app.test_client(), path, password="another-long-passphrase")
    assert again.status_code == 404
    assert "it may have been used or have expired" in plain(stranger.get(path).text)
    assert AuthActions(app.test_client()).login(cal.email, NEW_PASSWORD).status_code == 302


def test_a_newer_link_is_also_spent_once_one_is_used(app, client, cal, mailbox):
    ask(client, cal.email)
    ask(client, cal.email)
    first, second = (LINK.findall(text_of(m))[0][0] for m in mailbox.messages)
    assert first != second

    assert choose(client, first.removeprefix("http://localhost")).status_code == 302
    assert app.test_client().get(second.removeprefix("http://localhost")).status_code == 404


def test_the_link_expires_after_an_hour(app, client, cal, mailbox):
    ask(client, cal.email)
    address, _ = link_in(mailbox, cal.email)
    path = address.removeprefix("http://localhost")
    with app.app_context():
        reset = db.session.scalar(select(PasswordReset))
        assert timedelta(minutes=59) < reset.expires_at - reset.created_at <= timedelta(hours=1)
        reset.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()

    assert client.get(path).status_code == 404
    assert choose(client, path).status_code == 404
    assert AuthActions(app.test_client()).login(cal.email, PASSWORD).status_code == 302


def test_only_a_hash_of_the_link_is_stored(app, client, cal, mailbox):
    ask(client, cal.email)
    _, token = link_in(mailbox, cal.email)
    with app.app_context():
        stored = db.session.scalar(select(PasswordReset.token_hash))
    assert token not in stored and len(stored) == 64


def test_an_unknown_address_gets_no_mail_and_the_same_page(client, cal, mailbox):
    known = ask(client, cal.email)
    unknown = ask(client, "nobody@example.org")

    assert unknown.status_code == known.status_code == 200
    same = plain(known.text).replace(cal.email, "ADDRESS")
    assert plain(unknown.text).replace("nobody@example.org", "ADDRESS") == same
    assert mailbox.to("nobody@example.org") == []
    assert len(mailbox.messages) == 1


def test_a_made_up_link_is_not_found(client):
    assert client.get("/password/reset/not-a-real-token-at-all-xxxxxxx").status_code == 404
    answer = choose(client, "/password/reset/not-a-real-token-at-all-xxxxxxx")
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("", "This field is required."),
        ("not-an-address", "Invalid email address."),
        ("x" * 250 + "@example.org", "Field cannot be longer than 254 characters."),
    ],
)
def test_asking_with_a_bad_address_shows_the_form_again(client, mailbox, email, problem):
    answer = ask(client, email)

    assert answer.status_code == 400
    assert problem in plain(answer.text)
    assert f'value="{email}"' in answer.text if email else True
    assert mailbox.messages == []


def test_asking_without_the_csrf_token_is_refused(client, cal, mailbox):
    answer = client.post("/password/forgot", data={"email": cal.email}, buffered=True)
    assert answer.status_code == 400
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("password", "confirm", "problem"),
    [
        ("short", "short", "Use at least 8 characters."),
        ("password", "password", "This password is too common"),
        ("cal@example.org", "cal@example.org", None),  # allowed: not the local part alone
        ("cal", "cal", "Use at least 8 characters."),
        (NEW_PASSWORD, "something-else-entirely", "The passwords differ."),
        ("", "", "This field is required."),
        ("x" * 257, "x" * 257, "Field cannot be longer than 256 characters."),
    ],
)
def test_a_refused_new_password_keeps_the_link_working(
    app, client, cal, mailbox, password, confirm, problem
):
    ask(client, cal.email)
    path = link_in(mailbox, cal.email)[0].removeprefix("http://localhost")

    answer = choose(client, path, password, confirm)

    if problem is None:
        assert answer.status_code == 302
        return
    assert answer.status_code == 400
    assert problem in plain(answer.text)
    assert client.get(path).status_code == 200
    assert AuthActions(app.test_client()).login(cal.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "app_config", [{"RESET_LIMIT_PER_EMAIL": "2 per hour", "RESET_LIMIT_PER_ADDRESS": "3 per hour"}]
)
def test_asking_is_limited_per_email_address_and_per_requester(app, cal, mailbox):
    def at(address: str):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = address
        return browser

    one, two = at("198.51.100.1"), at("198.51.100.2")
    assert [ask(one, cal.email).status_code for _ in range(2)] == [200, 200]
    assert ask(two, cal.email).status_code == 429  # that address asked for enough
    assert ask(two, "other@example.org").status_code == 200
    assert ask(one, "third@example.org").status_code == 200  # its third
    assert ask(one, "fourth@example.org").status_code == 429  # that requester asked enough
    assert len(mailbox.messages) == 2


def test_a_refused_form_counts_nothing_against_the_limit(app, cal, mailbox):
    browser = app.test_client()
    for _ in range(8):
        assert ask(browser, "not-an-address").status_code == 400
    assert ask(browser, cal.email).status_code == 200
