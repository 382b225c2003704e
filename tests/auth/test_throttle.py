"""Throttling password guesses: only a wrong password counts; limits per address and per account,
and a browser that has signed in to an account guesses from a pool of its own (OWASP's device
cookies), so strangers cannot lock the owner out."""

import json
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous.encoding import base64_decode, base64_encode

from journal.extensions import db
from tests.factories import NEW_PASSWORD, PASSWORD, make_invitation
from tests.helpers import AuthActions, accept, csrf_token_of, make_app

WRONG = "not-the-password"
OWNER_ADDRESS = "198.51.100.1"
ELSEWHERE = "198.51.100.2"
STRANGERS = [f"203.0.113.{number}" for number in range(1, 6)]
DEVICE = "device"  # DEVICE_COOKIE_NAME


@pytest.fixture
def person(make):
    return make.user("Cara")


@pytest.fixture
def clock(monkeypatch) -> Callable[[timedelta], None]:
    """`clock(delta)` moves time.time() on: the limiter's windows and device cookies' ages."""
    real = time.time
    offset = timedelta(0)

    def advance(delta: timedelta) -> None:
        nonlocal offset
        offset += delta

    monkeypatch.setattr(time, "time", lambda: real() + offset.total_seconds())
    return advance


@pytest.fixture
def other_installation(app):
    """An app on the same database with another SECRET_KEY."""
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="another-installation")
    yield other
    with other.app_context():
        db.engine.dispose()


def at(app: Flask, address: str) -> FlaskClient:
    """A new browser, without cookies, whose TCP peer address is `address`."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def sign_in(browser: FlaskClient, email: str, password: str = PASSWORD, **headers) -> int:
    token = csrf_token_of(browser.get("/login", headers=headers).text)
    data = {"email": email, "password": password, "csrf_token": token}
    return browser.post("/login", data=data, headers=headers).status_code


def change_password(
    browser: FlaskClient, current: str, new: str = NEW_PASSWORD, confirm: str | None = None
) -> int:
    data = {
        "current_password": current,
        "password": new,
        "confirm": new if confirm is None else confirm,
        "csrf_token": csrf_token_of(browser.get("/account").text),
    }
    return browser.post("/account", data=data).status_code


def known_device(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    """The owner's browser: it has signed in to the account before, then signed out."""
    device = at(app, OWNER_ADDRESS)
    assert sign_in(device, email, password) == 302
    assert AuthActions(device).logout().status_code == 302
    assert device.get_cookie(DEVICE) is not None  # signing out keeps it
    return device


def strangers_guess(app: Flask, email: str) -> list[int]:
    """A wrong password from each of five addresses, each a new browser."""
    return [sign_in(at(app, address), email, WRONG) for address in STRANGERS]


def with_device_cookie(app: Flask, value: str, address: str = OWNER_ADDRESS) -> FlaskClient:
    browser = at(app, address)
    browser.set_cookie(DEVICE, value)
    return browser


# Strangers guessing


def test_strangers_at_five_addresses_do_not_lock_out_a_known_device(app, person):
    device = known_device(app, person.email)

    assert strangers_guess(app, person.email) == [400] * 5

    assert sign_in(device, person.email) == 302


def test_after_strangers_guessed_a_new_device_waits_until_the_window_passes(app, person, clock):
    assert strangers_guess(app, person.email) == [400] * 5

    refused = AuthActions(at(app, OWNER_ADDRESS)).login(person.email)
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert "Retry-After" in refused.headers
    clock(timedelta(minutes=9))
    assert sign_in(at(app, OWNER_ADDRESS), person.email) == 429
    clock(timedelta(minutes=1, seconds=5))
    assert sign_in(at(app, OWNER_ADDRESS), person.email) == 302


def test_the_address_limit_stops_guessing_across_many_accounts(app, make, person):
    accounts = [make.user(f"P{number}").email for number in range(3)]
    accounts += [f"nobody{number}@example.org" for number in range(17)]

    guesses = [sign_in(at(app, "203.0.113.9"), email, WRONG) for email in accounts]

    assert guesses == [400] * 20
    assert sign_in(at(app, "203.0.113.9"), person.email) == 429
    assert sign_in(at(app, "203.0.113.10"), person.email) == 302


def test_a_forwarded_for_header_is_not_trusted(app, person):
    for number in range(20):
        spoofed = {"X-Forwarded-For": f"192.0.2.{number}", "X-Real-IP": f"192.0.2.{number}"}
        assert sign_in(at(app, "203.0.113.9"), f"n{number}@example.org", WRONG, **spoofed) == 400

    claimed = {"X-Forwarded-For": OWNER_ADDRESS, "X-Real-IP": OWNER_ADDRESS}
    assert sign_in(at(app, "203.0.113.9"), person.email, **claimed) == 429


# Only wrong passwords count


def test_refused_new_passwords_and_refused_forms_count_nothing(app, person):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "5 per 10 minutes"  # the address pool is tested too
    owner = at(app, OWNER_ADDRESS)
    assert sign_in(owner, person.email) == 302

    refused = [
        change_password(owner, PASSWORD, "password"),
        change_password(owner, PASSWORD, "12345678"),
        change_password(owner, PASSWORD, "iloveyou"),
        change_password(owner, PASSWORD, NEW_PASSWORD, confirm="a-different-passphrase"),
        change_password(owner, PASSWORD, ""),
        change_password(owner, "", NEW_PASSWORD),
        owner.post("/account", data={"current_password": WRONG, "password": NEW_PASSWORD}),
    ]
    stranger = at(app, OWNER_ADDRESS)
    refused += [
        stranger.post("/login", data={"email": person.email, "password": WRONG}),  # no token
        sign_in(stranger, person.email, ""),
    ]

    assert [getattr(answer, "status_code", answer) for answer in refused] == [400] * 9
    assert sign_in(at(app, ELSEWHERE), person.email) == 302
    # Neither this address and the owner's device, nor the account, has lost a single guess.
    assert [change_password(owner, f"guess-{number}") for number in range(5)] == [400] * 5
    assert strangers_guess(app, person.email) == [400] * 5


def test_wrong_current_passwords_count_against_the_device_on_both_pages(app, person):
    owner = at(app, OWNER_ADDRESS)
    assert sign_in(owner, person.email) == 302

    guesses = [change_password(owner, f"guess-{number}") for number in range(5)]

    assert guesses == [400] * 5
    assert change_password(owner, PASSWORD) == 429
    assert AuthActions(owner).logout().status_code == 302
    assert sign_in(owner, person.email) == 429  # one pool for both pages
    # The guesses came with the device cookie: the account's pool for other devices is intact.
    assert sign_in(at(app, ELSEWHERE), person.email) == 302


def test_wrong_current_passwords_with_a_stolen_session_count_against_the_account(app, person):
    owner = at(app, OWNER_ADDRESS)
    assert sign_in(owner, person.email) == 302
    thief = at(app, "203.0.113.7")
    thief.set_cookie("session", owner.get_cookie("session").value)  # not the device cookie

    guesses = [change_password(thief, f"guess-{number}") for number in range(5)]

    assert guesses == [400] * 5
    assert change_password(thief, PASSWORD) == 429
    assert sign_in(at(app, ELSEWHERE), person.email) == 429
    # The owner's own device still changes the password, which ends the stolen session.
    assert change_password(owner, PASSWORD) == 302
    assert thief.get("/api/v1/me").status_code == 401


# The device cookie


def test_wrong_passwords_from_a_known_device_count_against_that_device(app, person):
    device = known_device(app, person.email)

    guesses = [sign_in(device, person.email, WRONG) for _ in range(5)]

    assert guesses == [400] * 5
    assert sign_in(device, person.email) == 429
    # A copy of its cookie guesses from the same pool: a stolen cookie is limited too.
    copy = with_device_cookie(app, device.get_cookie(DEVICE).value, "203.0.113.7")
    assert sign_in(copy, person.email) == 429
    assert sign_in(at(app, ELSEWHERE), person.email) == 302


def test_the_right_password_gives_the_device_a_fresh_pool(app, person):
    device = known_device(app, person.email)
    before = device.get_cookie(DEVICE).value

    assert [sign_in(device, person.email, WRONG) for _ in range(4)] == [400] * 4
    assert sign_in(device, person.email) == 302
    assert device.get_cookie(DEVICE).value != before
    assert AuthActions(device).logout().status_code == 302

    assert [sign_in(device, person.email, WRONG) for _ in range(5)] == [400] * 5
    assert sign_in(device, person.email) == 429


def _tampered(value: str) -> str:
    """The cookie with the nonce of its first entry chosen by the holder, signature kept."""
    payload, signature = value.rsplit(".", 1)
    entries = json.loads(base64_decode(payload))
    entries[0][1] = "chosen-by-me"
    return base64_encode(json.dumps(entries, separators=(",", ":"))).decode() + "." + signature


@pytest.mark.parametrize("forgery", ["tampered", "other-installation", "garbage"])
def test_a_forged_device_cookie_counts_as_none(app, person, other_installation, forgery):
    if forgery == "other-installation":
        value = known_device(other_installation, person.email).get_cookie(DEVICE).value
    else:
        genuine = known_device(app, person.email).get_cookie(DEVICE).value
        value = _tampered(genuine) if forgery == "tampered" else "not-a-device-cookie"
    assert strangers_guess(app, person.email) == [400] * 5

    assert sign_in(with_device_cookie(app, value), person.email) == 429


@pytest.mark.parametrize(
    ("age", "status"),
    [(timedelta(days=179), 302), (timedelta(days=180, minutes=1), 429)],
    ids=["within-180-days", "older"],
)
def test_a_device_cookie_lasts_180_days(app, person, clock, age, status):
    device = known_device(app, person.email)
    clock(age)

    assert strangers_guess(app, person.email) == [400] * 5

    # Checked by the app, not only by the browser: an old copy is worth nothing.
    assert sign_in(device, person.email) == status


def test_a_device_cookie_for_one_account_gives_nothing_for_another(app, make, person):
    other = make.user("Bo")
    device = known_device(app, person.email)

    assert strangers_guess(app, other.email) == [400] * 5

    assert sign_in(device, other.email) == 429
    assert sign_in(device, person.email) == 302


def test_guesses_at_another_account_from_a_known_device_count_for_that_account(app, make, person):
    other = make.user("Bo")
    device = known_device(app, person.email)

    assert [sign_in(device, other.email, WRONG) for _ in range(5)] == [400] * 5

    assert sign_in(at(app, ELSEWHERE), other.email) == 429
    assert sign_in(device, person.email) == 302


def test_one_browser_vouches_for_its_five_most_recent_accounts(app, make):
    people = [make.user(f"P{number}") for number in range(6)]
    device = at(app, OWNER_ADDRESS)
    for someone in people:
        assert sign_in(device, someone.email) == 302
        assert AuthActions(device).logout().status_code == 302
    for someone in people:
        assert strangers_guess(app, someone.email) == [400] * 5

    # The first one was dropped when the sixth signed in.
    assert sign_in(device, people[0].email) == 429
    for someone in people[1:]:
        assert sign_in(device, someone.email) == 302
        assert AuthActions(device).logout().status_code == 302


def test_changing_the_password_keeps_the_device_known(app, person):
    device = at(app, OWNER_ADDRESS)
    assert sign_in(device, person.email) == 302
    before = device.get_cookie(DEVICE).value

    assert change_password(device, PASSWORD) == 302

    assert device.get_cookie(DEVICE).value != before
    assert AuthActions(device).logout().status_code == 302
    assert strangers_guess(app, person.email) == [400] * 5
    assert sign_in(device, person.email, NEW_PASSWORD) == 302


def test_the_device_that_accepted_an_invitation_is_known(app, make):
    token = make_invitation(app, "nina@example.org", "candidate", make.set().id)
    device = at(app, OWNER_ADDRESS)
    assert accept(device, token).status_code == 302
    assert AuthActions(device).logout().status_code == 302

    assert strangers_guess(app, "nina@example.org") == [400] * 5

    assert sign_in(device, "nina@example.org", NEW_PASSWORD) == 302


def _device_set_cookie(answer) -> list[str]:
    (header,) = [
        header for header in answer.headers.getlist("Set-Cookie") if header.startswith(f"{DEVICE}=")
    ]
    return [part.strip().lower() for part in header.split(";")]


def test_the_device_cookie_is_httponly_lax_lasts_180_days_and_shows_no_email(client, person):
    answer = AuthActions(client).login(person.email)

    attributes = _device_set_cookie(answer)
    assert {"httponly", "samesite=lax", f"max-age={180 * 24 * 3600}", "path=/"} <= set(attributes)
    assert "secure" not in attributes  # the test app runs over plain http, like development
    payload = client.get_cookie(DEVICE).value.rsplit(".", 1)[0]
    assert person.email not in base64_decode(payload).decode()


def test_the_device_cookie_is_secure_in_production(app, person):
    production = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"], TESTING=False, BASE_URL="https://localhost"
    )
    browser = production.test_client()
    headers = {"Referer": "https://localhost/login"}  # Flask-WTF checks it over HTTPS
    token = csrf_token_of(browser.get("https://localhost/login", headers=headers).text)

    answer = browser.post(
        "https://localhost/login",
        data={"email": person.email, "password": PASSWORD, "csrf_token": token},
        headers=headers,
    )

    assert answer.status_code == 302
    assert {"secure", "httponly", "samesite=lax"} <= set(_device_set_cookie(answer))
    with production.app_context():
        db.engine.dispose()
