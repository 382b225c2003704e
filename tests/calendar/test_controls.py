"""The calendar's buttons on *Account*: turn the feed on (its address shown once), get a new
address (the old one stops working at once), turn it off. Only a hash of the secret is stored;
each change is an audit event without it; every button needs its CSRF token and a signed-in
person."""

import hashlib

import pytest
from sqlalchemy import select

from journal.auth import accounts
from journal.calendar import feeds
from journal.extensions import db
from journal.models import AuditEvent, CalendarFeed, User
from tests.factories import table_rows
from tests.helpers import form_token
from tests.reflections.test_pages import links, parse

from .conftest import token_of, turn_on

BUTTONS = {"/calendar/feed", "/calendar/feed/revoke"}


def calendar_section(page: str):
    return parse(page).one("section", aria_labelledby="calendar")


def buttons(section) -> dict[str, str]:
    """Each button's words, and where its form posts."""
    return {
        form.one("button").text: form.attrs["action"]
        for form in section.select("form")
        if form.attrs.get("method") == "post"
    }


def audit_trail(app) -> list[tuple[str, str, str, int | None, dict]]:
    with app.app_context():
        return [
            (e.action, e.subject_type, e.subject_id, e.actor_id, e.detail)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action.startswith("calendar."))
            )
        ]


# The account page ---------------------------------------------------------------------------


def test_the_account_page_offers_to_turn_the_feed_on(cast, visit):
    section = calendar_section(visit(cast.cara).get("/account").text)

    assert buttons(section) == {"Turn on the calendar feed": "/calendar/feed"}
    assert "Nothing you write in your journal goes into it" in section.text


def test_turning_it_on_shows_the_address_once_with_a_link_to_subscribe(cast, visit):
    cara = visit(cast.cara)
    answer = cara.post("/calendar/feed", {})

    page = parse(answer.text)
    address = page.one("textarea", aria_label="Calendar address").text
    token = token_of(address.removeprefix("http://localhost"))
    assert feeds.TOKEN_PATTERN.fullmatch(token)
    assert "Shown only now" in page.text
    assert links(page, "Subscribe on this device") == [f"webcal://localhost/calendar/{token}.ics"]
    assert links(page, "Back to your account") == ["/account#calendar"]
    # From then on, the account page offers the other buttons but never shows the address.
    account = cara.get("/account").text
    assert token not in account
    assert buttons(calendar_section(account)) == {
        "Get a new address": "/calendar/feed",
        "Turn off": "/calendar/feed/revoke",
    }


def test_the_address_is_shown_whole_with_a_copy_button_and_a_phones_steps_first(cast, visit):
    page = parse(visit(cast.cara).post("/calendar/feed", {}).text)

    # Whole, wrapped over lines, not cut off in a one-line box.
    field = page.one("textarea", aria_label="Calendar address")
    assert "readonly" in field.attrs and int(field.attrs["rows"]) >= 2
    copy = page.one("button", data_copy=field.attrs["id"])
    assert copy.text == "Copy" and "hidden" in copy.attrs  # static/copy.js shows it
    steps = page.one("section", aria_labelledby="how")
    headings = [h.text for h in steps.select("h3")]
    assert headings == ["On an Android phone", "On an iPhone or iPad", "On a computer"]
    android = steps.one("ol", cls="android").text
    # Google Calendar's app cannot subscribe by address: its website in the phone's browser can.
    assert "Tap Copy" in android and "phone’s browser" in android and "From URL" in android
    assert "Sync" in android
    assert "Subscribe on this device" in steps.one("ol", cls="iphone").text


def test_only_a_hash_of_the_secret_is_stored(app, cast, subscribe):
    token = token_of(subscribe(cast.cara))

    with app.app_context():
        feed = db.session.get(CalendarFeed, cast.cara.id)
        assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    everything = repr(table_rows(app))
    assert token not in everything


def test_a_new_address_ends_the_old_one_at_once(app, cast, visit, calendar_app):
    cara = visit(cast.cara)
    old = turn_on(cara)
    assert calendar_app(old).status_code == 200

    answer = cara.post("/calendar/feed", {})

    new = parse(answer.text).one("textarea", aria_label="Calendar address").text
    new = new.removeprefix("http://localhost")
    assert "Your previous address no longer works" in answer.text
    assert new != old
    assert calendar_app(old).status_code == 404
    assert calendar_app(new).status_code == 200


def test_turning_it_off_ends_the_address_and_offers_to_turn_it_on_again(cast, visit, calendar_app):
    cara = visit(cast.cara)
    path = turn_on(cara)

    answer = cara.post("/calendar/feed/revoke", {})

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/account#calendar"
    assert calendar_app(path).status_code == 404
    account = cara.get("/account").text
    assert "Your calendar feed is off: its address no longer works." in account
    assert buttons(calendar_section(account)) == {"Turn on the calendar feed": "/calendar/feed"}


def test_turning_it_off_twice_says_so_and_records_nothing_more(app, cast, visit):
    cara = visit(cast.cara)
    turn_on(cara)
    cara.post("/calendar/feed/revoke", {})
    before = table_rows(app)

    cara.post("/calendar/feed/revoke", {})

    assert "Your calendar feed was already off." in cara.get("/account").text
    assert table_rows(app) == before


def test_each_persons_address_is_their_own(cast, subscribe, visit, calendar_app):
    cara = subscribe(cast.cara)
    cal = visit(cast.cal)
    turn_on(cal)
    cal.post("/calendar/feed/revoke", {})

    assert calendar_app(cara).status_code == 200


def test_each_change_is_in_the_audit_trail_without_the_secret(app, cast, visit):
    cara = visit(cast.cara)
    first, second = turn_on(cara), turn_on(cara)
    cara.post("/calendar/feed/revoke", {})

    trail = audit_trail(app)
    subject = ("calendar_feed", str(cast.cara.id), cast.cara.id, {})
    assert trail == [
        ("calendar.created", *subject),
        ("calendar.renewed", *subject),
        ("calendar.revoked", *subject),
    ]
    with app.app_context():
        events = repr(db.session.execute(select(AuditEvent.__table__)).all())
    for path in (first, second):
        token = token_of(path)
        assert token not in events
        assert feeds.token_hash(token) not in events


def test_removing_an_account_removes_its_feed(app, cast, subscribe, calendar_app):
    path = subscribe(cast.cara)
    with app.app_context():
        accounts.remove_user(db.session.get(User, cast.cara.id))
        db.session.commit()

    assert calendar_app(path).status_code == 404


def test_the_same_button_sent_twice_at_once_makes_one_address(app, cast, monkeypatch):
    """The second request finds no feed to renew, then cannot insert the one the first request
    made a moment ago: it renews that one instead of failing."""
    with app.app_context():
        cara = db.session.get(User, cast.cara.id)
        feeds.turn_on(cara)
        db.session.commit()
        replace = feeds._replace
        calls = []

        def too_late_the_first_time(user, values):
            calls.append(user.id)
            return replace(user, values) if len(calls) > 1 else False

        monkeypatch.setattr(feeds, "_replace", too_late_the_first_time)
        token, renewed = feeds.turn_on(cara)
        db.session.commit()

        assert renewed and len(calls) == 2
        stored = db.session.scalars(select(CalendarFeed)).all()
        assert [feed.token_hash for feed in stored] == [feeds.token_hash(token)]


# Who may press the buttons ------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(BUTTONS))
def test_a_button_without_its_csrf_token_changes_nothing(app, cast, visit, path):
    cara = visit(cast.cara)
    turn_on(cara)
    before = table_rows(app)

    answer = cara.post(path, {}, csrf=False)

    assert answer.status_code == 400
    assert "The form expired or was sent from elsewhere" in answer.text
    assert table_rows(app) == before


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", sorted([*BUTTONS, "/account"]))
def test_someone_signed_out_is_asked_to_sign_in(app, cast, browser, path, method):
    client = browser()
    data = {"csrf_token": form_token(client)} if method == "POST" else None
    before = table_rows(app)

    answer = client.open(path, method=method, data=data)

    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/login?next={path}"
    assert table_rows(app) == before


@pytest.mark.parametrize("path", sorted(BUTTONS))
def test_opening_a_buttons_address_leads_to_the_buttons(app, cast, visit, path):
    """After signing in, `next` brings someone to the address of the button they pressed."""
    before = table_rows(app)

    answer = visit(cast.cara).get(path)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/account#calendar"
    assert table_rows(app) == before


def test_unknown_fields_are_ignored(app, cast, visit, calendar_app):
    cara = visit(cast.cara)
    answer = cara.post("/calendar/feed", {"token": "A" * 43, "user_id": str(cast.cal.id)})

    address = parse(answer.text).one("textarea", aria_label="Calendar address").text
    assert "A" * 43 not in address
    with app.app_context():
        assert db.session.scalars(select(CalendarFeed.user_id)).all() == [cast.cara.id]


@pytest.mark.parametrize("on", [False, True], ids=["feed off", "feed on"])
def test_the_account_page_costs_one_statement_for_the_feed(cast, visit, count_queries, on):
    cara = visit(cast.cara)
    if on:
        turn_on(cara)

    with count_queries() as counted:
        assert cara.get("/account").status_code == 200

    # The signed-in user with their sets (every page), then their feed.
    assert len(counted) == 2, counted.statements
