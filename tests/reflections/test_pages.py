"""The journal pages through the Flask test client: today (`/`), my journal (`/reflections`),
writing, editing and deleting a reflection, my actions (`/actions`), what is shared with me
(`/shared`), and what a visitor who is not signed in gets.

Pages are read through a small HTML tree (sections, cards, form controls), not by searching the
text, so that a test says which part of a page holds what. PAGE_SIZE is 3 here, to keep the
paginated cases small.

The cast (the `world` fixture): Fran facilitates "Glasgow 3", whose candidates are Cara, Cal and
Cy; Finn facilitates "Leeds 1", whose candidate is Lee. Glasgow met 21 and 7 days ago (`earlier`,
`last`) and meets in 7 and 21 days (`next`, `later`); Leeds met 3 days ago and meets in 10.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.extensions import db
from journal.models import LearningSet, Meeting, Reflection, User
from journal.templating import format_datetime, meeting_label
from tests.factories import Factory, stored
from tests.helpers import csrf_token_of

PAGE_SIZE = 3
TEXT_LIMIT = 20_000


@pytest.fixture
def app_config() -> dict:
    return {"PAGE_SIZE": PAGE_SIZE}


# Reading pages --------------------------------------------------------------------------------

# Elements that have no end tag.
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    @property
    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text for c in self.children)

    @property
    def text(self) -> str:
        return " ".join(self.raw_text.split())

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()

    def select(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list:
        """Descendants (and self) by tag, class and exact attributes (`aria_x` for `aria-x`)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and (cls is None or element.has_class(cls))
            and all(element.attrs.get(name) == value for name, value in wanted.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> "Element":
        found = self.select(tag, cls, **attrs)
        assert len(found) == 1, f"expected one {tag} .{cls} {attrs}, found {len(found)}"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self._open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data):
        self._open[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


REFLECTION_LINK = re.compile(r"/reflections/([0-9a-f-]{36})")


@dataclass
class Card:
    """A reflection as a list shows it."""

    id: uuid.UUID
    heading: str
    audience: str
    excerpt: str


def cards(element: Element) -> list[Card]:
    found = []
    for article in element.select("article", cls="card"):
        link = article.one("h3").one("a")
        match = REFLECTION_LINK.fullmatch(link.attrs["href"])
        assert match, link.attrs["href"]
        found.append(
            Card(
                uuid.UUID(match[1]),
                link.text,
                article.one("p", cls="audience").text,
                excerpt[0].text if (excerpt := article.select("p", cls="excerpt")) else "",
            )
        )
    return found


def card_ids(element: Element) -> list[uuid.UUID]:
    return [card.id for card in cards(element)]


def set_sections(page: Element) -> dict[int, Element]:
    """The home page's section of each set, by set id."""
    return {
        int(section.attrs["aria-labelledby"].removeprefix("set-")): section
        for section in page.select("section", cls="set")
    }


def meeting_lines(section: Element) -> list[tuple[str, str]]:
    """A set section's meetings as shown: (term, description) pairs, e.g. ("Where", place)."""
    listing = section.one("dl", cls="meetings")
    items = [e for e in listing.children if isinstance(e, Element)]
    assert [e.tag for e in items] == ["dt", "dd"] * (len(items) // 2)
    return [
        (term.text, description.text)
        for term, description in zip(items[::2], items[1::2], strict=True)
    ]


def links(element: Element, text: str) -> list[str]:
    """The targets of the links whose text starts with `text`."""
    return [a.attrs["href"] for a in element.select("a") if a.text.startswith(text)]


def silent_people(section: Element) -> list[str]:
    """The names a facilitator's set section lists as having shared nothing."""
    return [
        item.text for listing in section.select("ul", cls="people") for item in listing.select("li")
    ]


def home_actions(page: Element) -> list[uuid.UUID]:
    found = page.select("section", aria_labelledby="open-actions")
    if not found:
        return []
    return [
        uuid.UUID(a.attrs["href"].split("#action-")[1])
        for a in found[0].select("a")
        if "#action-" in a.attrs["href"]
    ]


def _textarea_value(element: Element) -> str:
    text = element.raw_text
    # HTML drops one newline right after <textarea>; WTForms writes "\r\n" there.
    for newline in ("\r\n", "\n"):
        if text.startswith(newline):
            return text[len(newline) :]
    return text


def form_values(form: Element) -> dict[str, str | None]:
    """What the form would send as it stands: None for a radio group or select with no choice."""
    values: dict[str, str | None] = {}
    for element in form.iter():
        name = element.attrs.get("name")
        if not name:
            continue
        if element.tag == "input":
            kind = element.attrs.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in element.attrs:
                    values[name] = element.attrs.get("value", "on")
                else:
                    values.setdefault(name, None)
            elif kind != "submit":
                values[name] = element.attrs.get("value", "")
        elif element.tag == "textarea":
            values[name] = _textarea_value(element)
        elif element.tag == "select":
            chosen = [
                o.attrs.get("value", "") for o in element.select("option") if "selected" in o.attrs
            ]
            values[name] = chosen[0] if chosen else None
    return values


def options(form: Element, name: str) -> list[str]:
    if form.select("select", name=name):
        return [o.attrs.get("value", "") for o in form.one("select", name=name).select("option")]
    return [i.attrs["value"] for i in form.select("input", name=name)]


def field_errors(page: Element) -> dict[str, str]:
    """Field name -> the message shown next to it."""
    errors = {}
    for message in page.select("p", cls="error"):
        name = message.attrs["id"].removesuffix("-error")
        errors[name] = message.text
        # Next to the field: in the same block as its control, which points to the message.
        block = next(b for b in page.select("div", cls="field") if message in list(b.iter()))
        assert block.has_class("invalid")
        controls = [e for e in block.iter() if e.attrs.get("name") == name]
        assert controls, f"the message for {name} is not next to its control"
        described = [e for e in block.iter() if e.attrs.get("aria-describedby")]
        assert any(f"{name}-error" in e.attrs["aria-describedby"].split() for e in described)
    return errors


def without_tokens(html: str) -> str:
    """A page with its CSRF tokens (signed afresh on every request) blanked out."""
    return re.sub(
        r'((?:name="csrf-token" content|name="[\w-]*csrf_token"[^>]*value)=")[^"]*', r"\1", html
    )


# Signing in, and the database -----------------------------------------------------------------


@dataclass
class Visitor:
    """One signed-in browser: a client of its own and its CSRF token."""

    client: FlaskClient
    token: str

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict, csrf: bool = True):
        return self.client.post(url, data={"csrf_token": self.token, **data} if csrf else data)

    def page(self, url: str) -> Element:
        answer = self.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        return parse(answer.text)


def reflection_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Reflection))


def label(app: Flask, meeting: Meeting | None) -> str:
    with app.app_context():
        return meeting_label(db.session.get(Meeting, meeting.id) if meeting else None)


def when(app: Flask, meeting: Meeting) -> str:
    with app.app_context():
        return format_datetime(meeting.starts_at)


# The world ------------------------------------------------------------------------------------


@dataclass
class World:
    fran: User
    finn: User
    cara: User
    cal: User
    cy: User
    lee: User
    glasgow: LearningSet
    leeds: LearningSet
    earlier: Meeting
    last: Meeting
    next: Meeting
    later: Meeting
    leeds_last: Meeting
    leeds_next: Meeting

    def meeting(self, key: str | Meeting | None) -> Meeting | None:
        return getattr(self, key) if isinstance(key, str) else key


@pytest.fixture
def world(make: Factory) -> World:
    fran, finn = make.user("Fran Facilitator"), make.user("Finn Facilitator")
    cara, cal, cy = (
        make.user("Cara Candidate"),
        make.user("Cal Candidate"),
        make.user("Cy Candidate"),
    )
    lee = make.user("Lee Candidate")
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara, cal, cy])
    leeds = make.set("Leeds 1", facilitators=[finn], candidates=[lee])
    return World(
        fran,
        finn,
        cara,
        cal,
        cy,
        lee,
        glasgow,
        leeds,
        earlier=make.meeting(glasgow, -21, "Room 1, George Square"),
        last=make.meeting(glasgow, -7, "Room 2, George Square"),
        next=make.meeting(glasgow, 7, "Room 3, City Chambers"),
        later=make.meeting(glasgow, 21, "Room 4, City Chambers"),
        leeds_last=make.meeting(leeds, -3, "Video call"),
        leeds_next=make.meeting(leeds, 10, "Leeds Central Library"),
    )


def write(
    make: Factory,
    world: World,
    author: str,
    meeting: str | Meeting | None,
    visibility: str,
    hours: float = 1,
    **fields,
) -> Reflection:
    """A reflection by `author` (a name in the world), written `hours` ago, linked to `meeting`
    (one of the world's by name, or any); unlinked, it reaches the author's one set, as the form
    chooses for a candidate in one set."""
    fields.setdefault("experience", f"{author} wrote this ({visibility}) {uuid.uuid4().hex[:8]}.")
    fields.setdefault("learning_set", world.leeds if author == "lee" else world.glasgow)
    return make.reflection(
        getattr(world, author),
        world.meeting(meeting),
        visibility,
        age=timedelta(hours=hours),
        **fields,
    )


def form_data(**values) -> dict[str, str]:
    """The writing form as a browser sends it, with these values."""
    return {
        "experience": "",
        "insight": "",
        "next_action": "",
        "action_due": "",
        "meeting_id": "",
        "visibility": "facilitator",
        **values,
    }


# / for a candidate ----------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["cara", "fran"])
def test_home_shows_each_sets_next_and_last_meeting_with_its_place(app, world, make, visit, viewer):
    role = "candidates" if viewer == "cara" else "facilitators"
    quiet = make.set("Dundee 2", **{role: [getattr(world, viewer)]})
    placeless = make.set("Perth 1", **{role: [getattr(world, viewer)]})
    placeless_last = make.meeting(placeless, days=-1, location="")
    placeless_next = make.meeting(placeless, days=1, location="")
    sections = set_sections(visit(getattr(world, viewer)).page("/"))

    assert set(sections) == {world.glasgow.id, quiet.id, placeless.id}  # not Leeds: not theirs
    assert meeting_lines(sections[world.glasgow.id]) == [
        ("Next meeting", when(app, world.next)),
        ("Where", "Room 3, City Chambers"),
        ("Last meeting", when(app, world.last)),
        ("Where", "Room 2, George Square"),
    ]
    assert meeting_lines(sections[quiet.id]) == [
        ("Next meeting", "None scheduled"),
        ("Last meeting", "None yet"),
    ]
    assert meeting_lines(sections[placeless.id]) == [
        ("Next meeting", when(app, placeless_next)),
        ("Last meeting", when(app, placeless_last)),
    ]


# (author, meeting, visibility) of what is written before Cara opens her home page
PROMPT_CASES = [
    pytest.param([], True, id="nothing-written"),
    pytest.param([("cara", "last", "private")], False, id="private-on-the-last-meeting"),
    pytest.param([("cara", "last", "facilitator")], False, id="shared-on-the-last-meeting"),
    pytest.param([("cara", "last", "set")], False, id="set-on-the-last-meeting"),
    pytest.param([("cara", "earlier", "facilitator")], True, id="only-on-an-earlier-meeting"),
    pytest.param([("cara", None, "facilitator")], True, id="unlinked-since-the-last-meeting"),
    pytest.param([("cara", "next", "facilitator")], True, id="on-the-next-meeting"),
    pytest.param([("cal", "last", "set")], True, id="a-fellow-reflected-on-it"),
]


@pytest.mark.parametrize(("written", "prompted"), PROMPT_CASES)
def test_the_prompt_to_reflect_on_the_last_meeting(app, world, make, visit, written, prompted):
    for author, meeting, visibility in written:
        write(make, world, author, meeting, visibility)
    cara = visit(world.cara)
    section = set_sections(cara.page("/"))[world.glasgow.id]

    targets = links(section, "Reflect on your last meeting")
    if not prompted:
        assert targets == []
        return
    assert targets == [f"/reflections/new?meeting_id={world.last.id}"]
    form = cara.page(targets[0]).one("form", cls="reflection")
    assert form_values(form)["meeting_id"] == str(world.last.id)


def test_no_prompt_without_a_past_meeting_nor_for_a_facilitator(world, make, visit):
    only_upcoming = make.set("Dundee 2", facilitators=[world.cara], candidates=[world.fran])
    make.meeting(only_upcoming, days=5)
    cara_sections = set_sections(visit(world.cara).page("/"))
    fran_sections = set_sections(visit(world.fran).page("/"))

    assert links(cara_sections[world.glasgow.id], "Reflect on")  # a candidate, after a meeting
    assert links(fran_sections[only_upcoming.id], "Reflect on") == []  # no meeting yet
    assert links(fran_sections[world.glasgow.id], "Reflect on") == []  # facilitator there
    assert links(cara_sections[only_upcoming.id], "Reflect on") == []  # facilitator there
    headings = [h.text for h in cara_sections[only_upcoming.id].select("h3")]
    assert "Not shared anything yet" in headings  # there is no "last meeting" to speak of


# (key, author, status, due in days or None, next action)
ACTIONS = [
    ("open-in-10", "cara", "open", 10, "Ask the team in writing."),
    ("carried-in-2", "cara", "carried", 2, "Map the stakeholders."),
    ("done-in-1", "cara", "done", 1, "Book the room."),
    ("dropped-in-1", "cara", "dropped", 1, "Rewrite the plan."),
    ("no-action", "cara", "open", 1, ""),
    ("open-undated", "cara", "open", None, "Think about the regional role."),
    ("open-in-5", "cara", "open", 5, "Draft the options paper."),
    ("overdue", "cara", "carried", -3, "Call the supplier."),
    ("cals-open-in-1", "cal", "open", 1, "Cal's own action."),
]


def _write_actions(make: Factory, world: World) -> dict[str, Reflection]:
    return {
        key: write(
            make,
            world,
            author,
            "last",
            "facilitator",
            hours=hours,
            action_status=status,
            action_due=date.today() + timedelta(days=due) if due is not None else None,
            next_action=action,
        )
        for hours, (key, author, status, due, action) in enumerate(ACTIONS, start=1)
    }


# Cara's open actions: open or carried (not done or dropped), with an action, soonest due first
# and undated last.
OPEN_BY_DUE = ("overdue", "carried-in-2", "open-in-5", "open-in-10", "open-undated")


def test_home_lists_my_open_and_carried_actions_soonest_due_first(world, make, visit):
    written = _write_actions(make, world)
    page = visit(world.cara).page("/")

    assert home_actions(page) == [written[key].id for key in OPEN_BY_DUE]
    listed = page.one("section", aria_labelledby="open-actions").text
    assert "Map the stakeholders." in listed
    assert "Book the room." not in listed and "Cal's own action." not in listed


@pytest.mark.parametrize(("count", "linked"), [(5, False), (6, True)])
def test_home_shows_five_open_actions_and_links_to_the_rest(world, make, visit, count, linked):
    for due in range(count):
        write(make, world, "cara", "last", "private", next_action=f"Step {due}.", action_due=None)
    section = visit(world.cara).page("/").one("section", aria_labelledby="open-actions")

    assert len([a for a in section.select("a") if "#action-" in a.attrs["href"]]) == 5
    assert links(section, "All your open actions") == (["/actions"] if linked else [])


# One reflection at a time: (author, meeting, visibility, hours ago) -> on Cara's home (the
# fellows' set-visible reflections), on Fran's (what was shared with her), both in Glasgow.
DIGEST_CASES = [
    pytest.param("cal", "last", "set", 1, True, True, id="set"),
    pytest.param("cal", "last", "facilitator", 1, False, True, id="facilitator"),
    pytest.param("cal", "last", "private", 1, False, False, id="private"),
    pytest.param("cy", None, "set", 1, True, True, id="unlinked-set"),
    pytest.param("cy", None, "facilitator", 1, False, True, id="unlinked-facilitator"),
    pytest.param(
        "cal", "earlier", "set", 1, True, True, id="written-since-about-an-earlier-meeting"
    ),
    pytest.param("cal", "earlier", "set", 24 * 10, False, False, id="set-before-the-last-meeting"),
    pytest.param(
        "cal", "earlier", "facilitator", 24 * 8, False, False, id="before-the-last-meeting"
    ),
    pytest.param("cara", "last", "set", 1, False, True, id="caras-own"),
    pytest.param("lee", "leeds_last", "set", 1, False, False, id="another-sets"),
]


@pytest.mark.parametrize(
    ("author", "meeting", "visibility", "hours", "to_cara", "to_fran"), DIGEST_CASES
)
def test_what_the_home_page_shows_as_shared_since_the_last_meeting(
    world, make, visit, author, meeting, visibility, hours, to_cara, to_fran
):
    reflection = write(make, world, author, meeting, visibility, hours)
    for viewer, shown in (("cara", to_cara), ("fran", to_fran)):
        page = visit(getattr(world, viewer)).page("/")
        glasgow = set_sections(page)[world.glasgow.id]
        assert card_ids(glasgow) == ([reflection.id] if shown else []), viewer
        assert (reflection.experience in page.text) is shown, viewer


def test_a_facilitator_sees_what_was_shared_newest_first_with_author_meeting_and_audience(
    app, world, make, visit
):
    caras = write(make, world, "cara", "last", "facilitator", hours=3)
    cals = write(make, world, "cal", "last", "set", hours=1)
    cys = write(make, world, "cy", None, "facilitator", hours=2)
    fran = visit(world.fran)
    shown = cards(set_sections(fran.page("/"))[world.glasgow.id])

    assert [card.id for card in shown] == [cals.id, cys.id, caras.id]
    last = label(app, world.last)
    # Each titled by its first words, its meeting beside when it was written.
    assert [card.heading for card in shown] == [
        f"Cal Candidate: {cals.experience}",
        f"Cy Candidate: {cys.experience}",
        f"Cara Candidate: {caras.experience}",
    ]
    metas = [article.one("p", cls="meta").text for article in fran.page("/").select("article")]
    assert [meta.split(" · ")[0] for meta in metas] == [last, "Not linked to a meeting", last]
    # The audience in plain words: who reads it, through which set.
    assert "everyone in Glasgow 3" in shown[0].audience
    # Unlinked, it names its audience set, chosen when it was written.
    assert "facilitators of Glasgow 3" in shown[1].audience
    assert "facilitators of Glasgow 3" in shown[2].audience
    assert "Cara Candidate" in shown[2].audience
    for card, reflection in zip(shown, (cals, cys, caras), strict=True):
        # Under the title, the words after it: the opening is never said twice.
        assert card.excerpt == f"{reflection.insight} {reflection.next_action}"
        answer = fran.get(f"/reflections/{card.id}")
        assert answer.status_code == 200
        assert reflection.experience in answer.text


# (shared since the last meeting, shared before it) -> the /shared page the link leads to
EARLIER_CASES = [
    pytest.param(0, 0, None, id="nothing"),
    pytest.param(2, 0, None, id="less-than-a-page-since"),
    pytest.param(3, 0, None, id="exactly-a-page-since"),
    pytest.param(0, 1, 1, id="only-older"),
    pytest.param(2, 1, 1, id="a-short-page-and-older"),
    pytest.param(2, 5, 1, id="a-short-page-and-many-older"),
    pytest.param(3, 1, 2, id="a-full-page-and-older"),
    pytest.param(4, 0, 2, id="more-than-a-page-since"),
    pytest.param(7, 2, 2, id="pages-since-and-older"),
]


@pytest.mark.parametrize(("since", "before", "link_page"), EARLIER_CASES)
def test_the_link_to_earlier_reflections_shared_in_a_set(
    world, make, visit, since, before, link_page
):
    # Fran also facilitates Dundee, where as much is shared at the same moments.
    dee = make.user("Dee Candidate")
    dundee = make.set("Dundee 2", facilitators=[world.fran], candidates=[dee])
    dundee_last = make.meeting(dundee, days=-7)
    authors, visibilities = ("cara", "cal", "cy"), ("facilitator", "set")
    ages = [i + 1 for i in range(since)] + [24 * (8 + i) for i in range(before)]
    in_glasgow = [
        write(make, world, authors[i % 3], "last", visibilities[i % 2], hours=hours).id
        for i, hours in enumerate(ages)
    ]
    for hours in ages:
        make.reflection(dee, dundee_last, "set", age=timedelta(hours=hours - 0.5))
    fran = visit(world.fran)
    section = set_sections(fran.page("/"))[world.glasgow.id]

    home = card_ids(section)
    assert home == in_glasgow[: min(since, PAGE_SIZE)]  # newest first; older ones not here
    targets = links(section, "Earlier reflections shared in Glasgow 3")
    if link_page is None:
        assert targets == []
        return
    assert len(targets) == 1
    target = urlsplit(targets[0])
    assert target.path == "/shared"
    assert parse_qs(target.query) == {"set_id": [str(world.glasgow.id)], "page": [str(link_page)]}
    followed = card_ids(fran.page(targets[0]))
    assert followed == in_glasgow[(link_page - 1) * PAGE_SIZE : link_page * PAGE_SIZE]
    # None skipped: what the home page showed, then what the link adds, begins the whole list.
    seen = home + [i for i in followed if i not in home]
    assert len(seen) > len(home)
    assert seen == in_glasgow[: len(seen)]


# What Cara has written -> whether Fran's home lists her as having shared nothing in Glasgow.
SILENT_CASES = [
    pytest.param(None, True, id="nothing-written"),
    pytest.param(("last", "facilitator", 2), False, id="shared-with-the-facilitator"),
    pytest.param(("last", "set", 2), False, id="shared-with-the-set"),
    pytest.param((None, "facilitator", 2), False, id="unlinked-and-shared"),
    pytest.param(("earlier", "set", 2), False, id="shared-since-about-an-earlier-meeting"),
    pytest.param(("last", "private", 2), True, id="private"),
    pytest.param((None, "private", 2), True, id="private-unlinked"),
    pytest.param(("earlier", "facilitator", 24 * 10), True, id="shared-before-the-last-meeting"),
    pytest.param(("dundee", "facilitator", 2), True, id="shared-in-another-set-of-frans"),
]


@pytest.mark.parametrize(("written", "silent"), SILENT_CASES)
def test_who_has_shared_nothing_since_the_last_meeting(app, world, make, visit, written, silent):
    dundee = make.set("Dundee 2", facilitators=[world.fran], candidates=[world.cara])
    dundee_meeting = make.meeting(dundee, days=-2)
    if written:
        meeting, visibility, hours = written
        meeting = dundee_meeting if meeting == "dundee" else meeting
        write(make, world, "cara", meeting, visibility, hours)
    section = set_sections(visit(world.fran).page("/"))[world.glasgow.id]

    expected = ["Cal Candidate", "Cy Candidate"] + (["Cara Candidate"] if silent else [])
    assert silent_people(section) == sorted(expected)


@pytest.mark.parametrize("meeting", ["last", None], ids=["linked", "unlinked"])
def test_a_private_reflection_leaves_the_facilitators_home_page_exactly_as_it_was(
    world, make, visit, meeting
):
    write(make, world, "cal", "last", "set", hours=3)
    fran = visit(world.fran)
    before = without_tokens(fran.get("/").text)

    write(make, world, "cara", meeting, "private", hours=1, next_action="A private action.")
    assert without_tokens(fran.get("/").text) == before

    write(make, world, "cara", meeting, "facilitator", hours=1)
    assert without_tokens(fran.get("/").text) != before  # the comparison does see a change


# Facilitators read and never edit --------------------------------------------------------------


def _change_links(page: Element) -> list[str]:
    return [
        a.attrs["href"]
        for a in page.select("a")
        if a.attrs["href"].endswith(("/edit", "/delete")) or a.text in ("Edit", "Delete")
    ]


@pytest.mark.parametrize("visibility", ["facilitator", "set"])
def test_a_facilitator_never_sees_edit_or_delete_on_someone_elses_reflection(
    world, make, visit, visibility
):
    reflection = write(make, world, "cara", "last", visibility)
    fran = visit(world.fran)
    for url in (f"/reflections/{reflection.id}", "/", "/shared", "/reflections", "/actions"):
        page = fran.page(url)
        assert _change_links(page) == [], url
    assert reflection.experience in fran.page(f"/reflections/{reflection.id}").text
    # The author does see them, on the same page.
    assert sorted(_change_links(visit(world.cara).page(f"/reflections/{reflection.id}"))) == [
        f"/reflections/{reflection.id}/delete",
        f"/reflections/{reflection.id}/edit",
    ]


# (viewer, visibility of Cara's reflection) -> the status of every way of changing it: the edit
# and delete pages (GET and POST) and recording what came of its action
NOT_THE_AUTHOR = [
    ("fran", "facilitator", 403),
    ("fran", "set", 403),
    ("fran", "private", 404),
    ("cal", "set", 403),
    ("cal", "facilitator", 404),
    ("finn", "set", 404),
    ("lee", "set", 404),
]


@pytest.mark.parametrize(("viewer", "visibility", "status"), NOT_THE_AUTHOR)
def test_only_the_author_may_edit_delete_or_record_the_action(
    app, world, make, visit, viewer, visibility, status
):
    reflection = write(make, world, "cara", "last", visibility)
    other = visit(getattr(world, viewer))
    edit = form_data(
        experience="Rewritten by someone else.",
        meeting_id=str(world.last.id),
        visibility=visibility,
        base_version="1",
    )
    attempts = {
        "GET edit": other.get(f"/reflections/{reflection.id}/edit"),
        "POST edit": other.post(f"/reflections/{reflection.id}/edit", edit),
        "GET delete": other.get(f"/reflections/{reflection.id}/delete"),
        "POST delete": other.post(f"/reflections/{reflection.id}/delete", {}),
        "GET action": other.get(f"/actions/{reflection.id}"),
        "POST action": other.post(
            f"/actions/{reflection.id}", _action_fields(reflection, "done", "Not mine to say.")
        ),
    }

    for attempt, answer in attempts.items():
        assert answer.status_code == status, attempt
        if status == 404:
            assert reflection.experience not in answer.text, attempt
    after = stored(app, reflection.id)
    assert after is not None
    assert (after.experience, after.action_status, after.action_outcome, after.version) == (
        reflection.experience,
        "open",
        "",
        1,
    )


# Query counts do not grow with a set's history --------------------------------------------------


def _add_history(app: Flask, world: World, meetings: int = 40, reflections: int = 200) -> None:
    """Years of Glasgow: meetings before the last one (and a few after the later one), and
    reflections from every candidate in every visibility and state, some since the last meeting."""
    now = datetime.now(UTC)
    with app.app_context():
        held = [
            Meeting(
                set_id=world.glasgow.id,
                starts_at=now + timedelta(days=7 * (i + 4) * (1 if i % 8 == 0 else -1)),
                location=f"Room {i}",
            )
            for i in range(meetings)
        ]
        db.session.add_all(held)
        db.session.flush()
        authors = (world.cara, world.cal, world.cy)
        for i in range(reflections):
            moment = now - (timedelta(hours=i + 1) if i % 10 == 0 else timedelta(days=8 + i))
            db.session.add(
                Reflection(
                    id=uuid.uuid4(),
                    author_id=authors[i % 3].id,
                    meeting_id=held[i % meetings].id if i % 7 else None,
                    set_id=world.glasgow.id,
                    experience=f"History {i}.",
                    next_action=f"Action {i}." if i % 5 else "",
                    action_due=date.today() + timedelta(days=i % 30) if i % 4 else None,
                    action_status=("open", "carried", "done", "dropped")[i % 4],
                    visibility=("private", "facilitator", "set")[i // 3 % 3],
                    created_at=moment,
                    updated_at=moment,
                )
            )
        db.session.commit()


# Every page a member opens, and the API's reads: {mine} is cara's reflection, {cals} cal's.
QUERY_PAGES = [
    ("fran", "/"),
    ("cara", "/"),
    ("cara", "/reflections"),
    ("cara", "/reflections?set_id={glasgow}"),
    ("cara", "/reflections/new"),
    ("cara", "/reflections/{mine}"),
    ("cara", "/reflections/{mine}/edit"),
    ("fran", "/reflections/{cals}"),
    ("cara", "/reflections/{cals}"),
    ("cara", "/actions"),
    ("fran", "/shared"),
    ("fran", "/shared?set_id={glasgow}"),
    ("cara", "/shared"),
    ("cara", "/account"),
    ("cara", "/api/v1/me"),
    ("cara", "/api/v1/reflections"),
    ("cara", "/api/v1/reflections/{mine}"),
    ("cara", "/api/v1/meetings"),
]


@pytest.mark.parametrize(("viewer", "url"), QUERY_PAGES)
def test_a_long_history_costs_no_more_queries_than_a_new_set(
    app, world, make, visit, count_queries, viewer, url
):
    # A new set: one reflection from each candidate since its first meeting.
    mine = write(make, world, "cara", "last", "facilitator", hours=2, next_action="Ask Jo.")
    cals = write(make, world, "cal", "last", "set", hours=3)
    write(make, world, "cy", None, "private", hours=4)
    url = url.format(mine=mine.id, cals=cals.id, glasgow=world.glasgow.id)
    visitor = visit(getattr(world, viewer))

    def queries() -> int:
        with count_queries() as counted:
            answer = visitor.get(url)
        assert answer.status_code == 200
        return len(counted)

    new = queries()
    _add_history(app, world)
    if url in ("/", "/reflections", "/shared", "/actions"):
        assert ("Action " if url == "/actions" else "History ") in visitor.page(url).text
    assert queries() == new


@pytest.mark.parametrize("url", ["/", "/shared", "/reflections/new", "/api/v1/me"])
def test_more_sets_cost_no_more_queries(app, world, make, visit, count_queries, url):
    """A facilitator of one set who is a candidate in one more, and one of four sets who is a
    candidate in three, pay the same queries (being a candidate at all adds what a candidate's
    home shows: the actions to review, the comments on what they wrote)."""
    write(make, world, "cal", "last", "set", hours=3)
    make.set("Learning 0", facilitators=[make.user()], candidates=[world.fran])
    visitor = visit(world.fran)

    def queries() -> int:
        with count_queries() as counted:
            assert visitor.get(url).status_code == 200
        return len(counted)

    one_set = queries()
    for number in range(3):
        others = make.set(f"Extra {number}", facilitators=[world.fran], candidates=[make.user()])
        make.meeting(others, -5, "Room 9")
        make.meeting(others, 5, "Room 9")
    for number in (1, 2):
        make.set(f"Learning {number}", facilitators=[make.user()], candidates=[world.fran])
    assert queries() == one_set


# /reflections --------------------------------------------------------------------------------


def all_pages(visitor: Visitor, url: str) -> list[list[uuid.UUID]]:
    """The cards of each page of a paginated list, following its "Older" links."""
    pages = []
    while url:
        page = visitor.page(url)
        pages.append(card_ids(page))
        following = page.select("a", rel="next")
        url = following[0].attrs["href"] if following else None
        assert len(pages) < 20
    return pages


def test_my_journal_lists_only_mine_newest_first_a_page_at_a_time(world, make, visit):
    mine = [write(make, world, "cara", "last", "set", hours=24 * age).id for age in range(7)]
    write(make, world, "cal", "last", "set", hours=1)  # Cara may read it: still not in her journal
    write(make, world, "cal", None, "set", hours=2)

    pages = all_pages(visit(world.cara), "/reflections")
    assert pages == [mine[0:3], mine[3:6], mine[6:7]]


@pytest.fixture
def filterable(world, make) -> dict[str, object]:
    """Cara's reflections in two sets, and the ids filters name."""
    dundee = make.set("Dundee 2", facilitators=[world.finn], candidates=[world.cara])
    dundee_meeting = make.meeting(dundee, days=-1)
    written = {
        "glasgow-last": write(make, world, "cara", "last", "facilitator", hours=1),
        "glasgow-earlier": write(make, world, "cara", "earlier", "set", hours=24 * 20),
        "unlinked": write(make, world, "cara", None, "private", hours=3),
        "dundee": write(make, world, "cara", dundee_meeting, "set", hours=4),
    }
    write(make, world, "cal", "last", "set", hours=2)  # readable by Cara, but not hers
    ids = {
        "glasgow": world.glasgow.id,
        "dundee-set": dundee.id,
        "leeds": world.leeds.id,
        "last": world.last.id,
        "earlier": world.earlier.id,
        "leeds-last": world.leeds_last.id,
        "dundee-meeting": dundee_meeting.id,
    }
    return {"written": written, "ids": ids}


# filter (names of ids in `filterable`) -> Cara's reflections listed, newest first
FILTERS = [
    ({}, ["glasgow-last", "unlinked", "dundee", "glasgow-earlier"]),
    # By audience set: the unlinked one was written for Glasgow 3.
    ({"set_id": "glasgow"}, ["glasgow-last", "unlinked", "glasgow-earlier"]),
    ({"set_id": "dundee-set"}, ["dundee"]),
    ({"set_id": "leeds"}, []),  # a set that is not hers
    ({"meeting_id": "last"}, ["glasgow-last"]),
    ({"meeting_id": "earlier"}, ["glasgow-earlier"]),
    ({"meeting_id": "dundee-meeting"}, ["dundee"]),
    ({"meeting_id": "leeds-last"}, []),
]


def test_my_journal_filtered_by_set_or_meeting(world, visit, filterable):
    ids, written = filterable["ids"], filterable["written"]
    cara = visit(world.cara)
    for query, expected in FILTERS:
        url = "/reflections?" + "&".join(f"{name}={ids[key]}" for name, key in query.items())
        # Every page of it: the pager keeps the filter.
        listed = [i for on_page in all_pages(cara, url) for i in on_page]
        assert listed == [written[key].id for key in expected], query
        chosen = form_values(cara.page(url).one("form", cls="filter"))
        for name, key in query.items():
            if key not in ("leeds", "leeds-last"):  # no choice to show for what is not mine
                assert chosen[name] == str(ids[key]), query


# A bad value is ignored (the whole list) or matches nothing; never an error.
#   query -> on /reflections, on /shared
BAD_FILTERS = [
    ("set_id=abc", "all", "all"),
    ("meeting_id=xyz", "all", "all"),
    ("set_id=&meeting_id=", "all", "all"),
    ("set_id=1.5", "all", "all"),
    ("set_id=%00", "all", "all"),
    ("page=abc", "all", "all"),
    ("page=-1", "all", "all"),
    ("page=0", "all", "all"),
    ("set_id=-1", "all", "all"),
    ("meeting_id=0", "all", "all"),
    ("set_id=99999999999999999999", "all", "all"),
    ("meeting_id=99999999999999999999", "all", "all"),
    ("set_id=999999", "none", "none"),
    ("meeting_id=999999", "none", "all"),  # /shared has no meeting filter
    ("page=999", "none", "none"),
    ("page=99999999999999999999", "all", "all"),
]


@pytest.mark.parametrize("url", ["/reflections", "/shared"])
def test_a_bad_filter_value_does_not_break_the_list(world, visit, filterable, url):
    cara = visit(world.cara)
    everything = card_ids(cara.page(url))
    assert everything  # something to lose
    for query, on_journal, on_shared in BAD_FILTERS:
        answer = cara.get(f"{url}?{query}")
        assert answer.status_code == 200, query
        expected = on_journal if url == "/reflections" else on_shared
        assert card_ids(parse(answer.text)) == (everything if expected == "all" else []), query


# /reflections/new ----------------------------------------------------------------------------

FIELDS = {"experience", "insight", "next_action", "action_due", "meeting_id", "visibility"}


def test_the_writing_form(app, demo_people, visit):
    cara = visit(demo_people["cara"], DEMO_PASSWORD)
    page = cara.page("/reflections/new")
    form = page.one("form", cls="reflection")
    values = form_values(form)

    assert set(values) >= FIELDS
    assert values["visibility"] == "facilitator"  # the default
    assert options(form, "visibility") == ["private", "facilitator", "set"]
    assert values["experience"] == values["insight"] == values["next_action"] == ""
    assert "do not name or describe others" in page.one("p", cls="confidential").text
    hint = page.one(id="visibility-hint").text
    assert "Fran Facilitator" in hint and "Cal Candidate" in hint
    assert "Finn Facilitator" not in hint and "Lee Candidate" not in hint  # Leeds 1 is not hers
    assert page.one("fieldset").attrs["aria-describedby"] == "visibility-hint"  # tied to the choice


def test_the_visibility_hint_says_so_when_nobody_else_would_read_it(world, make, visit):
    alone = make.set("Perth 1", candidates=[world.lee])  # no facilitator, no other candidate
    hint = visit(world.lee).page("/reflections/new").one(id="visibility-hint").text

    assert "In Leeds 1, “Facilitator” means Finn Facilitator will read it" in hint
    assert f"In {alone.name}, “Facilitator” means nobody (no facilitator yet) will read it" in hint
    assert "“Set” means nobody else (no other candidates yet) will too." in hint


def test_the_visibility_hint_for_someone_in_no_set(make, visit):
    loner = make.user("Lone Candidate")
    hint = visit(loner).page("/reflections/new").one(id="visibility-hint").text

    assert hint == "You are not a candidate in a set yet, so only you will read it."


def test_meeting_choices_are_the_meetings_of_sets_where_i_am_a_candidate(world, make, visit):
    facilitated = make.set("Dundee 2", facilitators=[world.cara], candidates=[world.cal])
    make.meeting(facilitated, days=-1)
    make.meeting(facilitated, days=6)
    form = visit(world.cara).page("/reflections/new").one("form", cls="reflection")

    glasgow = {world.earlier, world.last, world.next, world.later}
    assert sorted(options(form, "meeting_id")) == sorted(["", *(str(m.id) for m in glasgow)])


# ?meeting_id= ({name}: that meeting of the world) -> the meeting chosen in the form
PRESELECTED = [
    ("", None),
    ("?meeting_id={last}", "last"),
    ("?meeting_id={next}", "next"),
    ("?meeting_id={earlier}", "earlier"),
    ("?meeting_id={leeds_last}", None),  # not a meeting of hers: nothing chosen
    ("?meeting_id=abc", None),
    ("?meeting_id=", None),
    ("?meeting_id=" + "9" * 20, None),
]


def test_meeting_id_in_the_address_chooses_the_meeting(world, visit):
    cara = visit(world.cara)
    for query, chosen in PRESELECTED:
        ids = {key: world.meeting(key).id for key in ("last", "next", "earlier", "leeds_last")}
        url = "/reflections/new" + query.format(**ids)
        form = cara.page(url).one("form", cls="reflection")
        # Nothing chosen, or "Not linked", reads as not linked.
        assert (form_values(form)["meeting_id"] or "") == (
            str(world.meeting(chosen).id) if chosen else ""
        ), query


CREATE_CASES = [
    pytest.param(
        {
            "experience": "Brought a **problem** about feedback.",
            "insight": "Silence is not agreement.",
            "next_action": "Ask in writing.",
            "action_due": "2031-05-06",
            "meeting_id": "last",
            "visibility": "set",
        },
        id="every-part",
    ),
    pytest.param({"insight": "Only an insight."}, id="an-insight-alone-unlinked"),
    pytest.param(
        {"next_action": "Only an action.", "meeting_id": "next", "visibility": "private"},
        id="an-action-alone-private",
    ),
    pytest.param({"experience": "x" * TEXT_LIMIT}, id="the-longest-text"),
]


@pytest.mark.parametrize("typed", CREATE_CASES)
def test_writing_a_reflection_saves_it_and_shows_it(app, world, visit, typed):
    typed = dict(typed)
    if typed.get("meeting_id"):
        typed["meeting_id"] = str(world.meeting(typed["meeting_id"]).id)
    cara = visit(world.cara)
    answer = cara.post("/reflections/new", form_data(**typed))

    assert answer.status_code == 302
    match = REFLECTION_LINK.fullmatch(answer.location)
    assert match, answer.location
    saved = stored(app, uuid.UUID(match[1]))
    expected = form_data(**typed)
    assert saved.author_id == world.cara.id
    assert (saved.experience, saved.insight, saved.next_action) == (
        expected["experience"],
        expected["insight"],
        expected["next_action"],
    )
    assert saved.action_due == (
        date.fromisoformat(typed["action_due"]) if "action_due" in typed else None
    )
    assert saved.meeting_id == (int(typed["meeting_id"]) if typed.get("meeting_id") else None)
    assert saved.visibility == expected["visibility"]
    assert (saved.version, saved.action_status, saved.action_outcome) == (1, "open", "")
    assert reflection_count(app) == 1
    shown = cara.page(answer.location)
    assert "Reflection saved." in shown.text
    for name in ("experience", "insight", "next_action"):
        assert typed.get(name, "").replace("**", "") in shown.text
    assert shown.one("p", cls="audience").text


def test_the_visibility_is_facilitator_when_none_is_sent(app, world, visit):
    typed = form_data(experience="No choice sent.")
    del typed["visibility"]
    answer = visit(world.cara).post("/reflections/new", typed)

    assert answer.status_code == 302
    assert stored(app, uuid.UUID(answer.location.rsplit("/", 1)[1])).visibility == "facilitator"


TYPED = {
    "experience": "Typed experience.",
    "insight": "Typed insight.",
    "next_action": "Typed action.",
    "action_due": "2031-05-06",
    "meeting_id": "last",
    "visibility": "set",
}
# what is changed from TYPED -> the field whose message says what is wrong
INVALID_CASES = [
    pytest.param({"experience": "", "insight": "", "next_action": ""}, "experience", id="empty"),
    pytest.param(
        {"experience": " \r\n ", "insight": "\t", "next_action": ""}, "experience", id="blank"
    ),
    pytest.param({"experience": "x" * (TEXT_LIMIT + 1)}, "experience", id="long-experience"),
    pytest.param({"insight": "x" * (TEXT_LIMIT + 1)}, "insight", id="long-insight"),
    pytest.param({"next_action": "x" * (TEXT_LIMIT + 1)}, "next_action", id="long-action"),
    pytest.param({"meeting_id": "leeds_last"}, "meeting_id", id="a-meeting-of-another-set"),
    pytest.param({"meeting_id": "facilitated"}, "meeting_id", id="a-meeting-i-facilitate"),
    pytest.param({"meeting_id": "99999"}, "meeting_id", id="no-such-meeting"),
    pytest.param({"meeting_id": "abc"}, "meeting_id", id="a-meeting-id-that-is-no-number"),
    pytest.param({"meeting_id": "9" * 20}, "meeting_id", id="a-meeting-id-beyond-any-integer"),
    pytest.param({"meeting_id": "-1"}, "meeting_id", id="a-negative-meeting-id"),
    pytest.param({"action_due": "2031-02-30"}, "action_due", id="no-such-date"),
    pytest.param({"action_due": "06/05/2031"}, "action_due", id="a-date-in-another-format"),
    pytest.param({"action_due": "soon"}, "action_due", id="a-date-that-is-no-date"),
    pytest.param({"action_due": "9999-12-31"}, "action_due", id="a-date-past-2100"),
    pytest.param({"action_due": "1969-12-31"}, "action_due", id="a-date-before-1970"),
    pytest.param({"visibility": "public"}, "visibility", id="no-such-visibility"),
    pytest.param({"visibility": ""}, "visibility", id="an-empty-visibility"),
]


@pytest.mark.parametrize(("changes", "wrong"), INVALID_CASES)
def test_an_invalid_reflection_is_refused_keeping_what_was_typed(
    app, world, make, visit, changes, wrong
):
    facilitated = make.set("Dundee 2", facilitators=[world.cara])
    meetings = {
        "last": world.last.id,
        "leeds_last": world.leeds_last.id,
        "facilitated": make.meeting(facilitated).id,
    }
    typed = {**TYPED, **changes}
    typed["meeting_id"] = str(meetings.get(typed["meeting_id"], typed["meeting_id"]))
    answer = visit(world.cara).post("/reflections/new", typed)

    assert answer.status_code == 400
    page = parse(answer.text)
    errors = field_errors(page)
    assert list(errors) == [wrong]
    assert errors[wrong]
    kept = form_values(page.one("form", cls="reflection"))
    for name in ("experience", "insight", "next_action", "action_due"):
        assert kept[name] == typed[name], name
    if wrong != "meeting_id":
        assert kept["meeting_id"] == typed["meeting_id"]
    if wrong != "visibility":
        assert kept["visibility"] == typed["visibility"]
    assert reflection_count(app) == 0


@pytest.mark.parametrize(
    ("due", "accepted"),
    [
        ("1969-12-31", False),
        ("1970-01-01", True),
        ("2100-12-31", True),
        ("2101-01-01", False),
        ("9999-12-31", False),
    ],
)
def test_an_action_is_due_between_1970_and_2100_as_meetings_are(app, world, visit, due, accepted):
    typed = {**TYPED, "meeting_id": str(world.last.id), "action_due": due}
    answer = visit(world.cara).post("/reflections/new", typed)

    if accepted:
        assert answer.status_code == 302
        assert reflection_count(app) == 1
    else:
        assert answer.status_code == 400
        errors = field_errors(parse(answer.text))
        assert errors == {"action_due": "Choose a date between 1970 and 2100."}
        assert reflection_count(app) == 0


@pytest.mark.parametrize("token", [None, "", "not-a-token"], ids=["missing", "empty", "forged"])
def test_writing_without_the_csrf_token_is_refused(app, world, visit, token):
    cara = visit(world.cara)
    data = form_data(experience="Sent from elsewhere.")
    if token is not None:
        data["csrf_token"] = token
    answer = cara.post("/reflections/new", data, csrf=False)

    assert answer.status_code == 400
    assert reflection_count(app) == 0


# Editing -------------------------------------------------------------------------------------


def test_the_edit_form_is_filled_in_and_saving_bumps_the_version(app, world, make, visit):
    reflection = write(
        make,
        world,
        "cara",
        "last",
        "set",
        experience="First experience.",
        insight="First insight.",
        next_action="First action.",
        action_due=date(2031, 1, 2),
        action_status="carried",
        action_outcome="Half done.",
    )
    cara = visit(world.cara)
    url = f"/reflections/{reflection.id}/edit"
    values = form_values(cara.page(url).one("form", cls="reflection"))
    assert {name: values[name] for name in (*FIELDS, "base_version")} == {
        "experience": "First experience.",
        "insight": "First insight.",
        "next_action": "First action.",
        "action_due": "2031-01-02",
        "meeting_id": str(world.last.id),
        "visibility": "set",
        "base_version": "1",
    }

    values.update(experience="Second experience.", visibility="private", action_due="2031-03-04")
    answer = cara.post(url, values)

    assert answer.status_code == 302
    assert answer.location == f"/reflections/{reflection.id}"
    saved = stored(app, reflection.id)
    assert (saved.experience, saved.insight, saved.visibility, saved.action_due) == (
        "Second experience.",
        "First insight.",
        "private",
        date(2031, 3, 4),
    )
    assert saved.version == 2
    # The writing form leaves the action's progress alone: /actions records that.
    assert (saved.action_status, saved.action_outcome) == ("carried", "Half done.")
    again = form_values(cara.page(url).one("form", cls="reflection"))
    assert (again["experience"], again["base_version"]) == ("Second experience.", "2")


def test_an_invalid_edit_is_refused_and_changes_nothing(app, world, make, visit):
    reflection = write(make, world, "cara", "last", "set")
    cara = visit(world.cara)
    url = f"/reflections/{reflection.id}/edit"
    values = form_values(cara.page(url).one("form", cls="reflection"))
    values.update(experience="", insight="", next_action="")
    answer = cara.post(url, values)

    assert answer.status_code == 400
    assert list(field_errors(parse(answer.text))) == ["experience"]
    assert stored(app, reflection.id).experience == reflection.experience
    assert stored(app, reflection.id).version == 1


def test_saving_over_a_newer_version_is_409_keeping_what_was_typed(app, world, make, visit):
    reflection = write(make, world, "cara", "last", "facilitator", experience="As first written.")
    url = f"/reflections/{reflection.id}/edit"
    laptop, phone = visit(world.cara), visit(world.cara)
    on_laptop = form_values(laptop.page(url).one("form", cls="reflection"))
    on_phone = form_values(phone.page(url).one("form", cls="reflection"))
    assert phone.post(url, {**on_phone, "experience": "Saved on the phone."}).status_code == 302

    answer = laptop.post(url, {**on_laptop, "experience": "Typed on the laptop."})

    assert answer.status_code == 409
    page = parse(answer.text)
    assert "changed somewhere else" in page.one(role="alert").text
    kept = form_values(page.one("form", cls="reflection"))
    assert kept["experience"] == "Typed on the laptop."
    assert kept["base_version"] == "2"  # saving again is a choice made knowing the new version
    saved = stored(app, reflection.id)
    assert (saved.experience, saved.version) == ("Saved on the phone.", 2)

    assert laptop.post(url, kept).status_code == 302
    saved = stored(app, reflection.id)
    assert (saved.experience, saved.version) == ("Typed on the laptop.", 3)


# Deleting ------------------------------------------------------------------------------------


def test_deleting_asks_first_then_deletes_and_returns_to_the_journal(app, world, make, visit):
    reflection = write(make, world, "cara", "last", "set")
    kept = write(make, world, "cara", "last", "set", hours=2)
    cara = visit(world.cara)
    url = f"/reflections/{reflection.id}/delete"

    page = cara.page(url)
    assert "Delete this reflection?" in page.one("h1").text
    assert page.one("main").one("form").attrs["method"] == "post"
    assert stored(app, reflection.id) is not None
    assert cara.post(url, {}, csrf=False).status_code == 400
    assert stored(app, reflection.id) is not None

    answer = cara.post(url, {})
    assert answer.status_code == 302
    assert answer.location == "/reflections"
    assert stored(app, reflection.id) is None
    assert card_ids(cara.page("/reflections")) == [kept.id]
    assert cara.get(f"/reflections/{reflection.id}").status_code == 404


# /actions ------------------------------------------------------------------------------------


def action_lists(page: Element) -> dict[str, list[uuid.UUID]]:
    """The action cards under each heading of /actions, in order."""
    lists: dict[str, list[uuid.UUID]] = {}
    heading = None
    for element in page.one("main").iter():
        if element.tag == "h2":
            heading = element.text
            lists[heading] = []
        elif element.tag == "article" and element.attrs.get("id", "").startswith("action-"):
            lists[heading].append(uuid.UUID(element.attrs["id"].removeprefix("action-")))
    return lists


def test_my_actions_open_then_done_and_dropped(world, make, visit):
    written = _write_actions(make, world)
    cara = visit(world.cara)
    lists = action_lists(cara.page("/actions"))
    more_open = action_lists(cara.page("/actions?page=2"))["Open"]

    assert lists["Open"] + more_open == [written[key].id for key in OPEN_BY_DUE]
    # Newest change first; written "done-in-1" an hour before "dropped-in-1".
    assert lists["Done and dropped"] == [written["done-in-1"].id, written["dropped-in-1"].id]


def test_done_and_dropped_actions_come_a_page_at_a_time(world, make, visit):
    closed = [
        write(make, world, "cara", "last", "private", hours=hours, action_status=status)
        for hours, status in enumerate(["done", "dropped", "done", "dropped"], start=1)
    ]
    cara = visit(world.cara)
    first, second = cara.page("/actions"), cara.page("/actions?done_page=2")

    assert action_lists(first)["Done and dropped"] == [r.id for r in closed[:PAGE_SIZE]]
    assert action_lists(second)["Done and dropped"] == [r.id for r in closed[PAGE_SIZE:]]
    assert links(first.one("nav", cls="pager"), "Older") == ["/actions?done_page=2"]


def test_open_actions_come_a_page_at_a_time_soonest_due_first(world, make, visit):
    """Years of open actions never come on one page; each list pages on its own."""
    today = date.today()
    open_ = [
        write(make, world, "cara", "last", "private", action_due=today + timedelta(days=days))
        for days in range(1, 8)
    ]
    closed = [
        write(make, world, "cara", "last", "private", hours=h, action_status="done")
        for h in (1, 2, 3, 4)
    ]
    cara = visit(world.cara)
    pages = [cara.page(f"/actions?page={n}") for n in (1, 2, 3)]
    assert [action_lists(page)["Open"] for page in pages] == [
        [r.id for r in open_[0:3]],
        [r.id for r in open_[3:6]],
        [r.id for r in open_[6:7]],
    ]
    first_nav = pages[0].select("nav", cls="pager")[0]
    assert links(first_nav, "Due later") == ["/actions?page=2"]
    # Paging one list keeps the other where it was.
    both = cara.page("/actions?page=2&done_page=2")
    assert action_lists(both)["Open"] == [r.id for r in open_[3:6]]
    assert action_lists(both)["Done and dropped"] == [r.id for r in closed[3:4]]
    open_nav, done_nav = both.select("nav", cls="pager")
    assert links(open_nav, "Due later") == ["/actions?done_page=2&page=3"]
    assert links(done_nav, "Newer") == ["/actions?page=2&done_page=1"]


def _action_fields(reflection: Reflection, status: str, outcome: str) -> dict[str, str]:
    prefix = f"a{reflection.id.hex}-"
    return {f"{prefix}action_status": status, f"{prefix}action_outcome": outcome}


@pytest.mark.parametrize(
    ("status", "heading"),
    [
        ("done", "Done and dropped"),
        ("dropped", "Done and dropped"),
        ("carried", "Open"),
        ("open", "Open"),
    ],
)
def test_recording_what_came_of_an_action(app, world, make, visit, status, heading):
    reflection = write(make, world, "cara", "last", "facilitator", next_action="Ask in writing.")
    cara = visit(world.cara)
    outcome = "Two of five answered; one **useful** point."
    # As the page sends it: the card's own form, with its own (prefixed) CSRF token.
    form = cara.page("/actions").one("article", id=f"action-{reflection.id}").one("form")
    assert form.attrs["action"] == f"/actions/{reflection.id}"
    sent = {**form_values(form), **_action_fields(reflection, status, outcome)}
    answer = cara.post(form.attrs["action"], sent, csrf=False)

    assert answer.status_code == 302
    assert answer.location == f"/actions#action-{reflection.id}"
    saved = stored(app, reflection.id)
    assert (saved.action_status, saved.action_outcome, saved.version) == (status, outcome, 2)
    page = cara.page("/actions")
    assert action_lists(page)[heading] == [reflection.id]
    card = page.one("article", id=f"action-{reflection.id}")
    if heading == "Open":
        shown = form_values(card)
    else:
        # A closed action is a record on the list; its own page changes it.
        assert not card.select("form")
        assert "Two of five answered; one useful point." in card.text
        (change,) = [a for a in card.select("a") if a.text == "Change what came of it"]
        assert change.attrs["href"] == f"/actions/{reflection.id}"
        shown = form_values(cara.page(change.attrs["href"]).one("main").one("form"))
    assert shown[f"a{reflection.id.hex}-action_status"] == status
    assert shown[f"a{reflection.id.hex}-action_outcome"] == outcome
    view = cara.page(f"/reflections/{reflection.id}")
    assert view.one("p", cls="status").text.startswith(f"Action: {status}")
    assert "Two of five answered; one useful point." in view.text


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("finished", "Done."), ("", "Done."), ("done", "x" * (TEXT_LIMIT + 1))],
    ids=["no-such-status", "no-status", "long-outcome"],
)
def test_an_invalid_action_update_is_400_and_changes_nothing(
    app, world, make, visit, status, outcome
):
    reflection = write(make, world, "cara", "last", "facilitator")
    answer = visit(world.cara).post(
        f"/actions/{reflection.id}", _action_fields(reflection, status, outcome)
    )

    assert answer.status_code == 400
    kept = form_values(parse(answer.text).one("main").one("form"))
    assert kept[f"a{reflection.id.hex}-action_outcome"] == outcome
    saved = stored(app, reflection.id)
    assert (saved.action_status, saved.action_outcome, saved.version) == ("open", "", 1)


def test_a_reflection_without_a_next_action_has_no_action_to_record(app, world, make, visit):
    reflection = write(make, world, "cara", "last", "facilitator", next_action="")
    cara = visit(world.cara)
    answer = cara.post(f"/actions/{reflection.id}", _action_fields(reflection, "done", "?"))

    assert answer.status_code == 404
    assert stored(app, reflection.id).action_status == "open"
    assert reflection.id not in action_lists(cara.page("/actions"))["Open"]
    unknown = uuid.uuid4()
    assert cara.post(f"/actions/{unknown}", {}).status_code == 404


# /shared -------------------------------------------------------------------------------------


@pytest.fixture
def sharing(world, make) -> dict[str, object]:
    """Fran facilitates Glasgow and is a candidate in Dundee (with Dee, facilitated by Finn)."""
    dee = make.user("Dee Candidate")
    dundee = make.set("Dundee 2", facilitators=[world.finn], candidates=[world.fran, dee])
    dundee_meeting = make.meeting(dundee, days=-2)
    written = {
        "cara-facilitator": write(make, world, "cara", "last", "facilitator", hours=1),
        "cal-set": write(make, world, "cal", "last", "set", hours=2),
        "cy-private": write(make, world, "cy", "last", "private", hours=3),
        "cara-unlinked": write(make, world, "cara", None, "facilitator", hours=4),
        "cal-old": write(make, world, "cal", "earlier", "set", hours=24 * 19),
        "dee-set": make.reflection(dee, dundee_meeting, "set", age=timedelta(hours=5)),
        "dee-facilitator": make.reflection(dee, dundee_meeting, "facilitator", age=timedelta(1)),
        "frans-own": make.reflection(world.fran, dundee_meeting, "set", age=timedelta(hours=6)),
        "lee-set": write(make, world, "lee", "leeds_last", "set", hours=7),
    }
    return {"written": written, "sets": {"glasgow": world.glasgow, "dundee": dundee}}


# viewer -> set filter -> what is listed, newest first
SHARED = {
    "fran": {
        None: ["cara-facilitator", "cal-set", "cara-unlinked", "dee-set", "cal-old"],
        "glasgow": ["cara-facilitator", "cal-set", "cara-unlinked", "cal-old"],
        "dundee": ["dee-set"],
        "leeds": [],
    },
    "cara": {
        None: ["cal-set", "cal-old"],
        "glasgow": ["cal-set", "cal-old"],
        "dundee": [],
    },
}


@pytest.mark.parametrize("viewer", list(SHARED))
def test_shared_with_me_is_others_reflections_newest_first(world, visit, sharing, viewer):
    sets = {**sharing["sets"], "leeds": world.leeds}
    visitor = visit(getattr(world, viewer))
    for through, expected in SHARED[viewer].items():
        url = "/shared" + (f"?set_id={sets[through].id}" if through else "")
        pages = all_pages(visitor, url)
        listed = [i for page in pages for i in page]
        assert listed == [sharing["written"][key].id for key in expected], through
        assert all(len(page) == PAGE_SIZE for page in pages[:-1]), through


# Signed out ----------------------------------------------------------------------------------

SIGNED_OUT_PAGES = [
    "/",
    "/reflections",
    "/reflections?set_id=1&page=2",
    "/reflections/new",
    "/reflections/new?meeting_id=1",
    "/reflections/{id}",
    "/reflections/{id}/edit",
    "/reflections/{id}/delete",
    "/actions",
    "/shared",
    "/shared?set_id=1&page=2",
]


def _sent_to_sign_in(answer, path: str) -> None:
    assert answer.status_code == 302, path
    target = urlsplit(answer.location)
    assert target.path == "/login", path
    assert parse_qs(target.query) == {"next": [path]}


def test_signed_out_every_page_sends_to_sign_in(world, make, client):
    reflection = write(make, world, "cara", "last", "set")
    for path in SIGNED_OUT_PAGES:
        path = path.format(id=reflection.id)
        answer = client.get(path)
        _sent_to_sign_in(answer, path)
        assert reflection.experience not in answer.text, path


def test_signed_out_nothing_is_written(app, world, make, client):
    reflection = write(make, world, "cara", "last", "set")
    token = csrf_token_of(client.get("/login").text)
    data = {
        "csrf_token": token,
        **form_data(experience="Anonymous.", base_version="1"),
        **_action_fields(reflection, "done", "Anonymous."),
    }
    for path in (
        "/reflections/new",
        f"/reflections/{reflection.id}/edit",
        f"/reflections/{reflection.id}/delete",
        f"/actions/{reflection.id}",
    ):
        _sent_to_sign_in(client.post(path, data=data), path)
    assert reflection_count(app) == 1
    saved = stored(app, reflection.id)
    assert (saved.experience, saved.action_status, saved.version) == (
        reflection.experience,
        "open",
        1,
    )
