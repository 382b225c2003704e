"""What the home page gathers: meetings, actions, and what a set has shared since it last met."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.interfaces import ORMOption

from ..extensions import db
from ..http import Page, paginate
from ..models import (
    ActionStatus,
    AuditEvent,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    SetRole,
    User,
    UTCDateTime,
    utcnow,
)
from ..policy import shared_clause
from ..sets.meetings import MeetingTimes, last_and_next, memberships_of
from ..sets.scheduling import zone

EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@dataclass
class SetDigest:
    """One set as a member sees it on their home page."""

    learning_set: LearningSet
    role: str
    times: MeetingTimes
    shared: list[Reflection] = field(default_factory=list)
    # The page of /shared?set_id= where the reflections not shown here begin, if there are any.
    older_page: int | None = None
    # Candidates with nothing shared with the viewer since the last meeting (facilitators only).
    silent: list[User] = field(default_factory=list)
    reflected_on_last: bool = True
    # Of `shared`, the ids of those written before the last meeting that are back only because
    # their action changed since (the card says "action updated").
    action_updated: set = field(default_factory=set)
    # The report-back round (candidates only): their actions due for review now that the set
    # has met again, and whether there are more than those shown.
    to_review: list[Reflection] = field(default_factory=list)
    more_to_review: bool = False

    @property
    def since(self) -> datetime | None:
        return self.times.since


# Built once: loader options are immutable, and every list of reflections uses them.
PEOPLE = (
    joinedload(Reflection.author),
    joinedload(Reflection.meeting).joinedload(Meeting.learning_set),
    joinedload(Reflection.learning_set),
)


def with_people(query: Select) -> Select:
    """Load what a list of reflections shows (author, meeting, set) in the same query."""
    return query.options(*PEOPLE)


# The order of every "what is new" list: the latest change first.
NEWEST_FIRST = (Reflection.updated_at.desc(), Reflection.id)


def people_of(
    ids: Select, order: tuple[ColumnElement, ...], *options: ORMOption
) -> Select[tuple[Reflection]]:
    """The reflections whose ids `ids` (a limited query) selects, in `order`, with what their
    cards show (and `options`).

    Choosing the rows by id first joins the people to those rows only. Joined to the query
    that chooses them, PostgreSQL joins every row of the viewer's sets that it matches before
    it sorts them and cuts a page: four index lookups for each reflection in a set's whole
    history, not for each one shown.
    """
    chosen = select(Reflection).where(Reflection.id.in_(ids))
    return with_people(chosen).options(*options).order_by(*order)


def page_with_people(
    query: Select[tuple[Reflection]],
    order: tuple[ColumnElement, ...],
    *options: ORMOption,
    param: str = "page",
) -> Page:
    """The page (from the address's `param`) of the reflections `query` selects, in `order`,
    with what each card shows (see `people_of`)."""
    ids = query.with_only_columns(Reflection.id).order_by(*order)
    return paginate(ids, param, lambda page_of_ids: people_of(page_of_ids, order, *options))


def digests(user: User, size: int, review_size: int = 5) -> list[SetDigest]:
    """Each of the user's sets, with up to `size` reflections shared since its last meeting.

    A fixed number of queries however many sets: each step asks about all of them at once.
    `size` is the page size of /shared; everything shared, newest first, has what was shared
    since the last meeting as its prefix, so the rest begins on page 2, or on page 1 when the
    prefix is shorter than a page.
    """
    memberships = memberships_of(user)
    times = last_and_next([m.set_id for m in memberships], reflected_by=user)
    newest = _newest_shared(user, {m.set_id: times[m.set_id].since for m in memberships}, size)
    facilitated = [m.set_id for m in memberships if m.role == SetRole.FACILITATOR]
    silent = _silent_candidates(user, {s: times[s].since for s in facilitated})
    candidate_of = [m.set_id for m in memberships if m.role == SetRole.CANDIDATE]
    to_review = _to_review(user, {s: times[s] for s in candidate_of}, review_size + 1)
    result = []
    for membership in memberships:
        digest = SetDigest(membership.learning_set, membership.role, times[membership.set_id])
        found = newest[membership.set_id]
        digest.shared = [
            r for r in found[:size] if digest.since is None or r.updated_at >= digest.since
        ]
        if len(found) > len(digest.shared):
            digest.older_page = 2 if len(digest.shared) == size else 1
        digest.silent = silent.get(membership.set_id, [])
        if membership.role == SetRole.CANDIDATE and digest.times.last is not None:
            digest.reflected_on_last = digest.times.reflected_on_last
        due = to_review.get(membership.set_id, [])
        digest.to_review, digest.more_to_review = due[:review_size], len(due) > review_size
        result.append(digest)
    updated = action_updated(
        [(r, d.since) for d in result for r in d.shared if d.since and r.created_at < d.since]
    )
    for digest in result:
        digest.action_updated = {r.id for r in digest.shared} & updated
    return result


# What the action form changes: a save that changed only these changed the action alone.
ACTION_FIELDS = frozenset({"action_status", "action_outcome"})


def action_updated(written_before: list[tuple[Reflection, datetime]]) -> set:
    """Of these reflections, each written before a moment (its set's last meeting), the ids of
    those changed since only in their action: every save since then, as the audit trail
    records it, changed action fields alone. One statement, and none when the list is empty. A
    save recorded before the trail named the fields changed counts as a change of the text."""
    if not written_before:
        return set()
    since = {str(r.id): moment for r, moment in written_before}
    events = db.session.execute(
        select(AuditEvent.subject_id, AuditEvent.at, AuditEvent.detail).where(
            AuditEvent.subject_type == "reflection",
            AuditEvent.subject_id.in_(list(since)),
            AuditEvent.action == "reflection.updated",
            AuditEvent.at >= min(since.values()),
        )
    )
    only_action: dict[str, bool] = {}
    for subject_id, at, detail in events:
        if at < since[subject_id]:
            continue
        changed = detail.get("changed") if isinstance(detail, dict) else None
        alone = isinstance(changed, list) and set(changed) <= ACTION_FIELDS
        only_action[subject_id] = only_action.get(subject_id, True) and alone
    return {r.id for r, _ in written_before if only_action.get(str(r.id))}


def _newest_shared(
    user: User, since: dict[int, datetime | None], size: int
) -> dict[int, list[Reflection]]:
    """For each set (with the start of its last meeting), the reflections shared with `user`
    there since then, newest first, up to `size` + 1, and after them the newest older one if
    there is one: just enough to show a page and to know whether more came before.

    One query of up to two branches per set, each walking that set's (set_id, updated_at)
    index and no further: what a home page loads stays what it shows, however long the
    history (loading a whole page of older ones to show none was most of this page's work).
    """
    found: dict[int, list[Reflection]] = {set_id: [] for set_id in since}
    if not since:
        return found
    branches = []
    for set_id, moment in since.items():
        newest = select(Reflection.id).where(shared_clause(user, set_id)).order_by(*NEWEST_FIRST)
        if moment is None:
            branches.append(newest.limit(size + 1).subquery())
            continue
        branches.append(newest.where(Reflection.updated_at >= moment).limit(size + 1).subquery())
        branches.append(newest.where(Reflection.updated_at < moment).limit(1).subquery())
    # Each branch wrapped in its own SELECT: SQLite refuses LIMIT inside a bare UNION member.
    ids = union_all(*(select(branch.c.id) for branch in branches)).subquery()
    for reflection in db.session.scalars(people_of(select(ids.c.id), NEWEST_FIRST)):
        found[reflection.set_id].append(reflection)
    return found


def _silent_candidates(user: User, since: dict[int, datetime | None]) -> dict[int, list[User]]:
    """For each set (of those given, with the start of its last meeting), its candidates who
    have shared nothing with `user` since then.

    Built on what `user` may read, so a private reflection counts as nothing at all.
    """
    if not since:
        return {}
    # The start of the set's last meeting, or the beginning of time for a set yet to meet.
    starts = [
        (Membership.set_id == set_id, literal(moment, UTCDateTime))
        for set_id, moment in since.items()
        if moment is not None
    ]
    earliest = literal(EARLIEST, UTCDateTime)
    spoke_since = case(*starts, else_=earliest) if starts else earliest
    spoke = exists().where(
        Reflection.author_id == Membership.user_id,
        Reflection.set_id == Membership.set_id,
        Reflection.updated_at >= spoke_since,
        shared_clause(user),
    )
    query = (
        select(Membership)
        .join(Membership.user)
        .where(
            Membership.set_id.in_(list(since)),
            Membership.role == SetRole.CANDIDATE.value,
            ~spoke,
        )
        .options(contains_eager(Membership.user))
        .order_by(User.name)
    )
    silent: dict[int, list[User]] = {}
    for membership in db.session.scalars(query):
        silent.setdefault(membership.set_id, []).append(membership.user)
    return silent


def _to_review(
    user: User, times: dict[int, MeetingTimes], size: int
) -> dict[int, list[Reflection]]:
    """For each set (where `user` is a candidate), up to `size` of their actions to report on
    now that the set has met: those committed at the meeting before its last one and still
    open, and those carried forward to its last one. Nothing before the last meeting has
    started, and nothing once reviewed (done, dropped, or carried on to a later meeting).

    One query for all the sets, soonest due first within each.
    """
    previous = [t.previous.id for t in times.values() if t.previous is not None]
    last = [t.last.id for t in times.values() if t.last is not None]
    if not last:
        return {}
    order = (
        Reflection.action_due.is_(None),
        Reflection.action_due,
        Reflection.created_at,
        Reflection.id,
    )
    due = or_(
        and_(
            Reflection.meeting_id.in_(previous),
            Reflection.action_status == ActionStatus.OPEN.value,
        ),
        and_(
            Reflection.carried_to_meeting_id.in_(last),
            Reflection.action_status == ActionStatus.CARRIED.value,
        ),
    )
    ranked = (
        select(
            Reflection.id,
            func.row_number().over(partition_by=Reflection.set_id, order_by=order).label("rank"),
        )
        .where(
            Reflection.author_id == user.id,
            Reflection.set_id.in_(list(times)),
            Reflection.next_action != "",
            due,
        )
        .subquery()
    )
    query = (
        select(Reflection)
        .join(ranked, ranked.c.id == Reflection.id)
        .where(ranked.c.rank <= size)
        .options(joinedload(Reflection.meeting), joinedload(Reflection.carried_to))
        .order_by(*order)
    )
    found: dict[int, list[Reflection]] = {}
    for reflection in db.session.scalars(query):
        found.setdefault(reflection.set_id, []).append(reflection)
    return found


def _actions(user: User, *statuses: ActionStatus) -> Select[tuple[Reflection]]:
    """The user's reflections that name an action in one of these states."""
    return select(Reflection).where(
        Reflection.author_id == user.id,
        Reflection.next_action != "",
        Reflection.action_status.in_([status.value for status in statuses]),
    )


# What an action's card shows beside the people: the meeting a carried one is carried to.
CARRIED_TO = joinedload(Reflection.carried_to)


# The soonest due first, those with no date last.
SOONEST_DUE = (
    Reflection.action_due.is_(None),
    Reflection.action_due,
    Reflection.created_at,
    Reflection.id,
)


# An action still to do: open, or carried forward to a later meeting.
OPEN_STATES = (ActionStatus.OPEN.value, ActionStatus.CARRIED.value)


def local_today(now: datetime | None = None) -> date:
    """Today where the sets meet (TIMEZONE): what "overdue" is measured against."""
    return (now or utcnow()).astimezone(zone()).date()


def overdue_by(reflection: Reflection, today: date) -> int | None:
    """Days an open or carried action is past its due date; None when it is not."""
    due = reflection.action_due
    if reflection.action_status not in OPEN_STATES or due is None or due >= today:
        return None
    return (today - due).days


def due_today(reflection: Reflection, today: date) -> bool:
    return reflection.action_status in OPEN_STATES and reflection.action_due == today


def open_actions(user: User) -> Select[tuple[Reflection]]:
    """Actions open or carried forward (a query, for paging in SOONEST_DUE order)."""
    return _actions(user, ActionStatus.OPEN, ActionStatus.CARRIED)


def closed_actions(user: User) -> Select[tuple[Reflection]]:
    """Actions done or dropped (a query, for paging in NEWEST_FIRST order)."""
    return _actions(user, ActionStatus.DONE, ActionStatus.DROPPED)


def soonest_actions(user: User, count: int) -> list[Reflection]:
    """The first `count` of the user's open actions, the soonest due first."""
    ids = open_actions(user).with_only_columns(Reflection.id).order_by(*SOONEST_DUE).limit(count)
    return list(db.session.scalars(people_of(ids, SOONEST_DUE, CARRIED_TO)))
