"""Each person chooses on Account how often they are e-mailed: each time (the default), once a
day (a digest, sent by `flask send-digests`), or never; and one click in any message turns them
off (RFC 8058), without a session or a form token, but only with a genuine link."""

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from journal.extensions import db
from journal.models import Notification, User
from journal.notifications import unsubscribe
from tests.evidence.conftest import write
from tests.helpers import csrf_token_of
from tests.mail.smtp_server import html_of, text_of
from tests.reflections.test_pages import field_errors, parse

from .common import BASE_URL, LINK, choice_of, choose, send, waiting


@pytest.fixture(autouse=True)
def base_url(app):
    app.config["BASE_URL"] = BASE_URL


def comment(visit, who, reflection, body="Words that stay on the page."):
    return send(visit(who), f"/reflections/{reflection.id}/comments", {"body": body})


# The choice ----------------------------------------------------------------------------------


def test_everyone_is_e_mailed_each_time_until_they_choose(app, make, cast):
    assert choice_of(app, make.user("New")) == "each"


@pytest.mark.parametrize(
    ("choice", "messages", "kept"), [("each", 1, 0), ("daily", 0, 1), ("never", 0, 0)]
)
def test_an_event_is_sent_kept_for_the_digest_or_dropped_as_chosen(
    app, make, cast, visit, mailbox, choice, messages, kept
):
    choose(app, cast.cara, choice)
    reflection = write(make, cast)

    comment(visit, cast.fran, reflection)

    assert len(mailbox.messages) == messages
    assert waiting(app) == [(cast.cara.id, "reflection.comment", str(reflection.id), False)] * kept


# The daily digest ----------------------------------------------------------------------------


def digest_of(mailbox, user):
    (message,) = mailbox.to(user.email)
    return message


def test_the_digest_sends_each_person_their_events_in_one_message_once(
    app, make, cast, visit, mailbox, runner
):
    for person in (cast.cara, cast.ada):
        choose(app, person, "daily")
    first, second = write(make, cast), write(make, cast)
    comment(visit, cast.fran, first, "Tangerine")
    comment(visit, cast.fran, second, "Tangerine")
    send(
        visit(cast.cara),
        f"/evidence/offer/{first.id}",
        {"criteria": [str(cast.criteria["1.1"])], "declaration": "y", "base_version": "1"},
    )
    assert mailbox.messages == []

    result = runner.invoke(args=["send-digests"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Sent 2 digests."
    cara = digest_of(mailbox, cast.cara)
    assert cara["Subject"] == "Set Journal: 2 things happened today"
    assert cara["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for body in (text_of(cara), html_of(cara)):
        assert body.count("Fran Facilitator commented on your reflection.") == 2
        links = LINK.findall(body)
        assert f"{BASE_URL}/reflections/{first.id}" in links
        assert f"{BASE_URL}/reflections/{second.id}" in links
        assert "Tangerine" not in body
    ada = digest_of(mailbox, cast.ada)
    assert ada["Subject"] == "Set Journal: 1 thing happened today"
    assert "Cara Candidate offered evidence for you to assess." in text_of(ada)
    assert all(sent for *_, sent in waiting(app))

    again = runner.invoke(args=["send-digests"])

    assert again.output.strip() == "Sent 0 digests."
    assert len(mailbox.messages) == 2


def test_the_digest_leaves_out_what_the_person_may_no_longer_read(
    app, make, cast, visit, mailbox, runner
):
    choose(app, cast.fran, "daily")
    reflection = write(make, cast, "set")
    make.comment(reflection, cast.fran)
    comment(visit, cast.cara, reflection)  # Fran is to be told of Cara's answer
    assert len(waiting(app)) == 1
    with app.app_context():  # then Fran leaves Glasgow
        fran = db.session.get(User, cast.fran.id)
        fran.memberships.clear()
        db.session.commit()

    runner.invoke(args=["send-digests"])

    assert mailbox.messages == []
    assert all(sent for *_, sent in waiting(app))


def test_events_of_someone_who_then_chose_never_are_dropped(
    app, make, cast, visit, mailbox, runner
):
    choose(app, cast.cara, "daily")
    comment(visit, cast.fran, write(make, cast))
    choose(app, cast.cara, "never")

    runner.invoke(args=["send-digests"])

    assert mailbox.messages == []
    assert all(sent for *_, sent in waiting(app))


# Account -------------------------------------------------------------------------------------


def checked(page) -> list[str]:
    return [
        box.attrs["value"] for box in page.select("input", type="radio") if "checked" in box.attrs
    ]


def test_account_shows_the_choice_and_saves_another(app, cast, visit):
    visitor = visit(cast.cara)
    assert checked(visitor.page("/account")) == ["each"]

    answer = visitor.post("/account/notifications", {"email_notifications": "daily"})

    assert answer.status_code == 302
    assert answer.location == "/account#notifications"
    assert choice_of(app, cast.cara) == "daily"
    assert checked(visitor.page("/account")) == ["daily"]


@pytest.mark.parametrize(
    "data", [{}, {"email_notifications": "weekly"}, {"email_notifications": ""}]
)
def test_a_choice_not_offered_shows_the_form_again(app, cast, visit, data):
    choose(app, cast.cara, "daily")

    answer = visit(cast.cara).post("/account/notifications", data)

    assert answer.status_code == 400
    page = parse(answer.text)
    assert "email_notifications" in field_errors(page)
    assert page.one("h1").text == "Your account"
    assert choice_of(app, cast.cara) == "daily"


def test_a_file_for_the_choice_is_refused(app, cast, visit):
    from io import BytesIO

    visitor = visit(cast.cara)
    answer = visitor.client.post(
        "/account/notifications",
        data={"csrf_token": visitor.token, "email_notifications": (BytesIO(b"never"), "x.txt")},
        content_type="multipart/form-data",
    )

    assert answer.status_code == 400
    assert choice_of(app, cast.cara) == "each"


def test_the_choice_needs_the_form_token(app, cast, visit):
    answer = visit(cast.cara).post(
        "/account/notifications", {"email_notifications": "never"}, csrf=False
    )

    assert answer.status_code == 400
    assert choice_of(app, cast.cara) == "each"


def test_someone_signed_out_is_sent_to_sign_in(app, client, cast):
    token = csrf_token_of(client.get("/login").text)

    answer = client.post(
        "/account/notifications", data={"csrf_token": token, "email_notifications": "never"}
    )

    assert answer.status_code == 302
    assert answer.location.startswith("/login")
    assert client.get("/account/notifications").status_code == 405
    with app.app_context():
        assert set(db.session.scalars(select(User.email_notifications))) == {"each"}


# Unsubscribing -------------------------------------------------------------------------------


def unsubscribe_path(app, mailbox, make, cast, visit) -> str:
    comment(visit, cast.fran, write(make, cast))
    (message,) = mailbox.messages
    header = message["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    return header[1:-1].removeprefix(BASE_URL)


def test_one_click_in_the_message_turns_notifications_off(app, make, cast, visit, mailbox):
    path = unsubscribe_path(app, mailbox, make, cast, visit)
    mail_client = app.test_client()  # no session, no form token: as a mail client posts

    answer = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})

    assert answer.status_code == 200
    assert choice_of(app, cast.cara) == "never"
    assert "gets no more notification e-mails" in answer.text


def test_the_link_opened_shows_a_button_and_changes_nothing(app, make, cast, visit, mailbox):
    path = unsubscribe_path(app, mailbox, make, cast, visit)

    answer = app.test_client().get(path)

    assert answer.status_code == 200
    (form,) = parse(answer.text).select("form", method="post")
    assert form.one("button").text == "Stop these e-mails"
    assert choice_of(app, cast.cara) == "each"


def forged(app, user: User, how: str) -> str:
    with app.app_context():
        genuine = unsubscribe.token_for(user)
        secret = app.config["SECRET_KEY"]
        if how == "altered":
            payload, signature = genuine.rsplit(".", 1)
            return f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
        if how == "another person's id":
            payload, signature = genuine.rsplit(".", 1)
            other = URLSafeSerializer(secret, salt=unsubscribe.SALT).dumps(
                [user.id + 1, user.email]
            )
            return f"{other.rsplit('.', 1)[0]}.{signature}"
        if how == "another key":
            return URLSafeSerializer("not-the-key", salt=unsubscribe.SALT).dumps(
                [user.id, user.email]
            )
        if how == "another salt":
            return URLSafeSerializer(secret).dumps([user.id, user.email])
        if how == "an old address":
            return URLSafeSerializer(secret, salt=unsubscribe.SALT).dumps(
                [user.id, "old@example.org"]
            )
        return "not-a-token"


@pytest.mark.parametrize(
    "how",
    ["altered", "another person's id", "another key", "another salt", "an old address", "junk"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_altered_link_does_nothing(app, cast, how, method):
    token = forged(app, cast.cara, how)

    answer = getattr(app.test_client(), method)(f"/unsubscribe/{token}")

    assert answer.status_code == 404
    assert choice_of(app, cast.cara) == "each"
    with app.app_context():
        assert db.session.scalars(select(User.email_notifications)).all() == ["each"] * len(
            db.session.scalars(select(User.id)).all()
        )
        assert db.session.scalars(select(Notification)).all() == []


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_post_that_is_not_a_form_unsubscribes_nobody(app, cast, content_type):
    with app.app_context():
        token = unsubscribe.token_for(db.session.get(User, cast.cara.id))

    answer = app.test_client().post(
        f"/unsubscribe/{token}", data='{"List-Unsubscribe": "One-Click"}', content_type=content_type
    )

    assert answer.status_code == 400
    assert choice_of(app, cast.cara) == "each"
