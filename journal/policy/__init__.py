"""Who may read and change what: every access rule, one import point.

Pages, the API and (later) exports and feeds call these; templates never decide. Each area has
a loader that 404s for what the current user may not see (like flaskr's `get_post`).
"""

from .reflections import (
    can_edit,
    can_read,
    get_reflection,
    reaches_its_set,
    readable_clause,
    readable_reflections,
    shared_clause,
    shared_with,
)

__all__ = [
    "can_edit",
    "can_read",
    "get_reflection",
    "reaches_its_set",
    "readable_clause",
    "readable_reflections",
    "shared_clause",
    "shared_with",
]
