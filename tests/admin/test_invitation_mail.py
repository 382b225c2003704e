"""Invitations by e-mail: creating one (page or `invite`) e-mails the invited person the link,
naming the set and who invited them; the admin still sees the link once; a new link (page or
`resend-invitation`) is e-mailed too, and the old one stops working. Through a real SMTP server
(aiosmtpd); `buffered=True` closes the response as a server does, which sends the message."""

import re

import pytest

from tests.factories import make_invitation
from tests.helpers import accept, form_token
from tests.mail.smtp_server import html_of, text_of

from .common import plain
from .test_invitations import invitation_id

LINK = re.compile(r"https?://[^\s\"'<>]+/invite/([A-Za-z0-9_-]{20,})")


def tokens_in(message) -> set[str]:
    return set(LINK.findall(text_of(message))) | set(LINK.findall(html_of(message)))


@pytest.mark.parametrize(
    ("role", "in_set", "as_what"),
    [
        ("candidate", True, "as a candidate in Glasgow 3"),
        ("facilitator", True, "as a facilitator of Glasgow 3"),
        ("assessor", False, "as an assessor"),
        ("admin", False, "as an administrator"),
    ],
)
def test_an_invitation_is_emailed_naming_the_set_and_who_invited(
    app, admin, glasgow, mailbox, role, in_set, as_what
):
    answer = admin.post(
        "/admin/invitations",
        data={
            "email": "Nina@Example.org",
            "role": role,
            "set_id": str(glasgow.id) if in_set else "",
            "csrf_token": form_token(admin),
        },
        buffered=True,
    )

    assert answer.status_code == 200
    assert "It is e-mailed to them; the link is below too, shown only once." in plain(answer.text)
    (shown,) = set(LINK.findall(answer.text))
    (message,) = mailbox.messages
    assert message["To"] == "nina@example.org"
    assert message["Subject"] == "Alex Admin invites you to Set Journal"
    text = " ".join(text_of(message).split())
    invited = "Alex Admin has invited you to Set Journal, the reflective journal of your programme"
    assert f"{invited}, {as_what}." in text
    assert tokens_in(message) == {shown}
    assert accept(app.test_client(), shown).status_code == 302


def test_a_new_link_is_emailed_and_the_old_one_stops_working(app, admin, glasgow, mailbox):
    old = make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    row = invitation_id(app, "nina@example.org")

    answer = admin.post(
        f"/admin/invitations/{row}/resend", data={"csrf_token": form_token(admin)}, buffered=True
    )

    assert answer.status_code == 200
    (shown,) = set(LINK.findall(answer.text))
    (message,) = mailbox.to("nina@example.org")
    assert tokens_in(message) == {shown} != {old}
    assert app.test_client().get(f"/invite/{old}").status_code == 404
    assert accept(app.test_client(), shown).status_code == 302


def test_a_refused_invitation_sends_nothing(admin, glasgow, mailbox):
    answer = admin.post(
        "/admin/invitations",
        data={"email": "nina.example.org", "role": "candidate", "csrf_token": form_token(admin)},
        buffered=True,
    )
    assert answer.status_code == 400
    assert mailbox.messages == []


def test_the_invite_command_emails_the_link_it_prints(app, runner, glasgow, mailbox):
    result = runner.invoke(
        args=[
            *("invite", "nina@example.org", "--role", "candidate", "--set", "Glasgow 3"),
            *("--base-url", "https://journal.example.org"),
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Invitation e-mailed to nina@example.org." in result.output
    (printed,) = set(LINK.findall(result.output))
    (message,) = mailbox.to("nina@example.org")
    assert tokens_in(message) == {printed}
    assert "https://journal.example.org/invite/" in text_of(message)
    assert "Your programme's administrator has invited you" in text_of(message)
    assert "a candidate in Glasgow 3" in text_of(message)


def test_the_command_links_under_base_url_when_no_base_url_is_given(app, runner, mailbox):
    app.config["BASE_URL"] = "https://journal.example.org"
    result = runner.invoke(args=["invite", "ada@example.org", "--role", "assessor"])

    assert result.exit_code == 0, result.output
    assert "https://journal.example.org/invite/" in result.output
    (message,) = mailbox.to("ada@example.org")
    assert "https://journal.example.org/invite/" in text_of(message)


def test_resend_invitation_emails_a_new_link(app, runner, glasgow, mailbox):
    old = make_invitation(app, "nina@example.org", "candidate", glasgow.id)

    result = runner.invoke(args=["resend-invitation", "nina@example.org"])

    assert result.exit_code == 0, result.output
    assert "e-mailed to them; the old link no longer works" in " ".join(result.output.split())
    (printed,) = set(LINK.findall(result.output))
    (message,) = mailbox.to("nina@example.org")
    assert tokens_in(message) == {printed} != {old}


def test_a_command_still_prints_the_link_when_the_mail_server_refuses(app, runner, mailbox):
    mailbox.refusing = True
    result = runner.invoke(args=["invite", "ada@example.org", "--role", "assessor"])

    assert result.exit_code == 0, result.output
    assert len(set(LINK.findall(result.output))) == 1
    assert mailbox.messages == []
