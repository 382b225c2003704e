"""The invitations list in words (pending, used, expired, withdrawn), and sending an invitation
again: a new link with a new week, the old link dead, the new one shown once (the app sends no
e-mail: the admin passes the link on, as with a new invitation). Then the whole journey: an
admin invites a candidate into a set, who signs up through the link and appears in it."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from journal.extensions import db
from journal.models import Invitation
from tests.factories import make_invitation, table_rows
from tests.helpers import accept, form_token
from tests.reflections.test_pages import form_values

from .common import events, invitation_row, parse, plain

TOKEN = re.compile(r"https?://[^\s\"'<>]+/invite/([A-Za-z0-9_-]{20,})")


def invitation_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Invitation.id).where(Invitation.email == email))


@pytest.fixture
def every_state(app, glasgow) -> dict[str, str]:
    """An invitation in each state: email -> token."""
    tokens = {
        state: make_invitation(app, f"{state}@example.org", "candidate", glasgow.id)
        for state in ("pending", "used", "expired", "withdrawn")
    }
    with app.app_context():
        rows = {i.email.split("@")[0]: i for i in db.session.scalars(select(Invitation))}
        rows["used"].used_at = datetime.now(UTC)
        rows["expired"].expires_at = datetime.now(UTC) - timedelta(hours=1)
        rows["withdrawn"].revoked_at = datetime.now(UTC)
        db.session.commit()
    return tokens


def lines(page: str) -> dict[str, object]:
    """Each invitation's line on the list, by the address's local part."""
    listing = parse(page).one("ul", cls="invitations")
    return {item.text.split("@")[0]: item for item in listing.select("li")}


def test_each_invitation_says_where_it_stands_and_offers_what_can_be_done(admin, every_state):
    shown = lines(admin.get("/admin/invitations").text)

    assert "· pending, the link expires" in shown["pending"].text
    assert re.search(r"· used \w{3} \d", shown["used"].text)
    assert re.search(r"· expired \w{3} \d", shown["expired"].text)
    assert shown["withdrawn"].text.endswith("· withdrawn")
    buttons = {name: [b.text for b in item.select("button")] for name, item in shown.items()}
    assert buttons == {
        "pending": ["New link", "Withdraw"],
        "used": [],
        "expired": ["New link"],
        "withdrawn": [],
    }


@pytest.mark.parametrize("state", ["pending", "expired"])
def test_a_new_link_replaces_the_old_one_and_is_shown_once(app, admin, every_state, state):
    old = every_state[state]
    row = invitation_id(app, f"{state}@example.org")
    before = invitation_row(app, row)

    answer = admin.post(f"/admin/invitations/{row}/resend", data={"csrf_token": form_token(admin)})

    assert answer.status_code == 200
    shown = plain(answer.text)
    assert f"A new link for {state}@example.org, valid until" in shown
    assert "the old link no longer works" in shown
    (new,) = set(TOKEN.findall(answer.text))
    assert new != old
    after = invitation_row(app, row)
    assert after.expires_at > datetime.now(UTC) + timedelta(days=6)
    assert after.expires_at > before.expires_at
    assert after.token_hash != before.token_hash
    assert (after.used_at, after.revoked_at, after.email, after.set_id) == (
        None,
        None,
        before.email,
        before.set_id,
    )
    assert "pending" in lines(answer.text)[state].text
    assert new not in admin.get("/admin/invitations").text  # once
    (event,) = events(app, "invitation.resent")
    assert (event.subject_type, event.subject_id) == ("invitation", str(row))
    visitor = app.test_client()
    assert visitor.get(f"/invite/{old}").status_code == 404
    assert accept(visitor, old).status_code == 404
    assert visitor.get(f"/invite/{new}").status_code == 200


@pytest.mark.parametrize(("state", "word"), [("used", "used"), ("withdrawn", "withdrawn")])
def test_a_used_or_withdrawn_invitation_gets_no_new_link(app, admin, every_state, state, word):
    row = invitation_id(app, f"{state}@example.org")
    before = table_rows(app)

    answer = admin.post(
        f"/admin/invitations/{row}/resend",
        data={"csrf_token": form_token(admin)},
        follow_redirects=True,
    )

    assert answer.status_code == 200
    assert f"The invitation for {state}@example.org was {word}; it cannot be sent again." in plain(
        answer.text
    )
    assert not TOKEN.search(answer.text)
    assert table_rows(app) == before


@pytest.mark.parametrize("token", [None, "", "forged"], ids=["none", "empty", "forged"])
def test_a_new_link_needs_the_csrf_token(app, admin, every_state, token):
    row = invitation_id(app, "pending@example.org")
    before = table_rows(app)

    answer = admin.post(
        f"/admin/invitations/{row}/resend", data={} if token is None else {"csrf_token": token}
    )

    assert answer.status_code == 400
    assert "The form expired or was sent from elsewhere" in answer.text
    assert table_rows(app) == before
    assert app.test_client().get(f"/invite/{every_state['pending']}").status_code == 200


# The journey ---------------------------------------------------------------------------------


def test_an_invited_candidate_signs_up_through_the_link_and_appears_in_the_set(
    app, demo, demo_admin
):
    set_page = demo_admin.get(f"/admin/sets/{demo.glasgow}").text
    invite = re.search(
        r'href="(/admin/invitations\?set_id=\d+)">Invite someone into Glasgow 3', set_page
    )
    form = demo_admin.get(invite[1]).text
    made = demo_admin.post(
        invite[1],
        data={
            "email": "newbie@example.org",
            "role": "candidate",
            "set_id": str(demo.glasgow),
            "csrf_token": form_token(demo_admin),
        },
    )
    invitation_form = parse(form).one("form", method="post", novalidate="")
    assert form_values(invitation_form)["set_id"] == str(demo.glasgow)
    (token,) = set(TOKEN.findall(made.text))
    waiting = parse(demo_admin.get(f"/admin/sets/{demo.glasgow}").text)
    assert "newbie@example.org" in waiting.one("section", aria_labelledby="invited").text

    newcomer = app.test_client()
    assert accept(newcomer, token, name="Nell Newbie").status_code == 302

    page = parse(demo_admin.get(f"/admin/sets/{demo.glasgow}").text)
    members = [a.text for a in page.one("section", aria_labelledby="members").select("a")]
    assert "Nell Newbie" in members
    assert "newbie@example.org" not in page.one("section", aria_labelledby="invited").text
    assert newcomer.get("/api/v1/me").json["sets"] == [
        {"id": demo.glasgow, "name": "Glasgow 3", "role": "candidate"}
    ]
    history = plain(demo_admin.get(f"/admin/sets/{demo.glasgow}/history").text)
    assert "Nell Newbie joined as candidate, by invitation" in history
    assert "by Nell Newbie" in history


# Inviting one person after another -----------------------------------------------------------


def invitation_form(page: str):
    """The form that creates an invitation (the page's post form without an action)."""
    (form,) = [
        f
        for f in parse(page).select("form")
        if f.attrs.get("method") == "post" and "action" not in f.attrs
    ]
    return form


def test_after_an_invitation_the_form_keeps_the_set_and_role_for_the_next_one(
    app, admin, glasgow, make
):
    url = f"/admin/invitations?set_id={glasgow.id}"
    first = admin.post(
        url,
        data={
            "email": "one@example.org",
            "role": "candidate",
            "set_id": str(glasgow.id),
            "csrf_token": form_token(admin),
        },
    )
    assert first.status_code == 200
    assert TOKEN.search(first.text)
    values = form_values(invitation_form(first.text))
    assert not values.get("email")
    assert (values["role"], values["set_id"]) == ("candidate", str(glasgow.id))

    second = admin.post(url, data={**values, "email": "two@example.org"})

    assert second.status_code == 200, plain(second.text)
    assert "Invitation created for two@example.org." in plain(second.text)
    with app.app_context():
        made = {i.email: i.set_id for i in db.session.scalars(select(Invitation))}
    assert made == {"one@example.org": glasgow.id, "two@example.org": glasgow.id}


def set_choices(page: str) -> list[str]:
    select_ = invitation_form(page).one("select", name="set_id")
    return [option.text for option in select_.select("option")]


def test_any_set_is_found_by_name_to_invite_into(app, admin, make, count_queries):
    for n in range(25):
        make.set(f"Leeds {n:02}")
    make.set("Glasgow 3")
    page = admin.get("/admin/invitations").text
    search = parse(page).one("form", role="search", cls="set-search")
    assert search.attrs["method"] == "get"
    assert search.one("input", name="set_q").attrs["type"] == "search"

    found = admin.get("/admin/invitations?set_q=GLAS").text
    assert set_choices(found) == ["No set (assessors and admins)", "Glasgow 3"]
    many = admin.get("/admin/invitations?set_q=leeds").text
    # A page of them, never every set: the rest are found by typing more of the name.
    assert set_choices(many)[1:] == [f"Leeds {n:02}" for n in range(20)]
    assert "The first 20 sets whose name holds “leeds”" in plain(many)
    assert "No set's name holds “york”." in plain(admin.get("/admin/invitations?set_q=york").text)
    with count_queries() as few:
        admin.get("/admin/invitations?set_q=leeds")
    for n in range(25, 60):
        make.set(f"Leeds {n:02}")
    with count_queries() as more:
        admin.get("/admin/invitations?set_q=leeds")
    assert len(more) == len(few)


def test_a_set_found_by_name_is_kept_while_inviting_and_searching_again(app, admin, make):
    leeds = make.set("Leeds 1")
    make.set("Glasgow 3")
    page = admin.get(f"/admin/invitations?set_q=glas&set_id={leeds.id}").text
    assert set_choices(page) == ["No set (assessors and admins)", "Leeds 1", "Glasgow 3"]
    search = parse(page).one("form", role="search", cls="set-search")
    assert search.one("input", name="set_id").attrs["value"] == str(leeds.id)


def test_the_link_comes_with_copy_and_share_buttons_that_need_javascript(admin, glasgow):
    answer = admin.post(
        "/admin/invitations",
        data={"email": "one@example.org", "role": "assessor", "csrf_token": form_token(admin)},
    )
    shown = parse(answer.text)
    field = shown.one("input", cls="link-copy")
    copy = shown.one("button", data_copy=field.attrs["id"])
    share = shown.one("button", data_share=field.attrs["id"])
    # Hidden until static/copy.js shows them: without JavaScript they could do nothing.
    assert "hidden" in copy.attrs and "hidden" in share.attrs
    assert (copy.attrs["type"], share.attrs["type"]) == ("button", "button")
    assert re.search(r'<script src="/static/copy\.[0-9a-f]+\.js" defer></script>', answer.text)
