"""Scheduling, changing and cancelling a meeting: times in the installation's zone through summer
time, bad input answered with the form and what was typed, nothing stored by a refusal, an
audit event (ids, no text) for each change, and a cancelled meeting that no longer counts."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from journal.extensions import db
from journal.models import Meeting, Reflection
from journal.templating import format_datetime
from tests.factories import stored, table_rows
from tests.reflections.test_pages import (
    Element,
    card_ids,
    field_errors,
    form_values,
    meeting_lines,
    parse,
    set_sections,
)
from tests.reflections.test_review import starts, to_review

from .common import audit_events, meetings_of, stored_meeting

FORM = {
    "date": "2027-07-01",
    "start_time": "18:00",
    "end_time": "20:30",
    "location": "Room 4, City Chambers",
    "agenda": "1. Check-in\n2. **Presentations**",
}


def newest(app, cast):
    return max(meetings_of(app, cast.glasgow.id), key=lambda m: m.id)


def test_a_facilitator_schedules_a_meeting_in_local_summer_time(app, cast, visit):
    fran = visit(cast.fran)
    answer = fran.post(f"/sets/{cast.glasgow.id}/meetings/new", FORM)

    assert answer.status_code == 302
    meeting = newest(app, cast)
    # 18:00 in Glasgow in July is 17:00 UTC (BST, UTC+1).
    assert meeting.starts_at == datetime(2027, 7, 1, 17, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2027, 7, 1, 19, 30, tzinfo=UTC)
    assert (meeting.location, meeting.agenda) == (FORM["location"], FORM["agenda"])
    page = fran.page(f"/meetings/{meeting.id}")
    assert ("Starts", "Thu 1 Jul 2027, 18:00") in meeting_lines(page)
    assert page.one("div", cls="prose").select("strong")[0].text == "Presentations"
    assert "Meeting scheduled." in page.text


def test_winter_time_is_utc_in_london(app, cast, visit):
    visit(cast.fran).post(f"/sets/{cast.glasgow.id}/meetings/new", {**FORM, "date": "2027-12-01"})
    assert newest(app, cast).starts_at == datetime(2027, 12, 1, 18, 0, tzinfo=UTC)


def test_a_time_skipped_by_the_clocks_going_forward_is_refused(app, cast, visit):
    """Europe/London, 28 March 2027: 01:00 becomes 02:00, so 01:30 never happens."""
    fran = visit(cast.fran)
    before = table_rows(app)
    form = {**FORM, "date": "2027-03-28", "start_time": "01:30", "end_time": ""}

    answer = fran.post(f"/sets/{cast.glasgow.id}/meetings/new", form)

    assert answer.status_code == 400
    errors = field_errors(parse_page(answer))
    assert "does not exist" in errors["start_time"]
    assert "clocks go forward" in errors["start_time"]
    assert table_rows(app) == before
    assert form_values(parse_page(answer).one("form", cls="meeting"))["start_time"] == "01:30"


def test_an_end_skipped_by_the_clocks_going_forward_is_refused(app, cast, visit):
    form = {**FORM, "date": "2027-03-28", "start_time": "00:30", "end_time": "01:15"}
    answer = visit(cast.fran).post(f"/sets/{cast.glasgow.id}/meetings/new", form)
    assert answer.status_code == 400
    assert "does not exist" in field_errors(parse_page(answer))["end_time"]


def test_a_time_that_happens_twice_is_the_first_of_the_two_and_said_so(app, cast, visit):
    """Europe/London, 31 October 2027: 02:00 BST becomes 01:00 GMT, so 01:30 happens twice;
    the rule is fold=0: the first, still in summer time (00:30 UTC)."""
    fran = visit(cast.fran)
    form = {**FORM, "date": "2027-10-31", "start_time": "01:30", "end_time": "03:00"}

    answer = fran.post(f"/sets/{cast.glasgow.id}/meetings/new", form)

    assert answer.status_code == 302
    meeting = newest(app, cast)
    assert meeting.starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert meeting.ends_at == datetime(2027, 10, 31, 3, 0, tzinfo=UTC)
    page = fran.page(answer.headers["Location"])
    assert any("happens twice" in p.text for p in page.select("p", cls="flash"))
    assert ("Starts", "Sun 31 Oct 2027, 01:30") in meeting_lines(page)
    # Opened again for editing, it shows the time as typed.
    values = form_values(fran.page(f"/meetings/{meeting.id}/edit").one("form", cls="meeting"))
    assert (values["date"], values["start_time"], values["end_time"]) == (
        "2027-10-31",
        "01:30",
        "03:00",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date": ""}, "date", "Enter the date"),
        ({"date": "2027-02-30"}, "date", "Not a valid date"),
        ({"date": "1800-01-01"}, "date", "Choose a date between"),
        ({"start_time": ""}, "start_time", "Enter the time"),
        ({"start_time": "25:00"}, "start_time", "Not a valid time"),
        ({"end_time": "17:00"}, "end_time", "The end must be after the start."),
        ({"end_time": "18:00"}, "end_time", "The end must be after the start."),
        ({"location": "x" * 501}, "location", "500"),
        ({"agenda": "x" * 20_001}, "agenda", "20000"),
        ({"agenda": "a\x00b"}, "agenda", "null character"),
        ({"location": "\x00"}, "location", "null character"),
    ],
)
def test_bad_input_is_refused_with_everything_typed_kept(app, cast, visit, changes, field, message):
    fran = visit(cast.fran)
    before = table_rows(app)
    sent = {**FORM, **changes}

    answer = fran.post(f"/sets/{cast.glasgow.id}/meetings/new", sent)

    assert answer.status_code == 400
    page = parse_page(answer)
    errors = field_errors(page)
    assert list(errors) == [field]
    assert message in errors[field]
    assert table_rows(app) == before
    if "\x00" not in "".join(sent.values()):
        kept = {**sent, "location": sent["location"].strip()}
        assert without_token(form_values(page.one("form", cls="meeting"))) == kept


def test_editing_with_bad_input_changes_nothing(app, cast, visit):
    fran = visit(cast.fran)
    before = table_rows(app)
    answer = fran.post(f"/meetings/{cast.next.id}/edit", {**FORM, "end_time": "09:00"})
    assert answer.status_code == 400
    assert table_rows(app) == before


@pytest.mark.parametrize(
    "path", ["/sets/{glasgow}/meetings/new", "/meetings/{next}/edit", "/meetings/{next}/cancel"]
)
def test_a_form_without_its_csrf_token_is_refused(app, cast, visit, path):
    fran = visit(cast.fran)
    before = table_rows(app)
    path = path.format(glasgow=cast.glasgow.id, next=cast.next.id)
    assert fran.post(path, FORM, csrf=False).status_code == 400
    assert fran.post(path, {**FORM, "csrf_token": "forged"}, csrf=False).status_code == 400
    assert table_rows(app) == before


def test_changing_a_meeting_records_what_changed_and_no_text(app, cast, visit):
    fran = visit(cast.fran)
    answer = fran.post(f"/meetings/{cast.next.id}/edit", {**FORM, "agenda": "Secret plans"})
    assert answer.status_code == 302
    meeting = stored_meeting(app, cast.next.id)
    assert meeting.agenda == "Secret plans"
    [event] = audit_events(app)
    assert (event.action, event.subject_type, event.subject_id) == (
        "meeting.changed",
        "meeting",
        str(cast.next.id),
    )
    assert event.actor_id == cast.fran.id
    assert event.detail == {
        "set_id": cast.glasgow.id,
        "fields": ["starts_at", "ends_at", "location", "agenda"],
    }
    assert "Secret" not in repr(event.detail)


def test_saving_a_meeting_unchanged_records_nothing(app, cast, visit):
    fran = visit(cast.fran)
    fran.post(f"/sets/{cast.glasgow.id}/meetings/new", FORM)
    meeting = newest(app, cast)
    page = fran.page(f"/meetings/{meeting.id}/edit")
    values = without_token(form_values(page.one("form", cls="meeting")))
    assert values == FORM

    assert fran.post(f"/meetings/{meeting.id}/edit", values).status_code == 302
    assert [e.action for e in audit_events(app)] == ["meeting.scheduled"]
    assert stored_meeting(app, meeting.id).starts_at == meeting.starts_at


def test_scheduling_and_cancelling_are_audited(app, cast, visit):
    fran = visit(cast.fran)
    fran.post(f"/sets/{cast.glasgow.id}/meetings/new", FORM)
    meeting = newest(app, cast)
    fran.post(f"/meetings/{meeting.id}/cancel", {})
    events = [(e.action, e.subject_id, e.actor_id, e.detail) for e in audit_events(app)]
    assert events == [
        ("meeting.scheduled", str(meeting.id), cast.fran.id, {"set_id": cast.glasgow.id}),
        ("meeting.cancelled", str(meeting.id), cast.fran.id, {"set_id": cast.glasgow.id}),
    ]
    assert all(e.at is not None for e in audit_events(app))


def test_a_cancelled_meeting_is_kept_marked_and_not_the_last_or_next(app, cast, make, visit):
    """Cancelling the last meeting makes the one before it "the last meeting" again; a
    reflection written for it keeps its link and its readers."""
    reflection = make.reflection(cast.cal, stored_meeting(app, cast.last.id), "set")
    fran = visit(cast.fran)
    assert fran.post(f"/meetings/{cast.last.id}/cancel", {}).status_code == 302
    assert fran.post(f"/meetings/{cast.next.id}/cancel", {}).status_code == 302

    cara = visit(cast.cara)
    home = set_sections(cara.page("/"))[cast.glasgow.id]
    lines = dict(meeting_lines(home))
    earlier = stored_meeting(app, cast.earlier.id)
    with app.app_context():
        assert lines["Last meeting"] == format_datetime(earlier.starts_at)
    assert lines["Next meeting"] == "None scheduled"
    page = cara.page(f"/meetings/{cast.last.id}")
    assert "Cancelled" in page.one("div", cls="alert").text
    assert card_ids(page) == [reflection.id]
    past = cara.page(f"/sets/{cast.glasgow.id}").one("section", aria_labelledby="past")
    assert "Cancelled" in past.text
    # Not offered for linking a new reflection, and not in the API's list.
    assert str(cast.last.id) not in [
        o.attrs.get("value") for o in cara.page("/reflections/new").select("option")
    ]
    assert cast.last.id not in [m["id"] for m in cara.get("/api/v1/meetings").json["meetings"]]


def parse_page(answer) -> Element:
    return parse(answer.text)


def without_token(values: dict) -> dict:
    return {name: value for name, value in values.items() if name != "csrf_token"}


# Actions carried to a cancelled meeting ------------------------------------------------------


def carried_to(make, author, meeting, **fields) -> Reflection:
    """An action committed at `author`'s set's last meeting, carried forward to `meeting`."""
    return make.reflection(
        author,
        None,
        "set",
        learning_set=fields.pop("learning_set"),
        action_status="carried",
        carried_to_meeting_id=meeting.id if meeting else None,
        next_action=f"{author.name}'s action {uuid.uuid4().hex[:6]}",
        **fields,
    )


def carried_list(page: Element) -> list[str]:
    """The hrefs of the actions a meeting page lists as carried forward to it."""
    section = page.one("section", aria_labelledby="carried")
    return [a.attrs["href"] for a in section.select("a") if "/reflections/" in a.attrs["href"]]


def test_cancelling_a_meeting_carries_its_actions_on_to_the_next_one(app, cast, make, visit):
    later = make.meeting(cast.glasgow, 14)
    caras = carried_to(make, cast.cara, cast.next, learning_set=cast.glasgow)
    cals = carried_to(make, cast.cal, cast.next, learning_set=cast.glasgow)
    already_later = carried_to(make, cast.cal, later, learning_set=cast.glasgow)
    lees = carried_to(make, cast.lee, None, learning_set=cast.leeds)  # another set's

    assert visit(cast.fran).post(f"/meetings/{cast.next.id}/cancel", {}).status_code == 302

    for reflection in (caras, cals, already_later):
        saved = stored(app, reflection.id)
        assert (saved.action_status, saved.carried_to_meeting_id) == ("carried", later.id)
        assert saved.version == reflection.version  # the author changed nothing
    assert stored(app, lees.id).carried_to_meeting_id is None
    assert set(carried_list(visit(cast.fran).page(f"/meetings/{later.id}"))) == {
        f"/reflections/{r.id}" for r in (caras, cals, already_later)
    }
    (event,) = [e for e in audit_events(app) if e.action == "meeting.cancelled"]
    assert event.detail == {
        "set_id": cast.glasgow.id,
        "actions_carried_on": 2,
        "carried_to_meeting_id": later.id,
    }
    # Once that meeting has started, the round asks Cara about hers.
    starts(app, later, days=-1 / 24)
    assert to_review(visit(cast.cara).page("/"), cast.glasgow.id) == [caras.id]


def test_with_no_next_meeting_they_wait_for_the_next_one_scheduled(app, cast, make, visit):
    caras = carried_to(make, cast.cara, cast.next, learning_set=cast.glasgow)
    # Stranded before this was fixed: carried to a meeting cancelled already.
    gone = make.meeting(cast.glasgow, 3)
    with app.app_context():
        db.session.get(Meeting, gone.id).cancelled_at = datetime.now(UTC)
        db.session.commit()
    cals = carried_to(make, cast.cal, gone, learning_set=cast.glasgow)
    fran = visit(cast.fran)

    assert fran.post(f"/meetings/{cast.next.id}/cancel", {}).status_code == 302

    assert stored(app, caras.id).carried_to_meeting_id is None
    assert stored(app, caras.id).action_status == "carried"
    (event,) = [e for e in audit_events(app) if e.action == "meeting.cancelled"]
    assert event.detail == {
        "set_id": cast.glasgow.id,
        "actions_carried_on": 1,
        "carried_to_meeting_id": None,
    }
    cara = visit(cast.cara)
    assert to_review(cara.page("/"), cast.glasgow.id) == []  # not asked at the last meeting

    soon = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    assert (
        fran.post(f"/sets/{cast.glasgow.id}/meetings/new", {**FORM, "date": soon}).status_code
        == 302
    )
    meeting = newest(app, cast)
    for reflection in (caras, cals):
        assert stored(app, reflection.id).carried_to_meeting_id == meeting.id
    (event,) = [e for e in audit_events(app) if e.action == "meeting.scheduled"]
    assert event.detail == {
        "set_id": cast.glasgow.id,
        "actions_carried_on": 2,
        "carried_to_meeting_id": meeting.id,
    }
    assert to_review(cara.page("/"), cast.glasgow.id) == []  # not before it starts
    starts(app, meeting, days=-1 / 24)
    assert to_review(cara.page("/"), cast.glasgow.id) == [caras.id]
    assert to_review(visit(cast.cal).page("/"), cast.glasgow.id) == [cals.id]


def test_a_meeting_scheduled_in_the_past_takes_no_carried_action(app, cast, make, visit):
    caras = carried_to(make, cast.cara, None, learning_set=cast.glasgow)
    with app.app_context():
        db.session.get(Meeting, cast.next.id).cancelled_at = datetime.now(UTC)
        db.session.commit()
    before = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()

    fran = visit(cast.fran)
    assert (
        fran.post(f"/sets/{cast.glasgow.id}/meetings/new", {**FORM, "date": before}).status_code
        == 302
    )

    assert stored(app, caras.id).carried_to_meeting_id is None
