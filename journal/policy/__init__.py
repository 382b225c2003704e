"""Who may read and change what: every access rule, one import point.

Pages, the API and (later) exports and feeds call these; templates never decide. Each area has
a loader that 404s for what the current user may not see (like flaskr's `get_post`).
"""

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
    "Act",
    "ClaimRole",
    "Portfolio",
    "assessed_claims",
    "assessed_enrolments",
    "can_edit",
    "can_read",
    "can_schedule",
    "get_claim",
    "get_meeting",
    "get_portfolio",
    "get_reflection",
    "get_set",
    "is_member",
    "may",
    "membership_in",
    "portfolio_claims",
    "reaches_its_set",
    "readable_claims",
    "readable_clause",
    "readable_in_set",
    "readable_on_meeting",
    "readable_reflections",
    "role_on",
    "shared_clause",
    "shared_with",
]
