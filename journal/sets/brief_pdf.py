"""The facilitator's brief as a PDF: the same content as its page, in the same order, for
printing or reading offline. It holds reflection text, so the view sends it `no-store`."""

import re
import unicodedata

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
        document.paragraph(f"{number}. {member.person.name}", "B")
        if not member.committed:
            document.paragraph("No action from the last meeting shared with you.")
        for reflection in member.committed:
            _action(document, brief, reflection)


def _member(document: Document, brief: Brief, member: MemberBrief, viewer: User) -> None:
    # A member's name never ends a page: their block starts on the next one instead.
    if document.will_page_break(40):
        document.add_page()
    else:
        document.ln(3)
    document.heading(member.person.name, size=14)
    document.heading("Shared since the last meeting", size=12)
    if not member.shared:
        document.paragraph("Nothing shared with you since the last meeting.")
    for reflection in member.shared:
        _reflection(document, reflection, viewer)
    document.heading("Open and carried actions", size=12)
    if not member.open_actions:
        document.paragraph("None open.")
    for reflection in member.open_actions:
        _action(document, brief, reflection)
    document.heading("Closed since the last meeting", size=12)
    if not member.closed:
        document.paragraph("None closed.")
    for reflection in member.closed:
        _action(document, brief, reflection)


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
