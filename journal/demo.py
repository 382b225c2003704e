"""The demo installation of SPEC.md: people, two sets, meetings, reflections, evidence."""

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .auth import accounts
from .evidence import claims
from .evidence.frameworks import load_framework, sample_framework
from .extensions import db
from .models import (
    Comment,
    Decision,
    Enrolment,
    EvidenceClaim,
    Framework,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    SetRole,
    User,
    Visibility,
    utcnow,
)

PASSWORD = "demo-password"  # nosec B105 # noqa: S105 - published in SPEC.md and the README on purpose

PEOPLE = [
    ("admin@example.org", "Alex Admin", True),
    ("fran@example.org", "Fran Facilitator", False),
    ("cara@example.org", "Cara Candidate", False),
    ("cal@example.org", "Cal Candidate", False),
    ("finn@example.org", "Finn Facilitator", False),
    ("lee@example.org", "Lee Candidate", False),
    ("ada@example.org", "Ada Assessor", False),
    ("abe@example.org", "Abe Assessor", False),
]

SETS = {
    "Glasgow 3": ("NVQ Level 7 Leadership — cohort 3", "fran", ["cara", "cal"]),
    "Leeds 1": ("NVQ Level 7 Leadership — cohort 1", "finn", ["lee"]),
}

# Days from today of each set's meetings: two past, two upcoming.
MEETING_DAYS = {"Glasgow 3": (-42, -14, 14, 42), "Leeds 1": (-35, -7, 21, 49)}
PLACES = {"Glasgow 3": "Room 2, 40 George Square, Glasgow", "Leeds 1": "Video call"}


def exists() -> bool:
    return db.session.scalar(select(User.id).where(User.email == "admin@example.org")) is not None


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def load(now: datetime | None = None) -> dict[str, User]:
    """Create the demo data in one transaction; returns the people by first name."""
    now = now or utcnow()
    password_hash = accounts.hash_password(PASSWORD)
    people = {}
    for email, name, is_admin in PEOPLE:
        user = User(
            email=email,
            name=name,
            is_admin=is_admin,
            password_hash=password_hash,
            session_token=accounts.new_session_token(),
        )
        db.session.add(user)
        people[email.split("@")[0]] = user
    meetings, sets = {}, {}
    for set_name, (programme, facilitator, candidates) in SETS.items():
        learning_set = sets[set_name] = LearningSet(name=set_name, programme=programme)
        db.session.add(learning_set)
        learning_set.memberships.append(
            Membership(user=people[facilitator], role=SetRole.FACILITATOR.value)
        )
        for candidate in candidates:
            learning_set.memberships.append(
                Membership(user=people[candidate], role=SetRole.CANDIDATE.value)
            )
        meetings[set_name] = [_meeting(learning_set, now, days) for days in MEETING_DAYS[set_name]]
    framework = load_framework(sample_framework())
    enrolments = {
        name: Enrolment(candidate=people[name], framework=framework, assessor=people[assessor])
        for name, assessor in (("cara", "ada"), ("cal", "ada"), ("lee", "abe"))
    }
    db.session.add_all(enrolments.values())
    db.session.flush()
    written = _reflections(people, sets, meetings)
    _comments(people, written, meetings["Glasgow 3"][1].starts_at)
    _evidence(people, enrolments, written, framework)
    db.session.commit()
    return people


def _evidence(
    people: dict[str, User],
    enrolments: dict[str, Enrolment],
    written: dict[str, Reflection],
    framework: Framework,
) -> None:
    """Evidence at each step: cara's first claim has a criterion accepted (ada's feedback and a
    question on the other), her second awaits ada, as do cal's; lee's awaits abe. Each offered
    a day or two after it was written, so ada's queue has an oldest first."""
    criteria = {c.code: c for unit in framework.units for c in unit.criteria}

    def offered(key: str, codes: list[str], days: int) -> EvidenceClaim:
        reflection = written[key]
        return claims.offer(
            reflection,
            enrolments[reflection.author.email.split("@")[0]],
            [criteria[code] for code in codes],
            offered_at=reflection.created_at + timedelta(days=days),
        )

    feedback = offered("cara-feedback", ["1.2", "3.2"], 1)
    claims.decide(
        feedback.criteria[0],
        people["ada"],
        Decision.ACCEPTED,
        "Clear account of feedback sought and acted on. Accepted.",
        at=feedback.offered_at + timedelta(days=3),
    )
    claims.add_comment(
        feedback,
        people["ada"],
        "For 3.2, could you say what you changed so that your team felt safe to speak up?",
        at=feedback.offered_at + timedelta(days=3, minutes=5),
    )
    offered("cara-questions", ["3.1"], 2)
    offered("cal-change", ["2.2"], 1)
    offered("lee-decision", ["4.2"], 1)


def _meeting(learning_set: LearningSet, now: datetime, days: int) -> Meeting:
    london = ZoneInfo("Europe/London")
    day = (now + timedelta(days=days)).astimezone(london).date()
    starts = datetime.combine(day, time(10, 0), london).astimezone(UTC)
    meeting = Meeting(
        learning_set=learning_set,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        location=PLACES[learning_set.name],
        agenda="Check-in, then two problems brought to the set, then actions and review.",
    )
    db.session.add(meeting)
    return meeting


# (key, author, set, meeting index, visibility, hours after the meeting, experience, insight,
#  next action, days until due)
REFLECTIONS = [
    (
        "cara-feedback",
        "cara",
        "Glasgow 3",
        0,
        Visibility.FACILITATOR,
        5,
        "I brought my problem about a **team that avoids giving me feedback**. The set's questions"
        " made me notice I only ever ask for it in one-to-ones.",
        "People may not feel safe giving feedback upwards when I ask on the spot. I had assumed"
        " silence meant agreement.",
        "Ask for feedback in writing after the next two team meetings, with one specific question.",
        10,
    ),
    (
        "cara-questions",
        "cara",
        "Glasgow 3",
        0,
        Visibility.SET,
        30,
        "Questioning rather than advising felt slow at first; by the third round it got easier.",
        "Open questions helped the presenter more than my suggestions would have.",
        "",
        None,
    ),
    (
        "cara-private",
        "cara",
        None,
        None,
        Visibility.PRIVATE,
        0,
        "A note to myself about a difficult conversation with my manager.",
        "I was defensive. Next time: pause, ask what they have seen.",
        "Book a follow-up conversation.",
        5,
    ),
    (
        "cal-change",
        "cal",
        "Glasgow 3",
        1,
        Visibility.FACILITATOR,
        4,
        "Presented the restructure of the service desk. The set asked who loses out; I had no"
        " answer.",
        "I have planned the change around the process, not the people it affects.",
        "Map the stakeholders with the two team leads.",
        12,
    ),
    (
        "cal-set",
        "cal",
        "Glasgow 3",
        1,
        Visibility.SET,
        6,
        "Time-keeping in the set slipped today; we ran out of time for the second problem.",
        "A visible timer would help all of us.",
        "Offer to keep time next meeting.",
        14,
    ),
    (
        "cal-private",
        "cal",
        "Glasgow 3",
        1,
        Visibility.PRIVATE,
        8,
        "Private worries about the restructure and my own role in it.",
        "",
        "",
        None,
    ),
    (
        "lee-decision",
        "lee",
        "Leeds 1",
        1,
        Visibility.FACILITATOR,
        3,
        "Brought a decision about closing a site. The set helped me separate the evidence from"
        " the pressure I feel.",
        "I decide faster when I write the options down and test each with one question.",
        "Write a one-page options paper for the board.",
        7,
    ),
    (
        "lee-set",
        "lee",
        "Leeds 1",
        0,
        Visibility.SET,
        24,
        "First meeting on a video call: slower, but people listened more carefully.",
        "Silence on a call is thinking time, not a problem.",
        "",
        None,
    ),
    (
        "lee-private",
        "lee",
        None,
        None,
        Visibility.PRIVATE,
        0,
        "Thoughts on whether to apply for the regional role.",
        "",
        "Talk it over at home.",
        None,
    ),
]


def _reflections(
    people: dict[str, User], sets: dict[str, LearningSet], meetings: dict[str, list[Meeting]]
) -> dict:
    written = {}
    for (
        key,
        author,
        set_name,
        index,
        visibility,
        hours,
        experience,
        insight,
        action,
        due_days,
    ) in REFLECTIONS:
        meeting = meetings[set_name][index] if set_name else None
        # Unlinked, it reaches the one set its author is a candidate in, as the form defaults.
        home_set = next(name for name, (_, _, cands) in SETS.items() if author in cands)
        moment = (meeting.starts_at if meeting else meetings["Glasgow 3"][0].starts_at) + timedelta(
            hours=hours
        )
        reflection = Reflection(
            id=uuid.uuid4(),
            author=people[author],
            meeting=meeting,
            learning_set=meeting.learning_set if meeting else sets[home_set],
            experience=experience,
            insight=insight,
            next_action=action,
            visibility=visibility.value,
            action_due=(moment + timedelta(days=due_days)).date() if due_days else None,
            created_at=moment,
            updated_at=moment,
        )
        db.session.add(reflection)
        written[key] = reflection
    db.session.flush()
    return written


# (reflection, who, hours before the set's last meeting, text): fran comments on cara's
# reflection for her, and cara answers, shortly before the meeting.
COMMENTS = [
    (
        "cara-feedback",
        "fran",
        48,
        "Thank you, Cara. What might make it feel safer for your team to speak up *in* the"
        " meeting, not only afterwards?",
    ),
    (
        "cara-feedback",
        "cara",
        22,
        "Good question. I could ask the quieter ones first, and say out loud that I want to hear"
        " where the plan is weak. I will bring it to the next meeting.",
    ),
]


def _comments(people: dict[str, User], written: dict, last_meeting: datetime) -> None:
    for key, who, hours, body in COMMENTS:
        db.session.add(
            Comment(
                reflection=written[key],
                author=people[who],
                body=body,
                created_at=last_meeting - timedelta(hours=hours),
            )
        )
