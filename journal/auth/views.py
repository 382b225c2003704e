"""Signing in and out, forgotten passwords, and accepting invitations."""

from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, undefer

from ..calendar import feeds
from ..errors import error_response, wants_json
from ..extensions import db, login_manager
from ..forms import ConfirmForm
from ..models import Membership, User
from ..notifications.forms import NotificationsForm
from ..sets.meetings import memberships_of
from . import accounts, recovery, throttle
from .forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
)

bp = Blueprint("auth", __name__)


# The cookie carries the session token, not the user id: a new token ends every old cookie.
# Their memberships come in the same query: every page and the policy read them; so do whether
# they are enrolled and whether they assess anyone, which the navigation reads. Built once,
# as every request runs it (building it each time cost a quarter of its running time).
SIGNED_IN_USER = (
    select(User)
    .where(User.session_token == bindparam("session_token"))
    .options(
        joinedload(User.memberships).joinedload(Membership.learning_set),
        undefer(User.enrolled),
        undefer(User.assessing),
    )
)


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    found = db.session.scalars(SIGNED_IN_USER, {"session_token": session_token})
    return found.unique().one_or_none()


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return error_response(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: no open redirect."""
    if not target:
        return None
    # Checked as sent and percent-decoded: a proxy or browser that decodes `/%5Cevil.org` or
    # `/%2F/evil.org` must not find `/\\evil.org` or `//evil.org` in it.
    for form in (target, unquote(target)):
        if not form.startswith("/") or form.startswith(("//", "/\\")):
            return None
        # Browsers drop tabs and newlines and read a backslash as a slash.
        if any(ord(char) < 32 or ord(char) == 127 or char == "\\" for char in form):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("reflections.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()
            # Without "remember", the cookie lasts as long as the browser session (and at most
            # PERMANENT_SESSION_LIFETIME, which Flask enforces on every cookie it reads).
            login_user(user, remember=form.remember.data)
            throttle.trust_this_device(user)
            return redirect(safe_next(request.args.get("next")) or url_for("reflections.home"))
        throttle.record_wrong_password()
        # One message for an unknown address and a wrong password: neither is revealed.
        form.password.errors = ["That email and password do not match an account."]
    form.password.data = ""
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """An address in; the same answer, status and time whether or not an account has it
    (recovery.ask_for_reset does the same work either way)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        throttle.record_reset_asked()
        recovery.ask_for_reset(form.email.data)
        return render_template("auth/forgot_password.html", form=None, asked=form.email.data)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """The link from the e-mail: a new password (sign-up's rules), every other session ended,
    and this browser signed in."""
    reset = recovery.open_reset(token)
    if reset is None:
        return _invalid_reset()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        problem = accounts.password_problem(form.password.data, reset.user.email)
        if problem is None:
            user = recovery.reset_password(reset, form.password.data)
            if user is None:
                db.session.rollback()
                return _invalid_reset()
            db.session.commit()
            session.clear()
            login_user(user)
            throttle.trust_this_device(user)
            flash("Password changed. Every other device is now signed out.")
            return redirect(url_for("reflections.home"))
        form.password.errors = [problem]
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset_password.html", form=form, email=reset.user.email), status


def _invalid_reset():
    return error_response(
        404,
        "This link to choose a new password is not valid: it may have been used or have"
        " expired (it works for an hour). Ask for a new one from the sign-in page.",
    )


@bp.post("/logout")
@login_required
def logout():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Who I am, my sets, my calendar feed (journal/calendar/), and changing my password
    (which signs out every other device)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        problem = accounts.change_password(
            current_user, form.current_password.data, form.password.data
        )
        if problem is None:
            db.session.commit()
            # The User itself: signed in again as the proxy, current_user would point at itself.
            _sign_in_again(current_user._get_current_object())
            flash("Password changed. Every other device is now signed out.")
            return redirect(url_for("auth.account"))
        # Only a wrong current password is a guess; a refused new one is the owner choosing.
        wrong_current = problem.startswith("That is not")
        if wrong_current:
            throttle.record_wrong_password()
        field = form.current_password if wrong_current else form.password
        field.errors = [problem]
    return account_page(400 if request.method == "POST" else 200, form=form)


def account_page(
    status: int,
    form: ChangePasswordForm | None = None,
    notifications_form: NotificationsForm | None = None,
):
    """Account with each form as sent (the one refused shows its errors), the others fresh."""
    if notifications_form is None:
        notifications_form = NotificationsForm(
            formdata=None, email_notifications=current_user.email_notifications
        )
    memberships = memberships_of(current_user)
    calendar_feed = feeds.feed_of(current_user)
    return render_template(
        "auth/account.html",
        form=form or ChangePasswordForm(formdata=None),
        notifications_form=notifications_form,
        memberships=memberships,
        calendar_feed=calendar_feed,
    ), status


def _sign_in_again(user: User) -> None:
    """Keep this device signed in under the user's new session token (and a remember cookie,
    if it had one: the old one no longer works)."""
    remembered = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
    session.clear()
    login_user(user, remember=remembered)
    throttle.trust_this_device(user)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = accounts.open_invitation(token)
    if invitation is None:
        return _invalid_invitation()
    existing = accounts.find_user(invitation.email)
    if existing is not None:
        return _join_with_account(invitation, existing)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        problem = accounts.password_problem(form.password.data, invitation.email)
        if problem is None:
            user = accounts.join_by_invitation(invitation, form.name.data, form.password.data)
            if user is None:
                return _invitation_taken(token)
            db.session.commit()
            session.clear()
            login_user(user)
            throttle.trust_this_device(user)
            flash(f"Welcome, {user.name}. Your account is ready.")
            return redirect(url_for("reflections.home"))
        form.password.errors = [problem]
    status = 400 if request.method == "POST" else 200
    return render_template("auth/invitation.html", form=form, invitation=invitation), status


def _invalid_invitation():
    return error_response(
        404,
        "This invitation link is not valid: it may have been used,"
        " withdrawn or have expired. Ask your administrator for a new one.",
    )


def _invitation_taken(token: str):
    """Another request used this link, or made an account for its address, a moment before this
    one: keep nothing of this one and answer as if it had come second."""
    db.session.rollback()
    invitation = accounts.open_invitation(token)
    user = accounts.find_user(invitation.email) if invitation is not None else None
    if user is None:
        return _invalid_invitation()
    return _join_with_account(invitation, user)


def _join_with_account(invitation, user: User):
    """An invitation for an address that already has an account: accept it signed in as them."""
    if not current_user.is_authenticated or current_user.id != user.id:
        return render_template(
            "auth/invitation.html", invitation=invitation, form=None, sign_in_as=user.email
        )
    form = ConfirmForm()
    if form.validate_on_submit():
        if not accounts.accept_invitation(invitation, user):
            # Used (this same form sent twice at once?), withdrawn or expired a moment ago.
            db.session.rollback()
            return _invalid_invitation()
        db.session.commit()
        flash("Invitation accepted.")
        return redirect(url_for("reflections.home"))
    return render_template("auth/invitation.html", invitation=invitation, form=form, join=True)
