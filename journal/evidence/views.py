"""The evidence pages: offering a reflection, a candidate's claims, a claim with its decisions,
comments and history, withdrawing; a candidate's portfolio: its coverage, and exports (PDF, ZIP)
made by a job. The assessor's queue is on the home page.

Every rule is in `journal.policy` (`get_reflection`, `get_claim`, `get_portfolio`, `may`,
`get_enrolment`, `get_export`): a claim, a portfolio and an export are for the candidate and
their current assessor only, and everyone else gets 404. The claim's state (withdrawn,
accepted) is `claims`' to check; what a page lists is `workspace`'s and `exports`' to gather.
"""

import uuid
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import ConfirmForm
from ..http import paginate
from ..models import AuditEvent, Decision, EvidenceClaim, ExportFormat, ExportStatus
from ..notifications import events as notify
from ..policy import (
    Act,
    ClaimRole,
    get_claim,
    get_enrolment,
    get_export,
    get_portfolio,
    get_reflection,
    role_on,
)
from ..templating import format_datetime
from . import claims, exports, workspace
from .claims import ClaimClosed
from .coverage import coverage as coverage_of
from .forms import CommentForm, DecisionForm, ExportForm, OfferForm

bp = Blueprint("evidence", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Every evidence and portfolio page is for signed-in people only."""


def _claim_url(claim: EvidenceClaim, anchor: str | None = None) -> str:
    url = url_for("evidence.claim", claim_id=claim.id)
    return f"{url}#{anchor}" if anchor else url


# Offering ----------------------------------------------------------------------------------


@bp.route("/evidence/offer/<uuid:reflection_id>", methods=["GET", "POST"])
def offer(reflection_id: uuid.UUID):
    reflection = get_reflection(reflection_id, check_author=True)
    choices = claims.offer_choices(current_user, reflection)
    form = OfferForm()
    if request.method == "GET":
        form.base_version.data = str(reflection.version)
        return _offer_page(form, reflection, choices)
    if not form.validate_on_submit():
        return _offer_page(form, reflection, choices, 400)
    if form.base_version.data != str(reflection.version):
        # Changed on another device since the page was opened: show what would be frozen now.
        form.base_version.data = str(reflection.version)
        return _offer_page(form, reflection, choices, 409, changed=True)
    refused = choices.refusal(form.criteria.data)
    if refused:
        form.criteria.errors = [refused]
        return _offer_page(form, reflection, choices, 400)
    try:
        made = claims.offer_reflection(current_user, reflection, choices, form.criteria.data)
    except claims.AlreadyOffered:
        # The same offer sent twice at once (a double tap, two tabs): the first made the claim.
        db.session.rollback()
        earlier = claims.earlier_offer(reflection, form.criteria.data)
        if earlier is None:
            raise  # another integrity error than the one expected: not to be hidden
        flash("You had offered this already (a second tap, or another tab): here is that claim.")
        return redirect(_claim_url(earlier))
    db.session.commit()
    assessors = sorted({c.enrolment.assessor.name for c in made if c.enrolment.assessor})
    for claim in made:
        notify.claim_offered(claim.id)
    flash(
        "Offered as evidence"
        + (f" to {' and '.join(assessors)}." if assessors else ".")
        + " A copy is frozen as it is now; later edits do not change it."
    )
    return redirect(_claim_url(made[0]) if len(made) == 1 else url_for("evidence.mine"))


def _offer_page(form: OfferForm, reflection, choices, status: int = 200, changed: bool = False):
    chosen = set(form.criteria.data or [])
    return render_template(
        "evidence/offer.html",
        enrollers=[] if choices.enrolments else workspace.enrollers(),
        form=form,
        reflection=reflection,
        choices=choices,
        chosen=chosen,
        changed=changed,
    ), status


# A candidate's claims -----------------------------------------------------------------------


@bp.get("/evidence")
def mine():
    """The candidate's own evidence; opening it marks decisions and comments as seen."""
    found = get_portfolio(current_user.id)
    seen_before = workspace.last_seen(found)
    page = render_template(
        "evidence/portfolio.html",
        portfolio=found,
        page=paginate(workspace.portfolio(found)),
        seen_before=seen_before,
        enrollers=[] if found.enrolments else workspace.enrollers(),
    )
    # After rendering: committing expires every object the page has read.
    workspace.mark_seen(found)
    return page


@bp.get("/evidence/candidates/<id:candidate_id>")
def portfolio(candidate_id: int):
    if candidate_id == current_user.id:
        return redirect(url_for("evidence.mine"))
    found = get_portfolio(candidate_id)
    page = paginate(workspace.portfolio(found))
    return render_template("evidence/portfolio.html", portfolio=found, page=page, seen_before=None)


# A claim -----------------------------------------------------------------------------------


@bp.get("/evidence/claims/<id:claim_id>")
def claim(claim_id: int):
    return _claim_page(get_claim(claim_id))


def _decision_form(claimed, formdata: bool = False) -> DecisionForm:
    prefix = f"c{claimed.criterion_id}"
    if formdata:
        return DecisionForm(prefix=prefix)
    data = {"feedback": claimed.feedback}
    if claimed.decision != Decision.PENDING:
        data["decision"] = claimed.decision
    return DecisionForm(prefix=prefix, formdata=None, data=data)


def _claim_page(
    claim: EvidenceClaim,
    sent: DecisionForm | None = None,
    sent_for: int | None = None,
    comment_form: CommentForm | None = None,
    status: int = 200,
):
    """The claim's page as its candidate or assessor reads it; `sent` is a decision form that
    came back invalid (for criterion `sent_for`), kept as typed."""
    role = role_on(current_user, claim.enrolment)
    is_open = claim.withdrawn_at is None
    forms = {}
    if role is ClaimRole.ASSESSOR and is_open:
        forms = {c.criterion_id: _decision_form(c) for c in claim.criteria}
        if sent is not None:
            forms[sent_for] = sent
    live = claims.live_reflection(claim) if role is ClaimRole.CANDIDATE else None
    copy = claim.frozen_content
    comment_form = comment_form or CommentForm(formdata=None)
    # The field and its button say the same thing: whom the comment is for.
    other = claim.enrolment.candidate if role is ClaimRole.ASSESSOR else claim.enrolment.assessor
    comment_form.body.label.text = f"Your comment for {other.name}" if other else "Your comment"
    return render_template(
        "evidence/claim.html",
        claim=claim,
        copy=copy,
        written_at=claims.moment(copy.get("written_at")),
        due=_date(copy.get("action_due")),
        describe=_describer(claim),
        verified=claims.verifies(claim),
        role=role,
        is_open=is_open,
        forms=forms,
        comment_form=comment_form,
        send_to=other.name if other else None,
        comments=paginate(workspace.comments(claim), param="comments_page"),
        history=(
            paginate(workspace.history(claim), param="history_page")
            if role is ClaimRole.ASSESSOR
            else None
        ),
        live=live,
        changed=role is ClaimRole.CANDIDATE and claims.live_differs(claim, live),
        may_withdraw=role is ClaimRole.CANDIDATE and is_open and not claims.has_accepted(claim),
    ), status


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


DECISION_WORDS = {Decision.ACCEPTED: "accepted", Decision.NOT_YET: "not yet"}


def _describer(claim: EvidenceClaim):
    """How the history names each step: with the criteria's codes, never any text."""
    codes = {c.criterion_id: c.criterion.code for c in claim.criteria}

    def describe(event: AuditEvent) -> str:
        detail = event.detail or {}
        match event.action:
            case "claim.offered":
                chosen = ", ".join(codes.get(i, "?") for i in detail.get("criteria", []))
                return f"offered it against {chosen}"
            case "claim.decided":
                words = DECISION_WORDS.get(detail.get("decision"), detail.get("decision"))
                return f"decided {codes.get(detail.get('criterion'), 'a criterion')}: {words}"
            case "claim.commented":
                return "commented"
            case "claim.withdrawn":
                return "withdrew it"
        return event.action

    return describe


def _closed(claim: EvidenceClaim, problem: ClaimClosed):
    db.session.rollback()
    flash(str(problem))
    return redirect(_claim_url(claim))


@bp.post("/evidence/claims/<id:claim_id>/criteria/<id:criterion_id>")
def decide(claim_id: int, criterion_id: int):
    claim = get_claim(claim_id, Act.DECIDE)
    claimed = next((c for c in claim.criteria if c.criterion_id == criterion_id), None)
    if claimed is None:
        abort(404)
    form = _decision_form(claimed, formdata=True)
    if claim.withdrawn_at is not None:
        return _closed(claim, ClaimClosed("This claim was withdrawn: it can no longer be decided."))
    if not form.validate_on_submit():
        return _claim_page(claim, sent=form, sent_for=criterion_id, status=400)
    try:
        claims.decide_criterion(
            claim,
            criterion_id,
            current_user,
            Decision(form.decision.data),
            (form.feedback.data or "").strip(),
        )
    except ClaimClosed as problem:
        return _closed(claim, problem)
    db.session.commit()
    notify.claim_decided(claim_id, criterion_id)
    return _lead_on(claim, f"Decision on {claimed.criterion.code} saved.")


def _lead_on(claim: EvidenceClaim, saved: str):
    """After a decision, what waits next for the assessor: this claim's next criterion, then
    the oldest claim in her queue (her workspace's order), else her workspace itself."""
    pending = next((c for c in claim.criteria if c.decision == Decision.PENDING), None)
    if pending is not None:
        flash(f"{saved} {pending.criterion.code} waits for your decision.")
        return redirect(_claim_url(claim, f"criterion-{pending.criterion_id}"))
    # Each address names its fragment: a redirect without one keeps the form's (#decision-N).
    waiting = workspace.next_waiting(current_user)
    if waiting is None:
        flash(f"{saved} No other evidence waits for your decision.")
        return redirect(url_for("reflections.home", _anchor="to-assess"))
    flash(
        f"{saved} Next waiting: {waiting.enrolment.candidate.name}’s evidence, offered"
        f" {format_datetime(waiting.offered_at)}."
    )
    return redirect(_claim_url(waiting, "main"))


@bp.route("/evidence/claims/<id:claim_id>/withdraw", methods=["GET", "POST"])
def withdraw(claim_id: int):
    claim = get_claim(claim_id, Act.WITHDRAW)
    if claim.withdrawn_at is not None:
        return _closed(claim, ClaimClosed("This claim was withdrawn already."))
    if claims.has_accepted(claim):
        return _closed(claim, ClaimClosed("Accepted evidence cannot be withdrawn."))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            claims.withdraw(claim, current_user)
        except ClaimClosed as problem:
            return _closed(claim, problem)
        db.session.commit()
        flash("Claim withdrawn. Its copy, decisions and comments stay on record.")
        return redirect(_claim_url(claim))
    status = 400 if request.method == "POST" else 200
    return render_template("evidence/withdraw.html", claim=claim, form=form), status


@bp.post("/evidence/claims/<id:claim_id>/comments")
def comment(claim_id: int):
    claim = get_claim(claim_id, Act.COMMENT)
    if claim.withdrawn_at is not None:
        return _closed(claim, ClaimClosed("This claim was withdrawn: its comments are closed."))
    form = CommentForm()
    if not form.validate_on_submit():
        return _claim_page(claim, comment_form=form, status=400)
    try:
        added = claims.add_comment(claim, current_user, form.body.data.strip())
    except ClaimClosed as problem:
        return _closed(claim, problem)
    db.session.commit()
    notify.claim_commented(added.id)
    flash("Comment added.")
    # The page of comments it is on: they are listed in the order written.
    size = current_app.config["PAGE_SIZE"]
    last = (workspace.comment_count(claim_id) + size - 1) // size
    url = url_for("evidence.claim", claim_id=claim_id, comments_page=last if last > 1 else None)
    return redirect(f"{url}#comment-{added.id}")


# Portfolios: coverage and exports ------------------------------------------------------------


@bp.get("/portfolios")
def portfolios():
    """My own portfolios, then those of the candidates I assess, a page at a time."""
    page = paginate(workspace.portfolios(current_user))
    enrollers = workspace.enrollers() if not page.items and not page.has_prev else []
    return render_template("evidence/portfolios.html", page=page, enrollers=enrollers)


@bp.get("/portfolios/<id:enrolment_id>/coverage")
def coverage(enrolment_id: int):
    enrolment = get_enrolment(enrolment_id)
    return render_template(
        "evidence/coverage.html", enrolment=enrolment, coverage=coverage_of(enrolment)
    )


@bp.route("/portfolios/<id:enrolment_id>/exports", methods=["GET", "POST"])
def request_export(enrolment_id: int):
    """The form to ask for a PDF or ZIP, and the exports I asked for lately."""
    enrolment = get_enrolment(enrolment_id)
    form = ExportForm()
    if form.validate_on_submit():
        export = exports.ask(enrolment, current_user, ExportFormat(form.format.data))
        return redirect(url_for(".export", export_id=export.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "evidence/exports.html",
        enrolment=enrolment,
        form=form,
        recent=exports.recent(enrolment, current_user),
        expired=exports.is_expired,
        lifetime=exports.lifetime(),
    ), status


@bp.get("/exports/<id:export_id>")
def export(export_id: int):
    """An export's progress; the page reloads itself (no script) until it is done or failed."""
    return _export_page(get_export(export_id))


def _export_page(found, status: int = 200):
    return render_template(
        "evidence/export.html", export=found, **exports.page_state(found)
    ), status


@bp.get("/exports/<id:export_id>/download")
def download(export_id: int):
    found = get_export(export_id)  # the policy again: the reader may have lost access since
    if exports.is_expired(found):
        # Past its lifetime, purged or not: Gone, with the page that says so and leads back.
        return _export_page(found, 410)
    if found.status != ExportStatus.DONE:
        abort(404)
    content = exports.hand_over(found, current_user)
    db.session.commit()
    response = Response(content, mimetype=exports.MEDIA_TYPES[ExportFormat(found.format)])
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
