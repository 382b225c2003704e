"""Template filters and globals: Markdown (as HTML or plain text), dates in the reader's zone,
plain-words audiences."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from markupsafe import Markup

from .models import Meeting, Membership, Reflection, User, Visibility
from .navigation import main_navigation
from .text import first_words, plain_text, render_markdown


def local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def format_datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return local(moment).strftime("%a %-d %b %Y, %H:%M")


def format_date(day: date | None) -> str:
    return day.strftime("%a %-d %b %Y") if day else ""


def file_size(size: int) -> str:
    """A file's size as people say it: "39 KB", "1.2 MB" (decimal units, as phones show them)."""
    if size < 1_000:
        return f"{size} bytes"
    if round(size / 1_000) < 1_000:
        return f"{round(size / 1_000)} KB"
    megabytes = f"{size / 1_000_000:.1f}".removesuffix(".0")
    return f"{megabytes} MB"


def meeting_label(meeting: Meeting | None) -> str:
    if meeting is None:
        return "Not linked to a meeting"
    return f"{meeting.learning_set.name} — {format_datetime(meeting.starts_at)}"


# A card's title: the reflection's first words, as plain text.
TITLE_LIMIT = 60


def card_title(reflection: Reflection) -> str:
    """What a list calls a reflection: the first words of its first part that has any."""
    opening = reflection.experience or reflection.insight or reflection.next_action
    return first_words(opening, TITLE_LIMIT)


def card_excerpt(reflection: Reflection) -> str:
    """What a card shows under its title: the words that come after the title's (from the first
    part on to the others), so a card never says its opening twice."""
    parts = (reflection.experience, reflection.insight, reflection.next_action)
    words = " ".join(" ".join(plain_text(part) for part in parts if part).split())
    title = card_title(reflection)
    opening = title.removesuffix("…")
    if not words.startswith(opening):
        return words
    rest = words[len(opening) :].lstrip(" ,;:.—-")
    return f"…{rest}" if rest and title.endswith("…") else rest


def audience(reflection: Reflection, viewer: User) -> str:
    """Who may read this reflection, in plain words, as its reader sees it."""
    mine = reflection.author_id == viewer.id
    owner = "you" if mine else reflection.author.name
    if reflection.visibility == Visibility.PRIVATE:
        return "Private: only you can read this." if mine else "Private."
    if reflection.learning_set is None:
        return "Not shared with any set: only you can read this."
    where = reflection.learning_set.name
    if reflection.visibility == Visibility.FACILITATOR:
        return f"Shared with the facilitators of {where}, and {owner}."
    return f"Shared with everyone in {where}: its facilitators and candidates."


def readers(members: list[Membership], viewer: User) -> str:
    """Who the viewer's shared reflections reach, by name, for the line under "Who may read"."""
    if not members:
        return "You are not a candidate in a set yet, so only you will read it."
    by_set: dict[str, dict[str, list[str]]] = {}
    for membership in members:
        roles = by_set.setdefault(
            membership.learning_set.name, {"facilitator": [], "candidate": []}
        )
        if membership.user_id != viewer.id:
            roles[membership.role].append(membership.user.name)
    sentences = []
    for set_name, roles in by_set.items():
        facilitators = _names(roles["facilitator"]) or "nobody (no facilitator yet)"
        candidates = _names(roles["candidate"]) or "nobody else (no other candidates yet)"
        sentences.append(
            f"In {set_name}, “Facilitator” means {facilitators} will read it,"
            f" and “Set” means {candidates} will too."
        )
    return " ".join(sentences)


def _names(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def call_link(location: str) -> str | None:
    """The place of a meeting as a link when it is nothing but a web address (a video call);
    None otherwise. Only http and https: never javascript: or data:."""
    text = location.strip()
    if text.startswith(("https://", "http://")) and not any(c.isspace() for c in text):
        return text
    return None


def markdown(source: str) -> Markup:
    return render_markdown(source)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.add_template_filter(markdown)
    app.add_template_filter(plain_text)
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(file_size)
    app.add_template_global(meeting_label)
    app.add_template_global(card_title)
    app.add_template_global(card_excerpt)
    app.add_template_global(audience)
    app.add_template_global(call_link)
    app.add_template_global(main_navigation)
