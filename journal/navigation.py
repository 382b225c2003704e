"""The main navigation: the sections a person uses, by the roles they hold (README, "Trying it as
each person"). A role is read from what came with the signed-in user (`auth.views.load_user`):
their memberships, whether they are enrolled and whether they assess anyone; so the navigation
costs no statement of its own.

On a 360 px phone the first `SHOWN` sections fit one row; the rest go under "More" (a
`<details>`, which works without JavaScript) with *Account* and *Sign out*.
"""

from dataclasses import dataclass

from .models import SetRole, User

SHOWN = 3  # sections in the row itself; the rest under "More"


@dataclass(frozen=True)
class Section:
    endpoint: str
    text: str


def sections(user: User) -> list[Section]:
    """Every section `user` uses, in a fixed order; a person with several roles gets the union."""
    roles = {m.role for m in user.memberships}
    candidate = SetRole.CANDIDATE in roles
    found = []
    # An administrator in no set and assessing no one has no Today: it leads to Admin.
    if roles or user.assessing:
        found.append(Section("reflections.home", "Today"))
    if candidate:
        found.append(Section("reflections.index", "Journal"))
        found.append(Section("reflections.actions", "Actions"))
    if roles:
        found += [Section("reflections.shared", "Shared"), Section("sets.index", "Sets")]
    if user.enrolled:
        found.append(Section("evidence.mine", "Your evidence"))
    if user.enrolled or user.assessing:
        text = "Portfolios" if user.assessing else "Portfolio"
        found.append(Section("evidence.portfolios", text))
    if user.is_admin:
        found.append(Section("admin.index", "Admin"))
    if not candidate:  # anyone may keep a journal (README): last, since others use it least
        found.append(Section("reflections.index", "Journal"))
    return found


def main_navigation(user: User) -> tuple[list[Section], list[Section]]:
    """The sections shown in the row, and those under "More"."""
    found = sections(user)
    return found[:SHOWN], found[SHOWN:]
