"""Offering a reflection as evidence: the candidate picks criteria of their own framework(s),
grouped by unit, confirms that the work is their own, and a copy is frozen that later edits never
change. Bad input is refused with a clear message, the choices kept, nothing stored."""

from datetime import date

import pytest

from journal.evidence import claims
from journal.extensions import db
from journal.models import Decision, EvidenceClaim, Reflection, User
from tests.factories import stored, table_rows

from .conftest import (
    claim_ids,
    decide,
    enrol,
    events,
    make_framework,
    offer,
    stored_claim,
    write,
)


def offer_form(cast, *codes: str, declaration: bool = True, version: int = 1) -> dict:
    data = {"criteria": [str(cast.criteria[code]) for code in codes], "base_version": str(version)}
    if declaration:
        data["declaration"] = "y"
    return data


def checked(page) -> set[str]:
    return {
        box.attrs["value"]
        for box in page.select("input", type="checkbox")
        if "checked" in box.attrs
    }


def test_the_offer_page_lists_the_framework_criteria_grouped_by_unit(cast, make, visit):
    reflection = write(make, cast)
    page = visit(cast.cara).page(f"/evidence/offer/{reflection.id}")

    units = page.select("fieldset", cls="unit")
    assert [u.one("legend").text for u in units] == ["Unit 1: Self", "Unit 2: Change"]
    assert [b.attrs["value"] for b in units[0].select("input", type="checkbox")] == [
        str(cast.criteria["1.1"]),
        str(cast.criteria["1.2"]),
    ]
    # Each box is labelled with its code and text, and the assessor is named.
    assert page.one("label", **{"for": f"criterion-{cast.criteria['2.1']}"}).text == (
        "2.1 Criterion 2.1."
    )
    assert "Ada Assessor will read a copy" in page.text
    # What will be frozen is shown, as it is now.
    assert reflection.experience in page.one("section", cls="copy").text


def test_offering_freezes_a_copy_for_the_assessor_and_audits_it(app, cast, make, visit):
    reflection = write(make, cast, next_action="Ask the team.", action_due=date(2031, 5, 6))
    visitor = visit(cast.cara)

    answer = visitor.post(f"/evidence/offer/{reflection.id}", offer_form(cast, "2.1", "1.2"))

    (claim_id,) = claim_ids(app)
    assert answer.status_code == 302
    assert answer.location == f"/evidence/claims/{claim_id}"
    claim = stored_claim(app, claim_id)
    # In the framework's order, whatever the order of the boxes.
    assert [c.criterion_id for c in claim.criteria] == [cast.criteria["1.2"], cast.criteria["2.1"]]
    assert all(c.decision == Decision.PENDING for c in claim.criteria)
    assert claim.enrolment_id == cast.enrolments["cara"]
    assert claim.reflection_id == reflection.id
    copy = claim.frozen_content
    assert copy["experience"] == reflection.experience
    assert (copy["next_action"], copy["action_due"]) == ("Ask the team.", "2031-05-06")
    assert copy["reflection_version"] == 1
    assert copy["offered_at"] == claim.offered_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert claim.content_sha256 == claims.content_hash(copy)
    (event,) = events(app)
    assert (event.action, event.actor_id, event.subject_id) == (
        "claim.offered",
        cast.cara.id,
        str(claim_id),
    )
    assert event.detail == {
        "reflection": str(reflection.id),
        "version": 1,
        "criteria": [cast.criteria["1.2"], cast.criteria["2.1"]],
    }
    flash = visitor.page(answer.location).one("p", cls="flash").text
    assert flash.startswith("Offered as evidence to Ada Assessor.")


def test_a_private_reflection_may_be_offered_and_its_copy_reaches_the_assessor(
    app, cast, make, visit
):
    reflection = write(make, cast, "private", experience="Only for me and my assessor.")
    visit(cast.cara).post(f"/evidence/offer/{reflection.id}", offer_form(cast, "1.1"))

    (claim_id,) = claim_ids(app)
    page = visit(cast.ada).page(f"/evidence/claims/{claim_id}")
    assert "Only for me and my assessor." in page.one("section", aria_labelledby="copy").text
    # The live reflection stays hers alone.
    assert visit(cast.ada).get(f"/reflections/{reflection.id}").status_code == 404


BAD_OFFERS = [
    pytest.param({"declaration": False}, "Confirm that this is your own work", id="no-declaration"),
    pytest.param({"codes": ()}, "Choose at least one criterion", id="no-criteria"),
    pytest.param({"raw": ["abc"]}, "Invalid choice", id="not-a-number"),
    pytest.param({"raw": ["٣"]}, "Invalid choice", id="not-ascii-digits"),
    pytest.param({"raw": ["99999999999999999999"]}, "Invalid choice", id="too-big"),
    pytest.param({"raw": ["other"]}, "Choose among your own qualification", id="other-framework"),
]


@pytest.mark.parametrize(("change", "message"), BAD_OFFERS)
def test_a_bad_offer_is_refused_with_the_choices_kept_and_nothing_stored(
    app, cast, make, visit, change, message
):
    reflection = write(make, cast)
    _, others = make_framework(app)
    data = offer_form(
        cast,
        *change.get("codes", ("1.2", "2.1")),
        **({"declaration": change["declaration"]} if "declaration" in change else {}),
    )
    if "raw" in change:
        raw = [str(others["1.1"]) if value == "other" else value for value in change["raw"]]
        data["criteria"] = [str(cast.criteria["1.2"]), *raw]
    before = table_rows(app)

    answer = visit(cast.cara).post(f"/evidence/offer/{reflection.id}", data)

    assert answer.status_code == 400
    assert message in answer.text
    assert table_rows(app) == before
    from tests.reflections.test_pages import parse

    page = parse(answer.text)
    if "raw" not in change and change.get("codes", True):
        assert checked(page) == {str(cast.criteria["1.2"]), str(cast.criteria["2.1"])}


def test_an_offer_of_a_reflection_changed_meanwhile_is_refused_and_shows_the_new_text(
    app, cast, make, visit
):
    reflection = write(make, cast)
    with app.app_context():
        live = db.session.get(Reflection, reflection.id)
        live.experience = "Rewritten on the phone."
        db.session.commit()
    before = table_rows(app)

    answer = visit(cast.cara).post(
        f"/evidence/offer/{reflection.id}", offer_form(cast, "1.1", version=1)
    )

    assert answer.status_code == 409
    assert "changed on another device" in answer.text
    assert "Rewritten on the phone." in answer.text
    assert 'name="base_version" type="hidden" value="2"' in answer.text
    assert table_rows(app) == before


def test_offering_the_same_unchanged_reflection_twice_is_refused(app, cast, make, visit):
    reflection = write(make, cast)
    visitor = visit(cast.cara)
    assert (
        visitor.post(f"/evidence/offer/{reflection.id}", offer_form(cast, "1.1")).status_code == 302
    )
    page = visitor.page(f"/evidence/offer/{reflection.id}")
    assert (
        "(offered already, as it stands)"
        in page.one("label", **{"for": f"criterion-{cast.criteria['1.1']}"}).text
    )

    again = visitor.post(f"/evidence/offer/{reflection.id}", offer_form(cast, "1.1"))

    assert again.status_code == 400
    assert "Already offered against these" in again.text
    assert len(claim_ids(app)) == 1
    # Another criterion is a new claim.
    assert (
        visitor.post(f"/evidence/offer/{reflection.id}", offer_form(cast, "1.2")).status_code == 302
    )
    assert len(claim_ids(app)) == 2


def test_an_offer_sent_twice_at_once_makes_one_claim_and_the_second_goes_to_it(
    app, cast, make, visit, monkeypatch
):
    """A double tap or two tabs: both requests pass the check before either has committed.
    The database refuses the second claim; its sender is sent to the first, told why."""
    reflection = write(make, cast)
    choices_of = claims.offer_choices

    def other_tab_commits_first(candidate, live):
        found = choices_of(candidate, live)
        with app.app_context():  # the other request: a session and connection of its own
            first = offer(app, cast, reflection, ("1.2", "1.1"))
        monkeypatch.setattr(claims, "offer_choices", choices_of)
        other_tab_commits_first.first = first
        return found

    monkeypatch.setattr(claims, "offer_choices", other_tab_commits_first)
    visitor = visit(cast.cara)
    answer = visitor.post(f"/evidence/offer/{reflection.id}", offer_form(cast, "1.1"))

    assert answer.status_code == 302
    assert answer.location == f"/evidence/claims/{other_tab_commits_first.first}"
    assert claim_ids(app) == [other_tab_commits_first.first]
    flash = visitor.page(answer.location).one("p", cls="flash").text
    assert flash.startswith("You had offered this already")


def test_the_database_holds_one_live_claim_per_version_and_criterion(app, cast, make):
    reflection = write(make, cast)
    first = offer(app, cast, reflection, ("1.1",))

    with pytest.raises(claims.AlreadyOffered):
        offer(app, cast, reflection, ("1.2", "1.1"))
    # Another criterion of the same version is another claim; once the first claim is
    # withdrawn, its criterion may be offered again.
    offer(app, cast, reflection, ("1.2",))
    with app.app_context():
        claims.withdraw(db.session.get(EvidenceClaim, first), db.session.get(User, cast.cara.id))
        db.session.commit()
    again = offer(app, cast, reflection, ("1.1",))
    assert len(claim_ids(app)) == 3
    # A new version is a new offer, the earlier claim still live.
    with app.app_context():
        db.session.get(Reflection, reflection.id).version += 1
        db.session.commit()
    assert offer(app, cast, reflection, ("1.1",)) > again


def test_a_candidate_on_two_frameworks_makes_one_claim_per_assessor(app, cast, make, visit):
    second, criteria = make_framework(app)
    enrol(app, cast.cara, second, cast.abe)
    reflection = write(make, cast)
    data = offer_form(cast, "1.1")
    data["criteria"].append(str(criteria["2.2"]))

    answer = visit(cast.cara).post(f"/evidence/offer/{reflection.id}", data)

    assert answer.status_code == 302
    assert answer.location == "/evidence"
    made = [stored_claim(app, i) for i in claim_ids(app)]
    assert len(made) == 2
    assert made[0].frozen_content == made[1].frozen_content  # frozen once
    assert {tuple(c.criterion_id for c in claim.criteria) for claim in made} == {
        (cast.criteria["1.1"],),
        (criteria["2.2"],),
    }
    assert f"/evidence/claims/{made[1].id}" in visit(cast.abe).get("/").text
    assert f"/evidence/claims/{made[1].id}" not in visit(cast.ada).get("/").text


def test_someone_enrolled_nowhere_is_told_and_cannot_offer(app, cast, make, visit):
    fran_reflection = make.reflection(cast.fran, None, "private")
    visitor = visit(cast.fran)
    page = visitor.get(f"/evidence/offer/{fran_reflection.id}")
    assert page.status_code == 200
    assert "not enrolled on a qualification" in page.text
    before = table_rows(app)

    answer = visitor.post(
        f"/evidence/offer/{fran_reflection.id}",
        {"criteria": [str(cast.criteria["1.1"])], "declaration": "y", "base_version": "1"},
    )

    assert answer.status_code == 400
    assert table_rows(app) == before
    # Nor does the reflection's page offer it.
    assert "Offer as evidence" not in visitor.get(f"/reflections/{fran_reflection.id}").text


def test_the_reflection_page_offers_it_and_lists_its_claims_to_its_author_only(
    app, cast, make, visit
):
    reflection = write(make, cast, "set")
    page = visit(cast.cara).page(f"/reflections/{reflection.id}")
    section = page.one("section", aria_labelledby="as-evidence")
    assert "Not offered as evidence yet." in section.text
    assert section.select("a", href=f"/evidence/offer/{reflection.id}")

    claim_id = offer(app, cast, reflection, ("1.1", "2.2"))

    section = (
        visit(cast.cara)
        .page(f"/reflections/{reflection.id}")
        .one("section", aria_labelledby="as-evidence")
    )
    assert section.select("a", href=f"/evidence/claims/{claim_id}")
    assert "1.1, 2.2" in section.text
    # Cal and Fran read the reflection, but nothing of the claim.
    for reader in (cast.cal, cast.fran):
        answer = visit(reader).get(f"/reflections/{reflection.id}")
        assert answer.status_code == 200
        assert "as-evidence" not in answer.text
        assert f"/evidence/claims/{claim_id}" not in answer.text


# Later edits never change the copy -------------------------------------------------------------


def test_later_edits_do_not_change_the_copy_and_the_candidate_is_told(app, cast, make, visit):
    reflection = write(make, cast, experience="As offered.")
    claim_id = offer(app, cast, reflection)
    frozen = stored_claim(app, claim_id)
    cara = visit(cast.cara)
    assert "changed this reflection" not in cara.get(f"/evidence/claims/{claim_id}").text
    # Changing who may read it is no change to what it says.
    with app.app_context():
        db.session.get(Reflection, reflection.id).visibility = "set"
        db.session.commit()
    assert "changed this reflection" not in cara.get(f"/evidence/claims/{claim_id}").text

    form = {
        "experience": "Rewritten afterwards.",
        "insight": "",
        "next_action": "",
        "action_due": "",
        "meeting_id": str(cast.last.id),
        "set_id": str(cast.last.set_id),
        "visibility": "set",
        "base_version": "2",
    }
    assert cara.post(f"/reflections/{reflection.id}/edit", form).status_code == 302

    after = stored_claim(app, claim_id)
    assert (after.frozen_content, after.content_sha256) == (
        frozen.frozen_content,
        frozen.content_sha256,
    )
    page = cara.page(f"/evidence/claims/{claim_id}")
    assert (
        "You have changed this reflection since you offered it" in page.one("div", cls="alert").text
    )
    assert "As offered." in page.one("section", aria_labelledby="copy").text
    assert "Rewritten afterwards." not in page.text
    # The assessor reads the copy, and is told nothing of the live reflection.
    ada = visit(cast.ada).get(f"/evidence/claims/{claim_id}").text
    assert "As offered." in ada
    assert "Rewritten afterwards." not in ada
    assert "changed this reflection" not in ada
    assert f"/reflections/{reflection.id}" not in ada


def test_accepted_evidence_outlives_its_deleted_reflection(app, cast, make, visit):
    reflection = write(make, cast, experience="Kept as evidence.")
    claim_id = offer(app, cast, reflection, ("1.1",))
    decide(app, claim_id, cast.criteria["1.1"], cast.ada, Decision.ACCEPTED)
    cara = visit(cast.cara)

    assert cara.post(f"/reflections/{reflection.id}/delete", {}).status_code == 302

    assert stored(app, reflection.id) is None
    claim = stored_claim(app, claim_id)
    assert claim is not None
    assert claims.verifies(claim)
    page = cara.page(f"/evidence/claims/{claim_id}")
    assert "You have deleted this reflection" in page.text
    assert "Kept as evidence." in page.text
    assert "Kept as evidence." in visit(cast.ada).page(f"/evidence/claims/{claim_id}").text
    with app.app_context():
        assert db.session.get(EvidenceClaim, claim_id).criteria[0].decision == "accepted"
