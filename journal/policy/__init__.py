"""Who may read and change what: every access rule, one import point.

Pages, the API and (later) exports and feeds call these; templates never decide. Each area has
a loader that 404s for what the current user may not see (like flaskr's `get_post`).
"""

from .calendar import calendar_actions, calendar_meetings, get_feed_owner
from .comments import (
    can_comment,
    can_delete_comment,
    get_comment,
    get_reflection_to_comment,
    may_write_on,
    readable_comments,
)
from .evidence import (
    Act,
    ClaimRole,
    Portfolio,
    assessed_claims,
    assessed_enrolments,
    get_claim,
    get_portfolio,
    may,
    portfolio_claims,
    readable_claims,
    role_on,
)
from .portfolio import (
    can_open_export,
    can_read_portfolio,
    exported_claims,
    get_enrolment,
    get_export,
    readable_enrolments,
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
from .sets import (
    can_brief,
    can_schedule,
    get_brief_set,
    get_meeting,
    get_set,
    is_member,
    membership_in,
)

__all__ = [
    "Act",
    "ClaimRole",
    "Portfolio",
    "assessed_claims",
    "assessed_enrolments",
    "calendar_actions",
    "calendar_meetings",
    "can_brief",
    "can_comment",
    "can_delete_comment",
    "can_edit",
    "can_open_export",
    "can_read",
    "can_read_portfolio",
    "can_schedule",
    "exported_claims",
    "get_brief_set",
    "get_claim",
    "get_comment",
    "get_enrolment",
    "get_export",
    "get_feed_owner",
    "get_meeting",
    "get_portfolio",
    "get_reflection",
    "get_reflection_to_comment",
    "get_set",
    "is_member",
    "may",
    "may_write_on",
    "membership_in",
    "portfolio_claims",
    "reaches_its_set",
    "readable_claims",
    "readable_clause",
    "readable_comments",
    "readable_enrolments",
    "readable_in_set",
    "readable_on_meeting",
    "readable_reflections",
    "role_on",
    "shared_clause",
    "shared_with",
]
