"""Your data (README.md "Your data"): download everything as a ZIP, or delete the account."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, logout_user

from ..auth import accounts, throttle
from ..evidence.exports import is_expired, lifetime, page_state
from ..extensions import db
from ..forms import ConfirmForm
from ..models import ExportStatus, User
from ..policy import get_data_export
from ..pwa.views import forget_on_next_visit
from . import erasure, exports
from .forms import DeleteAccountForm

bp = Blueprint("privacy", __name__, url_prefix="/account")


@bp.before_request
@login_required
def signed_in() -> None:
    """Every page here is about the signed-in person's own data."""


@bp.route("/data", methods=["GET", "POST"])
def data():
    """The button that makes my download, and the ones I asked for lately."""
    form = ConfirmForm()
    if form.validate_on_submit():
        export = exports.ask(current_user._get_current_object())
        return redirect(url_for(".data_export", export_id=export.id))
    return render_template(
        "privacy/data.html",
        form=form,
        recent=exports.recent(current_user),
        expired=is_expired,
        lifetime=lifetime(),
    ), (400 if form.is_submitted() else 200)


@bp.get("/data/<id:export_id>")
def data_export(export_id: int):
    """Its progress; the page reloads itself (no script) until it is done or failed."""
    return _export_page(get_data_export(export_id))


def _export_page(found, status: int = 200):
    return render_template("privacy/export.html", export=found, **page_state(found)), status


@bp.get("/data/<id:export_id>/download")
def download_data(export_id: int):
    found = get_data_export(export_id)
    if is_expired(found):
        return _export_page(found, 410)
    if found.status != ExportStatus.DONE:
        abort(404)
    content = exports.hand_over(found, current_user)
    db.session.commit()
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
def delete_account():
    """What goes and what stays, then the password; deleting signs the person out everywhere,
    and this device forgets them on its next page (journal/pwa/views.py)."""
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    kept = erasure.kept_claims(user)
    if form.validate_on_submit():
        problem = _refusal(user, form.password.data)
        if problem is None:
            erasure.delete_account(user, user)
            db.session.commit()
            logout_user()
            session.clear()
            forget_on_next_visit(user)
            flash("Your account is deleted.")
            return redirect(url_for("auth.login"))
        form.password.errors = [problem]
    status = 400 if form.is_submitted() else 200
    return render_template("privacy/delete.html", form=form, kept=kept), status


def _refusal(user: User, password: str) -> str | None:
    """Why the account may not be deleted now (None: it may)."""
    if not accounts.verify_password(user.password_hash, password):
        throttle.record_wrong_password()
        return "That is not your password."
    if user.is_admin and accounts.admin_count() <= 1:
        return "You are the only administrator: make someone else one first."
    return None
