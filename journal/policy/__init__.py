"""Who may read and change what: every access rule, one import point.

Pages, the API and (later) exports and feeds call these; templates never decide. Each area has
a loader that 404s for what the current user may not see (like flaskr's `get_post`).
"""

from .calendar import calendar_actions, calendar_meetings, get_feed_owner
from .portfolio import (
    can_open_export,
    can_read_portfolio,
    get_enrolment,
    get_export,
    portfolio_claims,
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
from .sets import can_schedule, get_meeting, get_set, is_member, membership_in

__all__ = [
    "calendar_actions",
    "calendar_meetings",
    "can_edit",
    "can_open_export",
    "can_read",
    "can_read_portfolio",
    "can_schedule",
    "get_enrolment",
    "get_export",
    "get_feed_owner",
    "get_meeting",
    "get_reflection",
    "get_set",
    "is_member",
    "membership_in",
    "portfolio_claims",
    "reaches_its_set",
    "readable_clause",
    "readable_enrolments",
    "readable_in_set",
    "readable_on_meeting",
    "readable_reflections",
    "shared_clause",
    "shared_with",
]
