"""Sending e-mail: the MAIL_URL forms, messages with a text and an HTML part whose links are
absolute, the whole message in the log without MAIL_URL, and a mail server that refuses or is not
there: the page is answered all the same, and an admin sees what was not delivered (never its
words). Through a real SMTP server (aiosmtpd), no mock.

Inline (no Redis) a message goes once the response has been sent: `buffered=True` makes the test
client close the response as a server does.
"""

import logging
import re

import pytest
from sqlalchemy import select

from journal.extensions import db
from journal.mail.smtp import MailServer
from journal.models import FailedMail
from tests.admin.common import plain
from tests.helpers import form_token, make_app
from tests.mail.smtp_server import free_port, html_of, text_of

LINK = re.compile(r"https?://[^\s\"'<>]+/invite/[A-Za-z0-9_-]{20,}")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, False, False, None, None)),
        (
            "smtp://ann%40x.org:p%3Ass@mail.example.org:587?starttls=true",
            ("mail.example.org", 587, False, True, "ann@x.org", "p:ss"),
        ),
        ("smtps://mail.example.org", ("mail.example.org", 465, True, False, None, None)),
        ("smtps://u:p@mail.example.org:2465", ("mail.example.org", 2465, True, False, "u", "p")),
    ],
)
def test_mail_url_names_the_server_its_security_and_login(url, expected):
    server = MailServer.from_url(url)
    assert (
        server.host,
        server.port,
        server.implicit_tls,
        server.starttls,
        server.username,
        server.password,
    ) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "mail.example.org:25"])
def test_a_mistyped_mail_url_stops_the_app_saying_why(url, tmp_path):
    with pytest.raises(ValueError, match="MAIL_URL must look like"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", MAIL_URL=url)


def invite(admin, glasgow, email: str = "nina@example.org"):
    return admin.post(
        "/admin/invitations",
        data={
            "email": email,
            "role": "candidate",
            "set_id": str(glasgow.id),
            "csrf_token": form_token(admin),
        },
        buffered=True,
    )


def test_a_message_has_a_text_and_an_html_part_with_the_same_absolute_link(
    app, admin, glasgow, mailbox
):
    answer = invite(admin, glasgow)

    (message,) = mailbox.messages
    assert message["From"] == "Set Journal <no-reply@localhost>"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    (shown,) = LINK.findall(answer.text)
    assert LINK.findall(text_of(message)) == [shown]
    assert shown in LINK.findall(html_of(message))
    assert shown.startswith("http://localhost/invite/")


def test_links_start_with_base_url_when_it_is_set(app, admin, glasgow, mailbox):
    app.config["BASE_URL"] = "https://journal.example.org/cohorts"
    app.config["MAIL_FROM"] = "Journal <journal@example.org>"

    invite(admin, glasgow)

    (message,) = mailbox.messages
    (link,) = LINK.findall(text_of(message))
    assert link.startswith("https://journal.example.org/cohorts/invite/")
    assert message["From"] == "Journal <journal@example.org>"


def test_without_mail_url_the_whole_message_is_logged_with_its_links_readable(
    app, admin, glasgow, caplog
):
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        answer = invite(admin, glasgow)

    (link,) = LINK.findall(answer.text)
    (record,) = [r for r in caplog.records if "MAIL_URL is not set" in r.getMessage()]
    logged = record.getMessage()
    assert "To: nina@example.org" in logged
    assert "Subject: Alex Admin invites you to Set Journal" in logged
    assert logged.count(link) == 3  # unbroken: in the text, and as the HTML's href and text
    assert "--- text/html ---" in logged


def failures(app) -> list[FailedMail]:
    with app.app_context():
        found = db.session.scalars(select(FailedMail)).all()
        db.session.expunge_all()
        return found


@pytest.mark.parametrize("server", ["refusing", "not listening"])
def test_a_failing_mail_server_never_fails_the_page_and_the_admin_sees_it(
    app, admin, glasgow, mailbox, caplog, server
):
    if server == "refusing":
        mailbox.refusing = True
    else:
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"

    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        answer = invite(admin, glasgow)

    assert answer.status_code == 200
    (link,) = LINK.findall(answer.text)  # the admin can still pass the link on
    assert mailbox.messages == []
    (failure,) = failures(app)
    assert (failure.kind, failure.recipient, failure.attempts) == (
        "invitation",
        "nina@example.org",
        1,
    )
    assert failure.subject == "Alex Admin invites you to Set Journal"
    expected = "550" if server == "refusing" else "ConnectionRefusedError"
    assert expected in failure.error
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "E-mail invitation to nina@example.org not sent after 1 attempt(s)" in logged
    assert link not in logged  # the log never holds a message's words

    page = admin.get("/admin/mail")
    assert page.status_code == 200
    shown = plain(page.text)
    assert "invitation to nina@example.org" in shown
    assert expected in shown
    assert link not in page.text


def test_the_admin_is_told_when_every_message_was_taken(admin):
    assert "None: every message was taken by the mail server." in plain(
        admin.get("/admin/mail").text
    )
    assert 'href="/admin/mail"' in admin.get("/admin/").text


def test_while_the_job_queue_cannot_be_reached_the_message_is_sent_from_the_web_process(
    app, admin, glasgow, mailbox, caplog
):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        answer = invite(admin, glasgow)

    assert answer.status_code == 200
    (shown,) = LINK.findall(answer.text)
    (message,) = mailbox.messages
    assert LINK.findall(text_of(message)) == [shown]
    assert failures(app) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Job queue (Redis) unreachable, sending e-mail invitation to nina@example.org" in logged
    assert shown not in logged
