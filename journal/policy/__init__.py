"""Who may read and change what: every access rule, one import point.

Pages, the API and (later) exports and feeds call these; templates never decide. Each area has
a loader that 404s for what the current user may not see (like flaskr's `get_post`).
"""

from .comments import (
    can_comment,
    can_delete_comment,
    get_comment,
    get_reflection_to_comment,
    may_write_on,
    readable_comments,
)
from .reflections import (
    can_edit,
    can_read,
    get_reflection,
    reaches_its_set,
    readable_clause,
    readable_in_set,
    readable_on_meeting,
    readable_reflections,
    shared_clause,
    shared_with,
)
from .sets import can_schedule, get_meeting, get_set, is_member, membership_in

__all__ = [
    "can_comment",
    "can_delete_comment",
    "can_edit",
    "can_read",
    "can_schedule",
    "get_comment",
    "get_meeting",
    "get_reflection",
    "get_reflection_to_comment",
    "get_set",
    "is_member",
    "may_write_on",
    "membership_in",
    "reaches_its_set",
    "readable_clause",
    "readable_comments",
    "readable_in_set",
    "readable_on_meeting",
    "readable_reflections",
    "shared_clause",
    "shared_with",
]
