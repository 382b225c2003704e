"""Realistic data at scale: cohorts of sets with years of meetings, reflections and evidence.

`seed(n)` makes sure the database holds `n` reflections written by seeded people (accounts
`…@seed.example.org`), building cohorts of action learning sets one after another until it does:
each cohort has 3 to 5 sets ("Cohort 0012 · Set 3") of 6 to 8 candidates and 1 or 2 facilitators,
meeting every 4 weeks; one cohort in four is running now (recent and upcoming meetings), the
others ran over the past ten years. Candidates write about one reflection per past meeting and
now and then one between meetings; some are enrolled on the sample framework with a seeded
assessor and offer reflections as evidence (frozen copies hashed by `evidence.claims`).

When the demo data is loaded it also gives the demo people years of history (`demo_history`):
about five years of earlier meetings of "Glasgow 3" and "Leeds 1", every reflection older than
the demo's own meetings and every action in it closed, so nothing the demo shows changes.

Everything is deterministic (random.Random seeded by constants), so a second run with the same
`n` adds nothing and a larger `n` continues where the last one stopped. Counts come from the
database. Rows go in BATCH reflections (with their people, sets, meetings and claims) per
transaction, never one ORM object at a time: a Core executemany on SQLite, COPY on PostgreSQL;
the next batch is generated in a thread meanwhile. Every seeded person signs in with the demo
password (one argon2 hash computed per run), each with a session token of their own.
"""

import math
import random
import re
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from types import SimpleNamespace
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from psycopg.types.json import Json
from sqlalchemy import JSON, Table, func, insert, select, text

from . import demo
from .auth import accounts
from .evidence import claims
from .evidence.frameworks import load_framework, sample_framework
from .extensions import db
from .models import (
    ActionStatus,
    ClaimCriterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    SetRole,
    User,
    Visibility,
    utcnow,
)

DOMAIN = "seed.example.org"
PASSWORD = demo.PASSWORD  # every seeded account's, so anyone can sign in as a seeded person
SEED = "set-journal seed 1"  # change it and every generated row changes
BATCH = 5000  # reflections per transaction (their people, sets and claims go with them)
EVERY = timedelta(days=28)
LONDON = ZoneInfo("Europe/London")
SET_NAME = re.compile(r"^Cohort (\d+) · Set (\d+)$")
HISTORY_YEARS = 10  # finished cohorts ended within this many years

# The demo people's history: set -> (earlier meetings, candidates who write)
DEMO_HISTORY = {"Glasgow 3": (65, ("cara", "cal")), "Leeds 1": (60, ("lee",))}


# Text: a reflection combines a few fragments (a few hundred bytes), with Markdown, curly quotes
# and accents. Writers speak of their own experience and never name anyone else.

OPENINGS = [
    "I brought my problem about **handing over the weekly rota** to a new team lead.",
    "I presented the café project’s budget overrun and what I had already tried.",
    "I came to the set with a decision about *closing the Saturday clinic* early.",
    "My problem this time was a restructure that I had described as “simple”.",
    "I brought the question of how I say no to work that lands on my desk late.",
    "I talked about the résumé screening process that takes my team a week.",
    "I presented a stalled partnership with a supplier and my part in the stall.",
    "I brought the naïve plan I had made for the new starters’ induction.",
    "I talked about a meeting that went badly and what I did in the room.",
    "My problem was the backlog in the service desk and the overtime it costs.",
]
MIDDLES = [
    " The set’s questions kept returning to what I was protecting.",
    " Someone asked “what would you do if it were not your money?” and I had no answer.",
    " The questions slowed me down; by the third round I was answering more honestly.",
    " I noticed I wanted advice, and the set gave me questions instead.",
    " When asked what success looks like, I described activity, not results.",
    " It felt like déjà vu: the same pattern as last year’s reorganisation.",
    " I was asked who loses out, and realised I had planned around the process.",
    " One question — “what are you assuming?” — stayed with me all afternoon.",
]
INSIGHTS = [
    "I decide faster when I write the options down and test each with *one* question.",
    "Silence after a question is thinking time, not a problem to fill.",
    "I had assumed that no objection meant agreement. It did not.",
    "My façade of calm makes people think I have already decided.",
    "I treat every request as urgent because saying *no* feels like failing.",
    "Questions helped me more than the suggestions I thought I wanted.",
    "I need evidence from the people affected, not just from the reports.",
    "The rôle I play in meetings is “fixer”; it leaves others nothing to do.",
]
LISTS = [
    "\n\nWhat I will try:\n\n- ask before advising\n- write the decision down\n- check the *why*",
    "\n\nThree things I noticed:\n\n1. I interrupt when anxious\n2. I summarise too soon\n"
    "3. I rarely ask “what else?”",
    "\n\nSee [the set’s ground rules](https://example.org/ground-rules) on confidentiality.",
    "\n\nUseful: [a note on questioning](https://example.org/questions) — **open** questions"
    " first.",
    "",
    "",
    "",
]
ACTIONS = [
    "Ask for feedback in writing after the next two team meetings, with one specific question.",
    "Write a one-page options paper and test each option with the people affected.",
    "Map the stakeholders of the restructure with the two team leads.",
    "Say no to one late request this fortnight, and explain *why* in one sentence.",
    "Book a **30-minute** review of the rota with the new team lead.",
    "Keep a decision log for two weeks: what I decided, when, and on what evidence.",
    "Hold one meeting where I ask questions only and summarise at the end.",
    "Draft the induction plan with two recent starters, not for them.",
]
DONE = [
    "Done. The written feedback was more candid than anything said in the room.",
    "Done, a week late. The options paper changed the board’s question.",
    "Done: the map showed two groups I had not consulted.",
    "Done. It felt awkward; nobody minded.",
    "Done — and I will keep the decision log going.",
]
DROPPED = [
    "Dropped: the restructure was paused, so the map is moot for now.",
    "Dropped after talking it through; it was the wrong problem.",
    "Dropped. Priorities changed when the budget was cut.",
]
CARRIED = [
    "Carried to the next meeting: half done, the rest needs the new lead in post.",
    "Carried forward; I ran out of time and still think it matters.",
]
FEEDBACK_ACCEPTED = [
    "Clear account of what happened and what you learned. Accepted.",
    "Good evidence: the action and its outcome show the change in practice. Accepted.",
]
FEEDBACK_NOT_YET = [
    "Not yet: say what you did differently as a result, with an example.",
    "Not yet: link the insight to the criterion’s wording more explicitly.",
]
AGENDA = "Check-in, then two problems brought to the set, then actions and review."
PLACES = ["Room 2, 40 George Square, Glasgow", "Video call", "Meeting room B, Park Row, Leeds"]
FIRST_NAMES = [
    "Zoë", "Siobhán", "José", "Amélie", "Björn", "Chloé", "Ngozi", "Priya", "Mateus", "Aoife",
    "Łukasz", "Renée", "Ólafur", "Dara", "Tomás", "Inés", "Kwame", "Mei", "Hamish", "Fatima",
    "Søren", "Anaïs", "Rhodri", "Eilidh", "François", "Yusuf", "Gráinne", "Jürgen", "Seun",
]  # fmt: skip
LAST_NAMES = [
    "Ní Bhriain", "O’Neill", "Álvarez", "Nowak", "Müller", "Okafor", "MacLeòid", "Patel",
    "Dubois", "Jónsdóttir", "Nguyễn", "Campbell", "Kowalczyk", "Haddad", "Fernández",
    "Llewellyn", "Svensson", "Mensah", "Brontë", "Ó Briain",
]  # fmt: skip

VISIBILITIES = [
    (0.15, Visibility.PRIVATE.value),
    (0.65, Visibility.FACILITATOR.value),
    (1.0, Visibility.SET.value),
]
STATUSES = [
    (0.28, ActionStatus.OPEN.value),
    (0.73, ActionStatus.DONE.value),
    (0.88, ActionStatus.CARRIED.value),
    (1.0, ActionStatus.DROPPED.value),
]
# The demo people's old actions are all closed: their open actions stay the demo's own.
CLOSED_STATUSES = [(0.75, ActionStatus.DONE.value), (1.0, ActionStatus.DROPPED.value)]
OUTCOMES = {
    ActionStatus.DONE.value: DONE,
    ActionStatus.DROPPED.value: DROPPED,
    ActionStatus.CARRIED.value: CARRIED,
}
T = TypeVar("T")
DRAWS = 22  # random numbers per reflection slot, drawn whether or not the slot is used


def _pick(items: list, x: float) -> Any:
    return items[int(x * len(items))]


def _band(bands: list[tuple[float, str]], x: float) -> str:
    for upper, value in bands:
        if x < upper:
            return value
    return bands[-1][1]


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock(hour, 0), LONDON).astimezone(UTC)


# What a run did ---------------------------------------------------------------------------


@dataclass
class SeedReport:
    wanted: int
    before: int  # seeded reflections already there
    inserted: dict[str, int] = field(default_factory=dict)  # table -> rows added
    demo_history: int | None = None  # reflections added for the demo people; None: no demo
    seconds: float = 0.0

    @property
    def reflections(self) -> int:
        """Seeded reflections added (the demo people's history not included)."""
        return self.inserted.get("reflections", 0) - (self.demo_history or 0)

    @property
    def rows(self) -> int:
        return sum(self.inserted.values())

    def add(self, table: str, rows: int) -> None:
        if rows:
            self.inserted[table] = self.inserted.get(table, 0) + rows


def seeded_reflection_count() -> int:
    """Reflections written by seeded people, counted in the database."""
    query = (
        select(func.count())
        .select_from(Reflection)
        .join(User, User.id == Reflection.author_id)
        .where(User.email.like(f"%@{DOMAIN}"))
    )
    return db.session.scalar(query) or 0


def seed(
    reflections: int,
    *,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Top the database up to `reflections` reflections by seeded people (never removes any);
    with the demo loaded, add the demo people's history once. `progress(n)` hears of each
    batch of `n` seeded reflections committed."""
    if reflections < 0:
        raise ValueError("the number of reflections cannot be negative")
    started = time.perf_counter()
    now = now or utcnow()
    report = SeedReport(wanted=reflections, before=seeded_reflection_count())
    report.demo_history = demo_history(report, now)
    need = reflections - report.before
    if need > 0:
        _Seeder(report, now, progress).run(need)
    if report.rows and db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    report.seconds = time.perf_counter() - started
    return report


# Bulk inserts ---------------------------------------------------------------------------


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined, return-value]


def _insert(report: SeedReport, model: type, rows: list[dict], ids: bool = False) -> list[int]:
    """Insert rows in one go; with `ids`, their new ids in row order.

    SQLite: one Core executemany (with RETURNING for ids). PostgreSQL: COPY, several times
    faster (README, "Seeding years of data"), with ids taken from the table's sequence first.
    """
    if not rows:
        return []
    table = _table(model)
    report.add(table.name, len(rows))
    if db.session.get_bind().dialect.name == "postgresql":
        new_ids = []
        if ids:
            new_ids = list(
                db.session.scalars(
                    text(
                        "SELECT nextval(pg_get_serial_sequence(:table, 'id'))"
                        " FROM generate_series(1, :count)"
                    ),
                    {"table": table.name, "count": len(rows)},
                )
            )
            for row, new_id in zip(rows, new_ids, strict=True):
                row["id"] = new_id
        _copy(table, rows)
        return new_ids
    if not ids:
        db.session.execute(insert(table), rows)
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, rows))


def _copy(table: Table, rows: list[dict]) -> None:
    """PostgreSQL's COPY of the rows (dicts with the same keys), in the session's transaction."""
    columns = list(rows[0])
    as_json = [isinstance(table.c[name].type, JSON) for name in columns]
    names = ", ".join(f'"{name}"' for name in columns)
    connection = db.session.connection().connection.driver_connection
    with (
        connection.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        if any(as_json):
            for row in rows:
                copy.write_row(
                    [
                        Json(row[name]) if json else row[name]
                        for name, json in zip(columns, as_json, strict=True)
                    ]
                )
        else:
            for row in rows:
                copy.write_row([row[name] for name in columns])


# Reflections, shared by the cohorts and the demo history --------------------------------


@dataclass
class _Slot:
    """Where one reflection may be written: after `meeting_at`, by `author` in `set_key`."""

    author: Any  # an email (seeded cohorts) or a user id (demo history)
    set_key: Any
    meeting_key: Any
    meeting_at: datetime
    enrolled: bool = False


SLOT_BYTES = 16 + 2 * DRAWS
_FRACTIONS = struct.Struct(f"<{DRAWS}H")


def _first_draw(data: bytes) -> float:
    """The first of a slot's numbers, read without decoding the rest (most slots go unused)."""
    return (data[16] | data[17] << 8) / 65536


def _decode(data: bytes) -> tuple[uuid.UUID, list[float]]:
    """A slot's randomness (SLOT_BYTES from one call, always, so ids stay stable whatever
    `now` is): a version 4 UUID and DRAWS numbers in [0, 1)."""
    fractions = _FRACTIONS.unpack_from(data, 16)
    return uuid.UUID(bytes=data[:16], version=4), [x / 65536 for x in fractions]


def _reflection(
    slot: _Slot,
    data: bytes,
    linked: bool,
    now: datetime,
    statuses: list[tuple[float, str]],
) -> tuple[dict, list[float]] | None:
    """One reflection as a row (ids still keys) and its random numbers, or None when it would
    be in the future."""
    reflection_id, d = _decode(data)
    if linked:
        created = slot.meeting_at + timedelta(hours=3, seconds=int(d[1] * 6 * 86400))
    else:  # between meetings
        created = slot.meeting_at + timedelta(days=8, seconds=int(d[1] * 17 * 86400))
    if created > now:
        return None
    visibility = _band(VISIBILITIES, d[12])
    experience = _pick(OPENINGS, d[2]) + _pick(MIDDLES, d[3])
    insight = _pick(INSIGHTS, d[5]) + _pick(LISTS, d[6])
    updated, version = created, 1
    action, due, status, outcome = "", None, ActionStatus.OPEN.value, ""
    if d[7] < 0.82:
        action = _pick(ACTIONS, d[7] / 0.82)
        due = created.date() + timedelta(days=5 + int(d[8] * 23))
        changed = created + timedelta(seconds=int((1 + d[10] * 20) * 86400))
        chosen = _band(statuses, d[9])
        if statuses is CLOSED_STATUSES:  # every action settled by `now`
            changed = min(changed, now)
        if chosen != ActionStatus.OPEN.value and changed <= now:
            status, outcome = chosen, _pick(OUTCOMES[chosen], d[11])
            updated, version = changed, version + 1
    if d[13] < 0.2:  # edited soon after it was written
        edited = created + timedelta(seconds=int(60 + d[13] * 5 * 86400))
        if edited <= now:
            experience += " (Edited: I left out how I felt about it.)"
            updated, version = max(updated, edited), version + 1
    private = visibility == Visibility.PRIVATE.value
    return {
        "id": reflection_id,
        "author_id": slot.author,
        "meeting_id": slot.meeting_key if linked else None,
        "set_id": slot.set_key if linked or not private else None,
        "experience": experience,
        "insight": insight,
        "next_action": action,
        "action_due": due,
        "action_status": status,
        "action_outcome": outcome,
        "visibility": visibility,
        "version": version,
        "created_at": created,
        "updated_at": updated,
    }, d


def _write(
    slots: Iterable[_Slot],
    rng: random.Random,
    now: datetime,
    statuses: list[tuple[float, str]] = STATUSES,
    skip: float = 0.08,
) -> Iterable[tuple[dict, list[float], _Slot]]:
    """Reflections on each slot's meeting (most of them) and between meetings (a few)."""
    draw = rng.randbytes
    for slot in slots:
        linked, between = draw(SLOT_BYTES), draw(SLOT_BYTES)
        if _first_draw(linked) >= skip:
            written = _reflection(slot, linked, True, now, statuses)
            if written is not None:
                yield *written, slot
        if _first_draw(between) < 0.1:
            written = _reflection(slot, between, False, now, statuses)
            if written is not None:
                yield *written, slot


# The demo people's history ----------------------------------------------------------------


def demo_history(report: SeedReport, now: datetime) -> int | None:
    """Years of earlier meetings and reflections for the demo people, once.

    None when the demo data is not loaded; 0 when its history is there already.
    """
    if not demo.exists():
        return None
    rng = random.Random(f"{SEED} demo history")  # nosec B311 # noqa: S311 - reproducible, not secret
    meetings, rows = [], []
    for set_name, (count, people) in DEMO_HISTORY.items():
        set_id = db.session.scalar(select(LearningSet.id).where(LearningSet.name == set_name))
        authors = db.session.scalars(
            select(User.id).where(User.email.in_([f"{name}@example.org" for name in people]))
        ).all()
        # The demo's first meeting of the set: the history ends four weeks before it.
        first = db.session.scalar(
            select(func.min(Meeting.starts_at)).where(Meeting.set_id == set_id)
        )
        if set_id is None or first is None or len(authors) != len(people):
            continue
        first_local = first.astimezone(LONDON)
        for index in range(count, 0, -1):
            day = first_local.date() - EVERY * index
            starts = datetime.combine(day, first_local.time(), LONDON).astimezone(UTC)
            meetings.append(
                {
                    "set_id": set_id,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=3),
                    "location": demo.PLACES[set_name],
                    "agenda": AGENDA,
                    "created_at": starts - EVERY,
                }
            )
            slots = [_Slot(author, set_id, len(meetings) - 1, starts) for author in sorted(authors)]
            # Nothing newer than the demo's first meeting (what it shows is all newer).
            horizon = min(now, first - timedelta(hours=1))
            rows.extend(row for row, _, _ in _write(slots, rng, horizon, CLOSED_STATUSES, 0.04))
    if not rows:
        return 0
    present = db.session.scalar(
        select(func.count())
        .select_from(Reflection)
        .where(Reflection.id.in_([row["id"] for row in rows]))
    )
    if present:
        return 0
    meeting_ids = _insert(report, Meeting, meetings, ids=True)
    for row in rows:
        if row["meeting_id"] is not None:
            row["meeting_id"] = meeting_ids[row["meeting_id"]]
    _insert(report, Reflection, rows)
    db.session.commit()
    return len(rows)


# Seeded cohorts ---------------------------------------------------------------------------


@dataclass
class _Person:
    email: str
    name: str


@dataclass
class _Set:
    name: str
    candidates: list[str]  # emails, in order
    facilitators: list[str]
    meetings: list[datetime]
    place: str


@dataclass
class _Cohort:
    index: int
    people: list[_Person]
    sets: list[_Set]
    assessor: str
    enrolled: set[str]  # candidates' emails
    created_at: datetime

    def slots(self) -> list[_Slot]:
        """Every (meeting, candidate) of the cohort, meeting by meeting across its sets."""
        result = []
        longest = max(len(s.meetings) for s in self.sets)
        for index in range(longest):
            for learning_set in self.sets:
                if index < len(learning_set.meetings):
                    result.extend(
                        _Slot(
                            email,
                            learning_set.name,
                            (learning_set.name, index),
                            learning_set.meetings[index],
                            email in self.enrolled,
                        )
                        for email in learning_set.candidates
                    )
        return result


def _plan(index: int, now: datetime) -> _Cohort:
    """Cohort `index`'s people, sets and meetings; the same every time but for `now`."""
    rng = random.Random(f"{SEED} cohort {index}")  # nosec B311 # noqa: S311 - reproducible, not secret
    prefix = f"cohort{index:04d}"
    set_count, length = rng.randint(3, 5), rng.randint(14, 20)
    today = now.astimezone(LONDON).date()
    if index % 4 == 1:  # running now: 1 to length-1 meetings held, the latest within 4 weeks
        held, phase = rng.randint(1, length - 1), rng.randrange(28)
        last_days = [(phase + 9 * s) % 28 for s in range(set_count)]
    else:  # finished, its last meeting 2 months to 10 years ago
        held = length
        ago = 60 + int(((index * (math.sqrt(5) - 1) / 2) % 1) * 365 * HISTORY_YEARS)
        last_days = [ago + 2 * s for s in range(set_count)]
    hour = rng.choice((10, 14))
    people: list[_Person] = []

    def person(email: str) -> str:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        people.append(_Person(email, name))
        return email

    facilitator_pool = [
        person(f"{prefix}.facilitator{f}@{DOMAIN}") for f in range(1, max(2, set_count - 1) + 1)
    ]
    assessor = person(f"{prefix}.assessor@{DOMAIN}")
    sets, enrolled = [], set()
    for s in range(set_count):
        first = today - timedelta(days=last_days[s]) - EVERY * (held - 1)
        candidates = [
            person(f"{prefix}.set{s + 1}.candidate{c}@{DOMAIN}")
            for c in range(1, rng.randint(6, 8) + 1)
        ]
        enrolled.update(email for email in candidates if rng.random() < 0.5)
        facilitators = [facilitator_pool[s % len(facilitator_pool)]]
        if rng.random() < 0.3:
            facilitators.append(facilitator_pool[(s + 1) % len(facilitator_pool)])
        sets.append(
            _Set(
                name=f"Cohort {index:04d} · Set {s + 1}",
                candidates=candidates,
                facilitators=facilitators,
                meetings=[_local(first + EVERY * m, hour) for m in range(length)],
                place=rng.choice(PLACES),
            )
        )
    created = min(s.meetings[0] for s in sets) - timedelta(days=21)
    return _Cohort(index, people, sets, assessor, enrolled, created)


_Queued = tuple[dict, list[float], bool]  # a reflection (ids still keys), its draws, enrolled?


def _queue(
    cohort: _Cohort, need: int, now: datetime, rows: list[_Queued], present: Set[uuid.UUID]
) -> int:
    """Queue up to `need` of the cohort's reflections not `present`; how many were queued."""
    rng = random.Random(f"{SEED} cohort {cohort.index} reflections")  # nosec B311 # noqa: S311 - reproducible, not secret
    added = 0
    for row, draws, slot in _write(cohort.slots(), rng, now):
        if added == need:
            break
        if row["id"] not in present:
            rows.append((row, draws, slot.enrolled))
            added += 1
    return added


def _batches(
    after: int, need: int, now: datetime, rows: list[_Queued]
) -> Iterator[tuple[list[_Cohort], list[_Queued]]]:
    """New cohorts after cohort `after` and `need` reflections of theirs, BATCH at a time
    (`rows`: reflections queued already); touches no database."""
    cohorts: list[_Cohort] = []
    index = after
    while need > 0:
        index += 1
        cohort = _plan(index, now)
        added = _queue(cohort, need, now, rows, frozenset())
        if added:  # a cohort that has not met yet waits for a later run
            cohorts.append(cohort)
            need -= added
        if len(rows) >= BATCH:
            yield cohorts, rows
            cohorts, rows = [], []
    if rows:
        yield cohorts, rows


def _ahead(batches: Iterator[T]) -> Iterator[T]:
    """The items of `batches`, each next one computed in a thread while the caller works on
    the last (the database works meanwhile, so the two cores are both busy)."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        upcoming = worker.submit(next, batches, None)
        while (item := upcoming.result()) is not None:
            upcoming = worker.submit(next, batches, None)
            yield item


class _Seeder:
    """Adds cohorts (and their reflections) until `need` more seeded reflections are in."""

    def __init__(self, report: SeedReport, now: datetime, progress: Callable[[int], None] | None):
        self.report, self.now, self.progress = report, now, progress
        self.password_hash = accounts.hash_password(PASSWORD)
        framework = load_framework(sample_framework())
        self.framework_id = framework.id
        self.criteria = [c.id for unit in framework.units for c in unit.criteria]
        db.session.commit()
        # Keys -> ids of what is in the database already, for the cohort a run resumes.
        self.users: dict[str, int] = {}
        self.sets: dict[str, int] = {}
        self.meetings: dict[tuple[str, int], int] = {}
        self.enrolments: dict[str, tuple[int, int]] = {}  # candidate -> (enrolment, assessor)

    def run(self, need: int) -> None:
        """The next batch is generated (pure Python, in a thread) while this one goes in."""
        index, resumed = self._last_cohort(), []
        if index:
            need -= self._resume(index, need, resumed)
        for cohorts, rows in _ahead(_batches(index, need, self.now, resumed)):
            self._flush(cohorts, rows)

    def _last_cohort(self) -> int:
        names = db.session.scalars(
            select(LearningSet.name).where(LearningSet.name.like("Cohort %"))
        )
        found = [int(m.group(1)) for m in map(SET_NAME.match, names) if m]
        return max(found, default=0)

    def _resume(self, index: int, need: int, rows: list[_Queued]) -> int:
        """Carry on with the last cohort as stored (its meeting times are those it was given)."""
        cohort = _plan(index, self.now)
        sets = {s.name: s for s in cohort.sets}
        for set_id, name in db.session.execute(
            select(LearningSet.id, LearningSet.name).where(LearningSet.name.in_(sets))
        ):
            self.sets[name] = set_id
        cohort.sets = [s for s in cohort.sets if s.name in self.sets]
        by_set: dict[int, list[tuple[datetime, int]]] = {}
        for meeting_id, set_id, starts_at in db.session.execute(
            select(Meeting.id, Meeting.set_id, Meeting.starts_at)
            .where(Meeting.set_id.in_(list(self.sets.values())))
            .order_by(Meeting.starts_at, Meeting.id)
        ):
            by_set.setdefault(set_id, []).append((starts_at, meeting_id))
        for learning_set in cohort.sets:
            stored = by_set.get(self.sets[learning_set.name], [])
            learning_set.meetings = [starts for starts, _ in stored]
            for position, (_, meeting_id) in enumerate(stored):
                self.meetings[learning_set.name, position] = meeting_id
        cohort.sets = [s for s in cohort.sets if s.meetings]
        emails = [p.email for p in cohort.people]
        self.users.update(
            (email, user_id)
            for user_id, email in db.session.execute(
                select(User.id, User.email).where(User.email.in_(emails))
            )
        )
        for enrolment_id, candidate_id, assessor_id in db.session.execute(
            select(Enrolment.id, Enrolment.candidate_id, Enrolment.assessor_id).where(
                Enrolment.candidate_id.in_(list(self.users.values())),
                Enrolment.framework_id == self.framework_id,
            )
        ):
            email = next(e for e, i in self.users.items() if i == candidate_id)
            self.enrolments[email] = (enrolment_id, assessor_id)
        cohort.enrolled &= set(self.enrolments)
        cohort.sets = [s for s in cohort.sets if all(email in self.users for email in s.candidates)]
        if not cohort.sets:
            return 0
        present = set(
            db.session.scalars(
                select(Reflection.id).where(Reflection.author_id.in_(list(self.users.values())))
            )
        )
        return _queue(cohort, need, self.now, rows, present)

    def _flush(self, cohorts: list[_Cohort], queued: list[_Queued]) -> None:
        """One transaction: the cohorts' people, sets and meetings, then the reflections."""
        if db.session.get_bind().dialect.name == "postgresql":
            # Each batch is redone by the next run if lost: no need to wait for the disk.
            db.session.execute(text("SET LOCAL synchronous_commit = off"))
        self._structures(cohorts)
        rows, claims_wanted = [], []
        for row, draws, enrolled in queued:
            email = row["author_id"]
            row["author_id"] = self.users[email]
            if row["set_id"] is not None:
                row["set_id"] = self.sets[row["set_id"]]
            if row["meeting_id"] is not None:
                row["meeting_id"] = self.meetings[row["meeting_id"]]
                if enrolled and draws[14] < 0.15:
                    claims_wanted.append((row, draws, self.enrolments[email]))
            rows.append(row)
        _insert(self.report, Reflection, rows)
        self._claims(claims_wanted)
        db.session.commit()
        if self.progress is not None:
            self.progress(len(rows))

    def _structures(self, cohorts: list[_Cohort]) -> None:
        """People, sets, memberships, meetings and enrolments of new cohorts, with their ids."""
        if not cohorts:
            return
        report = self.report
        people = [(cohort, p) for cohort in cohorts for p in cohort.people]
        user_ids = _insert(
            report,
            User,
            [
                {
                    "email": p.email,
                    "name": p.name,
                    "password_hash": self.password_hash,
                    "is_admin": False,
                    "session_token": accounts.new_session_token(),
                    "created_at": cohort.created_at,
                }
                for cohort, p in people
            ],
            ids=True,
        )
        self.users.update(zip((p.email for _, p in people), user_ids, strict=True))
        sets = [(cohort, s) for cohort in cohorts for s in cohort.sets]
        set_ids = _insert(
            report,
            LearningSet,
            [
                {
                    "name": s.name,
                    "programme": f"NVQ Level 7 Leadership — cohort {cohort.index:04d}",
                    "created_at": cohort.created_at,
                }
                for cohort, s in sets
            ],
            ids=True,
        )
        self.sets.update(zip((s.name for _, s in sets), set_ids, strict=True))
        memberships, meetings, keys = [], [], []
        for cohort, s in sets:
            for role, emails in (
                (SetRole.FACILITATOR.value, s.facilitators),
                (SetRole.CANDIDATE.value, s.candidates),
            ):
                memberships.extend(
                    {
                        "set_id": self.sets[s.name],
                        "user_id": self.users[email],
                        "role": role,
                        "created_at": cohort.created_at,
                    }
                    for email in emails
                )
            for position, starts in enumerate(s.meetings):
                keys.append((s.name, position))
                meetings.append(
                    {
                        "set_id": self.sets[s.name],
                        "starts_at": starts,
                        "ends_at": starts + timedelta(hours=3),
                        "location": s.place,
                        "agenda": AGENDA,
                        "created_at": cohort.created_at,
                    }
                )
        _insert(report, Membership, memberships)
        self.meetings.update(zip(keys, _insert(report, Meeting, meetings, ids=True), strict=True))
        enrolled = [(email, cohort) for cohort in cohorts for email in sorted(cohort.enrolled)]
        enrolment_ids = _insert(
            report,
            Enrolment,
            [
                {
                    "candidate_id": self.users[email],
                    "framework_id": self.framework_id,
                    "assessor_id": self.users[cohort.assessor],
                    "created_at": cohort.created_at,
                }
                for email, cohort in enrolled
            ],
            ids=True,
        )
        for (email, cohort), enrolment_id in zip(enrolled, enrolment_ids, strict=True):
            self.enrolments[email] = (enrolment_id, self.users[cohort.assessor])

    def _claims(self, wanted: list[tuple[dict, list[float], tuple[int, int]]]) -> None:
        """Evidence claims on some reflections: frozen copies hashed as `evidence.claims` does,
        and decisions (pending, accepted or not yet, with feedback)."""
        now, criteria = self.now, self.criteria
        claim_rows, decisions = [], []
        for row, d, (enrolment_id, assessor_id) in wanted:
            offered = row["updated_at"] + timedelta(seconds=int((1 + d[18] * 240) * 3600))
            offered = claims.to_the_second(offered)  # as the copy writes it
            if offered > now:
                continue
            copy = claims.frozen_copy(SimpleNamespace(**row), offered)  # type: ignore[arg-type]
            first = int(d[15] * len(criteria))
            chosen = [criteria[first]]
            if d[16] < 0.35:
                chosen.append(
                    criteria[(first + 1 + int(d[17] * (len(criteria) - 1))) % len(criteria)]
                )
            decided_at = offered + timedelta(days=3 + int(d[19] * 37))
            outcomes = []
            for position, criterion_id in enumerate(chosen):
                x = (d[20] + 0.37 * position) % 1
                if decided_at > now or x >= 0.9:
                    outcomes.append((criterion_id, Decision.PENDING.value, "", None, None))
                elif x < 0.6:
                    text_ = _pick(FEEDBACK_ACCEPTED, x / 0.6)
                    outcomes.append(
                        (criterion_id, Decision.ACCEPTED.value, text_, assessor_id, decided_at)
                    )
                else:
                    text_ = _pick(FEEDBACK_NOT_YET, (x - 0.6) / 0.3)
                    outcomes.append(
                        (criterion_id, Decision.NOT_YET.value, text_, assessor_id, decided_at)
                    )
            withdrawn = None
            if all(o[1] == Decision.PENDING.value for o in outcomes) and d[21] < 0.1:
                candidate = offered + timedelta(days=2)
                withdrawn = candidate if candidate <= now else None
            claim_rows.append(
                {
                    "enrolment_id": enrolment_id,
                    "reflection_id": row["id"],
                    "frozen_content": copy,
                    "content_sha256": claims.content_hash(copy),
                    "offered_at": offered,
                    "withdrawn_at": withdrawn,
                }
            )
            decisions.append(outcomes)
        claim_ids = _insert(self.report, EvidenceClaim, claim_rows, ids=True)
        _insert(
            self.report,
            ClaimCriterion,
            [
                {
                    "claim_id": claim_id,
                    "criterion_id": criterion_id,
                    "decision": decision,
                    "feedback": feedback,
                    "decided_by_id": decided_by,
                    "decided_at": decided_at,
                }
                for claim_id, outcomes in zip(claim_ids, decisions, strict=True)
                for criterion_id, decision, feedback, decided_by, decided_at in outcomes
            ],
        )
