"""Odd input to every administration address: a plain 4xx (or the page, unchanged), never a 500.

Numbers are bounded as the journal's pages bound them (journal/http.py): an id past LARGEST_ID
cannot be bound by SQLite (OverflowError) nor compared with an INTEGER column by PostgreSQL, and
only ASCII digits make an id ("٣", "+7" and " 7" are not ones a browser sends).
"""

import re

import pytest
from werkzeug.exceptions import NotFound

from journal.models import LARGEST_ID
from tests.factories import make_invitation, table_rows
from tests.helpers import csrf_token_of, form_token

UNKNOWN_SET = "Choose one of the sets."
NOT_FOUND = "There is nothing here, or it is not shared with you."
# Digits int() reads as 0-9 but a browser never sends for an <option value="7">.
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


def without_csrf_tokens(page: str) -> str:
    # Signed with a timestamp: two pages a second apart differ there and only there.
    return re.sub(r'(<[^>]*name="csrf[-_]token"[^>]*(?:content|value)=")[^"]*"', r'\1"', page)


def email_field(page: str) -> str:
    match = re.search(r'<input[^>]*name="email"[^>]*value="([^"]*)"', page)
    return match[1] if match else ""


# The invitation form's set ------------------------------------------------------------------

SET_IDS = [
    pytest.param("99999999999999999999", id="20 digits"),
    pytest.param(str(2**64), id="2**64"),
    pytest.param(str(2**63), id="2**63"),
    pytest.param(str(LARGEST_ID + 1), id="LARGEST_ID + 1"),
    pytest.param(str(LARGEST_ID), id="LARGEST_ID, no such set"),
    pytest.param("{id}\x00", id="NUL after the id"),
    pytest.param("-{id}", id="negative"),
    pytest.param("+{id}", id="plus sign"),
    pytest.param(" {id}", id="space before"),
    pytest.param("{id}_0", id="underscore"),
    pytest.param("{arabic}", id="Arabic-Indic digits"),
    pytest.param("{full_width}", id="full-width digits"),
]


@pytest.mark.parametrize("set_id", SET_IDS)
def test_a_set_id_no_row_can_have_is_an_unknown_set(app, admin, glasgow, set_id):
    digits = str(glasgow.id)
    sent = set_id.format(
        id=digits,
        arabic=digits.translate(ARABIC_INDIC),
        full_width=digits.translate(FULL_WIDTH),
    )
    form = {"email": "nina@example.org", "role": "candidate", "set_id": sent}
    before = table_rows(app)

    answer = admin.post("/admin/invitations", data={**form, "csrf_token": form_token(admin)})

    assert answer.status_code == 400
    assert UNKNOWN_SET in answer.text
    assert email_field(answer.text) == "nina@example.org"  # the form again, as it was typed
    assert table_rows(app) == before
    # The same form with the set as the page offers it works.
    again = {**form, "set_id": digits, "csrf_token": csrf_token_of(answer.text)}
    assert admin.post("/admin/invitations", data=again).status_code == 200


def test_a_huge_set_id_without_a_csrf_token_keeps_the_form(app, admin, glasgow):
    before = table_rows(app)

    answer = admin.post(
        "/admin/invitations",
        data={"email": "nina@example.org", "role": "candidate", "set_id": "9" * 20},
    )

    assert answer.status_code == 400
    assert "nothing was created" in answer.text
    assert email_field(answer.text) == "nina@example.org"
    assert table_rows(app) == before


# The invitation form's text -----------------------------------------------------------------

TEXT = [
    pytest.param({"email": "nina\x00@example.org"}, "null character", id="NUL in the email"),
    pytest.param({"email": "\x00"}, "null character", id="only a NUL as email"),
    pytest.param({"email": "n" * 100_000 + "@example.org"}, "Invalid email", id="huge email"),
    pytest.param({"role": "candidate\x00"}, "Not a valid choice", id="NUL in the role"),
    pytest.param({"role": "r" * 100_000}, "Not a valid choice", id="huge role"),
    pytest.param({"set_id": "9" * 100_000}, UNKNOWN_SET, id="100,000-digit set"),
]


@pytest.mark.parametrize(("changes", "message"), TEXT)
def test_text_no_database_can_store_is_refused_with_the_form(app, admin, glasgow, changes, message):
    form = {"email": "nina@example.org", "role": "candidate", "set_id": str(glasgow.id)}
    before = table_rows(app)

    answer = admin.post(
        "/admin/invitations", data={**form, **changes, "csrf_token": form_token(admin)}
    )

    assert answer.status_code == 400
    assert message in answer.text
    assert 'name="email"' in answer.text
    assert table_rows(app) == before


# Every address and its query string ----------------------------------------------------------

QUERIES = [
    pytest.param("set_id=99999999999999999999", id="huge set_id"),
    pytest.param("page=99999999999999999999&id=-1", id="huge page"),
    pytest.param("set_id=%00&page=%ff", id="NUL and not UTF-8"),
    pytest.param("set_id=" + "9" * 10_000, id="10,000 digits"),
]


@pytest.mark.parametrize("path", ["/admin/", "/admin/invitations"])
@pytest.mark.parametrize("query", QUERIES)
def test_a_query_string_changes_no_page(app, admin, glasgow, path, query):
    make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    plain = admin.get(path)

    answer = admin.get(f"{path}?{query}")

    assert answer.status_code == 200
    assert without_csrf_tokens(answer.text) == without_csrf_tokens(plain.text)


INVITATION_IDS = [
    "99999999999999999999",
    str(2**64),
    str(2**63),
    str(LARGEST_ID + 1),
    str(LARGEST_ID),
    "0",
    "00",
    "-1",
    "-0",
    "1.5",
    "1e3",
    "0x1",
    "%00",
    "1%00",
    "%ff",
    "%201",
    "9" * 10_000,
]


@pytest.mark.parametrize("invitation_id", INVITATION_IDS)
def test_withdrawing_an_invitation_no_row_can_be_is_404(app, admin, glasgow, invitation_id):
    token = make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    before = table_rows(app)

    answer = admin.post(
        f"/admin/invitations/{invitation_id}/revoke", data={"csrf_token": form_token(admin)}
    )

    assert answer.status_code == 404
    assert NOT_FOUND in answer.text
    assert table_rows(app) == before
    assert app.test_client().get(f"/invite/{token}").status_code == 200


@pytest.mark.parametrize("invitation_id", ["1", "99999999999999999999"])
def test_withdrawing_needs_post(app, admin, glasgow, invitation_id):
    make_invitation(app, "nina@example.org", "candidate", glasgow.id)

    assert admin.get(f"/admin/invitations/{invitation_id}/revoke").status_code == 405


@pytest.mark.parametrize("digits", ["٣", "\uff13", "¹"])
def test_an_id_in_an_address_takes_ascii_digits_only(app, client, digits):
    """Werkzeug's int converter matches any Unicode digit, and int("٣") is 3."""
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        with pytest.raises(NotFound):
            adapter.match(f"/admin/invitations/{digits}/revoke", method="POST")
        assert adapter.match("/admin/invitations/3/revoke", method="POST")[1] == {
            "invitation_id": 3
        }
