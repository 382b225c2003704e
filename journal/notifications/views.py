"""The notification setting on Account, and the one-click unsubscribe address every
notification carries (RFC 8058)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import error_response
from ..extensions import csrf, db
from ..forms import FORM_TYPES, NOT_A_FORM
from ..models import EmailChoice
from ..policy import get_unsubscriber
from .forms import LABELS, NotificationsForm

bp = Blueprint("notifications", __name__)


@bp.post("/account/notifications")
@login_required
def setting():
    form = NotificationsForm()
    if not form.validate_on_submit():
        from ..auth.views import account_page

        return account_page(400, notifications_form=form)
    current_user.email_notifications = form.email_notifications.data
    db.session.commit()
    chosen = LABELS[EmailChoice(form.email_notifications.data)]
    flash(f"Saved: e-mail me {chosen.lower()}.")
    return redirect(url_for("auth.account", _anchor="notifications"))


# Exempt from CSRF on purpose: a mail client's one-click POST (RFC 8058) has no session and no
# form token. The signed token in the address is the credential, and the one thing it can do
# is turn its owner's notifications off; a GET only shows the button, as mail scanners fetch
# links.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    user = get_unsubscriber(token)
    if request.method == "POST" and not_a_form():
        # RFC 8058's POST is a form ("List-Unsubscribe=One-Click"); nobody's mail client sends
        # JSON or text, so nothing changes for it, as for any form of this app.
        return error_response(400, NOT_A_FORM)
    email, done = user.email, request.method == "POST"  # read before the commit expires it
    if done:
        user.email_notifications = EmailChoice.NEVER.value
        db.session.commit()
    response = render_template("notifications/unsubscribe.html", email=email, done=done)
    return response, 200, {"Referrer-Policy": "no-referrer"}


def not_a_form() -> bool:
    return request.mimetype not in FORM_TYPES and bool(request.mimetype or request.content_length)
