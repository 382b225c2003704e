"""The calendar feed (`GET /calendar/<token>.ics`, for calendar apps, no session) and the
buttons on *Account* that turn it on, give it a new address, or turn it off."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ..errors import error_response
from ..extensions import db
from ..forms import ConfirmForm
from ..policy import get_feed_owner
from . import feeds, ics

bp = Blueprint("calendar", __name__)
# Calendar apps fetch again on their own schedule; a browser or app may reuse an answer for a
# few minutes, and no shared cache may keep one (the feed is personal).
FEED_CACHE = "private, max-age=300"


@bp.record_once
def _hide_tokens_in_logs(state) -> None:
    feeds.hide_tokens_in_logs(state.app)


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    # Neither the session nor the signed-in user is touched: no cookie is read or set.
    owner = get_feed_owner(token)
    response = Response(ics.feed_for(owner), mimetype="text/calendar")
    response.headers["Cache-Control"] = FEED_CACHE
    # The secret is in this address: never pass it on as a Referer, even to this site.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Disposition"] = 'inline; filename="set-journal.ics"'
    response.add_etag()
    return response.make_conditional(request)


@bp.errorhandler(404)
def _not_found(error):
    if request.endpoint == "calendar.feed":
        # The same answer for every refused address, and no page: a page would carry a CSRF
        # token, and with it a session cookie.
        return Response("Not found.\n", 404, mimetype="text/plain")
    return error_response(404)


@bp.route("/calendar/feed", methods=["GET", "POST"])
@login_required
def turn_on():
    """Make the address (or a new one, ending the old) and show it, this once."""
    if request.method == "GET":
        return _to_account()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token, renewed = feeds.turn_on(current_user)
    db.session.commit()
    url = url_for("calendar.feed", token=token, _external=True)
    webcal = "webcal://" + url.split("://", 1)[1]
    return render_template("calendar/address.html", url=url, webcal=webcal, renewed=renewed)


@bp.route("/calendar/feed/revoke", methods=["GET", "POST"])
@login_required
def turn_off():
    if request.method == "GET":
        return _to_account()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if feeds.turn_off(current_user):
        db.session.commit()
        flash("Your calendar feed is off: its address no longer works.")
    else:
        flash("Your calendar feed was already off.")
    return _to_account()


def _to_account():
    # After signing in, `next` brings someone here by GET: the buttons are on Account.
    return redirect(url_for("auth.account", _anchor="calendar"))
