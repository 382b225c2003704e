"""One invitation link used twice at the same moment, or withdrawn while it is used.

Exactly one request wins: one account, one membership, the invitation used once. The other gets
a plain 4xx page, never a 500, and nothing it sent is kept (its password is set on nothing).

Most tests are deterministic: `meanwhile` runs the rival request to completion inside the window
between the view's checks (the invitation is open, its address has no account) and its writes.
The rival runs in a thread of its own, joined at once: a request nested in the same thread would
share the first one's app context, so its database session and signed-in user.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from journal.auth import accounts
from journal.extensions import db
from journal.models import AuditEvent, Invitation, Membership, User
from tests.factories import NEW_PASSWORD, make_invitation
from tests.helpers import accept, csrf_token_of

INVALID_LINK = "This invitation link is not valid: it may have been used"
OTHER_PASSWORD = "another-long-passphrase"

T = TypeVar("T")


@pytest.fixture
def glasgow(make):
    return make.set(name="Glasgow 3")


def to_the_end(request: Callable[[], T]) -> T:
    """What `request` answers, sent from another thread (so another app context) and waited for."""
    outcome: list = []

    def send() -> None:
        try:
            outcome.append(request())
        except BaseException as error:  # re-raised below, not lost in the thread
            outcome.append(error)

    thread = threading.Thread(target=send)
    thread.start()
    thread.join(timeout=60)
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    return result


def meanwhile(monkeypatch, rival: Callable[[], object]) -> None:
    """Run `rival` (another request, start to finish) just after the next request has looked
    for an account with the invitation's address, and give that request what it saw before."""
    original = accounts.find_user

    def found_before_the_rival(email: str) -> User | None:
        monkeypatch.setattr(accounts, "find_user", original)  # once only
        found = original(email)
        to_the_end(rival)
        return found

    monkeypatch.setattr(accounts, "find_user", found_before_the_rival)


def new_account_form(client: FlaskClient, token: str, name: str, password: str) -> dict:
    """The invitation's form as the invited person fills it in (the page opened first)."""
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200
    return {
        "csrf_token": csrf_token_of(page.text),
        "name": name,
        "password": password,
        "confirm": password,
    }


def count(app: Flask, query) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(query.subquery()))


def used_events(app: Flask) -> int:
    return count(app, select(AuditEvent).where(AuditEvent.action == "invitation.used"))


def accounts_for(app: Flask, email: str) -> list[User]:
    with app.app_context():
        users = db.session.scalars(select(User).where(User.email == email)).all()
        db.session.expunge_all()
    return list(users)


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_two_people_sending_one_link_at_once_make_one_account(app, glasgow, monkeypatch):
    token = make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    first, second = app.test_client(), app.test_client()
    first_form = new_account_form(first, token, "Nina New", NEW_PASSWORD)
    second_form = new_account_form(second, token, "Someone Else", OTHER_PASSWORD)
    won: list[int] = []
    meanwhile(monkeypatch, lambda: won.append(first.post(f"/invite/{token}", data=first_form)))

    lost = second.post(f"/invite/{token}", data=second_form)

    assert [answer.status_code for answer in won] == [302]
    assert lost.status_code == 404
    assert INVALID_LINK in lost.text
    (nina,) = accounts_for(app, "nina@example.org")
    assert nina.name == "Nina New"
    assert accounts.verify_password(nina.password_hash, NEW_PASSWORD)
    assert not accounts.verify_password(nina.password_hash, OTHER_PASSWORD)
    assert count(app, select(Membership)) == 1
    assert used_events(app) == 1
    assert is_signed_in(first) and not is_signed_in(second)


def test_a_join_sent_twice_at_once_joins_once(app, make, browser, glasgow, monkeypatch):
    """Someone with an account accepts on two devices at the same moment."""
    cal = make.user("Cal")
    token = make_invitation(app, cal.email, "facilitator", glasgow.id)
    phone, laptop = browser(cal.email), browser(cal.email)
    forms = [{"csrf_token": csrf_token_of(c.get(f"/invite/{token}").text)} for c in (phone, laptop)]
    won: list[int] = []
    meanwhile(monkeypatch, lambda: won.append(phone.post(f"/invite/{token}", data=forms[0])))

    lost = laptop.post(f"/invite/{token}", data=forms[1])

    assert [answer.status_code for answer in won] == [302]
    assert lost.status_code == 404
    assert INVALID_LINK in lost.text
    assert count(app, select(Membership)) == 1
    assert used_events(app) == 1
    assert phone.get("/api/v1/me").json["sets"] == [
        {"id": glasgow.id, "name": "Glasgow 3", "role": "facilitator"}
    ]


def test_a_link_withdrawn_while_it_is_used_makes_no_account(
    app, make, browser, glasgow, monkeypatch
):
    token = make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    (invitation_id,) = [i.id for i in _invitations(app)]
    admin = browser(make.user("Alex Admin", is_admin=True).email)
    revoke = {"csrf_token": csrf_token_of(admin.get("/admin/invitations").text)}
    newcomer = app.test_client()
    form = new_account_form(newcomer, token, "Nina New", NEW_PASSWORD)
    withdrawn: list[int] = []
    meanwhile(
        monkeypatch,
        lambda: withdrawn.append(
            admin.post(f"/admin/invitations/{invitation_id}/revoke", data=revoke).status_code
        ),
    )

    answer = newcomer.post(f"/invite/{token}", data=form)

    assert withdrawn == [302]
    assert answer.status_code == 404
    assert INVALID_LINK in answer.text
    assert accounts_for(app, "nina@example.org") == []
    assert count(app, select(Membership)) == 0
    (invitation,) = _invitations(app)
    assert invitation.revoked_at is not None and invitation.used_at is None


def test_withdrawing_a_link_as_it_is_used_keeps_the_new_account(
    app, make, browser, glasgow, monkeypatch
):
    """The other way round: the admin's page loaded the invitation unused, then it was used."""
    token = make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    (invitation_id,) = [i.id for i in _invitations(app)]
    admin = browser(make.user("Alex Admin", is_admin=True).email)
    revoke = {"csrf_token": csrf_token_of(admin.get("/admin/invitations").text)}
    newcomer = app.test_client()
    original = accounts.revoke_invitation

    def used_just_before(invitation: Invitation, revoked_by: User | None):
        assert to_the_end(lambda: accept(newcomer, token)).status_code == 302
        return original(invitation, revoked_by)

    monkeypatch.setattr(accounts, "revoke_invitation", used_just_before)

    answer = admin.post(
        f"/admin/invitations/{invitation_id}/revoke", data=revoke, follow_redirects=True
    )

    assert answer.status_code == 200
    assert "was already used; it cannot be withdrawn" in answer.text
    assert "is withdrawn" not in answer.text
    (invitation,) = _invitations(app)
    assert invitation.used_at is not None and invitation.revoked_at is None
    assert count(app, select(AuditEvent).where(AuditEvent.action == "invitation.revoked")) == 0
    assert newcomer.get("/api/v1/me").json["sets"][0]["name"] == "Glasgow 3"


def test_two_invitations_to_one_address_used_at_once_make_one_account(app, make, monkeypatch):
    """An address invited twice (two sets) and both links sent at the same moment: the second
    is told to sign in with the account the first made, and can then accept its invitation."""
    glasgow, leeds = make.set(name="Glasgow 3"), make.set(name="Leeds 1")
    to_glasgow = make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    to_leeds = make_invitation(app, "nina@example.org", "candidate", leeds.id)
    first, second = app.test_client(), app.test_client()
    first_form = new_account_form(first, to_glasgow, "Nina New", NEW_PASSWORD)
    second_form = new_account_form(second, to_leeds, "Nina Again", OTHER_PASSWORD)
    won: list[int] = []
    meanwhile(monkeypatch, lambda: won.append(first.post(f"/invite/{to_glasgow}", data=first_form)))

    told = second.post(f"/invite/{to_leeds}", data=second_form)

    assert [answer.status_code for answer in won] == [302]
    assert told.status_code == 200
    assert "You already have an account" in told.text
    assert "Sign in as nina@example.org" in told.text
    (nina,) = accounts_for(app, "nina@example.org")
    assert accounts.verify_password(nina.password_hash, NEW_PASSWORD)
    assert not is_signed_in(second)
    # Nothing was lost: the Leeds invitation still works, once signed in.
    join = first.get(f"/invite/{to_leeds}")
    assert join.status_code == 200
    joined = first.post(f"/invite/{to_leeds}", data={"csrf_token": csrf_token_of(join.text)})
    assert joined.status_code == 302
    sets = first.get("/api/v1/me").json["sets"]
    assert sorted(s["name"] for s in sets) == ["Glasgow 3", "Leeds 1"]


def test_two_threads_sending_one_link_at_once(app, glasgow, monkeypatch):
    """Real concurrency: two requests in two threads, released together past the checks."""
    token = make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    clients = [app.test_client(), app.test_client()]
    passwords = [NEW_PASSWORD, OTHER_PASSWORD]
    forms = [
        new_account_form(client, token, f"Person {n}", password)
        for n, (client, password) in enumerate(zip(clients, passwords, strict=True))
    ]
    _both_past_the_checks_together(monkeypatch)
    answers: list[int | BaseException | None] = [None, None]

    def send(n: int) -> None:
        try:
            answers[n] = clients[n].post(f"/invite/{token}", data=forms[n]).status_code
        except BaseException as error:  # shown by the assertion below, not lost in the thread
            answers[n] = error

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers, key=str) == [302, 404]
    (nina,) = accounts_for(app, "nina@example.org")
    winner = answers.index(302)
    assert nina.name == f"Person {winner}"
    assert not accounts.verify_password(nina.password_hash, passwords[1 - winner])
    assert count(app, select(Membership)) == 1
    assert used_events(app) == 1


def _both_past_the_checks_together(monkeypatch) -> None:
    """Each thread's first look for an account waits for the other's: both then see none."""
    original = accounts.find_user
    barrier = threading.Barrier(2, timeout=30)
    waited = threading.local()

    def together(email: str) -> User | None:
        found = original(email)
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(accounts, "find_user", together)


def _invitations(app: Flask) -> list[Invitation]:
    with app.app_context():
        rows = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        db.session.expunge_all()
    return list(rows)
