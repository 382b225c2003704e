"""Each event e-mails whom it concerns, through a real SMTP server (aiosmtpd): who did what and
an absolute link under BASE_URL, the one-click unsubscribe headers, and never the words of the
reflection, comment or feedback. Nobody is told of what they may not read, nor of what they did
themselves.

The decisions (README, "What you are told by e-mail"): the author of a reflection is told of
each comment by someone else; when the author answers, those who had commented on it are told
(a facilitator who asked a question expects to hear back), if they may still read it.
"""

import pytest

from journal.models import Decision
from tests.evidence.conftest import offer, set_assessor, write
from tests.mail.smtp_server import html_of, text_of

from .common import BASE_URL, LINK, send

SECRET_WORDS = "Tangerine-quokka"  # in every text the test writes: never in a message


@pytest.fixture(autouse=True)
def base_url(app):
    app.config["BASE_URL"] = BASE_URL


def reflection_by_cara(make, cast, visibility="facilitator"):
    return write(make, cast, visibility, experience=f"{SECRET_WORDS} in the reflection.")


def only_message_to(mailbox, user):
    assert [m["To"] for m in mailbox.messages] == [user.email]
    return mailbox.messages[0]


def assert_tells(message, subject: str, link: str) -> None:
    assert message["Subject"] == subject
    assert message["List-Unsubscribe"].startswith(f"<{BASE_URL}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for body in (text_of(message), html_of(message)):
        assert f"{subject}." in body
        assert SECRET_WORDS not in body
        assert link in LINK.findall(body)
        # Every link is absolute, under BASE_URL.
        assert all(found.startswith(BASE_URL) for found in LINK.findall(body))
    assert SECRET_WORDS not in message.as_string()


def test_a_comment_on_my_reflection_is_e_mailed_to_me(make, cast, visit, mailbox):
    reflection = reflection_by_cara(make, cast)

    answer = send(
        visit(cast.fran), f"/reflections/{reflection.id}/comments", {"body": SECRET_WORDS}
    )

    assert answer.status_code == 302
    message = only_message_to(mailbox, cast.cara)
    assert_tells(
        message,
        "Fran Facilitator commented on your reflection",
        f"{BASE_URL}/reflections/{reflection.id}",
    )


def test_my_answer_is_e_mailed_to_those_who_commented(make, cast, visit, mailbox):
    reflection = reflection_by_cara(make, cast, visibility="set")
    make.comment(reflection, cast.fran, SECRET_WORDS)
    make.comment(reflection, cast.fran, SECRET_WORDS)  # told once, however many comments

    send(visit(cast.cara), f"/reflections/{reflection.id}/comments", {"body": SECRET_WORDS})

    message = only_message_to(mailbox, cast.fran)
    assert_tells(
        message,
        "Cara Candidate answered on a reflection you commented on",
        f"{BASE_URL}/reflections/{reflection.id}",
    )


def test_an_offer_is_e_mailed_to_the_candidates_assessor(make, cast, visit, mailbox):
    reflection = reflection_by_cara(make, cast)
    data = {"criteria": [str(cast.criteria["1.1"])], "declaration": "y", "base_version": "1"}

    answer = send(visit(cast.cara), f"/evidence/offer/{reflection.id}", data)

    assert answer.status_code == 302
    message = only_message_to(mailbox, cast.ada)
    assert_tells(
        message,
        "Cara Candidate offered evidence for you to assess",
        f"{BASE_URL}{answer.location}",
    )


def test_a_decision_is_e_mailed_to_the_candidate(app, make, cast, visit, mailbox):
    claim_id = offer(app, cast, reflection_by_cara(make, cast))
    criterion = cast.criteria["1.1"]
    prefix = f"c{criterion}"
    ada = visit(cast.ada)
    data = {
        f"{prefix}-csrf_token": ada.token,
        f"{prefix}-decision": Decision.NOT_YET.value,
        f"{prefix}-feedback": SECRET_WORDS,
    }

    answer = send(ada, f"/evidence/claims/{claim_id}/criteria/{criterion}", data, csrf=False)

    assert answer.status_code == 302
    message = only_message_to(mailbox, cast.cara)
    assert_tells(
        message,
        "Ada Assessor recorded a decision on your evidence",
        f"{BASE_URL}/evidence/claims/{claim_id}",
    )


@pytest.mark.parametrize(
    ("writer", "told", "subject"),
    [
        ("ada", "cara", "Ada Assessor commented on your evidence"),
        ("cara", "ada", "Cara Candidate commented on their evidence"),
    ],
)
def test_a_comment_on_a_claim_is_e_mailed_to_the_other_party(
    app, make, cast, visit, mailbox, writer, told, subject
):
    claim_id = offer(app, cast, reflection_by_cara(make, cast))

    answer = send(
        visit(getattr(cast, writer)),
        f"/evidence/claims/{claim_id}/comments",
        {"body": SECRET_WORDS},
    )

    assert answer.status_code == 302
    message = only_message_to(mailbox, getattr(cast, told))
    assert_tells(message, subject, f"{BASE_URL}/evidence/claims/{claim_id}")


# Who is not told -----------------------------------------------------------------------------


def test_nobody_is_told_of_their_own_words(make, cast, visit, mailbox):
    reflection = reflection_by_cara(make, cast)

    send(visit(cast.cara), f"/reflections/{reflection.id}/comments", {"body": "Note to self."})

    assert mailbox.messages == []


def test_a_commenter_who_may_no_longer_read_the_reflection_is_not_told(
    app, make, cast, visit, mailbox
):
    # Shared with the facilitator only: Fran may read it; Cal, whose comment stands for one
    # written while it was shared with the set, may no longer.
    reflection = reflection_by_cara(make, cast, visibility="facilitator")
    make.comment(reflection, cast.fran)
    make.comment(reflection, cast.cal)

    send(visit(cast.cara), f"/reflections/{reflection.id}/comments", {"body": "An answer."})

    assert [m["To"] for m in mailbox.messages] == [cast.fran.email]


def test_only_the_candidates_current_assessor_is_told(app, make, cast, visit, mailbox):
    claim_id = offer(app, cast, reflection_by_cara(make, cast))
    set_assessor(app, cast.enrolments["cara"], cast.abe)

    send(visit(cast.cara), f"/evidence/claims/{claim_id}/comments", {"body": "Anyone there?"})

    assert [m["To"] for m in mailbox.messages] == [cast.abe.email]


def test_a_candidate_without_an_assessor_tells_nobody(app, make, cast, visit, mailbox):
    set_assessor(app, cast.enrolments["cara"], None)
    reflection = reflection_by_cara(make, cast)
    data = {"criteria": [str(cast.criteria["1.1"])], "declaration": "y", "base_version": "1"}

    answer = send(visit(cast.cara), f"/evidence/offer/{reflection.id}", data)

    assert answer.status_code == 302
    assert mailbox.messages == []


def test_without_base_url_links_name_the_local_server_never_the_request(
    app, make, cast, visit, mailbox
):
    app.config["BASE_URL"] = None  # development (`make run`): production requires it
    reflection = reflection_by_cara(make, cast)

    send(visit(cast.fran), f"/reflections/{reflection.id}/comments", {"body": "Hm."})

    message = only_message_to(mailbox, cast.cara)
    links = LINK.findall(text_of(message))
    assert f"http://127.0.0.1:5000/reflections/{reflection.id}" in links
    assert all(link.startswith("http://127.0.0.1:5000/") for link in links)
