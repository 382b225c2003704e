"""Administration: sets, people and invitations. An admin never sees reflection text."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..auth import accounts
from ..errors import csrf_error, error_response
from ..evidence.frameworks import FrameworkError, format_of, import_framework, read_framework
from ..extensions import db, login_manager
from ..http import contains, number_arg, paginate, search_arg
from ..models import (
    Criterion,
    Enrolment,
    Framework,
    Invitation,
    LearningSet,
    Membership,
    Unit,
    User,
    utcnow,
)
from .forms import FrameworkUploadForm, InvitationForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

UNKNOWN_SET = "Choose one of the sets."


@bp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(404)  # the administration is not something other people need to know exists


def _set_choices(form: InvitationForm) -> None:
    """The choice of "No set", and the set the invitation is for (from the Sets page, `?set_id=`).

    Not every set: that choice would grow with the installation (thousands of sets on every
    visit); an admin finds the set by name on the Sets page and follows its "Invite" link.
    """
    if not form.is_submitted():
        form.set_id.data = number_arg("set_id")
    chosen = form.set_id.data if isinstance(form.set_id.data, int) else None
    learning_set = db.session.get(LearningSet, chosen) if chosen else None
    form.set_id.choices = [SelectChoice("", "No set (assessors and admins)")]
    if learning_set is not None:
        form.set_id.choices.append(SelectChoice(str(learning_set.id), learning_set.name))


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


def _create_invitation(form: InvitationForm) -> str | None:
    """The link of a new invitation, or None with the reasons put on the form's fields."""
    learning_set = None
    if form.set_id.data is not None:
        learning_set = db.session.get(LearningSet, form.set_id.data)
        if learning_set is None:
            form.set_id.errors = [UNKNOWN_SET]
            return None
    try:
        _invitation, token = accounts.invite(
            form.email.data, form.role.data, learning_set, current_user
        )
    except accounts.InvitationError as error:
        form.set_id.errors = [str(error)]
        return None
    db.session.commit()
    return url_for("auth.accept_invitation", token=token, _external=True)


@bp.route("/invitations", methods=["GET", "POST"])
def invitations():
    form = InvitationForm()
    _set_choices(form)
    link = None
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        link = _create_invitation(form)
        if link is not None:
            flash(
                f"Invitation created for {accounts.normalise_email(form.email.data)}. Send them"
                " the link below; it is shown only once."
            )
            form = InvitationForm(formdata=None)
            _set_choices(form)
            status = 200
    elif form.set_id.errors:
        # Only a tampered form sends a set that is not a number: the same answer as a wrong one.
        form.set_id.errors = [UNKNOWN_SET]
    return _invitations_page(form, link), status


def _invitations_page(form: InvitationForm, link: str | None = None, problem: str | None = None):
    """The form, then the invitations, latest first, a page at a time, searchable by address."""
    query = select(Invitation).options(selectinload(Invitation.learning_set))
    q = search_arg()
    if q:
        query = query.where(contains(Invitation.email, q))
    page = paginate(query.order_by(Invitation.created_at.desc(), Invitation.id.desc()))
    return render_template(
        "admin/invitations.html",
        form=form,
        link=link,
        problem=problem,
        page=page,
        q=q,
        now=utcnow(),
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


@bp.errorhandler(CSRFError)
def refused_without_token(error: CSRFError):
    """The CSRF check runs before require_admin: keep its answers, then keep what was typed."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        return error_response(404)
    if request.endpoint != "admin.invitations":
        return csrf_error(error)
    form = InvitationForm()
    _set_choices(form)
    problem = (
        "The form expired or was sent from elsewhere; nothing was created."
        " Check it and send it again."
    )
    return _invitations_page(form, problem=problem), 400


@bp.post("/invitations/<id:invitation_id>/revoke")
def revoke_invitation(invitation_id: int):
    """Withdraw an invitation sent to the wrong person, or no longer wanted."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        abort(404)
    accounts.revoke_invitation(invitation, current_user)
    # Committing also reloads the row: the invitee may have used the link a moment ago.
    db.session.commit()
    if invitation.used_at is not None:
        flash(f"The invitation for {invitation.email} was already used; it cannot be withdrawn.")
    else:
        flash(f"The invitation for {invitation.email} is withdrawn; its link no longer works.")
    return redirect(url_for("admin.invitations"))
