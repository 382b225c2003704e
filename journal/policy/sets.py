"""Who may see a set and its meetings, and who may schedule them.

A set's page and its meetings are for its members, candidates and facilitators alike; anyone
else gets 404 (the set's existence is not theirs to know), admins included unless they are
members: an admin manages sets from the administration and never reads reflections. Scheduling,
editing and cancelling meetings is for the set's facilitators and for admins (SPEC.md's
"schedule / edit meeting"); a candidate of the set, who can see the meeting, gets 403. The
facilitator's brief, which gathers reflection text, is for the set's facilitators alone: a
candidate of the set (who can see the set) gets 403; anyone else 404, admins included, since an
admin never reads reflections.

The viewer's roles come from the memberships loaded with them (`auth.views.load_user`): deciding
costs no query.
"""

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import LARGEST_ID, LearningSet, Meeting, Membership, SetRole, User


def membership_in(user: User, set_id: int) -> Membership | None:
    """The user's role in the set, or None: from their loaded memberships, no query."""
    if not user.is_authenticated:
        return None
    return next((m for m in user.memberships if m.set_id == set_id), None)


def is_member(user: User, set_id: int) -> bool:
    return membership_in(user, set_id) is not None


def can_schedule(user: User, set_id: int) -> bool:
    """Schedule, edit and cancel the set's meetings: its facilitators and admins."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    membership = membership_in(user, set_id)
    return membership is not None and membership.role == SetRole.FACILITATOR


def can_brief(user: User, set_id: int) -> bool:
    """Read the set's brief for its next meeting: its facilitators, nobody else (an admin
    neither: the brief is reflection text)."""
    membership = membership_in(user, set_id)
    return membership is not None and membership.role == SetRole.FACILITATOR


def get_brief_set(set_id: int) -> LearningSet:
    """The set, for one of its facilitators (no query: it came with their memberships). 403 for
    a candidate of the set, who may see the set but not its brief; 404 for anyone else."""
    membership = membership_in(current_user, set_id)
    if membership is None:
        abort(404)
    if not can_brief(current_user, set_id):
        abort(403)
    return membership.learning_set


def get_set(set_id: int, manage: bool = False) -> LearningSet:
    """The set, for one of its members (no query: it came with their memberships); with
    `manage`, for whoever may schedule its meetings. 404 for anyone else, 403 for a member who
    may see it but not schedule."""
    membership = membership_in(current_user, set_id)
    if manage and can_schedule(current_user, set_id):
        if membership is not None:
            return membership.learning_set
        learning_set = db.session.get(LearningSet, set_id) if 0 < set_id <= LARGEST_ID else None
        if learning_set is None:
            abort(404)
        return learning_set
    if membership is None:
        abort(404)
    if manage:
        abort(403)
    return membership.learning_set


def get_meeting(meeting_id: int, manage: bool = False) -> Meeting:
    """The meeting (with its set), for a member of its set; with `manage`, for whoever may
    schedule there. 404 for anyone else, 403 for a member who may not change it."""
    meeting = None
    if 0 < meeting_id <= LARGEST_ID:
        query = (
            select(Meeting)
            .where(Meeting.id == meeting_id)
            .options(joinedload(Meeting.learning_set))
        )
        meeting = db.session.scalar(query)
    if meeting is None:
        abort(404)
    if manage and can_schedule(current_user, meeting.set_id):
        return meeting
    if not is_member(current_user, meeting.set_id):
        abort(404)
    if manage:
        abort(403)
    return meeting
