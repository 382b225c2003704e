"""Signing in and out, passwords, sessions that really end, throttling, and invitations."""

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import redis
from argon2 import PasswordHasher
from flask_limiter import Limiter
from limits.storage import MemoryStorage, RedisStorage
from sqlalchemy import func, select

from journal.auth import accounts
from journal.auth.views import safe_next
from journal.extensions import db
from journal.models import AuditEvent, Invitation, Membership, User, utcnow
from tests.factories import NEW_PASSWORD, PASSWORD, make_invitation
from tests.helpers import accept, csrf_token_of, make_app

REDIS_URL = "redis://127.0.0.1:6379/0"
ARGON2_HASH = re.compile(
    r"\$argon2id\$v=19\$m=(?P<memory>\d+),t=(?P<time>\d+),p=(?P<lanes>\d+)"
    r"\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)


def argon2_parameters(password_hash: str) -> dict[str, int]:
    match = ARGON2_HASH.fullmatch(password_hash)
    assert match, f"not an argon2id hash: {password_hash!r}"
    return {name: int(value) for name, value in match.groupdict().items()}


def login_form(client, next_path: str | None = None, **headers) -> str:
    """The CSRF token of a fresh sign-in form."""
    query = {"next": next_path} if next_path is not None else None
    return csrf_token_of(client.get("/login", query_string=query, headers=headers).text)


def sign_in(
    client,
    email: str,
    password: str = PASSWORD,
    remember: bool = False,
    next_path: str | None = None,
    base: str = "",
    **headers,
):
    data = {
        "email": email,
        "password": password,
        "csrf_token": login_form(client, next_path, **headers),
    }
    if remember:
        data["remember"] = "y"
    query = {"next": next_path} if next_path is not None else None
    return client.post(f"{base}/login", data=data, query_string=query, headers=headers)


def is_signed_in(client) -> bool:
    answer = client.get("/api/v1/me")
    assert answer.status_code in (200, 401)
    return answer.status_code == 200


def client_with_cookies(app, **cookies):
    """A new browser holding only these cookies, as a thief who copied them would."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def copied_cookies(client) -> dict[str, str]:
    """The session and remember cookies of a signed-in browser, as a thief would copy them."""
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")}


@pytest.fixture
def person(make):
    """Someone in a set, so that their home page is theirs to see."""
    user = make.user("Cara")
    make.set(candidates=[user])
    return user


@pytest.fixture
def another_app(app):
    """More app instances on the same database (two server processes, say)."""
    made = []

    def making(**config):
        new = make_app(app.config["SQLALCHEMY_DATABASE_URI"], **config)
        made.append(new)
        return new

    yield making
    for other in made:
        with other.app_context():
            db.engine.dispose()


# The sign-in form


def test_login_page_shows_the_form(client):
    page = client.get("/login")

    assert page.status_code == 200
    assert '<form method="post"' in page.text
    for name in ("email", "password", "remember", "csrf_token"):
        assert f'name="{name}"' in page.text
    assert 'type="password"' in page.text


def test_signing_in_goes_home(client, person):
    answer = sign_in(client, person.email)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_email_is_matched_whatever_its_case_and_spaces(client, person):
    answer = sign_in(client, f"  {person.email.upper()} ")

    assert answer.status_code == 302
    assert is_signed_in(client)


def test_signing_in_without_csrf_token_is_refused(client, person):
    answer = client.post("/login", data={"email": person.email, "password": PASSWORD})

    assert answer.status_code == 400
    assert not is_signed_in(client)


def test_a_page_that_needs_sign_in_sends_there_and_back(client, person):
    answer = client.get("/reflections?set_id=1")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/reflections?set_id%3D1"

    signed_in = sign_in(client, person.email, next_path="/reflections?set_id=1")

    assert signed_in.headers["Location"] == "/reflections?set_id=1"


LOCAL_PATHS = [
    "/",
    "/reflections",
    "/reflections?set_id=3&page=2",
    "/actions#open",
    "/reflections/new",
    "/invite/abc-DEF_123",
]
REFUSED_NEXT = [
    "//evil.org",
    "///evil.org",
    "////evil.org/path",
    "/\\evil.org",
    "\\\\evil.org",
    "/\\/evil.org",
    "https://evil.org",
    "http://evil.org/",
    "HTTPS://evil.org",
    "https:/evil.org",
    "https:evil.org",
    "//evil.org/reflections",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/%5Cevil.org",
    "/%5cevil.org",
    "/%2F/evil.org",
    "/%2f%2fevil.org",
    "%2F%2Fevil.org",
    "\t/evil",
    "\t//evil.org",
    " //evil.org",
    "/\t/evil.org",
    "/\n/evil.org",
    "/\r\n/evil.org",
    "/\x00/evil.org",
    "evil.org",
    "reflections",
    "",
]


@pytest.mark.parametrize("target", LOCAL_PATHS)
def test_safe_next_keeps_local_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", REFUSED_NEXT)
def test_safe_next_refuses_everything_else(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", REFUSED_NEXT)
def test_signing_in_never_redirects_off_site(client, person, target):
    answer = sign_in(client, person.email, next_path=target)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_someone_signed_in_is_not_redirected_off_site_either(client, person):
    sign_in(client, person.email)

    answer = client.get("/login", query_string={"next": "//evil.org"})

    assert answer.headers["Location"] == "/"


# Failed sign-in: nothing revealed


def _without_token_and_email(page: str, email: str) -> str:
    return page.replace(csrf_token_of(page), "TOKEN").replace(email, "EMAIL")


def test_wrong_password_and_unknown_account_get_the_same_answer(app, person):
    wrong_password = sign_in(app.test_client(), person.email, "not-the-password")
    unknown = sign_in(app.test_client(), "nobody@example.org", "not-the-password")

    assert wrong_password.status_code == unknown.status_code == 400
    assert "That email and password do not match an account." in unknown.text
    assert _without_token_and_email(wrong_password.text, person.email) == _without_token_and_email(
        unknown.text, "nobody@example.org"
    )
    assert "not-the-password" not in unknown.text + wrong_password.text


@pytest.fixture
def verified_hashes(monkeypatch):
    """Every password hash sign-in checks a password against."""
    checked: list[str] = []
    real = accounts.verify_password

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", spy)
    return checked


def test_a_wrong_password_is_checked_against_the_accounts_hash(
    app, client, person, verified_hashes
):
    sign_in(client, person.email, "not-the-password")

    with app.app_context():
        assert verified_hashes == [db.session.get(User, person.id).password_hash]


def test_an_unknown_account_still_costs_an_argon2_check(client, person, verified_hashes):
    sign_in(client, "nobody@example.org", "not-the-password")

    assert len(verified_hashes) == 1
    # A real argon2id hash, with the same costs as the accounts' own.
    assert argon2_parameters(verified_hashes[0]) == argon2_parameters(person.password_hash)
    assert verified_hashes[0] != person.password_hash


# Passwords


def test_passwords_are_stored_as_argon2id_at_owasp_costs(app):
    with app.app_context():
        user = accounts.create_user("new@example.org", "New", NEW_PASSWORD)
        parameters = argon2_parameters(user.password_hash)
        assert accounts.verify_password(user.password_hash, NEW_PASSWORD)
        assert not accounts.verify_password(user.password_hash, "a-good-long-passphrasE")

    assert parameters["memory"] >= 19 * 1024  # KiB
    assert parameters["time"] >= 2
    assert parameters["lanes"] == 1
    assert NEW_PASSWORD not in user.password_hash


def test_the_same_password_gets_a_different_hash_each_time():
    assert accounts.hash_password("same-password-here") != accounts.hash_password(
        "same-password-here"
    )


def test_a_weaker_old_hash_is_upgraded_at_sign_in(app, client, make, person):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.get(User, person.id).password_hash = weak
        db.session.commit()

    assert sign_in(client, person.email).status_code == 302

    with app.app_context():
        upgraded = db.session.get(User, person.id).password_hash
    assert argon2_parameters(upgraded)["memory"] >= 19 * 1024
    assert argon2_parameters(upgraded)["time"] >= 2


LONG_PASSWORD = ("a calm river under old bridges " * 4)[:100]


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("", True),
        ("1234567", True),
        ("short", True),
        ("abcdefg", True),
        ("12345678", True),
        ("password", True),
        ("Password", True),
        ("PASSWORD1", True),
        ("qwertyuiop", True),
        ("iloveyou", True),
        ("eight ch", False),
        ("allletterslowercase", False),
        ("x" * 64, False),
        (LONG_PASSWORD, False),
        ("ünïcødé-pässwörd", False),
        ("12345678901234567890x", False),
    ],
)
def test_password_rules(password, refused):
    problem = accounts.password_problem(password)

    assert (problem is not None) is refused
    if refused:
        assert isinstance(problem, str) and problem


def test_a_hundred_character_password_works_end_to_end(app, client, make):
    long_password = LONG_PASSWORD
    assert len(long_password) == 100
    user = make.user("Long")
    make.set(candidates=[user])
    with app.app_context():
        accounts.set_password(db.session.get(User, user.id), long_password)
        db.session.commit()

    assert sign_in(client, user.email, long_password).status_code == 302


def test_a_password_equal_to_the_email_name_is_refused():
    assert accounts.password_problem("fran.macdonald", "fran.macdonald@example.org")


# Throttling


@pytest.fixture
def small_limits(app):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per hour"
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "5 per hour"


def limiter_of(app) -> Limiter:
    (limiter,) = app.extensions["limiter"]
    return limiter


def at_address(app, address: str):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_repeated_failures_for_one_account_are_refused(app, person, small_limits):
    attempts = [
        sign_in(at_address(app, "10.0.0.1"), person.email, "wrong-password").status_code
        for _ in range(3)
    ]

    assert attempts == [400, 400, 400]
    # Even the right password, even from elsewhere: the account is resting.
    assert sign_in(at_address(app, "10.0.0.2"), person.email).status_code == 429
    refused = sign_in(at_address(app, "10.0.0.3"), person.email.upper(), "wrong-password")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert "Retry-After" in refused.headers


def test_wrong_current_passwords_count_against_the_account_too(app, person, small_limits):
    owner = at_address(app, "10.0.0.3")
    sign_in(owner, person.email)
    # A copied session, but not the password, nor the owner's device cookie.
    thief = client_with_cookies(app, session=owner.get_cookie("session").value)
    thief.environ_base["REMOTE_ADDR"] = "10.0.0.4"

    guesses = [change_password(thief, f"guess-{n}", NEW_PASSWORD).status_code for n in range(3)]

    assert guesses == [400, 400, 400]
    assert change_password(thief, PASSWORD, NEW_PASSWORD).status_code == 429
    # One pool of guesses per account, whichever page they come through.
    assert sign_in(at_address(app, "10.0.0.5"), person.email).status_code == 429
    with app.app_context():
        assert accounts.verify_password(db.session.get(User, person.id).password_hash, PASSWORD)


def test_the_account_limit_leaves_other_accounts_alone(app, make, person, small_limits):
    other = make.user("Cal")
    for _ in range(3):
        sign_in(at_address(app, "10.0.0.1"), person.email, "wrong-password")

    assert sign_in(at_address(app, "10.0.0.2"), other.email).status_code == 302


def test_repeated_failures_from_one_address_are_refused(app, make, person, small_limits):
    for number in range(5):
        answer = sign_in(
            at_address(app, "10.0.0.9"), f"guess{number}@example.org", "wrong-password"
        )
        assert answer.status_code == 400

    assert sign_in(at_address(app, "10.0.0.9"), person.email).status_code == 429
    # Another address is not affected.
    assert sign_in(at_address(app, "10.0.0.10"), person.email).status_code == 302


def test_a_spoofed_forwarded_for_does_not_reset_the_address_limit(app, person, small_limits):
    for number in range(5):
        sign_in(
            at_address(app, "10.0.0.9"),
            f"guess{number}@example.org",
            "wrong-password",
            **{"X-Forwarded-For": f"192.0.2.{number}", "X-Real-IP": f"192.0.2.{number}"},
        )

    spoofed = sign_in(
        at_address(app, "10.0.0.9"),
        person.email,
        **{"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.7"},
    )

    assert spoofed.status_code == 429


def test_successful_sign_ins_do_not_count(app, person, small_limits):
    for _ in range(6):
        assert sign_in(at_address(app, "10.0.0.1"), person.email).status_code == 302

    # The failures still count from zero: three allowed, then a rest.
    failures = [
        sign_in(at_address(app, "10.0.0.1"), person.email, "wrong").status_code for _ in range(4)
    ]
    assert failures == [400, 400, 400, 429]


def test_the_login_page_itself_is_not_limited(app, person, small_limits):
    for _ in range(3):
        sign_in(at_address(app, "10.0.0.1"), person.email, "wrong-password")

    assert at_address(app, "10.0.0.1").get("/login").status_code == 200


def test_limits_live_in_memory_by_default_and_each_app_keeps_its_own(
    app, another_app, person, small_limits
):
    second = another_app(LOGIN_LIMIT_PER_ACCOUNT="3 per hour")
    for _ in range(3):
        sign_in(at_address(app, "10.0.0.1"), person.email, "wrong-password")

    assert isinstance(limiter_of(app).storage, MemoryStorage)
    assert sign_in(at_address(app, "10.0.0.2"), person.email).status_code == 429
    # A second process without Redis does not know about the first one's counts.
    assert sign_in(at_address(second, "10.0.0.2"), person.email).status_code == 302


@pytest.fixture
def redis_prefix():
    """A key prefix of our own on the shared Redis, and its keys removed afterwards."""
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(match=f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def test_with_redis_url_limits_are_kept_in_redis_and_shared(another_app, person, redis_prefix):
    limits = {
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per hour",
    }
    first, second = another_app(**limits), another_app(**limits)
    for _ in range(3):
        sign_in(at_address(first, "10.0.0.1"), person.email, "wrong-password")

    assert isinstance(limiter_of(first).storage, RedisStorage)
    connection = redis.Redis.from_url(REDIS_URL)
    assert list(connection.scan_iter(match=f"*{redis_prefix}*"))
    connection.close()
    # The second process sees the first one's failures.
    assert sign_in(at_address(second, "10.0.0.2"), person.email).status_code == 429


# Sessions that really end


def test_logout_needs_post(client, person):
    sign_in(client, person.email)

    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)


def test_logout_needs_the_csrf_token(client, person):
    sign_in(client, person.email)

    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert is_signed_in(client)


def test_logout_signs_out(client, auth, person):
    sign_in(client, person.email)

    answer = auth.logout()

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login"
    assert not is_signed_in(client)
    assert client.get("/").headers["Location"].startswith("/login")


def test_a_session_cookie_copied_before_logout_stops_working(app, client, auth, person):
    sign_in(client, person.email)
    stolen = client.get_cookie("session").value
    assert is_signed_in(client_with_cookies(app, session=stolen))

    auth.logout()

    assert not is_signed_in(client_with_cookies(app, session=stolen))
    assert client_with_cookies(app, session=stolen).get("/").status_code == 302


def test_a_remember_cookie_copied_before_logout_stops_working(app, client, auth, person):
    sign_in(client, person.email, remember=True)
    stolen = client.get_cookie("remember_token").value
    assert is_signed_in(client_with_cookies(app, remember_token=stolen))

    auth.logout()

    assert not is_signed_in(client_with_cookies(app, remember_token=stolen))


def test_logout_ends_the_sessions_on_every_device(app, person):
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, person.email)
    sign_in(laptop, person.email, remember=True)

    phone.post("/logout", data={"csrf_token": phone.get("/api/v1/me").json["csrf_token"]})

    assert not is_signed_in(laptop)


def test_a_password_change_ends_old_cookies(app, client, person):
    sign_in(client, person.email, remember=True)
    cookies = copied_cookies(client)

    with app.app_context():
        accounts.set_password(db.session.get(User, person.id), "a-brand-new-password")
        db.session.commit()

    assert not is_signed_in(client)
    assert not is_signed_in(client_with_cookies(app, session=cookies["session"]))
    assert not is_signed_in(client_with_cookies(app, remember_token=cookies["remember_token"]))
    assert sign_in(app.test_client(), person.email).status_code == 400
    assert sign_in(app.test_client(), person.email, "a-brand-new-password").status_code == 302


# Changing one's password at /account ----------------------------------------------------------


def change_password(client, current: str, new: str, confirm: str | None = None, token=True):
    data = {"current_password": current, "password": new, "confirm": confirm or new}
    if token:
        data["csrf_token"] = csrf_token_of(client.get("/account").text)
    return client.post("/account", data=data)


def test_the_account_page_shows_who_i_am_and_my_sets(app, client, make):
    person = make.user("Cara Candidate", email="cara@example.org")
    make.set("Glasgow 3", candidates=[person])
    make.set("Leeds 1", facilitators=[person])
    sign_in(client, person.email)

    page = client.get("/account")

    assert page.status_code == 200
    for shown in (
        "Cara Candidate",
        "cara@example.org",
        "Glasgow 3 (candidate)",
        "Leeds 1 (facilitator)",
    ):
        assert shown in page.text
    assert 'autocomplete="current-password"' in page.text
    assert page.text.count('autocomplete="new-password"') == 2


def test_signed_out_the_account_page_sends_to_sign_in(client):
    answer = client.get("/account")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/account"
    # A post without a session has no CSRF token to match: refused before anything else.
    assert client.post("/account", data={"current_password": PASSWORD}).status_code == 400


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remembered"])
def test_changing_my_password_keeps_me_signed_in_here_and_nowhere_else(app, person, remember):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, person.email, remember=remember)
    sign_in(elsewhere, person.email, remember=True)
    copied = {"remember_token": elsewhere.get_cookie("remember_token").value}

    answer = change_password(here, PASSWORD, NEW_PASSWORD)

    assert answer.status_code == 302
    assert "Every other device is now signed out." in here.get("/account").text
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert not is_signed_in(client_with_cookies(app, **copied))
    if remember:  # this device's new remember cookie works on its own
        kept = {"remember_token": here.get_cookie("remember_token").value}
        assert is_signed_in(client_with_cookies(app, **kept))
    assert sign_in(app.test_client(), person.email).status_code == 400
    assert sign_in(app.test_client(), person.email, NEW_PASSWORD).status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.password_changed" in actions


REFUSED_CHANGES = [
    pytest.param(
        "not-my-password",
        NEW_PASSWORD,
        None,
        "That is not your current password.",
        id="wrong current password",
    ),
    pytest.param(PASSWORD, "short", None, "Use at least 8 characters.", id="too short"),
    pytest.param(PASSWORD, "password123", None, "too common", id="common"),
    pytest.param(
        PASSWORD, NEW_PASSWORD, "something-else", "The passwords differ.", id="confirmation differs"
    ),
    pytest.param(PASSWORD, "", None, "This field is required.", id="empty"),
]


@pytest.mark.parametrize(("current", "new", "confirm", "message"), REFUSED_CHANGES)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app, client, person, current, new, confirm, message
):
    sign_in(client, person.email)
    with app.app_context():
        before = db.session.get(User, person.id).password_hash

    answer = change_password(client, current, new, confirm)

    assert answer.status_code == 400
    assert message in answer.text
    assert NEW_PASSWORD not in answer.text and PASSWORD not in answer.text  # never echoed
    with app.app_context():
        assert db.session.get(User, person.id).password_hash == before
    assert is_signed_in(client)


def test_changing_my_password_needs_the_csrf_token(app, client, person):
    sign_in(client, person.email)

    answer = change_password(client, PASSWORD, NEW_PASSWORD, token=False)

    assert answer.status_code == 400
    assert sign_in(app.test_client(), person.email).status_code == 302  # still the old one


def test_removing_an_account_ends_its_cookies(app, client, person):
    sign_in(client, person.email, remember=True)
    cookies = copied_cookies(client)

    with app.app_context():
        accounts.remove_user(db.session.get(User, person.id))
        db.session.commit()
        assert db.session.get(User, person.id) is None
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0

    assert not is_signed_in(client)
    assert not is_signed_in(client_with_cookies(app, **cookies))
    assert sign_in(app.test_client(), person.email).status_code == 400


def test_a_new_sign_in_starts_a_new_session(app, client, person):
    # Whatever an attacker planted in the session before sign-in does not survive it.
    with client.session_transaction() as planted:
        planted["planted"] = "by someone else"

    sign_in(client, person.email)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] != str(person.id)  # the session token, not the id


def _set_cookies(answer) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in answer.headers.getlist("Set-Cookie")}


def test_cookies_are_httponly_and_samesite_lax(client, person):
    cookies = _set_cookies(sign_in(client, person.email, remember=True))

    for name in ("session", "remember_token"):
        attributes = [part.strip().lower() for part in cookies[name].split(";")]
        assert "httponly" in attributes
        assert "samesite=lax" in attributes
        # The test app runs over plain http, like development.
        assert "secure" not in attributes


def test_the_remember_cookie_lasts_30_days_not_a_year(client, person):
    before = datetime.now(UTC)
    cookie = _set_cookies(sign_in(client, person.email, remember=True))["remember_token"]

    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    lifetime = parsedate_to_datetime(expires) - before
    assert timedelta(days=30) - timedelta(minutes=1) <= lifetime <= timedelta(days=30, minutes=1)


def test_without_remember_there_is_no_remember_cookie_and_a_browser_session(client, person):
    cookies = _set_cookies(sign_in(client, person.email))

    assert "remember_token" not in cookies
    assert "expires" not in cookies["session"].lower()


def test_production_cookies_are_secure(another_app, person):
    production = another_app(TESTING=False, BASE_URL="https://localhost")
    browser = production.test_client()
    headers = {"Referer": "https://localhost/login"}  # Flask-WTF checks it over HTTPS

    answer = sign_in(browser, person.email, remember=True, base="https://localhost", **headers)

    assert answer.status_code == 302
    cookies = _set_cookies(answer)
    for name in ("session", "remember_token"):
        attributes = [part.strip().lower() for part in cookies[name].split(";")]
        assert {"secure", "httponly", "samesite=lax"} <= set(attributes)


# Invitations


@pytest.fixture
def learning_set(make):
    return make.set(name="Glasgow 3")


def test_an_invitation_creates_an_account_in_its_set(app, client, learning_set):
    token = make_invitation(app, "Nina@Example.org", "candidate", learning_set.id)

    page = client.get(f"/invite/{token}")
    assert page.status_code == 200
    assert "nina@example.org" in page.text
    assert "Glasgow 3" in page.text

    answer = accept(client, token)

    assert answer.status_code == 302
    assert client.get("/api/v1/me").json["sets"] == [
        {"id": learning_set.id, "name": "Glasgow 3", "role": "candidate"}
    ]
    with app.app_context():
        user = accounts.find_user("nina@example.org")
        assert user.name == "Nina New"
        assert argon2_parameters(user.password_hash)["time"] >= 2
    assert sign_in(app.test_client(), "nina@example.org", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("role", ["assessor", "admin"])
def test_invitations_without_a_set(app, client, role):
    token = make_invitation(app, "someone@example.org", role)

    assert accept(client, token).status_code == 302

    me = client.get("/api/v1/me").json
    assert me["sets"] == []
    assert me["is_admin"] is (role == "admin")


def test_an_invitation_works_only_once(app, client, learning_set):
    token = make_invitation(app, "nina@example.org", "candidate", learning_set.id)
    accept(client, token)

    again = app.test_client().get(f"/invite/{token}")

    assert again.status_code == 404
    assert "This invitation link is not valid" in again.text
    assert accept(app.test_client(), token, name="Imposter").status_code == 404


def test_an_expired_invitation_is_not_found(app, client, learning_set):
    token = make_invitation(app, "nina@example.org", "candidate", learning_set.id)
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

    assert client.get(f"/invite/{token}").status_code == 404
    assert accept(client, token).status_code == 404
    with app.app_context():
        assert accounts.find_user("nina@example.org") is None


def test_invitations_expire_after_the_configured_lifetime(app, learning_set):
    token = make_invitation(app, "nina@example.org", "candidate", learning_set.id)
    lifetime = app.config["INVITATION_LIFETIME"]

    with app.app_context():
        assert accounts.open_invitation(token, now=utcnow() + lifetime - timedelta(minutes=1))
        assert (
            accounts.open_invitation(token, now=utcnow() + lifetime + timedelta(minutes=1)) is None
        )


def test_a_revoked_invitation_is_not_found(app, client, learning_set):
    token = make_invitation(app, "nina@example.org", "candidate", learning_set.id)
    with app.app_context():
        accounts.revoke_invitation(db.session.scalar(select(Invitation)), revoked_by=None)
        db.session.commit()

    assert client.get(f"/invite/{token}").status_code == 404
    assert accept(client, token).status_code == 404


@pytest.mark.parametrize("token", ["wrong", "x" * 43, "", "%00"])
def test_a_wrong_token_is_not_found(app, client, learning_set, token):
    make_invitation(app, "nina@example.org", "candidate", learning_set.id)

    assert client.get(f"/invite/{token}").status_code == 404


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", None, "at least 8 characters"),
        ("password", None, "too common"),
        (NEW_PASSWORD, "a-different-passphrase", "The passwords differ."),
    ],
)
def test_a_refused_password_keeps_what_was_typed_but_the_password(
    app, client, learning_set, password, confirm, message
):
    token = make_invitation(app, "nina@example.org", "candidate", learning_set.id)

    answer = accept(client, token, name="Nina Nouveau", password=password, confirm=confirm)

    assert answer.status_code == 400
    assert message in answer.text
    assert 'value="Nina Nouveau"' in answer.text
    assert f'value="{password}"' not in answer.text
    with app.app_context():
        assert accounts.find_user("nina@example.org") is None
        assert db.session.scalar(select(Invitation)).used_at is None
    # The invitation can still be used.
    assert accept(client, token).status_code == 302


def test_an_invitation_without_csrf_token_is_refused(app, client, learning_set):
    token = make_invitation(app, "nina@example.org", "candidate", learning_set.id)

    answer = client.post(
        f"/invite/{token}",
        data={
            "name": "Nina",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )

    assert answer.status_code == 400
    with app.app_context():
        assert accounts.find_user("nina@example.org") is None


def test_an_invitation_for_an_existing_account_needs_that_account(app, make, learning_set):
    existing = make.user("Cal")
    someone_else = make.user("Sam")
    token = make_invitation(app, existing.email, "candidate", learning_set.id)
    anonymous, other = app.test_client(), app.test_client()
    sign_in(other, someone_else.email)

    for browser in (anonymous, other):
        page = browser.get(f"/invite/{token}")
        assert page.status_code == 200
        assert f"Sign in as {existing.email}" in page.text
        assert 'name="password"' not in page.text
        # Posting anyway (with a valid token) does not join anyone to the set.
        browser.post(
            f"/invite/{token}",
            data={
                "csrf_token": csrf_token_of(page.text),
                "name": "x",
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
        )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
        assert accounts.open_invitation(token) is not None


def test_an_existing_account_joins_the_set_after_signing_in(app, client, make, learning_set):
    existing = make.user("Cal")
    token = make_invitation(app, existing.email, "facilitator", learning_set.id)
    page = client.get(f"/invite/{token}")
    sign_in_link = re.search(r'href="(/login\?next=[^"]+)"', page.text).group(1)
    next_path = sign_in_link.split("next=", 1)[1].replace("%2F", "/")
    assert next_path == f"/invite/{token}"

    signed_in = sign_in(client, existing.email, next_path=next_path)
    assert signed_in.headers["Location"] == f"/invite/{token}"
    join = client.get(f"/invite/{token}")
    assert join.status_code == 200
    joined = client.post(f"/invite/{token}", data={"csrf_token": csrf_token_of(join.text)})

    assert joined.status_code == 302
    assert client.get("/api/v1/me").json["sets"] == [
        {"id": learning_set.id, "name": "Glasgow 3", "role": "facilitator"}
    ]
    assert client.get(f"/invite/{token}").status_code == 404
    with app.app_context():
        # Their password and name are untouched.
        assert db.session.get(User, existing.id).password_hash == existing.password_hash


def test_the_invitation_token_is_stored_only_as_a_hash(app, learning_set):
    token = make_invitation(app, "nina@example.org", "candidate", learning_set.id)

    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        stored = {
            column.key: getattr(invitation, column.key) for column in Invitation.__table__.columns
        }
        events = db.session.scalars(select(AuditEvent)).all()
    assert len(token) >= 40
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in stored.values())
    assert all(token not in str(event.detail) for event in events)


def test_invitations_need_a_set_exactly_when_the_role_has_one(app, learning_set):
    with app.app_context():
        from journal.models import LearningSet

        a_set = db.session.get(LearningSet, learning_set.id)
        for role in ("candidate", "facilitator"):
            with pytest.raises(accounts.InvitationError):
                accounts.invite("x@example.org", role, None, None)
        for role in ("assessor", "admin"):
            with pytest.raises(accounts.InvitationError):
                accounts.invite("x@example.org", role, a_set, None)
        with pytest.raises(ValueError):
            accounts.invite("x@example.org", "superuser", None, None)
