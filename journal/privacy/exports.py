"""Download my data: a ZIP of `me.json` and one Markdown file per reflection.

Asked for and made as a portfolio export is (journal/evidence/exports.py: the same queue, the
same progress page's states, the same lifetime), but of a person rather than an enrolment. What it
holds is the person's own: their account, memberships, reflections (the current version, and
each earlier version kept: the copies frozen when one was offered as evidence, as no other
history is stored), their actions, every comment they wrote, the claims and decisions about them,
and the audit events about them. Of anyone else's words, only the comments on their own
reflections, each with its author's name; an assessor's feedback and comments on claims are
left out (README.md "Your data").
"""

import hashlib
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, jobs
from ..evidence import exports
from ..extensions import db
from ..models import (
    AuditEvent,
    ClaimComment,
    ClaimCriterion,
    Comment,
    Criterion,
    DataExport,
    Enrolment,
    EvidenceClaim,
    ExportStatus,
    Membership,
    Reflection,
    User,
    utcnow,
)

RECENT = 5  # data exports listed on the download page
PARTS = exports.PARTS
GONE = exports.GONE
FAILED = exports.FAILED


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def gather(user: User) -> dict[str, Any]:
    """Everything `me.json` holds, as plain data (a query per kind of thing)."""
    reflections = db.session.scalars(
        select(Reflection)
        .where(Reflection.author_id == user.id)
        .options(joinedload(Reflection.meeting), joinedload(Reflection.learning_set))
        .order_by(Reflection.created_at, Reflection.id)
    ).all()
    mine = [reflection.id for reflection in reflections]
    on_mine: dict[Any, list[dict[str, Any]]] = {}
    if mine:
        rows = db.session.execute(
            select(Comment, User.name)
            .outerjoin(User, User.id == Comment.author_id)
            .where(Comment.reflection_id.in_(mine))
            .order_by(Comment.created_at, Comment.id)
        )
        for comment, author in rows:
            on_mine.setdefault(comment.reflection_id, []).append(
                {
                    "id": comment.id,
                    "author": author or GONE,
                    "at": _at(comment.created_at),
                    "text": comment.body,
                }
            )
    claims = _claims(user)
    kept: dict[str, list[dict[str, Any]]] = {}
    for claim in claims:
        kept.setdefault(str(claim["frozen_content"].get("reflection_id")), []).append(
            claim["frozen_content"]
        )
    return {
        "made_at": _at(utcnow()),
        "account": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "administrator": user.is_admin,
            "created_at": _at(user.created_at),
        },
        "memberships": [
            {"set": m.learning_set.name, "role": m.role, "since": _at(m.created_at)}
            for m in db.session.scalars(
                select(Membership)
                .where(Membership.user_id == user.id)
                .options(joinedload(Membership.learning_set))
                .order_by(Membership.created_at, Membership.id)
            )
        ],
        "reflections": [
            _reflection(
                reflection, on_mine.get(reflection.id, []), kept.get(str(reflection.id), [])
            )
            for reflection in reflections
        ],
        "actions": [
            {
                "reflection_id": str(r.id),
                "action": r.next_action,
                "due": r.action_due.isoformat() if r.action_due else None,
                "status": r.action_status,
                "outcome": r.action_outcome,
            }
            for r in reflections
            if r.next_action
        ],
        "comments_written": _comments_written(user),
        "claims": claims,
        "audit_events": _audit_events(user, mine),
    }


def _reflection(
    reflection: Reflection, comments: list[dict[str, Any]], frozen: list[dict[str, Any]]
) -> dict[str, Any]:
    current = {
        "version": reflection.version,
        "updated_at": _at(reflection.updated_at),
        **{name: getattr(reflection, name) for name, _label in PARTS},
        "action_due": reflection.action_due.isoformat() if reflection.action_due else None,
        "action_status": reflection.action_status,
        "action_outcome": reflection.action_outcome,
    }
    return {
        "id": str(reflection.id),
        "written_at": _at(reflection.created_at),
        "visibility": reflection.visibility,
        "set": reflection.learning_set.name if reflection.learning_set else None,
        "meeting": _at(reflection.meeting.starts_at) if reflection.meeting else None,
        "current": current,
        # Only the current version is stored; earlier ones survive as evidence's frozen copies.
        "earlier_versions": list(
            {
                copy.get("reflection_version"): copy
                for copy in frozen
                if copy.get("reflection_version") != reflection.version
            }.values()
        ),
        "comments": comments,
    }


def _comments_written(user: User) -> list[dict[str, Any]]:
    """What the person wrote under reflections (anyone's: only the reflection's id, never its
    words) and on claims."""
    written = [
        {
            "on": "reflection",
            "reflection_id": str(c.reflection_id),
            "at": _at(c.created_at),
            "text": c.body,
        }
        for c in db.session.scalars(
            select(Comment).where(Comment.author_id == user.id).order_by(Comment.created_at)
        )
    ]
    written += [
        {"on": "claim", "claim_id": c.claim_id, "at": _at(c.created_at), "text": c.body}
        for c in db.session.scalars(
            select(ClaimComment)
            .where(ClaimComment.author_id == user.id)
            .order_by(ClaimComment.created_at)
        )
    ]
    return written


def _claims(user: User) -> list[dict[str, Any]]:
    """The person's evidence: each claim's frozen copy (their words), its criteria and the
    decisions on them (who and when; not the assessor's feedback, which is the assessor's)."""
    claims = db.session.scalars(
        select(EvidenceClaim)
        .join(Enrolment, Enrolment.id == EvidenceClaim.enrolment_id)
        .where(Enrolment.candidate_id == user.id)
        .options(
            joinedload(EvidenceClaim.enrolment).joinedload(Enrolment.framework),
            selectinload(EvidenceClaim.criteria).joinedload(ClaimCriterion.criterion),
            selectinload(EvidenceClaim.criteria).joinedload(ClaimCriterion.decided_by),
        )
        .order_by(EvidenceClaim.offered_at, EvidenceClaim.id)
    ).all()
    return [
        {
            "id": claim.id,
            "framework": claim.enrolment.framework.code,
            "offered_at": _at(claim.offered_at),
            "withdrawn_at": _at(claim.withdrawn_at),
            "content_sha256": claim.content_sha256,
            "frozen_content": dict(claim.frozen_content),
            "criteria": [
                {
                    "criterion": _criterion(cc.criterion),
                    "decision": cc.decision,
                    "decided_by": cc.decided_by.name if cc.decided_by else None,
                    "decided_at": _at(cc.decided_at),
                }
                for cc in claim.criteria
            ],
        }
        for claim in claims
    ]


def _criterion(criterion: Criterion) -> str:
    return criterion.code


def _audit_events(user: User, reflection_ids: list[Any]) -> list[dict[str, Any]]:
    """Events the person did, or done to their account or their reflections (ids only: the
    trail never holds anyone's words)."""
    about = [
        AuditEvent.actor_id == user.id,
        (AuditEvent.subject_type == "user") & (AuditEvent.subject_id == str(user.id)),
    ]
    if reflection_ids:
        about.append(
            (AuditEvent.subject_type == "reflection")
            & AuditEvent.subject_id.in_([str(i) for i in reflection_ids])
        )
    return [
        {
            "at": _at(event.at),
            "action": event.action,
            "by_me": event.actor_id == user.id,
            "subject": f"{event.subject_type} {event.subject_id}",
            "detail": event.detail,
        }
        for event in db.session.scalars(
            select(AuditEvent).where(or_(*about)).order_by(AuditEvent.at, AuditEvent.id)
        )
    ]


def reflection_markdown(number: int, reflection: dict[str, Any]) -> str:
    current = reflection["current"]
    lines = [
        f"# Reflection {number}",
        "",
        f"- Written: {reflection['written_at']}",
        f"- Version {current['version']}, saved {current['updated_at']}",
        f"- Shared with: {reflection['visibility']}"
        + (f" ({reflection['set']})" if reflection["set"] else ""),
    ]
    if reflection["meeting"]:
        lines.append(f"- Meeting: {reflection['meeting']}")
    if current["action_due"]:
        lines.append(f"- Action due {current['action_due']}, {current['action_status']}")
    for name, label in PARTS:
        if current[name]:
            lines += ["", f"## {label}", "", current[name]]
    if current["action_outcome"]:
        lines += ["", "## Outcome", "", current["action_outcome"]]
    if reflection["comments"]:
        lines += ["", "## Comments"]
        for comment in reflection["comments"]:
            quoted = [f"> {line}".rstrip() for line in comment["text"].splitlines() or [""]]
            lines += ["", f"**{comment['author']}**, {comment['at']}:", "", *quoted]
    return "\n".join(lines) + "\n"


def build_zip(data: dict[str, Any], progress: exports.Progress | None = None) -> bytes:
    files = {"me.json": json.dumps(data, indent=2, ensure_ascii=False).encode()}
    count = len(data["reflections"])
    for number, reflection in enumerate(data["reflections"], start=1):
        day = (reflection["written_at"] or "")[:10]
        path = f"reflections/{number:03d}-{day}-{reflection['id'][:8]}.md"
        files[path] = reflection_markdown(number, reflection).encode()
        if progress:
            progress(number, count)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


# Asking, the job, handing over -----------------------------------------------------------


def purge_expired() -> int:
    cutoff = utcnow() - exports.lifetime()
    result = db.session.execute(delete(DataExport).where(DataExport.created_at <= cutoff))
    return result.rowcount or 0


def ask(user: User) -> DataExport:
    """Store a queued export of the person's data, commit, and start its job; when the queue
    cannot be reached, the export says so (commits)."""
    purge_expired()
    export = DataExport(user=user, progress=0)
    db.session.add(export)
    db.session.flush()
    audit.record(user, "data_export.requested", "user", user.id, export=export.id)
    db.session.commit()
    try:
        jobs.enqueue(run_data_export, export.id)
    except RedisError:
        db.session.rollback()
        exports.store_state(
            export.id,
            DataExport,
            status=ExportStatus.FAILED.value,
            error="The job queue could not be reached.",
            finished_at=utcnow(),
        )
        db.session.refresh(export)
    return export


def recent(user: User) -> list[DataExport]:
    return list(
        db.session.scalars(
            select(DataExport)
            .where(DataExport.user_id == user.id)
            .order_by(DataExport.created_at.desc(), DataExport.id.desc())
            .limit(RECENT)
        )
    )


def hand_over(export: DataExport, reader: User) -> bytes:
    content = db.session.scalar(select(DataExport.content).where(DataExport.id == export.id))
    audit.record(reader, "data_export.downloaded", "user", reader.id, export=export.id)
    return content or b""


@jobs.task
def run_data_export(export_id: int) -> None:
    """The job: gather the person's data, write the ZIP and store it."""
    export = db.session.scalar(
        select(DataExport).where(DataExport.id == export_id).options(joinedload(DataExport.user))
    )
    if export is None or export.status != ExportStatus.QUEUED:
        return  # deleted meanwhile (with the account), or run already
    exports.store_state(
        export_id, DataExport, status=ExportStatus.RUNNING.value, started_at=utcnow()
    )
    try:
        user = export.user
        data = gather(user)
        content = build_zip(data, exports.progress_reporter(export_id, DataExport))
        name = exports.file_name(user.name, utcnow(), prefix="my-data")
        exports.store_state(
            export_id,
            DataExport,
            status=ExportStatus.DONE.value,
            progress=100,
            content=content,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            filename=f"{name}.zip",
            finished_at=utcnow(),
        )
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Data export %s failed", export_id)
        exports.store_state(
            export_id,
            DataExport,
            status=ExportStatus.FAILED.value,
            error=FAILED,
            finished_at=utcnow(),
        )
