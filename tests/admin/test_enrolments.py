"""A person's administration page, enrolling a candidate on a framework with an assessor, and
changing the assessor. The assessor is anyone with an account, found by their email address
(never picked from a list of everyone); the new one takes over the enrolment with its history,
the old one no longer has it. Every change is in the audit trail, by ids."""

import pytest
from sqlalchemy import select

from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.extensions import db
from journal.models import Enrolment, EvidenceClaim, Framework
from tests.factories import table_rows
from tests.helpers import csrf_token_of, form_token

from .common import enrolment_row, events, field_value, message_of, parse, plain, problem_of

CSRF_REFUSED = "The form expired or was sent from elsewhere; nothing was changed."


def claims_assessed_by(app, assessor_id: int) -> set[int]:
    """The claims whose enrolment `assessor_id` assesses: what their workspace will show."""
    with app.app_context():
        query = (
            select(EvidenceClaim.id)
            .join(EvidenceClaim.enrolment)
            .where(Enrolment.assessor_id == assessor_id)
        )
        return set(db.session.scalars(query))


# A person's page -----------------------------------------------------------------------------


def test_a_persons_page_shows_their_sets_enrolments_and_whom_they_assess(demo, demo_admin):
    cara, ada = demo.people["cara"], demo.people["ada"]
    people = demo_admin.get("/admin/people?q=cara").text
    assert f'href="/admin/people/{cara.id}"' in people

    page = parse(demo_admin.get(f"/admin/people/{cara.id}").text)

    sets = page.one("section", aria_labelledby="sets")
    assert [(a.text, a.attrs["href"]) for a in sets.select("a")] == [
        ("Glasgow 3", f"/admin/sets/{demo.glasgow}")
    ]
    (enrolment,) = page.one("section", aria_labelledby="enrolments").select("div", cls="enrolment")
    assert "Assessor: Ada Assessor ada@example.org" in enrolment.text
    assert enrolment.one("a").attrs["href"] == f"/admin/enrolments/{demo.enrolment}/assessor"
    assessor = parse(demo_admin.get(f"/admin/people/{ada.id}").text)
    assessing = assessor.one("section", aria_labelledby="assessing")
    assert [a.text for a in assessing.select("a")] == ["Cal Candidate", "Cara Candidate"]


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 2}])
def test_whom_someone_assesses_comes_a_page_at_a_time(app, admin, make):
    judge = make.user("Judge")
    candidates = [make.user(f"Candidate {n}") for n in range(5)]
    with app.app_context():
        framework = Framework(code="L7", title="Level 7")
        db.session.add_all(
            Enrolment(candidate_id=c.id, framework=framework, assessor_id=judge.id)
            for c in candidates
        )
        db.session.commit()
    seen = []
    for number in (1, 2, 3):
        page = parse(admin.get(f"/admin/people/{judge.id}?assessing_page={number}").text)
        listing = page.one("section", aria_labelledby="assessing").one("ul", cls="set-list")
        seen += [a.text for a in listing.select("a")]
    assert seen == [c.name for c in candidates]


# Enrolling -----------------------------------------------------------------------------------


def test_an_admin_enrols_a_candidate_with_an_assessor(app, demo, demo_admin):
    finn, abe = demo.people["finn"], demo.people["abe"]
    form = demo_admin.get(f"/admin/people/{finn.id}/enrol").text
    assert f'<option selected value="{demo.framework}">' in form  # the only one, chosen
    assert 'type="email"' in form

    answer = demo_admin.post(
        f"/admin/people/{finn.id}/enrol",
        data={
            "framework_id": str(demo.framework),
            "assessor": " ABE@example.org ",
            "csrf_token": csrf_token_of(form),
        },
    )

    assert answer.status_code == 302
    assert answer.location == f"/admin/people/{finn.id}"
    assert "Finn Facilitator is enrolled on" in plain(demo_admin.get(answer.location).text)
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.candidate_id == finn.id))
        assert (enrolment.framework_id, enrolment.assessor_id) == (demo.framework, abe.id)
    (event,) = events(app, "enrolment.created")
    assert (event.subject_type, event.subject_id) == ("enrolment", str(enrolment.id))
    assert event.detail == {
        "candidate_id": finn.id,
        "framework_id": demo.framework,
        "assessor_id": abe.id,
    }


ENROL_BAD_INPUT = [
    pytest.param(
        {"assessor": "nobody@example.org"},
        "assessor",
        "No one has an account for nobody@example.org. Check the address, or invite them.",
        id="no such account",
    ),
    pytest.param(
        {"assessor": "finn@example.org"},
        "assessor",
        "A candidate cannot assess their own evidence: choose someone else.",
        id="himself",
    ),
    pytest.param(
        {"who": "cara"},
        "assessor",
        "Cara Candidate is already enrolled on Level 7 Strategic Management and Leadership"
        " (sample framework): change the assessor of that enrolment instead.",
        id="already enrolled",
    ),
    pytest.param({"assessor": ""}, "assessor", "Enter their email address.", id="no assessor"),
    pytest.param({"assessor": "abe"}, "assessor", "Enter an email address", id="not an email"),
    pytest.param({"assessor": "a\x00be@example.org"}, "assessor", "null character", id="NUL"),
    pytest.param({"framework_id": ""}, "framework_id", "Choose one of the frameworks.", id="none"),
    pytest.param(
        {"framework_id": "999999"}, "framework_id", "Choose one of the frameworks.", id="unknown"
    ),
    pytest.param(
        {"framework_id": "9" * 30}, "framework_id", "Choose one of the frameworks.", id="huge"
    ),
    pytest.param(
        {"framework_id": "L7"}, "framework_id", "Choose one of the frameworks.", id="not a number"
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), ENROL_BAD_INPUT)
def test_an_enrolment_that_cannot_be_is_refused_with_the_form_as_typed(
    app, demo, demo_admin, changes, field, message
):
    changes = dict(changes)  # the parameter is shared by every database's run
    who = demo.people[changes.pop("who", "finn")]
    form = {"framework_id": str(demo.framework), "assessor": "abe@example.org", **changes}
    before = table_rows(app)

    answer = demo_admin.post(
        f"/admin/people/{who.id}/enrol", data={**form, "csrf_token": form_token(demo_admin)}
    )

    assert answer.status_code == 400
    assert message in message_of(answer.text, field)
    if "\x00" not in form["assessor"]:
        assert field_value(answer.text, "assessor") == form["assessor"]
    assert table_rows(app) == before


def test_enrolling_without_the_csrf_token_keeps_the_form(app, demo, demo_admin):
    finn = demo.people["finn"]
    before = table_rows(app)
    answer = demo_admin.post(
        f"/admin/people/{finn.id}/enrol",
        data={"framework_id": str(demo.framework), "assessor": "abe@example.org"},
    )
    assert answer.status_code == 400
    assert problem_of(answer.text).startswith(CSRF_REFUSED)
    assert field_value(answer.text, "assessor") == "abe@example.org"
    assert table_rows(app) == before


def test_without_a_framework_there_is_nothing_to_enrol_on(app, admin, make):
    nora = make.user("Nora")
    page = admin.get(f"/admin/people/{nora.id}/enrol")
    assert page.status_code == 200
    assert "No qualification framework is loaded yet." in plain(page.text)
    assert '<form method="post"' not in page.text.split("<main", 1)[1]
    before = table_rows(app)
    answer = admin.post(
        f"/admin/people/{nora.id}/enrol",
        data={"framework_id": "1", "assessor": "x@example.org", "csrf_token": form_token(admin)},
    )
    assert answer.status_code == 400
    assert table_rows(app) == before


# Changing the assessor -----------------------------------------------------------------------


def test_the_new_assessor_takes_over_the_enrolment_and_its_history(app, demo, demo_admin):
    cara, ada, abe = demo.people["cara"], demo.people["ada"], demo.people["abe"]
    path = f"/admin/enrolments/{demo.enrolment}/assessor"
    history = claims_assessed_by(app, ada.id)
    with app.app_context():
        caras = set(
            db.session.scalars(
                select(EvidenceClaim.id).where(EvidenceClaim.enrolment_id == demo.enrolment)
            )
        )
    assert caras and caras <= history
    page = demo_admin.get(path).text
    assert "Assessed now by Ada Assessor (ada@example.org)." in plain(page)

    answer = demo_admin.post(
        path, data={"assessor": "abe@example.org", "csrf_token": csrf_token_of(page)}
    )

    assert answer.status_code == 302
    assert answer.location == f"/admin/people/{cara.id}"
    shown = plain(demo_admin.get(answer.location).text)
    assert (
        "Abe Assessor now assesses Cara Candidate. Ada Assessor no longer has this enrolment."
        in shown
    )
    assert enrolment_row(app, demo.enrolment).assessor_id == abe.id
    assert caras <= claims_assessed_by(app, abe.id)  # the history comes with it
    assert not caras & claims_assessed_by(app, ada.id)  # and leaves the old assessor
    (event,) = events(app, "enrolment.assessor_changed")
    assert (event.subject_type, event.subject_id) == ("enrolment", str(demo.enrolment))
    assert event.detail == {
        "candidate_id": cara.id,
        "framework_id": demo.framework,
        "from_assessor_id": ada.id,
        "to_assessor_id": abe.id,
    }
    assert event.actor_id == demo.people["admin"].id
    ada_page = parse(demo_admin.get(f"/admin/people/{ada.id}").text)
    assert "Cara Candidate" not in ada_page.one("section", aria_labelledby="assessing").text


ASSESSOR_BAD_INPUT = [
    pytest.param("ada@example.org", "Ada Assessor is the assessor already.", id="the same one"),
    pytest.param(
        "cara@example.org",
        "A candidate cannot assess their own evidence: choose someone else.",
        id="herself",
    ),
    pytest.param(
        "nobody@example.org",
        "No one has an account for nobody@example.org. Check the address, or invite them.",
        id="no such account",
    ),
    pytest.param("", "Enter their email address.", id="empty"),
    pytest.param("ada", "Enter an email address", id="not an email"),
]


@pytest.mark.parametrize(("assessor", "message"), ASSESSOR_BAD_INPUT)
def test_an_assessor_who_cannot_be_is_refused_with_the_form_as_typed(
    app, demo, demo_admin, assessor, message
):
    before = table_rows(app)

    answer = demo_admin.post(
        f"/admin/enrolments/{demo.enrolment}/assessor",
        data={"assessor": assessor, "csrf_token": form_token(demo_admin)},
    )

    assert answer.status_code == 400
    assert message in message_of(answer.text, "assessor")
    assert field_value(answer.text, "assessor") == assessor
    assert table_rows(app) == before


def test_changing_the_assessor_without_the_csrf_token_changes_nothing(app, demo, demo_admin):
    before = table_rows(app)
    answer = demo_admin.post(
        f"/admin/enrolments/{demo.enrolment}/assessor", data={"assessor": "abe@example.org"}
    )
    assert answer.status_code == 400
    assert problem_of(answer.text).startswith(CSRF_REFUSED)
    assert field_value(answer.text, "assessor") == "abe@example.org"
    assert table_rows(app) == before


def test_the_new_assessor_reads_the_portfolio_and_the_old_one_no_longer_does(
    demo, demo_admin, browser
):
    coverage = f"/portfolios/{demo.enrolment}/coverage"
    ada = browser("ada@example.org", DEMO_PASSWORD)
    abe = browser("abe@example.org", DEMO_PASSWORD)
    assert (ada.get(coverage).status_code, abe.get(coverage).status_code) == (200, 404)

    answer = demo_admin.post(
        f"/admin/enrolments/{demo.enrolment}/assessor",
        data={"assessor": "abe@example.org", "csrf_token": form_token(demo_admin)},
    )

    assert answer.status_code == 302
    assert (ada.get(coverage).status_code, abe.get(coverage).status_code) == (404, 200)
    assert f'href="/portfolios/{demo.enrolment}/coverage"' not in ada.get("/portfolios").text
    assert f'href="/portfolios/{demo.enrolment}/coverage"' in abe.get("/portfolios").text
