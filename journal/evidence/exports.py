"""Portfolio exports: a candidate's evidence as a PDF, or a ZIP of that PDF, one Markdown file per
piece of evidence and a manifest of every file's SHA-256.

Asking (`request_export`) stores a queued `PortfolioExport`; the job (`run_export`, on the queue
of journal/jobs.py or inline) reads the portfolio once into plain data (`gather`), writes the
file while it reports its progress, and stores the file in the row. What a portfolio holds is
what both its readers (the candidate and their current assessor) may see: the enrolment's claims
that were not withdrawn, each as the copy frozen when it was offered (never the live reflection),
with its criteria, hash, dates, decisions and feedback, and the comments written on it (the
conversation its claim's page shows them both).
"""

import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, jobs
from ..extensions import db
from ..models import (
    ClaimComment,
    ClaimCriterion,
    Criterion,
    DataExport,
    Enrolment,
    EvidenceClaim,
    ExportFormat,
    ExportStatus,
    PortfolioExport,
    User,
    utcnow,
)
from ..pdf import FONT, Document
from ..policy import can_read_portfolio, exported_claims
from ..templating import format_date, format_datetime, local
from .claims import DECLARATION
from .coverage import State, coverage

RECENT = 10  # exports listed on a portfolio's exports page
LIFETIME = timedelta(hours=24)  # then an export is deleted; EXPORT_LIFETIME overrides
MEDIA_TYPES = {ExportFormat.PDF: "application/pdf", ExportFormat.ZIP: "application/zip"}
DECISIONS = {"pending": "Awaiting a decision", "accepted": "Accepted", "not_yet": "Not yet"}
PARTS = (("experience", "Experience"), ("insight", "Insight"), ("next_action", "Next action"))
FAILED = "Something went wrong while making this export. Ask for it again."
NO_LONGER = "You may no longer read this portfolio, so the export was not made."
GONE = "Someone no longer here"  # a comment's author whose account was deleted, as on the page


# What a portfolio holds, as plain data ------------------------------------------------------


@dataclass
class Decided:
    unit: str
    code: str
    text: str
    decision: str
    feedback: str
    decided_by: str
    decided_at: datetime | None


@dataclass
class Said:
    """A comment on a claim: its author's name, when, and its text (Markdown)."""

    id: int
    author: str
    at: datetime
    text: str


@dataclass
class Evidence:
    number: int
    claim_id: int
    offered_at: datetime
    sha256: str
    frozen: dict[str, Any]
    criteria: list[Decided]
    comments: list[Said] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return f"evidence/{self.number:03d}-claim-{self.claim_id}.md"


@dataclass
class CoveredCriterion:
    code: str
    text: str
    state: State


@dataclass
class CoveredUnit:
    code: str
    title: str
    criteria: list[CoveredCriterion]
    accepted: int
    claimed: int


@dataclass
class Portfolio:
    candidate: str
    assessor: str
    framework_code: str
    framework_title: str
    made_at: datetime
    units: list[CoveredUnit]
    total: int
    accepted: int
    claimed: int
    evidence: list[Evidence] = field(default_factory=list)


def gather(enrolment: Enrolment) -> Portfolio:
    """Everything the export shows, read once: coverage, then each claim in the order offered,
    then their comments (five statements, whatever the history, and one for the deciders)."""
    covered = coverage(enrolment)
    portfolio = Portfolio(
        candidate=enrolment.candidate.name,
        assessor=enrolment.assessor.name if enrolment.assessor else "none assigned",
        framework_code=enrolment.framework.code,
        framework_title=enrolment.framework.title,
        made_at=utcnow(),
        units=[
            CoveredUnit(
                u.unit.code,
                u.unit.title,
                [CoveredCriterion(c.criterion.code, c.criterion.text, c.state) for c in u.criteria],
                u.counts.accepted,
                u.counts.claimed,
            )
            for u in covered.units
        ],
        total=covered.counts.total,
        accepted=covered.counts.accepted,
        claimed=covered.counts.claimed,
    )
    claims = db.session.scalars(
        exported_claims(enrolment.id)
        .options(
            selectinload(EvidenceClaim.criteria)
            .joinedload(ClaimCriterion.criterion)
            .joinedload(Criterion.unit)
        )
        .order_by(EvidenceClaim.offered_at, EvidenceClaim.id)
    ).all()
    decider_ids = {cc.decided_by_id for claim in claims for cc in claim.criteria} - {None}
    deciders: dict[int | None, str] = {}
    if decider_ids:
        named = db.session.execute(select(User.id, User.name).where(User.id.in_(decider_ids)))
        deciders = {user_id: name for user_id, name in named}
    said = _comments(enrolment.id)
    for number, claim in enumerate(claims, start=1):
        ordered = sorted(
            claim.criteria,
            key=lambda cc: (cc.criterion.unit.position, cc.criterion.position, cc.criterion.id),
        )
        portfolio.evidence.append(
            Evidence(
                number=number,
                claim_id=claim.id,
                offered_at=claim.offered_at,
                sha256=claim.content_sha256,
                frozen=dict(claim.frozen_content),
                criteria=[
                    Decided(
                        unit=cc.criterion.unit.code,
                        code=cc.criterion.code,
                        text=cc.criterion.text,
                        decision=cc.decision,
                        feedback=cc.feedback,
                        decided_by=deciders.get(cc.decided_by_id, ""),
                        decided_at=cc.decided_at,
                    )
                    for cc in ordered
                ],
                comments=said.get(claim.id, []),
            )
        )
    return portfolio


def _comments(enrolment_id: int) -> dict[int, list[Said]]:
    """The comments on the portfolio's claims (`exported_claims`), by claim, in the order
    written, with their authors' names (one query)."""
    exported = exported_claims(enrolment_id).with_only_columns(EvidenceClaim.id)
    rows = db.session.execute(
        select(
            ClaimComment.claim_id,
            ClaimComment.id,
            User.name,
            ClaimComment.created_at,
            ClaimComment.body,
        )
        .outerjoin(User, User.id == ClaimComment.author_id)
        .where(ClaimComment.claim_id.in_(exported))
        .order_by(ClaimComment.claim_id, ClaimComment.created_at, ClaimComment.id)
    )
    found: dict[int, list[Said]] = {}
    for claim_id, comment_id, author, at, body in rows:
        found.setdefault(claim_id, []).append(Said(comment_id, author or GONE, at, body))
    return found


# The files -------------------------------------------------------------------------------------


class PortfolioDocument(Document):
    """A Document whose paragraphs are wrapped here, word by word, with each word measured once:
    fpdf2's multi_cell measures the whole line again for every character it adds, which made a
    portfolio of 300 pieces of evidence take 17 s instead of 2."""

    LINE_HEIGHT = 5.5

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self._widths: dict[tuple[str, str], float] = {}

    def _width(self, text: str) -> float:
        key = (self.font_style, text)
        if key not in self._widths:
            self._widths[key] = self.get_string_width(text)
        return self._widths[key]

    def _wrap(self, line: str, width: float) -> list[str]:
        lines, current, current_width = [], "", 0.0
        space = self._width(" ")
        for word in line.split(" "):
            word_width = self._width(word)
            if current and current_width + space + word_width <= width:
                current, current_width = f"{current} {word}", current_width + space + word_width
                continue
            if current or lines:
                lines.append(current)
            current, current_width = word, word_width
            while current_width > width:  # a word longer than the line: cut it
                cut = 1
                while cut < len(current) and self._width(current[: cut + 1]) <= width:
                    cut += 1
                lines.append(current[:cut])
                current = current[cut:]
                current_width = self._width(current)
        lines.append(current)
        return lines

    def paragraph(self, text: str, style: str = "") -> None:
        self.set_font(FONT, style, 11)
        for line in text.splitlines() or [""]:
            for part in self._wrap(line.replace("\t", "    "), self.epw):
                self.cell(0, self.LINE_HEIGHT, part, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=11)
        self.ln(1)


Progress = Callable[[int, int], None]  # (pieces done, pieces in all)


def declaration(portfolio: Portfolio) -> list[str]:
    """The declaration's paragraphs: what the candidate confirmed when offering each piece (the
    offer form's words, `claims.DECLARATION`), then what the copies are and how to check them."""
    return [
        f"When offering each piece of evidence in this portfolio, {portfolio.candidate}"
        f" confirmed: “{DECLARATION}”",
        "Each piece's text is the copy frozen when it was offered: later changes to the journal"
        " do not change it. Each copy's SHA-256 is that of its canonical JSON (keys sorted, no"
        " spaces, UTF-8; the manifest of the ZIP export holds each copy), so anyone can check"
        " that it is the copy the assessor judged. With each piece come the assessor's"
        " decisions and feedback, and the comments the candidate and the assessor wrote on it.",
    ]


def build_pdf(portfolio: Portfolio, progress: Progress | None = None) -> bytes:
    title = f"Portfolio of {portfolio.candidate}"
    document = PortfolioDocument(title)
    document.heading(title, 18)
    document.paragraph(f"{portfolio.framework_title} ({portfolio.framework_code})")
    document.paragraph(f"Assessor: {portfolio.assessor}")
    document.paragraph(f"Made {format_datetime(portfolio.made_at)}")
    document.paragraph(
        f"{len(portfolio.evidence)} pieces of evidence. Criteria: {portfolio.accepted} accepted,"
        f" {portfolio.claimed} claimed, {portfolio.total - portfolio.accepted - portfolio.claimed}"
        f" with nothing yet, of {portfolio.total}."
    )
    document.ln(4)
    document.heading("Declaration")
    for paragraph in declaration(portfolio):
        document.paragraph(paragraph)
    document.paragraph(
        f"Candidate: {portfolio.candidate}    Signature: ____________    Date: ______"
    )
    document.paragraph(f"Assessor: {portfolio.assessor}    Signature: ____________    Date: ______")
    document.add_page()
    document.heading("Coverage")
    for unit in portfolio.units:
        document.heading(
            f"Unit {unit.code}: {unit.title} ({unit.accepted} of {len(unit.criteria)} accepted,"
            f" {unit.claimed} claimed)",
            12,
        )
        for criterion in unit.criteria:
            state = criterion.state
            document.paragraph(f"{state.symbol} {state.label} — {criterion.code} {criterion.text}")
    for evidence in portfolio.evidence:
        document.add_page()
        _evidence_pages(document, evidence, len(portfolio.evidence))
        if progress:
            progress(evidence.number, len(portfolio.evidence))
    return document.to_bytes()


def _evidence_pages(document: PortfolioDocument, evidence: Evidence, count: int) -> None:
    frozen = evidence.frozen
    document.heading(f"Evidence {evidence.number} of {count}")
    document.paragraph(
        f"Offered {format_datetime(evidence.offered_at)} (claim {evidence.claim_id}, version"
        f" {frozen.get('reflection_version')} of the reflection)."
    )
    document.paragraph(f"SHA-256 {evidence.sha256}", "I")
    document.heading("Criteria and decisions", 12)
    for decided in evidence.criteria:
        document.paragraph(f"Unit {decided.unit}, {decided.code} {decided.text}", "B")
        line = DECISIONS.get(decided.decision, decided.decision)
        if decided.decided_at:
            line += f", {format_datetime(decided.decided_at)} by {decided.decided_by}"
        document.paragraph(line)
        if decided.feedback:
            document.markdown(f"Feedback: {decided.feedback}")
    # People's words as their page shows them (journal/text.py), never Markdown's syntax.
    for name, label in PARTS:
        if frozen.get(name):
            document.heading(label, 12)
            document.markdown(frozen[name])
    if frozen.get("action_due"):
        document.paragraph(f"Action due {format_date(_date(frozen['action_due']))}")
    if evidence.comments:
        document.heading("Comments", 12)
        for comment in evidence.comments:
            document.paragraph(f"{comment.author}, {format_datetime(comment.at)}", "B")
            document.markdown(comment.text)


def _date(iso: str):
    return datetime.fromisoformat(iso).date()


def evidence_markdown(evidence: Evidence) -> str:
    frozen = evidence.frozen
    lines = [
        f"# Evidence {evidence.number}: claim {evidence.claim_id}",
        "",
        f"- Offered: {evidence.offered_at.isoformat()}",
        f"- Version of the reflection: {frozen.get('reflection_version')}",
        f"- SHA-256 of the frozen copy: {evidence.sha256}",
        f"- Declared by the candidate when offering: “{DECLARATION}”",
    ]
    if frozen.get("action_due"):
        lines.append(f"- Action due: {frozen['action_due']}")
    lines += ["", "## Criteria and decisions", ""]
    for decided in evidence.criteria:
        lines.append(f"- Unit {decided.unit}, {decided.code}: {decided.text}")
        verdict = DECISIONS.get(decided.decision, decided.decision)
        if decided.decided_at:
            verdict += f" ({decided.decided_at.isoformat()}, {decided.decided_by})"
        lines.append(f"  - {verdict}")
        if decided.feedback:
            lines.append(f"  - Feedback: {decided.feedback}")
    for name, label in PARTS:
        if frozen.get(name):
            lines += ["", f"## {label}", "", frozen[name]]
    if evidence.comments:
        lines += ["", "## Comments"]
        for comment in evidence.comments:
            # Quoted, so that a comment's own Markdown (a heading, a list) stays inside it.
            quoted = [f"> {line}".rstrip() for line in comment.text.splitlines() or [""]]
            lines += ["", f"**{comment.author}**, {comment.at.isoformat()}:", "", *quoted]
    return "\n".join(lines) + "\n"


def build_zip(portfolio: Portfolio, progress: Progress | None = None) -> bytes:
    """portfolio.pdf, one Markdown file per piece of evidence, and manifest.json with every
    other file's SHA-256 and size, and each piece's frozen copy (to check its hash)."""
    count = len(portfolio.evidence)

    def halfway(done: int, total: int) -> None:
        if progress:
            progress(done, 2 * total)

    files = {"portfolio.pdf": build_pdf(portfolio, halfway)}
    for evidence in portfolio.evidence:
        files[evidence.slug] = evidence_markdown(evidence).encode()
        if progress:
            progress(count + evidence.number, 2 * count)
    manifest = {
        "candidate": portfolio.candidate,
        "assessor": portfolio.assessor,
        "framework": {"code": portfolio.framework_code, "title": portfolio.framework_title},
        "made_at": portfolio.made_at.isoformat(),
        "declaration": DECLARATION,  # what the candidate confirmed when offering each piece
        "files": [
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for path, data in files.items()
        ],
        "evidence": [
            {
                "file": evidence.slug,
                "claim_id": evidence.claim_id,
                "offered_at": evidence.offered_at.isoformat(),
                "content_sha256": evidence.sha256,
                "frozen_content": evidence.frozen,
                "criteria": [
                    {
                        **asdict(d),
                        "decided_at": d.decided_at.isoformat() if d.decided_at else None,
                    }
                    for d in evidence.criteria
                ],
                "comments": [
                    {"id": c.id, "author": c.author, "at": c.at.isoformat(), "text": c.text}
                    for c in evidence.comments
                ],
            }
            for evidence in portfolio.evidence
        ],
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


# Asking for an export, and the job that makes it -------------------------------------------


def lifetime() -> timedelta:
    return current_app.config.get("EXPORT_LIFETIME", LIFETIME)


def expires_at(export: PortfolioExport | DataExport) -> datetime:
    return export.created_at + lifetime()


def is_expired(export: PortfolioExport | DataExport) -> bool:
    """Past its lifetime: never served again, whether or not it is purged yet."""
    return expires_at(export) <= utcnow()


def page_state(export: PortfolioExport | DataExport) -> dict[str, Any]:
    """What an export's progress page (`_export_status.html`) shows of its state."""
    expired = is_expired(export)
    return {
        "expired": expired,
        "waiting": not expired and export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING),
        "queued": jobs.is_queued(),
        "expires_at": expires_at(export),
    }


def purge_expired() -> int:
    """Delete exports past their lifetime (their files with them): on each new request for one,
    and from cron (`flask --app wsgi purge-exports`, README.md "Exports")."""
    cutoff = utcnow() - lifetime()
    result = db.session.execute(delete(PortfolioExport).where(PortfolioExport.created_at <= cutoff))
    return result.rowcount or 0


def request_export(enrolment: Enrolment, requester: User, kind: ExportFormat) -> PortfolioExport:
    """A queued export of the enrolment's portfolio (the caller has checked the policy and
    commits, then calls `start`)."""
    purge_expired()
    export = PortfolioExport(
        enrolment=enrolment, requested_by=requester, format=kind.value, progress=0
    )
    db.session.add(export)
    db.session.flush()
    audit.record(
        requester, "export.requested", "enrolment", enrolment.id, export=export.id, format=kind
    )
    return export


def start(export: PortfolioExport) -> None:
    """Queue the job, or run it now without Redis or while Redis does not answer (jobs.enqueue;
    run_export runs an export once however often it is started). The export must be committed
    first."""
    jobs.enqueue(run_export, export.id)


def ask(enrolment: Enrolment, requester: User, kind: ExportFormat) -> PortfolioExport:
    """What the exports page's buttons do: store the export, commit, and start its job."""
    export = request_export(enrolment, requester, kind)
    db.session.commit()
    start(export)
    return export


def recent(enrolment: Enrolment, requester: User) -> list[PortfolioExport]:
    """The last exports `requester` asked for of this portfolio, the latest first (one query,
    without their files)."""
    return list(
        db.session.scalars(
            select(PortfolioExport)
            .where(
                PortfolioExport.enrolment_id == enrolment.id,
                PortfolioExport.requested_by_id == requester.id,
            )
            .order_by(PortfolioExport.created_at.desc(), PortfolioExport.id.desc())
            .limit(RECENT)
        )
    )


def hand_over(export: PortfolioExport, reader: User) -> bytes:
    """The file of a finished export, its download recorded in the audit trail (the caller has
    checked the policy, and commits)."""
    content = db.session.scalar(
        select(PortfolioExport.content).where(PortfolioExport.id == export.id)
    )
    audit.record(reader, "export.downloaded", "enrolment", export.enrolment_id, export=export.id)
    return content or b""


@jobs.task
def run_export(export_id: int) -> None:
    """The job: make the file and store it, reporting progress as it goes."""
    query = (
        select(PortfolioExport)
        .where(PortfolioExport.id == export_id)
        .options(
            joinedload(PortfolioExport.requested_by),
            joinedload(PortfolioExport.enrolment).joinedload(Enrolment.candidate),
            joinedload(PortfolioExport.enrolment).joinedload(Enrolment.assessor),
            joinedload(PortfolioExport.enrolment).joinedload(Enrolment.framework),
        )
    )
    export = db.session.scalar(query)
    if export is None or export.status != ExportStatus.QUEUED:
        return  # deleted meanwhile, or run already (a job delivered twice)
    if not can_read_portfolio(export.requested_by, export.enrolment):
        store_state(export_id, status=ExportStatus.FAILED.value, error=NO_LONGER)
        return
    store_state(export_id, status=ExportStatus.RUNNING.value, started_at=utcnow())
    try:
        portfolio = gather(export.enrolment)
        kind = ExportFormat(export.format)
        report = progress_reporter(export_id)
        content = (build_pdf if kind is ExportFormat.PDF else build_zip)(portfolio, report)
        name = file_name(export.enrolment.candidate.name, portfolio.made_at)
        store_state(
            export_id,
            status=ExportStatus.DONE.value,
            progress=100,
            content=content,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            filename=f"{name}.{kind.value}",
            finished_at=utcnow(),
        )
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Export %s failed", export_id)
        store_state(export_id, status=ExportStatus.FAILED.value, error=FAILED, finished_at=utcnow())


# Letters NFKD does not take apart into an ASCII letter and its accent.
_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}
    | {"\u0131": "i"}  # dotless i
)


def file_name(candidate: str, made_at: datetime, prefix: str = "portfolio") -> str:
    """The export's file name without its extension: "portfolio-zoe-ni-bhriain-2026-12-06", the
    candidate's name in lower-case ASCII letters and digits (accents dropped), safe as it is in
    a Content-Disposition header; the day in the app's time zone."""
    letters = unicodedata.normalize("NFKD", candidate.lower().translate(_LETTERS))
    ascii_name = "-".join(re.findall(r"[a-z0-9]+", letters.encode("ascii", "ignore").decode()))
    day = f"{local(made_at):%Y-%m-%d}"
    return "-".join(part for part in (prefix, ascii_name[:60].strip("-"), day) if part)


def store_state(export_id: int, table: type = PortfolioExport, **values: Any) -> None:
    """Store an export's state (`table`: PortfolioExport, or DataExport of journal/privacy/)."""
    db.session.execute(update(table).where(table.id == export_id).values(**values))
    db.session.commit()


def progress_reporter(export_id: int, table: type = PortfolioExport) -> Progress:
    """Store the percentage done, at most every 5 points (each is a commit)."""
    last = [0]

    def report(done: int, total: int) -> None:
        percent = min(99, done * 100 // max(total, 1))
        if percent >= last[0] + 5:
            last[0] = percent
            store_state(export_id, table, progress=percent)

    return report
