"""Administration: sets, their members and meetings, people, enrolments and invitations.

Admins only: everyone else gets the 404 of a page that does not exist. An admin manages who is
where and never sees reflection text: nothing here reads a reflection.
"""

from typing import TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import HTTPException
from wtforms import SelectChoice

from ..auth import accounts
from ..errors import csrf_error, error_response
from ..evidence.frameworks import FrameworkError, format_of, import_framework, read_framework
from ..extensions import db, login_manager
from ..forms import ConfirmForm
from ..http import contains, number_arg, paginate, positive_id, search_arg
from ..mail import delivery, messages
from ..mail.compose import absolute_url
from ..models import (
    Criterion,
    Enrolment,
    FailedMail,
    Framework,
    Invitation,
    LearningSet,
    Membership,
    SetRole,
    Unit,
    User,
    utcnow,
)
from ..policy.evidence import ENROLMENT_PEOPLE
from ..privacy import erasure
from ..privacy.forms import AdminDeleteAccountForm
from ..sets.meetings import members_of, past_meetings, upcoming_meetings
from ..templating import format_datetime
from . import enrolments, history, members, sets
from .forms import (
    AssessorForm,
    EnrolmentForm,
    FrameworkUploadForm,
    InvitationForm,
    MemberForm,
    MoveForm,
    SetForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

UNKNOWN_SET = "Choose one of the sets."
Row = TypeVar("Row")


@bp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(404)  # the administration is not something other people need to know exists


def _get(model: type[Row], row_id: int) -> Row:
    row = db.session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def _status() -> int:
    """A form page shown again after a POST was refused: 400."""
    return 400 if request.method == "POST" else 200


def _valid(form) -> bool:
    """The form was sent, with its token, and is valid. False when it is being shown again
    because the CSRF check refused it (`refused_without_token`): the token is checked there,
    with the Referer over HTTPS, which the form's own check does not do."""
    return not g.get("csrf_refused") and form.validate_on_submit()


# Sets ----------------------------------------------------------------------------------------


@bp.get("/")
def index():
    """Every set with its people, a page at a time, optionally only those whose name matches."""
    query = select(LearningSet).options(
        selectinload(LearningSet.memberships).joinedload(Membership.user)
    )
    q = search_arg()
    if q:
        query = query.where(contains(LearningSet.name, q))
    page = paginate(query.order_by(LearningSet.name, LearningSet.id))
    return render_template("admin/index.html", page=page, q=q)


@bp.route("/sets/new", methods=["GET", "POST"])
def new_set():
    form = SetForm()
    if _valid(form):
        try:
            created = sets.create_set(current_user, form.name.data, form.programme.data or "")
        except sets.SetError as problem:
            form.name.errors = [str(problem)]
        else:
            db.session.commit()
            flash(f"Set {created.name} created. Invite its facilitators and candidates.")
            return redirect(url_for("admin.set_view", set_id=created.id))
    return render_template("admin/set_form.html", form=form, learning_set=None), _status()


@bp.get("/sets/<id:set_id>")
def set_view(set_id: int):
    """One set for its admin: members with roles (and candidates' assessors), meetings to come
    and past with links to change or cancel them, invitations into it not yet used."""
    learning_set = _get(LearningSet, set_id)
    people = members_of(set_id)
    candidates = [m.user_id for m in people if m.role == SetRole.CANDIDATE]
    return render_template(
        "admin/set.html",
        learning_set=learning_set,
        members=people,
        enrolled=_enrolments_of(candidates),
        upcoming=paginate(upcoming_meetings(set_id), param="upcoming_page"),
        past=paginate(past_meetings(set_id), param="past_page"),
        invitations=paginate(_pending_invitations(set_id), param="invitations_page"),
    )


def _enrolments_of(user_ids: list[int]) -> dict[int, list[Enrolment]]:
    """Each candidate's enrolments with framework and assessor, in one query."""
    if not user_ids:
        return {}
    query = (
        select(Enrolment)
        .where(Enrolment.candidate_id.in_(user_ids))
        .options(joinedload(Enrolment.framework), joinedload(Enrolment.assessor))
        .order_by(Enrolment.id)
    )
    found: dict[int, list[Enrolment]] = {}
    for enrolment in db.session.scalars(query):
        found.setdefault(enrolment.candidate_id, []).append(enrolment)
    return found


def _pending_invitations(set_id: int):
    """Invitations into the set that can still be used, latest first (a query, for paging)."""
    return (
        select(Invitation)
        .where(
            Invitation.set_id == set_id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )


@bp.route("/sets/<id:set_id>/edit", methods=["GET", "POST"])
def edit_set(set_id: int):
    learning_set = _get(LearningSet, set_id)
    form = SetForm(obj=learning_set if request.method == "GET" else None)
    if _valid(form):
        try:
            changed = sets.change_set(
                current_user, learning_set, form.name.data, form.programme.data or ""
            )
        except sets.SetError as problem:
            form.name.errors = [str(problem)]
        else:
            db.session.commit()
            flash("Set saved." if changed else "Nothing changed.")
            return redirect(url_for("admin.set_view", set_id=set_id))
    return render_template("admin/set_form.html", form=form, learning_set=learning_set), _status()


@bp.get("/sets/<id:set_id>/history")
def set_history(set_id: int):
    """The set's membership changes and renamings, newest first, a page at a time."""
    learning_set = _get(LearningSet, set_id)
    page = paginate(history.set_events(set_id))
    return render_template(
        "admin/history.html",
        learning_set=learning_set,
        page=page,
        lines=history.describe(page.items, set_id),
    )


# Members -------------------------------------------------------------------------------------


def _member(set_id: int, user_id: int) -> Membership:
    query = (
        select(Membership)
        .where(Membership.set_id == set_id, Membership.user_id == user_id)
        .options(joinedload(Membership.user), joinedload(Membership.learning_set))
    )
    found = db.session.scalar(query)
    if found is None:
        abort(404)
    return found


def _person(email: str, field) -> User | None:
    """The account with this address, or None with a message on `field`."""
    person = accounts.find_user(email)
    if person is None:
        field.errors = [
            f"No one has an account for {accounts.normalise_email(email)}. Check the address,"
            " or invite them."
        ]
    return person


@bp.route("/sets/<id:set_id>/members/new", methods=["GET", "POST"])
def add_member(set_id: int):
    """Someone who already has an account, into the set (others are invited)."""
    learning_set = _get(LearningSet, set_id)
    form = MemberForm()
    if _valid(form):
        person = _person(form.email.data, form.email)
        if person is not None:
            try:
                members.add_member(current_user, learning_set, person, form.role.data)
            except members.MembershipError as problem:
                form.email.errors = [str(problem)]
            else:
                db.session.commit()
                flash(f"{person.name} is now a {form.role.data} in {learning_set.name}.")
                return redirect(url_for("admin.set_view", set_id=set_id))
    return render_template(
        "admin/member_form.html", form=form, learning_set=learning_set
    ), _status()


@bp.route("/sets/<id:set_id>/members/<id:user_id>/move", methods=["GET", "POST"])
def move_member(set_id: int, user_id: int):
    """Find the set to move to (by name, a page at a time), confirm, move: one transaction."""
    member = _member(set_id, user_id)
    form = MoveForm()
    chosen = form.to_set_id.data if request.method == "POST" else request.args.get("to")
    target = _set_or_none(chosen)
    problem = None
    if request.method == "GET":
        problem = _move_problem(member, target) if target is not None else None
    elif target is None:
        problem = "Choose one of the sets to move them to."
    elif _valid(form):
        try:
            members.move_member(current_user, member, target)
        except members.MemberGone as gone:
            # Nothing left to move: the set's page shows where things stand now.
            flash(str(gone))
            return redirect(url_for("admin.set_view", set_id=set_id))
        except members.MembershipError as refused:
            problem = str(refused)
        else:
            db.session.commit()
            flash(f"{member.user.name} moved from {member.learning_set.name} to {target.name}.")
            return redirect(url_for("admin.set_view", set_id=target.id))
    q = search_arg()
    query = select(LearningSet).where(LearningSet.id != set_id)
    if q:
        query = query.where(contains(LearningSet.name, q))
    return render_template(
        "admin/move.html",
        member=member,
        form=form,
        target=target,
        problem=problem,
        q=q,
        page=paginate(query.order_by(LearningSet.name, LearningSet.id)),
    ), _status()


def _set_or_none(value: str | None) -> LearningSet | None:
    """The set a form or address names by id, or None for anything else."""
    try:
        set_id = positive_id(value or "")
    except ValueError:
        return None
    return db.session.get(LearningSet, set_id)


def _move_problem(member: Membership, target: LearningSet) -> str | None:
    """Why the move cannot be made, said on the confirmation page before anyone presses it."""
    if target.id == member.set_id:
        return f"{member.user.name} is in {target.name} already: choose another set."
    there = members.membership(target.id, member.user_id)
    if there is not None:
        return (
            f"{member.user.name} is already in {target.name} as {there.role}: a person holds"
            " one role per set."
        )
    return None


@bp.route("/sets/<id:set_id>/members/<id:user_id>/remove", methods=["GET", "POST"])
def remove_member(set_id: int, user_id: int):
    member = _member(set_id, user_id)
    form = ConfirmForm()
    if _valid(form):
        name, set_name = member.user.name, member.learning_set.name
        try:
            members.remove_member(current_user, member)
        except members.MemberGone as gone:
            flash(str(gone))
            return redirect(url_for("admin.set_view", set_id=set_id))
        db.session.commit()
        flash(f"{name} is no longer in {set_name}. What they wrote stays theirs.")
        return redirect(url_for("admin.set_view", set_id=set_id))
    return render_template("admin/remove.html", member=member, form=form), _status()


# People and enrolments -----------------------------------------------------------------------


@bp.get("/people")
def people():
    """Everyone with an account, by name, a page at a time, optionally only those whose name or
    address matches: their roles in sets and how many candidates they assess, never what they
    wrote."""
    query = select(User).options(selectinload(User.memberships).joinedload(Membership.learning_set))
    q = search_arg()
    if q:
        query = query.where(or_(contains(User.name, q), contains(User.email, q)))
    page = paginate(query.order_by(User.name, User.id))
    return render_template(
        "admin/people.html", page=page, q=q, assessing=_candidates_assessed(page.items)
    )


def _candidates_assessed(people: list[User]) -> dict[int, int]:
    """How many candidates each of `people` is the assessor of (absent: none), in one query."""
    if not people:
        return {}
    counted = db.session.execute(
        select(Enrolment.assessor_id, func.count(distinct(Enrolment.candidate_id)))
        .where(Enrolment.assessor_id.in_([person.id for person in people]))
        .group_by(Enrolment.assessor_id)
    )
    return {assessor_id: count for assessor_id, count in counted}


@bp.get("/people/<id:user_id>")
def person(user_id: int):
    """One person: their sets and roles, their enrolments and assessors, whom they assess."""
    query = (
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.memberships).joinedload(Membership.learning_set))
    )
    found = db.session.scalar(query)
    if found is None:
        abort(404)
    assessing = (
        select(Enrolment)
        .join(Enrolment.candidate)
        .where(Enrolment.assessor_id == user_id)
        .options(joinedload(Enrolment.candidate), joinedload(Enrolment.framework))
        .order_by(User.name, Enrolment.candidate_id, Enrolment.id)
    )
    return render_template(
        "admin/person.html",
        person=found,
        enrolments=_enrolments_of([user_id]).get(user_id, []),
        assessing=paginate(assessing, param="assessing_page"),
    )


@bp.route("/people/<id:user_id>/delete", methods=["GET", "POST"])
def delete_person(user_id: int):
    """Delete someone's account for them (README.md "Your data"), with a reason for the audit
    trail; an admin's own account is deleted from their Account page."""
    found = _get(User, user_id)
    if found.deleted_at is not None or found.id == current_user.id:
        abort(404)
    form = AdminDeleteAccountForm()
    if _valid(form):
        name = found.name
        erasure.delete_account(found, current_user, form.reason.data)
        db.session.commit()
        flash(f"{name}’s account is deleted.")
        return redirect(url_for("admin.people"))
    page = render_template(
        "admin/delete_person.html", person=found, form=form, kept=erasure.kept_claims(found)
    )
    return page, _status()


def _framework_choices(form: EnrolmentForm) -> list[Framework]:
    """Every framework: an installation loads a handful (not one per person or set)."""
    frameworks = list(db.session.scalars(select(Framework).order_by(Framework.title)))
    form.framework_id.choices = [SelectChoice(str(f.id), f.title) for f in frameworks]
    return frameworks


@bp.route("/people/<id:user_id>/enrol", methods=["GET", "POST"])
def enrol(user_id: int):
    candidate = _get(User, user_id)
    form = EnrolmentForm()
    frameworks = _framework_choices(form)
    if request.method == "GET" and len(frameworks) == 1:
        form.framework_id.data = frameworks[0].id
    if _valid(form):
        framework = next((f for f in frameworks if f.id == form.framework_id.data), None)
        if framework is None:
            form.framework_id.errors = ["Choose one of the frameworks."]
        else:
            assessor = _person(form.assessor.data, form.assessor)
            if assessor is not None:
                try:
                    enrolments.enrol(current_user, candidate, framework, assessor)
                except enrolments.EnrolmentError as problem:
                    form.assessor.errors = [str(problem)]
                else:
                    db.session.commit()
                    flash(
                        f"{candidate.name} is enrolled on {framework.title}, assessed by"
                        f" {assessor.name}."
                    )
                    return redirect(url_for("admin.person", user_id=user_id))
    elif form.framework_id.errors:
        form.framework_id.errors = ["Choose one of the frameworks."]
    return render_template(
        "admin/enrol.html", form=form, candidate=candidate, frameworks=frameworks
    ), _status()


@bp.route("/enrolments/<id:enrolment_id>/assessor", methods=["GET", "POST"])
def change_assessor(enrolment_id: int):
    query = select(Enrolment).where(Enrolment.id == enrolment_id).options(*ENROLMENT_PEOPLE)
    enrolment = db.session.scalar(query)
    if enrolment is None:
        abort(404)
    form = AssessorForm()
    if _valid(form):
        assessor = _person(form.assessor.data, form.assessor)
        if assessor is not None:
            before = enrolment.assessor.name if enrolment.assessor else None
            try:
                enrolments.change_assessor(current_user, enrolment, assessor)
            except enrolments.EnrolmentError as problem:
                form.assessor.errors = [str(problem)]
            else:
                db.session.commit()
                lost = f" {before} no longer has this enrolment." if before else ""
                flash(f"{assessor.name} now assesses {enrolment.candidate.name}.{lost}")
                return redirect(url_for("admin.person", user_id=enrolment.candidate_id))
    return render_template("admin/assessor.html", form=form, enrolment=enrolment), _status()


# Invitations ---------------------------------------------------------------------------------


# Sets offered at once by the invitation form's name search: a page of them, never every set
# (README, the benchmark: 8,500 options at 1M took the page to one request a second).
SET_CHOICES = 20


def _set_choices(form: InvitationForm) -> dict:
    """The choice of "No set", the set chosen (from the Sets page's `?set_id=`, or sent), and
    the first SET_CHOICES sets whose name holds the search (`?set_q=`); what the page says of
    the search."""
    if not form.is_submitted():
        form.set_id.data = number_arg("set_id")
    chosen = form.set_id.data if isinstance(form.set_id.data, int) else None
    learning_set = db.session.get(LearningSet, chosen) if chosen else None
    form.set_id.choices = [SelectChoice("", "No set (assessors and admins)")]
    if learning_set is not None:
        form.set_id.choices.append(SelectChoice(str(learning_set.id), learning_set.name))
    set_q = search_arg("set_q")
    found: list[LearningSet] = []
    if set_q:
        query = (
            select(LearningSet)
            .where(contains(LearningSet.name, set_q), LearningSet.id != (chosen or 0))
            .order_by(LearningSet.name, LearningSet.id)
            .limit(SET_CHOICES + 1)
        )
        found = list(db.session.scalars(query))
        choices = [SelectChoice(str(s.id), s.name) for s in found[:SET_CHOICES]]
        form.set_id.choices.extend(choices)
    return {
        "set_q": set_q,
        "set_chosen": learning_set.id if learning_set else None,
        "sets_found": len(found[:SET_CHOICES]),
        "sets_more": len(found) > SET_CHOICES,
        "set_choices": SET_CHOICES,
    }


def _create_invitation(form: InvitationForm) -> str | None:
    """The link of a new invitation, or None with the reasons put on the form's fields."""
    learning_set = None
    if form.set_id.data is not None:
        learning_set = db.session.get(LearningSet, form.set_id.data)
        if learning_set is None:
            form.set_id.errors = [UNKNOWN_SET]
            return None
    try:
        invitation, token = accounts.invite(
            form.email.data, form.role.data, learning_set, current_user
        )
    except accounts.InvitationError as error:
        form.set_id.errors = [str(error)]
        return None
    db.session.commit()
    return _email_invitation(invitation, token)


def _email_invitation(invitation: Invitation, token: str) -> str:
    """E-mail the invitation's link (by a job: README "E-mail"); the link, for the page."""
    link = absolute_url("auth.accept_invitation", token=token)
    delivery.send_later(messages.invitation(invitation, link, current_user), "invitation")
    return link


@bp.route("/invitations", methods=["GET", "POST"])
def invitations():
    form = InvitationForm()
    search = _set_choices(form)
    link = None
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        link = _create_invitation(form)
        if link is not None:
            flash(
                f"Invitation created for {accounts.normalise_email(form.email.data)}. It is"
                " e-mailed to them; the link is below too, shown only once."
            )
            # Ready for the next person: the same role and set, a new address.
            form = InvitationForm(formdata=None, role=form.role.data, set_id=form.set_id.data)
            search = _set_choices(form)
            status = 200
    elif form.set_id.errors:
        # Only a tampered form sends a set that is not a number: the same answer as a wrong one.
        form.set_id.errors = [UNKNOWN_SET]
    return _invitations_page(form, link, search=search), status


def _invitations_page(
    form: InvitationForm,
    link: str | None = None,
    problem: str | None = None,
    search: dict | None = None,
):
    """The form (its set found by name), then the invitations, latest first, a page at a
    time, searchable by address."""
    query = select(Invitation).options(selectinload(Invitation.learning_set))
    q = search_arg()
    if q:
        query = query.where(contains(Invitation.email, q))
    page = paginate(query.order_by(Invitation.created_at.desc(), Invitation.id.desc()))
    now = utcnow()
    return render_template(
        "admin/invitations.html",
        form=form,
        link=link,
        problem=problem,
        page=page,
        q=q,
        status={i.id: accounts.invitation_status(i, now) for i in page.items},
        **(search or {"set_q": "", "set_chosen": None}),
    )


@bp.route("/frameworks", methods=["GET", "POST"])
def frameworks():
    """The frameworks, and a form to upload one (new, or a changed file of one already here)."""
    form = FrameworkUploadForm()
    problems, status = [], 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            data = read_framework(form.file.content, format_of(form.file.data.filename))
            report = import_framework(data, current_user)
        except FrameworkError as error:
            db.session.rollback()
            problems = error.problems
        else:
            db.session.commit()
            flash(report.summary())
            return redirect(url_for("admin.frameworks"))
    page = paginate(select(Framework).order_by(Framework.code, Framework.id))
    return render_template(
        "admin/frameworks.html",
        form=form,
        problems=problems,
        page=page,
        sizes=_framework_sizes(page.items),
        limit_kb=current_app.config["FRAMEWORK_FILE_LIMIT"] // 1024,
    ), status


def _framework_sizes(frameworks: list[Framework]) -> dict[int, tuple[int, int]]:
    """Each framework's number of units and of criteria, in one query."""
    if not frameworks:
        return {}
    counted = db.session.execute(
        select(Unit.framework_id, func.count(distinct(Unit.id)), func.count(Criterion.id))
        .outerjoin(Criterion, Criterion.unit_id == Unit.id)
        .where(Unit.framework_id.in_([framework.id for framework in frameworks]))
        .group_by(Unit.framework_id)
    )
    return {framework_id: (units, criteria) for framework_id, units, criteria in counted}


@bp.post("/invitations/<id:invitation_id>/revoke")
def revoke_invitation(invitation_id: int):
    """Withdraw an invitation sent to the wrong person, or no longer wanted."""
    invitation = _get(Invitation, invitation_id)
    # The button's form, read like every other (a JSON body is refused: journal/forms.py).
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.revoke_invitation(invitation, current_user)
    # Committing also reloads the row: the invitee may have used the link a moment ago.
    db.session.commit()
    if invitation.used_at is not None:
        flash(f"The invitation for {invitation.email} was already used; it cannot be withdrawn.")
    else:
        flash(f"The invitation for {invitation.email} is withdrawn; its link no longer works.")
    return redirect(url_for("admin.invitations"))


@bp.post("/invitations/<id:invitation_id>/resend")
def resend_invitation(invitation_id: int):
    """A new link (and a new week) for an invitation not used yet, expired or not; the old
    link stops working. E-mailed, and shown once, like a new invitation's."""
    invitation = _get(Invitation, invitation_id)
    # The button's form, read like every other (a JSON body is refused: journal/forms.py).
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = accounts.resend_invitation(invitation, current_user)
    db.session.commit()
    if token is None:
        state = accounts.invitation_status(invitation)
        flash(f"The invitation for {invitation.email} was {state}; it cannot be sent again.")
        return redirect(url_for("admin.invitations"))
    flash(
        f"A new link for {invitation.email}, valid until"
        f" {format_datetime(invitation.expires_at)}, is e-mailed to them; the old link no longer"
        " works. The link is below too, shown only once."
    )
    form = InvitationForm(formdata=None)
    search = _set_choices(form)
    link = _email_invitation(invitation, token)
    return _invitations_page(form, link, search=search)


# E-mail ----------------------------------------------------------------------------------------


@bp.get("/mail")
def failed_mail():
    """Messages the mail server never took, after every retry, latest first: who, what kind, when
    and why (never the words: README "E-mail"), so an admin can pass the news on another way."""
    page = paginate(select(FailedMail).order_by(FailedMail.failed_at.desc(), FailedMail.id.desc()))
    return render_template("admin/failed_mail.html", page=page)


# A form refused for its CSRF token -----------------------------------------------------------

# Pages whose form, refused for its token, comes back with what was typed kept (status 400).
KEEPS_INPUT = {
    "admin.new_set",
    "admin.edit_set",
    "admin.add_member",
    "admin.move_member",
    "admin.remove_member",
    "admin.enrol",
    "admin.change_assessor",
    "admin.delete_person",
}
CSRF_PROBLEM = (
    "The form expired or was sent from elsewhere; nothing was changed. Check it and send it again."
)


@bp.errorhandler(CSRFError)
def refused_without_token(error: CSRFError):
    """The CSRF check runs before require_admin: keep its answers, then keep what was typed."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        return error_response(404)
    if request.endpoint == "admin.invitations":
        form = InvitationForm()
        search = _set_choices(form)
        problem = (
            "The form expired or was sent from elsewhere; nothing was created."
            " Check it and send it again."
        )
        return _invitations_page(form, problem=problem, search=search), 400
    if request.endpoint not in KEEPS_INPUT:
        return csrf_error(error)
    # The page's own view, told not to act (`_valid`), shows the form again as it was sent.
    g.csrf_refused = True
    g.problem = CSRF_PROBLEM
    try:
        return current_app.view_functions[request.endpoint](**(request.view_args or {}))
    except HTTPException as refused:
        return error_response(refused.code or 400)
