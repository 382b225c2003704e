"""Set pages and meetings: who is in a set, its meetings and what its members shared; scheduling,
changing and cancelling a meeting; the facilitator's brief for the next meeting (page and PDF).

Every rule is in `journal.policy` (`get_set`, `get_meeting`, `get_brief_set`, `can_schedule`,
`can_brief`, `readable_*`);
every list is a page at a time, and each page costs the same queries however long the set's
history.
"""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from ..extensions import db
from ..forms import ConfirmForm
from ..http import paginate
from ..models import ActionStatus, LearningSet, Meeting, Membership, Reflection, SetRole, User
from ..policy import (
    can_brief,
    can_schedule,
    get_brief_set,
    get_meeting,
    get_set,
    is_member,
    membership_in,
    readable_in_set,
    readable_on_meeting,
)
from ..reflections.overview import NEWEST_FIRST, page_with_people, with_people
from . import brief_pdf, follow_through, scheduling
from .brief import gather
from .forms import MeetingForm
from .meetings import members_of, memberships_of, past_meetings, upcoming_meetings
from .scheduling import DateOutOfRange, MeetingInput, WallClockError

bp = Blueprint("sets", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Every set page is for signed-in people only."""


@bp.get("/sets")
def index():
    """The sets I belong to: they came with me, no query."""
    return render_template("sets/index.html", memberships=memberships_of(current_user))


@bp.get("/sets/<id:set_id>")
def view(set_id: int):
    learning_set = get_set(set_id)
    role = membership_in(current_user, set_id).role
    past = paginate(past_meetings(set_id), param="past_page")
    return render_template(
        "sets/view.html",
        learning_set=learning_set,
        role=role,
        members=members_of(set_id),
        upcoming=paginate(upcoming_meetings(set_id), param="upcoming_page"),
        past=past,
        # The facilitators' overview of how the set follows through, one row per past meeting.
        follow=(
            follow_through.of_meetings(current_user, set_id, past.items)
            if role == SetRole.FACILITATOR
            else {}
        ),
        reflections=page_with_people(readable_in_set(current_user, set_id), NEWEST_FIRST),
        may_schedule=can_schedule(current_user, set_id),
        may_brief=can_brief(current_user, set_id),
    )


@bp.get("/sets/<id:set_id>/brief")
def brief(set_id: int):
    """Everything a facilitator prepares the next meeting from, on one page (and printable)."""
    learning_set = get_brief_set(set_id)
    return render_template("sets/brief.html", brief=gather(current_user, learning_set))


@bp.get("/sets/<id:set_id>/brief.pdf")
def brief_as_pdf(set_id: int):
    learning_set = get_brief_set(set_id)
    found = gather(current_user, learning_set)
    return Response(
        brief_pdf.render(found, current_user),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{brief_pdf.filename(found)}"',
            # Reflection text: no cache, shared or private, may keep it.
            "Cache-Control": "no-store",
        },
    )


@bp.get("/meetings/<id:meeting_id>")
def meeting(meeting_id: int):
    meeting = get_meeting(meeting_id)
    readable = readable_on_meeting(current_user, meeting.id, meeting.set_id)
    reflections = (
        with_people(readable)
        .join(User, User.id == Reflection.author_id)
        .order_by(User.name, Reflection.author_id, Reflection.updated_at.desc(), Reflection.id)
    )
    page = paginate(reflections)
    return render_template(
        "sets/meeting.html",
        meeting=meeting,
        reflections=page,
        quiet=_quiet_on(meeting) if not page.has_prev else [],
        follow=follow_through.of_meeting(current_user, meeting),
        carried=paginate(_carried_to(meeting), param="carried_page"),
        role=membership_in(current_user, meeting.set_id).role,
        may_schedule=can_schedule(current_user, meeting.set_id),
    )


def _carried_to(meeting: Meeting) -> Select[tuple[Reflection]]:
    """Actions carried forward to this meeting that the viewer may read, by author."""
    readable = readable_in_set(current_user, meeting.set_id).where(
        Reflection.carried_to_meeting_id == meeting.id,
        Reflection.action_status == ActionStatus.CARRIED.value,
        Reflection.next_action != "",
    )
    return (
        with_people(readable)
        .join(User, User.id == Reflection.author_id)
        .order_by(User.name, Reflection.author_id, Reflection.created_at, Reflection.id)
    )


def _quiet_on(meeting: Meeting) -> list[User]:
    """The set's candidates with nothing linked to this meeting that the viewer may read: a
    private reflection counts as nothing (its existence is never revealed)."""
    readable = readable_on_meeting(current_user, meeting.id, meeting.set_id)
    wrote = readable.where(Reflection.author_id == Membership.user_id).exists()
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.set_id == meeting.set_id,
            Membership.role == SetRole.CANDIDATE.value,
            ~wrote,
        )
        .order_by(User.name, User.id)
    )
    return list(db.session.scalars(query))


def _back(learning_set: LearningSet, meeting: Meeting | None) -> str:
    """Where "Back" leads from a meeting's forms: the meeting or the set, for a member; the
    set's administration page for an admin outside the set, who may change its meetings but
    not see its pages."""
    if not is_member(current_user, learning_set.id):
        return url_for("admin.set_view", set_id=learning_set.id)
    if meeting is None:
        return url_for("sets.view", set_id=learning_set.id)
    return url_for("sets.meeting", meeting_id=meeting.id)


def _after_change(meeting: Meeting):
    """Back to the meeting, or, for an admin outside the set, to the set's administration."""
    return redirect(_back(meeting.learning_set, meeting))


def _input(form: MeetingForm) -> MeetingInput | None:
    """The form's meeting, times in UTC; None with the form's errors set when it names no
    moment (a time skipped by summer time, an end before the start)."""
    try:
        start = scheduling.to_utc(form.date.data, form.start_time.data)
    except WallClockError as problem:
        target = form.date if isinstance(problem, DateOutOfRange) else form.start_time
        target.errors = [*target.errors, str(problem)]
        return None
    end = None
    if form.end_time.data is not None:
        try:
            end = scheduling.to_utc(form.date.data, form.end_time.data)
        except WallClockError as problem:
            form.end_time.errors = [*form.end_time.errors, str(problem)]
            return None
        if end.at <= start.at:
            form.end_time.errors = [*form.end_time.errors, "The end must be after the start."]
            return None
    if start.ambiguous or (end is not None and end.ambiguous):
        flash(
            "The clocks go back that night, so that time happens twice: it is taken as the"
            " first of the two, still in summer time."
        )
    return MeetingInput(
        starts_at=start.at,
        ends_at=end.at if end else None,
        location=form.location.data or "",
        agenda=form.agenda.data or "",
    )


def _form_page(form: MeetingForm, learning_set: LearningSet, meeting: Meeting | None):
    status = 400 if request.method == "POST" else 200
    return render_template(
        "sets/meeting_form.html",
        form=form,
        learning_set=learning_set,
        meeting=meeting,
        zone=scheduling.zone_name(),
        back=_back(learning_set, meeting),
    ), status


@bp.route("/sets/<id:set_id>/meetings/new", methods=["GET", "POST"])
def schedule(set_id: int):
    learning_set = get_set(set_id, manage=True)
    form = MeetingForm()
    if form.validate_on_submit():
        data = _input(form)
        if data is not None:
            meeting = scheduling.schedule(current_user, set_id, data)
            flash("Meeting scheduled.")
            return _after_change(meeting)
    return _form_page(form, learning_set, None)


def _cancelled(meeting: Meeting):
    flash("This meeting was cancelled: it can no longer be changed.")
    return _after_change(meeting)


@bp.route("/meetings/<id:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(meeting_id: int):
    meeting = get_meeting(meeting_id, manage=True)
    if meeting.cancelled_at is not None:
        return _cancelled(meeting)
    form = MeetingForm()
    if request.method == "GET":
        form.date.data, form.start_time.data = scheduling.wall_clock(meeting.starts_at)
        form.end_time.data = scheduling.wall_clock(meeting.ends_at)[1] if meeting.ends_at else None
        form.location.data, form.agenda.data = meeting.location, meeting.agenda
    elif form.validate_on_submit():
        data = _input(form)
        if data is not None:
            scheduling.change(current_user, meeting, data)
            flash("Meeting saved.")
            return _after_change(meeting)
    return _form_page(form, meeting.learning_set, meeting)


@bp.route("/meetings/<id:meeting_id>/cancel", methods=["GET", "POST"])
def cancel_meeting(meeting_id: int):
    meeting = get_meeting(meeting_id, manage=True)
    if meeting.cancelled_at is not None:
        return _cancelled(meeting)
    form = ConfirmForm()
    if form.validate_on_submit():
        scheduling.cancel(current_user, meeting)
        flash("Meeting cancelled.")
        return _after_change(meeting)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "sets/cancel.html", meeting=meeting, form=form, back=_back(meeting.learning_set, meeting)
    ), status
