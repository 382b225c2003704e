"""A candidate's portfolio: coverage of their framework, and exports (PDF, ZIP) made by a job.

For the candidate and their current assessor only (`journal.policy.portfolio`); everyone else
gets 404. Each page costs the same statements however long the candidate's history.
"""

from flask import Blueprint, Response, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit, jobs
from ..extensions import db
from ..http import paginate
from ..models import Enrolment, ExportFormat, ExportStatus, PortfolioExport, User
from ..policy import get_enrolment, get_export, readable_enrolments
from . import exports
from .coverage import coverage as coverage_of
from .portfolio_forms import ExportForm

bp = Blueprint("portfolio", __name__)

RECENT_EXPORTS = 10


@bp.before_request
@login_required
def require_login() -> None:
    """Every portfolio page is for signed-in people only."""


@bp.get("/portfolios")
def index():
    """My own portfolios, then those of the candidates I assess, a page at a time."""
    query = (
        readable_enrolments(current_user)
        .join(User, User.id == Enrolment.candidate_id)
        .options(joinedload(Enrolment.candidate), joinedload(Enrolment.framework))
        .order_by((Enrolment.candidate_id != current_user.id), User.name, Enrolment.id)
    )
    return render_template("portfolio/index.html", page=paginate(query))


@bp.get("/portfolios/<id:enrolment_id>/coverage")
def coverage(enrolment_id: int):
    enrolment = get_enrolment(enrolment_id)
    return render_template(
        "portfolio/coverage.html", enrolment=enrolment, coverage=coverage_of(enrolment)
    )


@bp.route("/portfolios/<id:enrolment_id>/exports", methods=["GET", "POST"])
def request_export(enrolment_id: int):
    """The form to ask for a PDF or ZIP, and the exports I asked for lately."""
    enrolment = get_enrolment(enrolment_id)
    form = ExportForm()
    if form.validate_on_submit():
        export = exports.request_export(enrolment, current_user, ExportFormat(form.format.data))
        db.session.commit()
        try:
            exports.start(export)
        except RedisError:
            db.session.rollback()
            exports.fail_to_queue(export)
            db.session.commit()
        return redirect(url_for(".export", export_id=export.id))
    status = 400 if form.is_submitted() else 200
    recent = db.session.scalars(
        select(PortfolioExport)
        .where(
            PortfolioExport.enrolment_id == enrolment.id,
            PortfolioExport.requested_by_id == current_user.id,
        )
        .order_by(PortfolioExport.created_at.desc(), PortfolioExport.id.desc())
        .limit(RECENT_EXPORTS)
    ).all()
    page = render_template(
        "portfolio/exports.html",
        enrolment=enrolment,
        form=form,
        recent=recent,
        lifetime=exports.lifetime(),
    )
    return page, status


@bp.get("/exports/<id:export_id>")
def export(export_id: int):
    """An export's progress; the page reloads itself (no script) until it is done or failed."""
    found = get_export(export_id)
    waiting = found.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    return render_template(
        "portfolio/export.html",
        export=found,
        waiting=waiting,
        queued=jobs.is_queued(),
        expires_at=found.created_at + exports.lifetime(),
    )


@bp.get("/exports/<id:export_id>/download")
def download(export_id: int):
    found = get_export(export_id)  # the policy again: the reader may have lost access since
    if found.status != ExportStatus.DONE:
        abort(404)
    content = db.session.scalar(
        select(PortfolioExport.content).where(PortfolioExport.id == found.id)
    )
    audit.record(
        current_user, "export.downloaded", "enrolment", found.enrolment_id, export=found.id
    )
    db.session.commit()
    response = Response(content, mimetype=exports.MEDIA_TYPES[ExportFormat(found.format)])
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
