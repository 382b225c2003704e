"""Administration: sets, people and invitations. An admin never sees reflection text."""

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from . import accounts
from .extensions import db
from .forms import InvitationForm
from .models import Invitation, LearningSet, Membership

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(404)  # the administration is not something other people need to know exists


def _set_choices() -> list[SelectChoice]:
    sets = db.session.scalars(select(LearningSet).order_by(LearningSet.name))
    return [SelectChoice("", "No set (assessors and admins)")] + [
        SelectChoice(str(s.id), s.name) for s in sets
    ]


@bp.get("/")
def index():
    sets = db.session.scalars(
        select(LearningSet)
        .options(selectinload(LearningSet.memberships).joinedload(Membership.user))
        .order_by(LearningSet.name)
    ).all()
    return render_template("admin/index.html", sets=sets)


@bp.route("/invitations", methods=["GET", "POST"])
def invitations():
    form = InvitationForm()
    form.set_id.choices = _set_choices()
    link = None
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        learning_set = db.session.get(LearningSet, form.set_id.data) if form.set_id.data else None
        try:
            invitation, token = accounts.invite(
                form.email.data, form.role.data, learning_set, current_user
            )
        except accounts.InvitationError as error:
            form.set_id.errors = [str(error)]
        else:
            db.session.commit()
            link = url_for("auth.accept_invitation", token=token, _external=True)
            flash(f"Invitation created for {invitation.email}. Send them the link below;"
                  " it is shown only once.")
            form = InvitationForm(formdata=None)
            form.set_id.choices = _set_choices()
            status = 200
    recent = db.session.scalars(
        select(Invitation)
        .options(selectinload(Invitation.learning_set))
        .order_by(Invitation.created_at.desc())
        .limit(50)
    ).all()
    return render_template(
        "admin/invitations.html", form=form, link=link, invitations=recent
    ), status

