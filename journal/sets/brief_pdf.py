"""The facilitator's brief as a PDF: the same content as its page, in the same order, for
printing or reading offline. It holds reflection text, so the view sends it `no-store`.

Its pages break as the printed page's do (static/style.css, `@media print`): a member's block,
a reflection and an action are each kept on one page, starting the next page when they will not
fit on this one, unless they are taller than a page; a heading stays with what follows it.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable

from ..models import Reflection, User
from ..pdf import Document
from ..templating import audience, format_date, format_datetime, local, meeting_label
from .brief import Brief, MemberBrief

PARTS = (("experience", "Experience"), ("insight", "Insight"), ("next_action", "Next action"))


def filename(brief: Brief) -> str:
    """`brief-<set>-<date>.pdf`: the set's name in ASCII letters, digits and dashes (its id when
    nothing of the name is left), and the date of the next meeting, or today's."""
    ascii_name = unicodedata.normalize("NFKD", brief.learning_set.name).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.decode().lower()).strip("-")[:60].strip("-")
    day = local(brief.times.next.starts_at).date() if brief.times.next else brief.today
    return f"brief-{slug or f'set-{brief.learning_set.id}'}-{day.isoformat()}.pdf"


def render(brief: Brief, viewer: User) -> bytes:
    document = Document(f"Brief for {brief.learning_set.name}")
    document.heading(f"Brief for {brief.learning_set.name}", size=16)
    _meetings(document, brief)
    if not brief.complete:
        document.paragraph(
            "Only the newest reflections are in this brief: the set has shared more than one"
            " brief can hold.",
            "I",
        )
    _round(document, brief)
    document.heading("Not reflected since the last meeting", size=13)
    quiet = ", ".join(person.name for person in brief.quiet)
    document.paragraph(quiet or "Everyone has shared something.")
    for member in brief.members:
        _member(document, brief, member, viewer)
    return document.to_bytes()


def _meetings(document: Document, brief: Brief) -> None:
    upcoming = brief.times.next
    if upcoming is None:
        document.paragraph("Next meeting: none scheduled.", "B")
    else:
        document.paragraph(f"Next meeting: {format_datetime(upcoming.starts_at)}", "B")
        if upcoming.ends_at:
            document.paragraph(f"Ends: {format_datetime(upcoming.ends_at)}")
        document.paragraph(f"Where: {upcoming.location or 'not said yet'}")
    if brief.since is None:
        document.note("The set has not met yet: everything shared so far.")
    else:
        document.note(f"Since the start of the last meeting, {format_datetime(brief.since)}.")


def _round(document: Document, brief: Brief) -> None:
    document.heading("The report-back round", size=13)
    if brief.times.last is None:
        document.paragraph("The set has not met yet: there is nothing to report back on.")
        return
    document.note(
        "Each member in turn reports on the action they committed to at the last meeting"
        f" ({format_datetime(brief.times.last.starts_at)})."
    )
    counts = brief.follow_through
    document.paragraph(
        "Follow-through so far: "
        + ", ".join(f"{part.label.lower()} {part.count}" for part in counts.parts)
        + f" (of {counts.total})."
    )
    for number, member in enumerate(brief.members, start=1):
        _whole(
            document, lambda number=number, member=member: _report(document, brief, number, member)
        )


def _report(document: Document, brief: Brief, number: int, member: MemberBrief) -> None:
    """One member's turn in the round: their name and the actions they committed to."""
    document.paragraph(f"{number}. {member.person.name}", "B")
    if not member.committed:
        document.paragraph("No action from the last meeting shared with you.")
    for reflection in member.committed:
        _whole(document, lambda reflection=reflection: _action(document, brief, reflection))


def _member(document: Document, brief: Brief, member: MemberBrief, viewer: User) -> None:
    document.ln(3)
    # A member's name never ends a page, even when their block is taller than one.
    _whole(document, lambda: _member_block(document, brief, member, viewer), at_least=40)


def _member_block(document: Document, brief: Brief, member: MemberBrief, viewer: User) -> None:
    document.heading(member.person.name, size=14)

    def action(reflection: Reflection) -> None:
        _action(document, brief, reflection)

    _part(
        document,
        "Shared since the last meeting",
        member.shared,
        lambda reflection: _reflection(document, reflection, viewer),
        "Nothing shared with you since the last meeting.",
    )
    _part(document, "Open and carried actions", member.open_actions, action, "None open.")
    _part(document, "Closed since the last meeting", member.closed, action, "None closed.")


def _part(
    document: Document,
    title: str,
    items: Iterable[Reflection],
    draw: Callable[[Reflection], None],
    empty: str,
) -> None:
    """A heading and its items, each item whole; the heading stays with the first one."""
    items = list(items)

    def heading_and_first() -> None:
        document.heading(title, size=12)
        if items:
            draw(items[0])
        else:
            document.paragraph(empty)

    _whole(document, heading_and_first)
    for item in items[1:]:
        _whole(document, lambda item=item: draw(item))


def _whole(document: Document, draw: Callable[[], None], at_least: float = 15) -> None:
    """Draw a block on one page (print's `break-inside: avoid`): on the next page when it will
    not fit in what is left of this one. A block taller than a page runs on from here, on a new
    page only when less than `at_least` mm is left, its own blocks each kept whole. Inside a
    block that fits (or is being measured), blocks are drawn as they come."""
    if getattr(document, "inside_whole", False):
        draw()
        return
    height = _height(document, draw)
    at_top = document.get_y() <= document.t_margin + 0.5
    if not at_top and document.will_page_break(at_least if height is None else height):
        document.add_page()
    if height is None:
        draw()
    else:
        _inside_whole(document, draw)


def _inside_whole(document: Document, draw: Callable[[], None]) -> None:
    document.inside_whole = True
    try:
        draw()
    finally:
        document.inside_whole = False


def _height(document: Document, draw: Callable[[], None]) -> float | None:
    """How tall `draw` is from the top of a page, found by drawing it with writing turned off
    (fpdf2's own `multi_cell(dry_run=True)` measures so: the page, position and state are put
    back afterwards); None when it does not fit on one page."""
    with document._disable_writing():
        document.set_y(document.t_margin)
        page = document.page
        _inside_whole(document, draw)
        return None if document.page != page else document.get_y() - document.t_margin


def _reflection(document: Document, reflection: Reflection, viewer: User) -> None:
    document.note(
        f"{meeting_label(reflection.meeting)} · written {format_datetime(reflection.created_at)}"
        f" · {audience(reflection, viewer)}"
    )
    for name, title in PARTS:
        text = getattr(reflection, name)
        if text:
            document.paragraph(f"{title}:", "B")
            document.markdown(text)


def _action(document: Document, brief: Brief, reflection: Reflection) -> None:
    document.markdown(reflection.next_action)
    document.note(_action_state(brief, reflection))
    if reflection.action_outcome:
        document.paragraph("What came of it:", "B")
        document.markdown(reflection.action_outcome)


def _action_state(brief: Brief, reflection: Reflection) -> str:
    words = [brief.status(reflection)]
    if reflection.action_due is not None:
        words.append(f"due {format_date(reflection.action_due)}")
    late = brief.overdue_by(reflection)
    if late is not None:
        words.append(f"OVERDUE by {late} day{'s' if late != 1 else ''}")
    elif brief.due_today(reflection):
        words.append("due today")
    return " · ".join(words)
