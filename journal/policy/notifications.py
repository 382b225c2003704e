"""Who may be told of what (journal/notifications/), and whose notifications an unsubscribe
link turns off.

A person is told only of what they may read when the message is made (at the event, and again
when a digest is sent): a comment on a reflection they may still read, a claim of their own, or
of a candidate they assess now. The same rules as the pages, from this package.
"""

import uuid

from flask import abort

from ..extensions import db
from ..models import EvidenceClaim, Reflection, User
from ..notifications import unsubscribe
from .evidence import ClaimRole, role_on
from .reflections import can_read

# What each kind of notification is about, and the part its recipient must have in it.
REFLECTION_KINDS = {"reflection.comment", "reflection.answer"}
CLAIM_KINDS = {
    "claim.offered": ClaimRole.ASSESSOR,
    "claim.decided": ClaimRole.CANDIDATE,
    "claim.comment": ClaimRole.CANDIDATE,  # the assessor's comment, to the candidate
    "claim.candidate_comment": ClaimRole.ASSESSOR,  # the candidate's, to the assessor
}


def may_be_told(user: User, kind: str, target: str) -> bool:
    """True if `user` may be told of a `kind` event on `target` (a reflection's UUID or a
    claim's id) now."""
    if kind in REFLECTION_KINDS:
        reflection = _reflection(target)
        if reflection is None or not can_read(user, reflection):
            return False
        is_author = reflection.author_id == user.id
        return is_author if kind == "reflection.comment" else not is_author
    if kind in CLAIM_KINDS:
        claim = db.session.get(EvidenceClaim, int(target)) if target.isdigit() else None
        return claim is not None and role_on(user, claim.enrolment) is CLAIM_KINDS[kind]
    return False


def _reflection(target: str) -> Reflection | None:
    try:
        reflection_id = uuid.UUID(target)
    except ValueError:
        return None
    return db.session.get(Reflection, reflection_id)


def get_unsubscriber(token: str) -> User:
    """The person an unsubscribe token names; 404 for a forged, altered or stale one."""
    named = unsubscribe.read(token)
    user = db.session.get(User, named[0]) if named is not None else None
    if user is None or user.email != named[1]:
        abort(404)
    return user
