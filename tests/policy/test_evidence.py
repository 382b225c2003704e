"""The evidence policy: SPEC.md's "offer / withdraw evidence" and "decide evidence" rows, and
"only its evidence copy" for the assigned assessor, every cell through HTTP, claims and the
portfolio they make (its coverage, its exports) alike.

A claim belongs to its enrolment's two people: the candidate (who offers, withdraws, comments)
and the *current* assessor (who reads the frozen copy, decides, comments, reads the history).
Everyone else gets 404 on every evidence route, the same 404 as for an id that does not exist,
and finds nothing of a claim on any page; who may see a claim but not do something gets 403.

The world is tests/policy/test_reflections.py's: the author (a candidate in sets A and B) has
offered both reflections under test to their assessor; `candidate_c` is another candidate,
assessed by the other assessor.
"""

import io
import zipfile

import pytest
from flask import Flask
from sqlalchemy import select

from journal.evidence import claims
from journal.extensions import db
from journal.models import (
    ClaimComment,
    Criterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    Reflection,
    User,
)
from tests.factories import stored, table_rows

from .test_reflections import (
    _CAST,
    FORBIDDEN,
    NOT_FOUND,
    OK,
    SIGN_IN,
    VISIBILITIES,
    _without_tokens,
    assert_page,
    build_world,
    expected,
    sign_in,
)

# SPEC.md's rows for evidence, by role: what each may do with the author's claims, and with
# the portfolio they make (its coverage; exporting it and downloading the file).
#                     read        decide      withdraw    comment     portfolio   coverage export
EVIDENCE = {
    "author": (OK, FORBIDDEN, OK, OK, OK, OK, OK),
    "assigned assessor": (OK, OK, FORBIDDEN, OK, OK, OK, OK),
}
NOBODY = (NOT_FOUND,) * 7
ACTIONS = ("read", "decide", "withdraw", "comment", "portfolio", "coverage", "export")
# Not in SPEC.md's columns, but in the brief: a candidate with claims of their own.
CAST = [*_CAST, ("candidate with their own claims", "candidate_c")]


def evidence_outcome(role: str, action: str) -> str:
    if role == "anonymous":
        return SIGN_IN
    return EVIDENCE.get(role, NOBODY)[ACTIONS.index(action)]


def cells() -> list:
    return [
        pytest.param(
            role, person, action, evidence_outcome(role, action), id=f"{person or role}-{action}"
        )
        for role, person in dict.fromkeys(CAST)
        for action in ACTIONS
    ]


def claim_of(app: Flask, reflection: Reflection) -> EvidenceClaim:
    with app.app_context():
        claim = db.session.scalars(
            select(EvidenceClaim).where(EvidenceClaim.reflection_id == reflection.id)
        ).one()
        db.session.expunge(claim)
        return claim


def criterion_of(app: Flask, claim: EvidenceClaim) -> int:
    with app.app_context():
        return db.session.get(EvidenceClaim, claim.id).criteria[0].criterion_id


def secret_of(reflection: Reflection) -> str:
    return reflection.experience.split()[1]


@pytest.mark.parametrize(("role", "person", "action", "outcome"), cells())
def test_evidence_matrix(app, client, make, role, person, action, outcome):
    world = build_world(app, make, "private", linked=True)
    claim = claim_of(app, world.reflection)
    criterion = criterion_of(app, claim)
    token = sign_in(client, world.people[person] if person else None)
    secret = secret_of(world.reflection)
    before = table_rows(app)

    if action == "read":
        answer = client.get(f"/evidence/claims/{claim.id}")
        assert_page(answer, outcome, secret)
        if outcome == OK:
            assert secret in answer.text
            assert claim.content_sha256 in answer.text

    elif action == "decide":
        prefix = f"c{criterion}"
        answer = client.post(
            f"/evidence/claims/{claim.id}/criteria/{criterion}",
            data={
                f"{prefix}-csrf_token": token,
                f"{prefix}-decision": "not_yet",
                f"{prefix}-feedback": "More.",
            },
        )
        assert_page(answer, outcome, secret, ok_status=302)
        with app.app_context():
            decided = db.session.get(EvidenceClaim, claim.id).criteria[0].decision
        assert decided == ("not_yet" if outcome == OK else "pending")

    elif action == "withdraw":
        assert_page(client.get(f"/evidence/claims/{claim.id}/withdraw"), outcome, secret)
        answer = client.post(f"/evidence/claims/{claim.id}/withdraw", data={"csrf_token": token})
        assert_page(answer, outcome, secret, ok_status=302)
        with app.app_context():
            withdrawn = db.session.get(EvidenceClaim, claim.id).withdrawn_at
        assert (withdrawn is not None) is (outcome == OK)

    elif action == "comment":
        answer = client.post(
            f"/evidence/claims/{claim.id}/comments", data={"csrf_token": token, "body": "Hello."}
        )
        assert_page(answer, outcome, secret, ok_status=302)
        with app.app_context():
            count = len(db.session.scalars(select(ClaimComment)).all())
        assert count == (1 if outcome == OK else 0)

    elif action == "coverage":
        answer = client.get(f"/portfolios/{claim.enrolment_id}/coverage")
        assert_page(answer, outcome, secret)
        if outcome == OK:
            assert "criteria accepted" in answer.text

    elif action == "export":
        answer = client.post(
            f"/portfolios/{claim.enrolment_id}/exports", data={"csrf_token": token, "format": "zip"}
        )
        assert_page(answer, outcome, secret, ok_status=302)
        if outcome == OK:
            download = client.get(f"{answer.location}/download")
            assert download.status_code == 200
            manifest = zipfile.ZipFile(io.BytesIO(download.data)).read("manifest.json").decode()
            assert secret in manifest and claim.content_sha256 in manifest

    else:
        answer = client.get(f"/evidence/candidates/{world.people['author'].id}")
        # The author's own portfolio is /evidence.
        ok_status = 302 if role == "author" else 200
        assert_page(answer, outcome, secret, ok_status=ok_status)
        if outcome == OK and role != "author":
            assert f"/evidence/claims/{claim.id}" in answer.text

    if outcome != OK:
        assert table_rows(app) == before


# Offering follows the reflection's own rule: its author alone; a reader who may not change it 403.
OFFER_CELLS = [
    pytest.param(
        role,
        person,
        visibility,
        expected(role, visibility, "edit"),
        id=f"{person or role}-{visibility}",
    )
    for role, person in dict.fromkeys(_CAST)
    for visibility in VISIBILITIES
]


@pytest.mark.parametrize(("role", "person", "visibility", "outcome"), OFFER_CELLS)
def test_offer_matrix(app, client, make, role, person, visibility, outcome):
    world = build_world(app, make, visibility, linked=True)
    token = sign_in(client, world.people[person] if person else None)
    reflection = world.reflection
    with app.app_context():
        criterion = db.session.scalars(select(Criterion.id)).first()
        # Changed since it was offered, so offering it again against that criterion is new.
        db.session.get(Reflection, reflection.id).insight = "Seen differently now."
        db.session.commit()
    url = f"/evidence/offer/{reflection.id}"
    form = {"csrf_token": token, "criteria": [str(criterion)], "declaration": "y"}
    before = table_rows(app)

    assert_page(client.get(url), outcome, secret_of(reflection))
    answer = client.post(url, data={**form, "base_version": "2"})

    assert_page(answer, outcome, secret_of(reflection), ok_status=302)
    with app.app_context():
        offered = db.session.scalars(
            select(EvidenceClaim.id).where(EvidenceClaim.reflection_id == reflection.id)
        ).all()
    assert len(offered) == (2 if outcome == OK else 1)
    if outcome != OK:
        assert table_rows(app) == before


# A 404 says nothing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "person", ["candidate_a", "facilitator_a", "other_assessor", "admin", "candidate_c"]
)
def test_a_hidden_claim_looks_exactly_like_one_that_does_not_exist(app, client, make, person):
    world = build_world(app, make, "set", linked=True)
    claim = claim_of(app, world.reflection)
    criterion = criterion_of(app, claim)
    token = sign_in(client, world.people[person])
    missing = claim.id + 1000
    nobody = max(p.id for p in world.people.values()) + 1000
    pairs = [
        ("get", f"/evidence/claims/{claim.id}", f"/evidence/claims/{missing}"),
        ("get", f"/evidence/claims/{claim.id}/withdraw", f"/evidence/claims/{missing}/withdraw"),
        (
            "post",
            f"/evidence/claims/{claim.id}/criteria/{criterion}",
            f"/evidence/claims/{missing}/criteria/{criterion}",
        ),
        ("post", f"/evidence/claims/{claim.id}/comments", f"/evidence/claims/{missing}/comments"),
        (
            "get",
            f"/evidence/candidates/{world.people['author'].id}",
            f"/evidence/candidates/{nobody}",
        ),
        (
            "get",
            f"/portfolios/{claim.enrolment_id}/coverage",
            f"/portfolios/{claim.enrolment_id + 1000}/coverage",
        ),
        (
            "get",
            f"/portfolios/{claim.enrolment_id}/exports",
            f"/portfolios/{claim.enrolment_id + 1000}/exports",
        ),
    ]
    for method, hidden_url, unknown_url in pairs:
        send = getattr(client, method)
        data = {"csrf_token": token, "body": "x"} if method == "post" else None
        hidden, unknown = send(hidden_url, data=data), send(unknown_url, data=data)
        assert hidden.status_code == unknown.status_code == 404, hidden_url
        assert _without_tokens(hidden.text) == _without_tokens(unknown.text)


# Claims change nothing that anyone else sees, not even a count ----------------------------------

# Not /evidence: opening it marks one's own evidence as seen, which the home page then says.
WATCHED = ("/", "/reflections", "/shared", "/api/v1/me", "/api/v1/reflections")


def _pages(client) -> dict[str, str]:
    found = {}
    for path in WATCHED:
        answer = client.get(path)
        assert answer.status_code == 200, path
        found[path] = _without_tokens(answer.text)
    return found


def test_offering_deciding_and_commenting_leave_everyone_elses_pages_unchanged(app, make):
    world = build_world(app, make, None)
    strangers = ["candidate_a", "candidate_c", "facilitator_a", "facilitator_b", "other_assessor"]
    browsers = {}
    before = {}
    for person in strangers:
        browsers[person] = app.test_client()
        sign_in(browsers[person], world.people[person])
        before[person] = _pages(browsers[person])
    reflection = make.reflection(
        world.people["author"], world.meeting, "set", experience="Set words."
    )
    with app.app_context():
        author = db.session.get(User, world.people["author"].id)
        enrolment = db.session.scalars(
            select(Enrolment).where(Enrolment.candidate_id == author.id)
        ).one()
        criterion = db.session.scalars(select(Criterion)).first()
        claim = claims.offer(db.session.get(Reflection, reflection.id), enrolment, [criterion])
        assessor = db.session.get(User, world.people["assessor"].id)
        claims.decide(claim.criteria[0], assessor, Decision.NOT_YET, "Needs more.")
        claims.add_comment(claim, assessor, "A question.")
        db.session.commit()
        claim_id = claim.id
    # Candidate A and Facilitator A read the live reflection (it is `set`), so their pages
    # change by that alone; the others' do not change at all.
    for person in strangers:
        after = _pages(browsers[person])
        for path, page in {**after, "/evidence": browsers[person].get("/evidence").text}.items():
            assert f"/evidence/claims/{claim_id}" not in page, (person, path)
            assert "Needs more." not in page and "A question." not in page, (person, path)
        if person in ("candidate_c", "facilitator_b", "other_assessor"):
            assert after == before[person], person


# The assessor never reads the live reflection ---------------------------------------------


def test_the_assigned_assessor_reads_only_the_copy_never_the_live_reflection(app, client, make):
    world = build_world(app, make, "set", linked=True)
    claim = claim_of(app, world.reflection)
    sign_in(client, world.people["assessor"])
    with app.app_context():
        db.session.get(Reflection, world.reflection.id).experience = "Live words after the offer."
        db.session.commit()

    assert client.get(f"/reflections/{world.reflection.id}").status_code == 404
    assert client.get(f"/api/v1/reflections/{world.reflection.id}").status_code == 404
    listed = client.get("/api/v1/reflections").json["reflections"]
    assert str(world.reflection.id) not in {r["id"] for r in listed}
    page = client.get(f"/evidence/claims/{claim.id}").text
    assert secret_of(world.twin) not in page  # the other claim's copy is on its own page
    assert "Live words after the offer." not in page
    assert claim.frozen_content["experience"].split()[1] in page
    assert stored(app, world.reflection.id).experience == "Live words after the offer."


def test_the_policy_module_agrees_with_the_pages(app, make):
    from journal import policy

    world = build_world(app, make, "private", linked=True)
    claim = claim_of(app, world.reflection)
    with app.app_context():
        for name, person in world.people.items():
            user = db.session.get(User, person.id)
            readable = set(
                db.session.scalars(policy.readable_claims(user).with_only_columns(EvidenceClaim.id))
            )
            assessed = set(
                db.session.scalars(policy.assessed_claims(user).with_only_columns(EvidenceClaim.id))
            )
            assert (claim.id in readable) is (name in ("author", "assessor")), name
            assert (claim.id in assessed) is (name == "assessor"), name
