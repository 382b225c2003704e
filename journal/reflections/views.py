"""The journal pages: today, my reflections, writing, reading, actions, shared with me."""

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from ..evidence import workspace
from ..extensions import db
from ..forms import ConfirmForm, Form, optional_id
from ..http import number_arg, paginate, positive_id
from ..models import ActionStatus, LearningSet, Meeting, Reflection, SetRole, Visibility
from ..notifications import events as notify
from ..policy import (
    can_brief,
    can_delete_comment,
    can_edit,
    get_comment,
    get_reflection,
    get_reflection_to_comment,
    may_write_on,
    reaches_its_set,
    shared_with,
)
from ..sets.meetings import linkable_meetings, members_of_candidate_sets, sets_of
from ..templating import audience, format_datetime, meeting_label, readers
from . import comments, overview, saving
from .forms import NO_SET, ActionForm, CommentForm, ReflectionForm
from .saving import Outcome, ReflectionInput

bp = Blueprint("reflections", __name__)
# How late an action is, in words, wherever an action is shown (templates/reflections/_due.html).
bp.add_app_template_global(overview.overdue_by)
bp.add_app_template_global(overview.due_today)

HOME_ACTIONS = 5  # open actions on the home page; /actions has them all, a page at a time


@bp.before_request
@login_required
def require_login() -> None:
    """Every journal page is for signed-in people only."""


@bp.get("/")
def home():
    evidence = workspace.home_evidence(current_user)
    if current_user.is_admin and not current_user.memberships and not evidence.assessing:
        return redirect(url_for("admin.index"))
    digests = overview.digests(current_user, size=current_app.config["PAGE_SIZE"])
    return render_template(
        "reflections/home.html",
        digests=digests,
        # The report-back round: the same form as on /actions, sent back here when saved.
        review_forms={r.id: _action_form(r) for d in digests for r in d.to_review},
        evidence=evidence,
        **(workspace.assessor_home(current_user) if evidence.assessing else {}),
        # One more than is shown, to know whether to link to the rest.
        actions=overview.soonest_actions(current_user, HOME_ACTIONS + 1),
        shown_actions=HOME_ACTIONS,
        # The sets whose brief for the next meeting this person prepares from.
        briefs={m.set_id for m in current_user.memberships if can_brief(current_user, m.set_id)},
        # Others' comments on my reflections, lately: one query, whatever the history.
        new_comments=comments.news_for(current_user),
        today=overview.local_today(),
    )


@bp.get("/reflections")
def index():
    set_id = number_arg("set_id")
    meeting_id = number_arg("meeting_id")
    query = select(Reflection).where(Reflection.author_id == current_user.id)
    if meeting_id is not None:
        query = query.where(Reflection.meeting_id == meeting_id)
    elif set_id is not None:
        query = query.where(Reflection.set_id == set_id)
    # Read in the order of the author's (author_id, created_at) index: the people are joined
    # to the rows of the page only, with no need to choose them first (`page_with_people`).
    page = paginate(
        overview.with_people(query).order_by(Reflection.created_at.desc(), Reflection.id)
    )
    return render_template(
        "reflections/index.html",
        page=page,
        sets=sets_of(current_user),
        meetings=linkable_meetings(current_user),
        set_id=set_id,
        meeting_id=meeting_id,
    )


@bp.get("/shared")
def shared():
    """Others' reflections shared with me, newest first, optionally through one set."""
    set_id = number_arg("set_id")
    page = overview.page_with_people(shared_with(current_user, set_id), overview.NEWEST_FIRST)
    return render_template(
        "reflections/shared.html", page=page, sets=sets_of(current_user), set_id=set_id
    )


def _reflection_form(
    keep_meeting: int | None = None,
    keep_set: int | None = None,
    stored_alone: str | None = None,
    **kwargs,
) -> ReflectionForm:
    """The writing form, with this candidate's meetings and sets and, by name, who each choice
    reaches. `keep_*` are what an edited reflection holds already, offered even if now out of
    reach (keeping them may stay; it reaches nobody once its author has left the set)."""
    meetings = linkable_meetings(current_user, keep=keep_meeting)
    form = ReflectionForm(
        meeting_sets={m.id: (m.set_id, m.learning_set.name) for m in meetings},
        stored_alone=stored_alone,
        **kwargs,
    )
    form.meeting_id.choices = _meeting_choices(meetings)
    form.set_id.choices = _set_choices(keep=keep_set)
    if form.set_id.data is None and not form.is_submitted() and "obj" not in kwargs:
        # A candidate in one set gets that one; in several, the first until they pick.
        form.set_id.data = optional_id(form.set_id.choices[0].value)
        if form.set_id.data is None:  # a candidate nowhere: only they will read it
            form.visibility.data = Visibility.PRIVATE.value
    form.visibility.description = readers(members_of_candidate_sets(current_user), current_user)
    return form


def _meeting_choices(meetings: list[Meeting]) -> list[SelectChoice]:
    # Each meeting names its set, for static/app.js to make the set choice follow it.
    return [SelectChoice("", "Not linked to a meeting")] + [
        SelectChoice(str(m.id), meeting_label(m), render_kw={"data-set-id": m.set_id})
        for m in meetings
    ]


def _set_choices(keep: int | None = None) -> list[SelectChoice]:
    sets = sets_of(current_user, SetRole.CANDIDATE)
    if keep is not None and all(s.id != keep for s in sets):
        kept = db.session.get(LearningSet, keep)
        sets += [kept] if kept is not None else []
    return [SelectChoice(str(s.id), s.name) for s in sets] + [SelectChoice("", NO_SET)]


def _input_from(form: ReflectionForm, action: Reflection | None = None) -> ReflectionInput:
    data = ReflectionInput(
        experience=form.experience.data or "",
        insight=form.insight.data or "",
        next_action=form.next_action.data or "",
        action_due=form.action_due.data,
        meeting_id=form.meeting_id.data,
        # As chosen: a set other than the meeting's is refused (saving.validate); none, with a
        # meeting, is the meeting's (for "No set" only when private: ReflectionForm).
        set_id=form.set_id.data,
        visibility=form.visibility.data,
    )
    if action is not None:
        # The writing form does not touch the action's progress; /actions does.
        data.action_status, data.action_outcome = action.action_status, action.action_outcome
    return data


def _show_errors(form: Form, errors: dict) -> None:
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is None:  # a rule about a field this form does not show
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def _version(text: str | None) -> int | None:
    """The version a form was opened at; None (a conflict, never a 500) if tampered with."""
    try:
        return positive_id(text or "")
    except ValueError:
        return None


def _deleted_meanwhile(template: str, form: Form, **context):
    """The reflection was deleted on another device while this form was open: keep what was
    typed on the page and say so (409), rather than lose it to a 404."""
    return render_template(template, form=form, deleted=True, **context), 409


@bp.route("/reflections/new", methods=["GET", "POST"])
def create():
    form = _reflection_form()
    chosen = number_arg("meeting_id")
    if request.method == "GET" and chosen in form.meeting_sets:
        # "Reflect on your last meeting": that meeting, and the set it reaches.
        form.meeting_id.data = chosen
        form.set_id.data = form.meeting_sets[chosen][0]
    if form.validate_on_submit():
        result = saving.save(current_user, uuid.uuid4(), _input_from(form), None)
        if result.outcome is Outcome.CREATED:
            flash("Reflection saved.")
            return redirect(url_for("reflections.view", reflection_id=result.reflection.id))
        _show_errors(form, result.errors or {})
    status = 400 if request.method == "POST" else 200
    return render_template("reflections/edit.html", form=form, reflection=None), status


@bp.get("/reflections/<uuid:reflection_id>")
def view(reflection_id: uuid.UUID):
    return _reflection_page(get_reflection(reflection_id))


def _reflection_page(reflection: Reflection, form: CommentForm | None = None, status: int = 200):
    """A reflection with its comments (a page at a time, the latest first) and, for whoever
    may comment, the comment form (`form` as typed when it was refused)."""
    editable = can_edit(current_user, reflection)
    page = paginate(comments.on(current_user, reflection), param="comments_page")
    if form is None and may_write_on(current_user, reflection):
        form = CommentForm()
    if form is not None:
        form.body.label.text = "Your answer" if editable else "Your comment"
        form.body.description = "Whoever may read this reflection reads this too. " + audience(
            reflection, current_user
        )
    return render_template(
        "reflections/view.html",
        reflection=reflection,
        editable=editable,
        # The author's claims of it, and whether they may offer it (an enrolment of theirs).
        offered=workspace.offered_from(current_user, reflection) if editable else None,
        # Only its author is told; anyone else reading it is in the set by definition.
        reaches_its_set=editable and reaches_its_set(reflection),
        comments=page,
        shown_comments=comments.in_order(page.items),
        deletable={c.id for c in page.items if can_delete_comment(current_user, c)},
        comment_form=form,
    ), status


@bp.post("/reflections/<uuid:reflection_id>/comments")
def add_comment(reflection_id: uuid.UUID):
    reflection = get_reflection_to_comment(reflection_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _reflection_page(reflection, form, 400)
    added = comments.add(current_user, reflection, form.body.data)
    if added is None:
        abort(404)  # the reflection was deleted meanwhile: nothing left to comment on
    notify.reflection_commented(added.id)
    flash("Answer added." if added.author_id == reflection.author_id else "Comment added.")
    return redirect(
        url_for("reflections.view", reflection_id=reflection.id, _anchor=f"comment-{added.id}")
    )


@bp.route(
    "/reflections/<uuid:reflection_id>/comments/<id:comment_id>/delete", methods=["GET", "POST"]
)
def delete_comment(reflection_id: uuid.UUID, comment_id: int):
    comment = get_comment(reflection_id, comment_id, check_author=True)
    form = ConfirmForm()
    if form.validate_on_submit():
        comments.remove(current_user, comment)
        flash("Comment deleted.")
        return redirect(
            url_for("reflections.view", reflection_id=reflection_id, _anchor="comments")
        )
    status = 400 if request.method == "POST" else 200
    return render_template("reflections/delete_comment.html", comment=comment, form=form), status


@bp.route("/reflections/<uuid:reflection_id>/edit", methods=["GET", "POST"])
def edit(reflection_id: uuid.UUID):
    if request.method == "POST" and saving.deleted_by(current_user, reflection_id):
        return _deleted_meanwhile("reflections/edit.html", _reflection_form(), reflection=None)
    reflection = get_reflection(reflection_id, check_author=True)
    form = _reflection_form(
        reflection.meeting_id,
        reflection.set_id,
        stored_alone=reflection.visibility if reflection.set_id is None else None,
        obj=reflection if request.method == "GET" else None,
    )
    if request.method == "GET":
        form.base_version.data = str(reflection.version)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        base_version = _version(form.base_version.data)
        result = saving.save(
            current_user, reflection.id, _input_from(form, reflection), base_version
        )
        if result.outcome in (Outcome.UPDATED, Outcome.UNCHANGED):
            flash("Reflection saved.")
            return redirect(url_for("reflections.view", reflection_id=reflection.id))
        if result.outcome is Outcome.GONE:
            return _deleted_meanwhile("reflections/edit.html", form, reflection=None)
        if result.outcome is Outcome.CONFLICT:
            # Keep what was typed; saving again (at the new version) is the author's choice.
            form.base_version.data = str(result.reflection.version)
            return render_template(
                "reflections/edit.html", form=form, reflection=result.reflection, conflict=True
            ), 409
        _show_errors(form, result.errors or {})
    return render_template("reflections/edit.html", form=form, reflection=reflection), status


@bp.route("/reflections/<uuid:reflection_id>/delete", methods=["GET", "POST"])
def delete(reflection_id: uuid.UUID):
    reflection = get_reflection(reflection_id, check_author=True)
    form = ConfirmForm()
    if form.validate_on_submit():
        saving.delete(current_user, reflection)
        flash("Reflection deleted.")
        return redirect(url_for("reflections.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("reflections/delete.html", reflection=reflection, form=form), status


@bp.get("/actions")
def actions():
    # Two lists, each a page at a time: `page` for the open ones, `done_page` for the rest.
    # Only open actions carry a form: a closed one is a record, changed from its own page
    # (a form each costs more to build than the rest of the list).
    open_ = overview.page_with_people(
        overview.open_actions(current_user), overview.SOONEST_DUE, overview.CARRIED_TO
    )
    # In the order of the author's (author_id, updated_at) index, as /reflections.
    closed = paginate(
        overview.with_people(overview.closed_actions(current_user))
        .options(overview.CARRIED_TO)
        .order_by(*overview.NEWEST_FIRST),
        param="done_page",
    )
    forms = {r.id: _action_form(r) for r in open_.items}
    return render_template(
        "reflections/actions.html",
        open=open_,
        closed=closed,
        forms=forms,
        today=overview.local_today(),
    )


def _action_form(reflection: Reflection) -> ActionForm:
    form = ActionForm(prefix=f"a{reflection.id.hex}", obj=reflection)
    form.base_version.data = str(reflection.version)
    return form


@bp.route("/actions/<uuid:reflection_id>", methods=["GET", "POST"])
def update_action(reflection_id: uuid.UUID):
    if request.method == "GET":
        reflection = get_reflection(reflection_id, check_author=True)
        if not reflection.next_action:
            abort(404)
        form = _action_form(reflection)
        return render_template("reflections/action.html", reflection=reflection, form=form)
    form = ActionForm(prefix=f"a{reflection_id.hex}")
    if saving.deleted_by(current_user, reflection_id):
        return _deleted_meanwhile("reflections/action.html", form, reflection=None)
    reflection = get_reflection(reflection_id, check_author=True)
    if not reflection.next_action:
        abort(404)
    if not form.validate_on_submit():
        return render_template("reflections/action.html", reflection=reflection, form=form), 400
    result = saving.record_action(
        current_user,
        reflection,
        form.action_status.data,
        form.action_outcome.data or "",
        _version(form.base_version.data),
    )
    match result.outcome:
        case Outcome.UPDATED | Outcome.UNCHANGED:
            flash(_action_saved(result.reflection))
            return redirect(_after_action(result.reflection))
        case Outcome.CONFLICT:
            # Keep what was typed; sending it again (at the new version) is the author's choice.
            form.base_version.data = str(result.reflection.version)
            return render_template(
                "reflections/action.html", reflection=result.reflection, form=form, conflict=True
            ), 409
        case Outcome.GONE:
            return _deleted_meanwhile("reflections/action.html", form, reflection=None)
    _show_errors(form, result.errors or {})
    return render_template("reflections/action.html", reflection=reflection, form=form), 400


def _action_saved(reflection: Reflection) -> str:
    """What the flash says once an action is saved: where a carried one goes next."""
    if reflection.action_status != ActionStatus.CARRIED:
        return "Action updated."
    if reflection.carried_to is None:
        return (
            "Action carried forward. No next meeting is scheduled yet, so it is not linked to one."
        )
    when = format_datetime(reflection.carried_to.starts_at)
    return f"Action carried forward to the meeting of {when}."


def _after_action(reflection: Reflection) -> str:
    """Back where the action was reviewed: the home page's round (`?back=home`) or /actions.
    A fixed choice, never an address taken from the request."""
    if request.args.get("back") == "home":
        return url_for("reflections.home") + (
            f"#set-{reflection.set_id}" if reflection.set_id else ""
        )
    return url_for("reflections.actions") + f"#action-{reflection.id}"
