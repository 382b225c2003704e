"""The administration's framework page: a list and an upload form, for admins only; a bad file is
refused whole with every problem listed, what was chosen is said, and nothing changes."""

import html
import io
import json
import re

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from journal.evidence.frameworks import sample_framework
from tests.evidence.test_frameworks import SMALL, SMALL_CSV
from tests.factories import table_rows
from tests.helpers import form_token


def upload(client, content: bytes, filename: str = "framework.json", token: str | None = None):
    """Send the form as a browser does: multipart, with the file and the CSRF token."""
    fields = {"file": (io.BytesIO(content), filename)}
    if token is not False:
        fields["csrf_token"] = token or form_token(client)
    return client.post("/admin/frameworks", data=fields, content_type="multipart/form-data")


def test_the_page_lists_the_frameworks(admin, app):
    with app.app_context():
        from journal.evidence.frameworks import load_framework
        from journal.extensions import db

        load_framework()
        db.session.commit()

    page = admin.get("/admin/frameworks")

    assert page.status_code == 200
    assert "L7-SML-SAMPLE" in page.text
    assert "4 units, 11 criteria" in page.text
    assert 'enctype="multipart/form-data"' in page.text


@pytest.mark.parametrize(
    ("content", "filename"),
    [(json.dumps(SMALL).encode(), "level5.json"), (SMALL_CSV.encode(), "Level5.CSV")],
    ids=["json", "csv"],
)
def test_an_admin_uploads_a_framework(admin, content, filename):
    answer = upload(admin, content, filename)

    assert answer.status_code == 302
    page = admin.get(answer.location).text
    assert (
        "Framework L5-TEST (Level 5 test framework) created: 2 units added, 3 criteria added."
        in page
    )
    assert "L5-TEST" in page


def test_a_bad_file_is_refused_with_every_problem_and_nothing_changes(admin, app):
    content = (
        b"framework_code,framework_title,unit_code,unit_title,criterion_code,criterion_text\n"
        b"L5,,501,Leading people,1.1,\n"
    )
    before = table_rows(app)

    answer = upload(admin, content, "bad.csv")

    assert answer.status_code == 400
    assert "The file was not imported: nothing changed." in answer.text
    assert "2 problems to fix" in answer.text
    assert "<li>line 2, framework_title: is empty</li>" in answer.text
    assert "<li>line 2, criterion_text: is empty</li>" in answer.text
    assert table_rows(app) == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b'{"code": "L5", "title": "Bad \\ud800 title", "units": []}',
            "<li>line 1, title: contains \\ud800, half of a pair of escapes without its other half;"
            " remove it</li>",
        ),
        (
            b'{"code": ' + b"9" * 5_000 + b', "title": "T", "units": []}',
            "<li>line 1, code: must be text, in &#34;quotes&#34;</li>",
        ),
    ],
    ids=["lone surrogate", "5,000 digits"],
)
def test_a_file_no_database_could_store_is_refused_with_its_problem(admin, app, content, problem):
    before = table_rows(app)

    answer = upload(admin, content, "bad.json")

    assert answer.status_code == 400
    assert "The file was not imported: nothing changed." in answer.text
    assert problem in answer.text
    assert table_rows(app) == before


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (None, "Choose a file to upload."),
        ((b"", ""), "Choose a file to upload."),
        ((b"code,title", "framework.xlsx"), "Choose a .json or .csv file."),
        ((b"{}", "framework"), "Choose a .json or .csv file."),
        ((b" \n", "framework.json"), "The file is empty."),
        ((b"x" * (256 * 1024 + 1), "big.json"), "The file is larger than 256 KB."),
        ("not a file", "Choose a file to upload."),
    ],
    ids=["no file", "no name", "wrong type", "no extension", "empty", "too big", "text not a file"],
)
def test_bad_upload_input_is_refused_with_a_message(admin, app, file, message):
    fields = {"csrf_token": form_token(admin)}
    if isinstance(file, tuple):
        fields["file"] = (io.BytesIO(file[0]), file[1])
    elif file is not None:
        fields["file"] = file
    before = table_rows(app)

    answer = admin.post("/admin/frameworks", data=fields, content_type="multipart/form-data")

    assert answer.status_code == 400
    assert message in answer.text
    assert table_rows(app) == before


def test_a_body_past_the_request_limit_is_a_friendly_413(admin, app):
    boundary, body = encode_multipart(
        {
            "csrf_token": form_token(admin),
            "file": FileStorage(io.BytesIO(b"x" * 2_000_000), filename="huge.json"),
        }
    )
    before = table_rows(app)

    answer = admin.post(
        "/admin/frameworks", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert answer.status_code == 413
    assert "more than this app accepts" in answer.text
    assert table_rows(app) == before


def test_an_upload_without_its_csrf_token_changes_nothing(admin, app):
    before = table_rows(app)

    answer = upload(admin, json.dumps(SMALL).encode(), token=False)

    assert answer.status_code == 400
    assert "The form expired or was sent from elsewhere" in answer.text
    assert table_rows(app) == before


@pytest.mark.parametrize("who", ["candidate", "facilitator", "assessor"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_only_admins_know_the_page_exists(make, browser, app, who, method):
    person = make.user(who.title())
    if who != "assessor":
        make.set(**{f"{who}s": [person]})
    client = browser(person.email)
    before = table_rows(app)

    if method == "GET":
        answer = client.get("/admin/frameworks")
    else:
        answer = upload(client, json.dumps(SMALL).encode())

    assert answer.status_code == 404
    assert table_rows(app) == before


def test_signed_out_people_are_sent_to_sign_in(client):
    answer = client.get("/admin/frameworks")

    assert answer.status_code == 302
    assert answer.location.startswith("/login")


def test_the_sample_can_be_uploaded_again_unchanged(admin, app):
    sample = sample_framework()
    document = {
        "code": sample.code,
        "title": sample.title,
        "units": [
            {
                "code": u.code,
                "title": u.title,
                "criteria": [{"code": c.code, "text": c.text} for c in u.criteria],
            }
            for u in sample.units
        ],
    }
    assert upload(admin, json.dumps(document).encode()).status_code == 302

    again = upload(admin, json.dumps(document).encode())

    assert "updated: nothing changed." in admin.get(again.location).text


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_the_page_shows_each_file_format_with_an_example_that_imports(admin, kind):
    page = admin.get("/admin/frameworks").text
    assert "README" not in page  # the format is on the page, not somewhere an admin must find
    example = re.search(
        rf'<pre class="example" id="example-{kind}"[^>]*><code>(.*?)</code></pre>', page, re.S
    )
    assert example, f"no {kind} example"
    content = html.unescape(example[1]).encode()

    answer = upload(admin, content, f"example.{kind}")

    assert answer.status_code == 302, answer.text
    assert "created: 1 unit added, 2 criteria added." in admin.get(answer.location).text
