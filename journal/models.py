"""The data model of SPEC.md as typed SQLAlchemy 2 models."""

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    exists,
)
from sqlalchemy.orm import Mapped, column_property, deferred, mapped_column, relationship

from .extensions import db

TEXT_LIMIT = 20_000
# The largest id a row can have (PostgreSQL's integer). Asking about a bigger number is pointless,
# and SQLite cannot even bind one past 64 bits (OverflowError: a 500, not "no such row").
LARGEST_ID = 2**31 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in UTC on every database (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _check_in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class SetRole(StrEnum):
    CANDIDATE = "candidate"
    FACILITATOR = "facilitator"


class Visibility(StrEnum):
    PRIVATE = "private"
    FACILITATOR = "facilitator"
    SET = "set"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"
    CARRIED = "carried"


class InvitationRole(StrEnum):
    CANDIDATE = "candidate"
    FACILITATOR = "facilitator"
    ASSESSOR = "assessor"
    ADMIN = "admin"


class Decision(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    NOT_YET = "not_yet"


class EmailChoice(StrEnum):
    """How often someone is e-mailed what happened (README: "What you are told by e-mail")."""

    EACH = "each"  # a message per event
    DAILY = "daily"  # one digest a day (flask send-digests)
    NEVER = "never"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # The administration lists people by name, a page at a time.
    __table_args__ = (Index("ix_users_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Flask-Login's alternative id: replaced on logout, password change and removal, so every
    # session and remember cookie issued before stops working.
    session_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    # A server default only: rows written by earlier migrations' tests and data take it too.
    email_notifications: Mapped[str] = mapped_column(
        String(10), server_default=EmailChoice.EACH.value
    )
    # When its holder (or an admin) deleted the account (journal/privacy/erasure.py). The row is
    # kept, with the name alone, only while evidence an assessor accepted needs it; it cannot
    # sign in. None for every living account.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.set_id"
    )
    # Deleted with the account by the ORM too: SQLite enforces no foreign keys here, and a
    # feed left behind would open the calendar of whoever is given the same id next.
    calendar_feed: Mapped["CalendarFeed | None"] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LearningSet(db.Model):
    """An action learning set (`set` is a Python builtin, hence the name)."""

    __tablename__ = "sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    programme: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="learning_set", cascade="all, delete-orphan"
    )
    meetings: Mapped[list["Meeting"]] = relationship(
        back_populates="learning_set", cascade="all, delete-orphan", order_by="Meeting.starts_at"
    )


class Membership(db.Model):
    """A role held on a set: one person, one role per set."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("set_id", "user_id"),
        CheckConstraint(_check_in("role", SetRole), name="role"),
        Index("ix_memberships_user_id_role", "user_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    learning_set: Mapped[LearningSet] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_set_id_starts_at", "set_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(500), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    # Cancelled, not deleted: reflections written for it keep their link, the set's history
    # keeps the date, and it no longer counts as the last or next meeting.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it was last changed or cancelled (None: never since it was scheduled), set by every
    # ORM update: calendar feeds give it as LAST-MODIFIED, so a phone takes the new time.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=lambda: utcnow())

    learning_set: Mapped[LearningSet] = relationship(back_populates="meetings")


class Reflection(db.Model):
    __tablename__ = "reflections"
    __table_args__ = (
        CheckConstraint(_check_in("visibility", Visibility), name="visibility"),
        CheckConstraint(_check_in("action_status", ActionStatus), name="action_status"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_reflections_author_id_created_at", "author_id", "created_at"),
        Index("ix_reflections_author_id_updated_at", "author_id", "updated_at"),
        Index("ix_reflections_meeting_id_updated_at", "meeting_id", "updated_at"),
        Index("ix_reflections_set_id_updated_at", "set_id", "updated_at"),
        Index("ix_reflections_updated_at", "updated_at"),
        # A meeting's page lists the actions carried to it (and deleting a meeting nulls them).
        Index("ix_reflections_carried_to_meeting_id", "carried_to_meeting_id"),
    )

    # Chosen by the client, so an offline draft has its final id before the server sees it.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    # The audience set, fixed when the reflection is saved (SPEC.md): the meeting's set, or the
    # set its author picked. Read at read time, memberships only ever remove readers from it.
    set_id: Mapped[int | None] = mapped_column(ForeignKey("sets.id", ondelete="SET NULL"))
    experience: Mapped[str] = mapped_column(Text, default="")
    insight: Mapped[str] = mapped_column(Text, default="")
    next_action: Mapped[str] = mapped_column(Text, default="")
    action_due: Mapped[date | None]
    action_status: Mapped[str] = mapped_column(String(16), default=ActionStatus.OPEN.value)
    action_outcome: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.FACILITATOR.value)
    # Where a carried action is followed up: the set's next meeting when it was carried (None
    # when none was scheduled, or once it is no longer carried). Filled by the server
    # (reflections.saving), never written by a client.
    carried_to_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    author: Mapped[User] = relationship()
    meeting: Mapped[Meeting | None] = relationship(foreign_keys=[meeting_id])
    carried_to: Mapped[Meeting | None] = relationship(foreign_keys=[carried_to_meeting_id])
    learning_set: Mapped[LearningSet | None] = relationship()

    # Optimistic locking: every UPDATE says "WHERE version = what I read" and bumps it by one,
    # so of two concurrent saves of the same version exactly one wins.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class Comment(db.Model):
    """A facilitator's comment on a reflection, or its author's answer: a row of its own, so the
    candidate's words are never edited. Read by exactly those who may read the reflection (the
    rule is the reflection's, asked through it), and deleted with it."""

    __tablename__ = "comments"
    # A reflection's page shows its comments in order of writing.
    __table_args__ = (Index("ix_comments_reflection_id_created_at", "reflection_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reflection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reflections.id", ondelete="CASCADE")
    )
    # Removing an account removes what its holder wrote, as it does their reflections.
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    reflection: Mapped[Reflection] = relationship()
    author: Mapped[User] = relationship()


class ReflectionTombstone(db.Model):
    """A deleted reflection's id, kept so a late offline edit gets a conflict, not a revival."""

    __tablename__ = "reflection_tombstones"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())


class Framework(db.Model):
    """A qualification framework: units, each with assessment criteria."""

    __tablename__ = "frameworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    units: Mapped[list["Unit"]] = relationship(
        back_populates="framework", cascade="all, delete-orphan", order_by="Unit.position"
    )


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)

    framework: Mapped[Framework] = relationship(back_populates="units")
    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="Criterion.position"
    )


class Criterion(db.Model):
    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    unit: Mapped[Unit] = relationship(back_populates="criteria")


class Enrolment(db.Model):
    """Ties a candidate to a framework and the assessor who judges their evidence."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("candidate_id", "framework_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="RESTRICT"))
    assessor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    # When the candidate last opened their evidence: their home page counts the decisions and
    # comments since then. None: never (everything counts).
    candidate_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])
    assessor: Mapped[User | None] = relationship(foreign_keys=[assessor_id])
    framework: Mapped[Framework] = relationship()


# Whether a person is enrolled on a framework, and whether they assess someone else's enrolment
# (`policy.evidence`'s rule): the navigation shows their sections by them (`journal.navigation`).
# Loaded with the signed-in user in the same statement (`auth.views.SIGNED_IN_USER`), deferred
# everywhere else. Assigned here, after both classes exist, as SQLAlchemy documents.
User.enrolled = column_property(exists().where(Enrolment.candidate_id == User.id), deferred=True)
User.assessing = column_property(
    exists().where(Enrolment.assessor_id == User.id, Enrolment.candidate_id != User.id),
    deferred=True,
)


class EvidenceClaim(db.Model):
    """A reflection offered as evidence, with the copy the assessor judges frozen at offer time."""

    __tablename__ = "evidence_claims"
    __table_args__ = (
        Index("ix_evidence_claims_enrolment_id_offered_at", "enrolment_id", "offered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    # Kept when the live reflection is deleted: accepted evidence must outlive it.
    reflection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reflections.id", ondelete="SET NULL"), index=True
    )
    frozen_content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enrolment: Mapped[Enrolment] = relationship()
    reflection: Mapped[Reflection | None] = relationship()
    # In the order offered (the framework's order, see evidence.claims.offer).
    criteria: Mapped[list["ClaimCriterion"]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimCriterion.id"
    )


class ClaimCriterion(db.Model):
    """One criterion a claim is offered against, and the assessor's decision on it."""

    __tablename__ = "claim_criteria"
    __table_args__ = (
        UniqueConstraint("claim_id", "criterion_id"),
        # One version of a reflection claims a criterion once while its claim is live, however
        # the offer is sent twice (a double tap, two tabs): the second insert fails here.
        UniqueConstraint("criterion_id", "live_offer"),
        CheckConstraint(_check_in("decision", Decision), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("evidence_claims.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("criteria.id", ondelete="RESTRICT"), index=True
    )
    decision: Mapped[str] = mapped_column(String(16), default=Decision.PENDING.value)
    feedback: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "<reflection id>/<version>" offered, while the claim is not withdrawn (`claims.live_offer`);
    # None once it is, so that the same version may be offered again. Nulls never collide.
    live_offer: Mapped[str | None] = mapped_column(String(64))

    claim: Mapped[EvidenceClaim] = relationship(back_populates="criteria")
    criterion: Mapped[Criterion] = relationship()
    decided_by: Mapped[User | None] = relationship()


class ClaimComment(db.Model):
    """A comment on a claim: its assessor asks, its candidate answers (Markdown)."""

    __tablename__ = "claim_comments"
    # A claim's page lists its comments in order.
    __table_args__ = (Index("ix_claim_comments_claim_id_created_at", "claim_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("evidence_claims.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    author: Mapped[User | None] = relationship()


class ExportFormat(StrEnum):
    PDF = "pdf"
    ZIP = "zip"


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PortfolioExport(db.Model):
    """A candidate's portfolio as a PDF or ZIP, made by a background job (journal/jobs.py).

    The file is kept in the database, not on an app server's disk, so any server (and the
    worker) can write and serve it; exports are deleted a day after they were asked for
    (EXPORT_LIFETIME), so the table holds only recent files, a few MB each.
    """

    __tablename__ = "portfolio_exports"
    __table_args__ = (
        CheckConstraint(_check_in("format", ExportFormat), name="format"),
        CheckConstraint(_check_in("status", ExportStatus), name="status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        Index("ix_portfolio_exports_enrolment_id_created_at", "enrolment_id", "created_at"),
        Index("ix_portfolio_exports_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filename: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int | None]
    sha256: Mapped[str] = mapped_column(String(64), default="")
    # Deferred: the progress page polls the row and must not load the file each time.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    enrolment: Mapped[Enrolment] = relationship()
    requested_by: Mapped[User] = relationship()


class DataExport(db.Model):
    """Everything a person wrote and everything recorded about them, as a ZIP (journal/privacy/),
    made by a job as a portfolio export is, and kept as briefly (EXPORT_LIFETIME). Its own
    table: a portfolio export belongs to an enrolment, this to a person, enrolled or not."""

    __tablename__ = "data_exports"
    __table_args__ = (
        CheckConstraint(_check_in("status", ExportStatus), name="status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        Index("ix_data_exports_user_id_created_at", "user_id", "created_at"),
        Index("ix_data_exports_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filename: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int | None]
    sha256: Mapped[str] = mapped_column(String(64), default="")
    # Deferred: the progress page polls the row and must not load the file each time.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """Append-only: who did what to which reflection, claim or membership, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    # Ids and versions only: reflection text never goes into the trail.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class Invitation(db.Model):
    """A one-time, expiring link to create an account (or join a set with an existing one)."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(_check_in("role", InvitationRole), name="role"),
        Index("ix_invitations_email", "email"),
        # The administration lists the latest invitations first, and a set's own.
        Index("ix_invitations_created_at", "created_at"),
        Index("ix_invitations_set_id_created_at", "set_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    set_id: Mapped[int | None] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"))
    # Only a hash is stored: a leaked database does not leak usable links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    learning_set: Mapped[LearningSet | None] = relationship()


class CalendarFeed(db.Model):
    """A person's private calendar address (journal/calendar/). Like an invitation's, only a
    hash of its secret is kept, so a leaked database opens no calendar; the address itself is
    shown once, when it is made."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # When this address was made (renewing makes a new one).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    user: Mapped[User] = relationship(back_populates="calendar_feed")


class PasswordReset(db.Model):
    """A one-time link to choose a new password, sent by e-mail (journal/auth/recovery.py).
    Only a hash of its secret is kept, as for invitations; it expires within the hour."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class FailedMail(db.Model):
    """An e-mail the mail server never took, after every retry (journal/mail/): who, what kind
    and why, for an admin to act on. Never its body: it may hold a link that signs someone in."""

    __tablename__ = "failed_mail"
    __table_args__ = (Index("ix_failed_mail_failed_at", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=1)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())


class Notification(db.Model):
    """Something that happened, waiting for the day's digest of someone who chose one
    (journal/notifications/): who did what to which reflection or claim, never its words."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_unsent", "sent_at", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A reflection's UUID or a claim's id, as `kind` says.
    target: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
