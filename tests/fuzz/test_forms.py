"""Every form, fuzzed: whatever is posted, the answer is never a server error.

Every route that accepts POST outside /api/ (read from `app.url_map`) has a target below that
says who posts to it and which values are valid there; `test_every_form_is_fuzzed` fails for a
new route until it has one. Each post signs in as needed and sends a valid CSRF token first, so
the fuzz reaches the view; the fields are those the form's class declares (a new field is fuzzed
without touching this file). For each form, `test_no_form_input_answers_a_server_error` runs:

- a sweep: every field in turn missing or holding each of SWEEP_VALUES (NUL, huge numbers,
  Unicode digits, impossible dates, text past the limit, bytes that are not UTF-8), every other
  field valid, so that one bad value reaches the deepest code it can. Deterministic.
- then Hypothesis, at random: each field valid, missing, any text (NUL, very long, any script)
  or any bytes; repeated and unknown fields; raw bytes after the encoded ones; odd ids in the
  address and odd query strings. Shrunk to a minimal example when it fails.

The same forms are sent as a browser's script may send them, multipart (`new FormData(form)`),
and as no browser's form is sent: `test_no_multipart_form_answers_a_server_error` puts a file
part where a text field is expected (each field in turn, then at random among text parts), and
`test_no_json_body_answers_a_server_error` sends JSON (arrays, strings, objects of numbers,
lists, the form's own valid values) with the token in X-CSRFToken. A file part for a text field
is refused; a JSON body is refused with a plain 400 page and never changes anything.

The routes come from `app.url_map` (FORM_ROUTES): a new form is fuzzed in all three ways as
soon as it exists, and fails until it has a target saying who may post to it.

The answer must be a redirect, a page, or a 4xx page (400 for a refused form, re-rendered), and
a 4xx must commit no INSERT, UPDATE or DELETE. A failing test lists every distinct failure with
the inputs that caused it and the server's traceback. `HYPOTHESIS_PROFILE=long` tries twenty
times as many random inputs (see conftest.py).
"""

import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import Headers
from werkzeug.sansio.multipart import Data, Epilogue, File, MultipartEncoder, Preamble
from werkzeug.sansio.multipart import Field as TextPart
from werkzeug.test import TestResponse
from wtforms.fields import FileField

from journal.admin.forms import (
    AssessorForm,
    EnrolmentForm,
    FrameworkUploadForm,
    InvitationForm,
    MemberForm,
    MoveForm,
    SetForm,
)
from journal.auth import accounts
from journal.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
)
from journal.evidence import claims
from journal.evidence.forms import CommentForm as ClaimCommentForm
from journal.evidence.forms import DecisionForm, ExportForm, OfferForm
from journal.evidence.frameworks import load_framework
from journal.extensions import db
from journal.forms import A_FILE, NOT_A_FORM, ConfirmForm, Form
from journal.models import (
    TEXT_LIMIT,
    ActionStatus,
    Criterion,
    Decision,
    Enrolment,
    Framework,
    InvitationRole,
    LearningSet,
    Membership,
    PasswordReset,
    Reflection,
    SetRole,
    Unit,
    User,
    Visibility,
)
from journal.notifications import unsubscribe
from journal.notifications.forms import NotificationsForm
from journal.privacy.forms import AdminDeleteAccountForm, DeleteAccountForm
from journal.reflections.forms import ActionForm, CommentForm, ReflectionForm
from journal.sets.forms import MeetingForm
from tests.factories import NEW_PASSWORD, PASSWORD, PASSWORD_HASH, Factory, stored
from tests.helpers import make_app

from .conftest import (
    Browsers,
    ServerErrors,
    World,
    Writes,
    examples,
    mostly,
    sweep_then_fuzz,
    text_values,
)

FORM_CONTENT = "application/x-www-form-urlencoded"
# A redirect after a change; a page (an invitation created, or a sign-in page for someone else's
# invitation); a refused form (400); not yours (403); not there (404); a stale edit (409); too
# large (413).
FORM_ANSWERS = {200, 302, 400, 403, 404, 409, 413}
CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MISSING = None
SWEEP_VALUES: list[str | bytes | None] = [
    MISSING,
    "",
    "\x00",
    "-1",
    "99999999999999999999",
    "9" * 5000,
    "²",
    "٣",
    "0000-01-01",
    "9999-12-31",
    "x" * (TEXT_LIMIT + 1),
    b"\xff\xfe",
]

Draw = Callable[[st.SearchStrategy], object]


@dataclass
class Fuzz:
    app: Flask
    world: World
    browsers: Browsers
    make: Factory
    server_errors: ServerErrors
    writes: Writes
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))
    evidence: dict = field(default_factory=dict)  # made once, by `evidence()`

    def fresh_email(self) -> str:
        return f"new-{next(self.serial)}@example.org"


@dataclass
class Visit:
    """One post: from which client, to where, with which token, and which values of the form's
    fields are valid there (the first of each: together, a form that goes through)."""

    client: FlaskClient
    path: str
    token: str
    form: type[Form]
    valid: dict[str, list[str]]
    prefix: str = ""


# How a target chooses: `draw` is Hypothesis's, or None for the usual choice (the sweep's).
Prepare = Callable[[Fuzz, Draw | None], Visit]
TARGETS: dict[str, Prepare] = {}


def target(rule: str) -> Callable[[Prepare], Prepare]:
    """Register how to post to the route `rule` (as `app.url_map` spells it)."""

    def register(prepare: Prepare) -> Prepare:
        TARGETS[rule] = prepare
        return prepare

    return register


def pick(draw: Draw | None, options: list):
    return options[0] if draw is None else draw(st.sampled_from(options))


def field_values() -> st.SearchStrategy[str | bytes]:
    return st.one_of(text_values(), st.binary(min_size=1, max_size=16))


def query(draw: Draw | None, name: str) -> str:
    """Usually nothing; else `?name=` with any value, raw bytes included."""
    if draw is None or draw(st.integers(0, 3)) < 3:
        return ""
    return f"?{name}=" + quote(draw(field_values()), safe="")


def path_part(draw: Draw | None, known: list[str]) -> str:
    """Mostly one of the `known` ids; else any UUID, a number or any text."""
    if draw is None:
        return known[0]
    return mostly(
        draw,
        st.sampled_from(known),
        st.one_of(
            st.uuids().map(str),
            st.sampled_from(["0", "-1", "²", "٣", "99999999999999999999", str(2**31)]),
            text_values().map(lambda text: quote(text, safe="") or "-"),
        ),
    )


def field_names(app: Flask, form: type[Form], prefix: str) -> list[str]:
    """The names the form reads, as its class declares them."""
    with app.test_request_context():
        return [f.name for f in form(prefix=prefix) if f.short_name != "csrf_token"]


def file_field_names(app: Flask, form: type[Form], prefix: str) -> set[str]:
    """The names of the form's fields that take a file."""
    with app.test_request_context():
        return {f.name for f in form(prefix=prefix) if isinstance(f, FileField)}


def typed_on(page: str, name: str) -> bool:
    """Whether the page has a control named `name` that a person types into or ticks: not a
    hidden one (nobody sees its message) nor a select (whose view words a tampered choice its
    own way)."""
    control = rf'<(?:textarea|input)(?![^>]*type="hidden")[^>]*name="{re.escape(name)}"'
    return re.search(control, page) is not None


def form_routes() -> list[str]:
    """Every route outside /api/ that changes state, as `app.url_map` spells it."""
    return sorted(
        {
            rule.rule
            for rule in make_app("sqlite://").url_map.iter_rules()
            if rule.methods & CHANGING_METHODS and not rule.rule.startswith("/api/")
        }
    )


FORM_ROUTES = form_routes()


def target_of(rule: str) -> "Prepare":
    assert rule in TARGETS, f"{rule} has no target: say below who may post to it, and how"
    return TARGETS[rule]


def random_body(draw: Draw, token: str, names: list[str], valid: dict[str, list[str]]) -> bytes:
    pairs: list[tuple[str, str | bytes]] = [("csrf_token", token)]
    for name in names:
        choice = draw(st.integers(0, 9))
        if choice < 6 and valid.get(name):
            pairs.append((name, draw(st.sampled_from(valid[name]))))
        elif choice < 9:
            pairs.append((name, draw(field_values())))
    # Repeated fields (the token too) and fields the form does not have.
    extra_names = st.one_of(
        st.sampled_from([*names, "csrf_token"]), st.text(st.characters(codec="utf-8"), max_size=8)
    )
    pairs += draw(st.lists(st.tuples(extra_names, field_values()), max_size=3))
    body = urlencode(pairs).encode()
    tail = draw(st.one_of(st.none(), st.binary(min_size=1, max_size=24)))
    return body + b"&" + tail if tail else body


def sweep_body(token: str, names: list[str], valid: dict, name: str, value) -> bytes:
    """Every field valid but `name`, which holds `value` (or is left out)."""
    pairs: list[tuple[str, str | bytes]] = [("csrf_token", token)]
    for other in names:
        if other == name:
            if value is not MISSING:
                pairs.append((name, value))
        elif valid.get(other):
            pairs.append((other, valid[other][0]))
    return urlencode(pairs).encode()


# The targets, one per route that accepts POST -------------------------------------------------

REFLECTION_TEXT = ["What happened.", "  ", "", "**Bold** [link](https://example.org)"]


def reflection_values(world: World, version: str = "1") -> dict[str, list[str]]:
    return {
        "meeting_id": [
            "",
            str(world.meeting.id),
            str(world.next_meeting.id),
            str(world.other_meeting.id),
        ],
        "set_id": ["", str(world.set_a.id), str(world.set_b.id)],
        "experience": REFLECTION_TEXT,
        "insight": REFLECTION_TEXT,
        "next_action": REFLECTION_TEXT,
        "action_due": ["", "2030-01-31", "2000-02-29"],
        "visibility": [v.value for v in Visibility],
        "base_version": [version, ""],
    }


def new_invitation(app: Flask, email: str, role: str, set_id: int | None) -> tuple[int, str]:
    """A fresh invitation's id and link token."""
    with app.app_context():
        learning_set = db.session.get(LearningSet, set_id) if set_id else None
        invited, token = accounts.invite(email, role, learning_set, invited_by=None)
        db.session.commit()
        return invited.id, token


def version_of(fuzz: Fuzz, part: str) -> str:
    """The version the reflection at this address is at now: what its form would carry."""
    try:
        reflection = stored(fuzz.app, uuid.UUID(part))
    except ValueError:
        reflection = None
    return str(reflection.version) if reflection is not None else "1"


def others(world: World) -> list[str]:
    """Reflections cara may read but not change, and one she may not even see."""
    return [str(world.readable.id), str(world.hidden.id)]


@target("/login")
def login(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = fuzz.browsers.anonymous()
    email = fuzz.world.cara.email
    return Visit(
        client,
        "/login" + query(draw, "next"),
        token,
        LoginForm,
        {"email": [email, f" {email.upper()} "], "password": [PASSWORD], "remember": ["y", ""]},
    )


@target("/logout")
def logout(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = fuzz.browsers.signed_in(fuzz.world.cara, check=True)
    return Visit(client, "/logout", token, ConfirmForm, {})


@target("/account/data")
def data_export(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = fuzz.browsers.signed_in(fuzz.world.cara, check=True)
    return Visit(client, "/account/data", token, ConfirmForm, {})


@target("/account/delete")
def delete_account(fuzz: Fuzz, draw: Draw | None) -> Visit:
    # Someone new each time: a post that goes through deletes them.
    person = fuzz.make.user("Leaving", email=fuzz.fresh_email())
    client, token = fuzz.browsers.signed_in(person)
    return Visit(client, "/account/delete", token, DeleteAccountForm, {"password": [PASSWORD]})


@target("/admin/people/<id:user_id>/delete")
def delete_person(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = admin_client(fuzz)
    person = fuzz.make.user("Leaving", email=fuzz.fresh_email())
    part = path_part(draw, [str(person.id)])
    valid = {"reason": ["They asked by e-mail."]}
    return Visit(client, f"/admin/people/{part}/delete", token, AdminDeleteAccountForm, valid)


@target("/account")
def account(fuzz: Fuzz, draw: Draw | None) -> Visit:
    cara = fuzz.world.cara
    # Whatever the last post changed, the password is again the one the valid values know.
    with fuzz.app.app_context():
        user = db.session.get(User, cara.id)
        if user.password_hash != PASSWORD_HASH:
            user.password_hash = PASSWORD_HASH
            db.session.commit()
    client, token = fuzz.browsers.signed_in(cara, check=True)
    valid = {
        "current_password": [PASSWORD],
        "password": [NEW_PASSWORD, "password", "short"],
        "confirm": [NEW_PASSWORD],
    }
    return Visit(client, "/account", token, ChangePasswordForm, valid)


@target("/password/forgot")
def forgot_password(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = fuzz.browsers.anonymous()
    email = fuzz.world.cara.email
    valid = {"email": [email, f" {email.upper()} ", "nobody@example.org"]}
    return Visit(client, "/password/forgot", token, ForgotPasswordForm, valid)


@target("/password/reset/<token>")
def reset_password(fuzz: Fuzz, draw: Draw | None) -> Visit:
    """A fresh reset link of a fresh person's (a used one changes their password), or any text."""
    person = fuzz.make.user("Reset Person", email=fuzz.fresh_email())
    link = uuid.uuid4().hex + uuid.uuid4().hex
    with fuzz.app.app_context():
        db.session.add(
            PasswordReset(
                user_id=person.id,
                token_hash=accounts.secret_hash(link),
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
        db.session.commit()
    if pick(draw, ["known", "unknown"]) == "unknown" and draw is not None:
        link = quote(draw(text_values()), safe="") or "-"
    client, token = fuzz.browsers.anonymous()
    valid = {"password": [NEW_PASSWORD, "password", "short"], "confirm": [NEW_PASSWORD]}
    return Visit(client, f"/password/reset/{link}", token, ResetPasswordForm, valid)


@target("/invite/<token>")
def invitation(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    kind = pick(draw, ["new person", "existing, signed in", "existing", "unknown"])
    role = pick(draw, list(InvitationRole))
    set_id = world.set_a.id if role in ("candidate", "facilitator") else None
    email = world.cara.email if kind.startswith("existing") else fuzz.fresh_email()
    _id, link = new_invitation(fuzz.app, email, role, set_id)
    if kind == "unknown" and draw is not None:
        link = quote(draw(text_values()), safe="") or "-"
    if kind == "existing, signed in":
        client, token = fuzz.browsers.signed_in(world.cara)
    else:
        client, token = fuzz.browsers.anonymous()
    valid = {"name": ["Nina New", " "], "password": [NEW_PASSWORD], "confirm": [NEW_PASSWORD]}
    return Visit(client, f"/invite/{link}", token, AcceptInvitationForm, valid)


@target("/admin/invitations")
def invite(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = fuzz.browsers.signed_in(world.admin)
    valid = {
        "email": [fuzz.fresh_email(), world.cara.email],
        "role": [r.value for r in InvitationRole],
        "set_id": [str(world.set_a.id), "", str(world.set_b.id)],
    }
    return Visit(client, "/admin/invitations", token, InvitationForm, valid)


@target("/admin/invitations/<id:invitation_id>/revoke")
def revoke(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = fuzz.browsers.signed_in(fuzz.world.admin)
    invitation_id, _link = new_invitation(fuzz.app, fuzz.fresh_email(), "assessor", None)
    part = path_part(draw, [str(invitation_id)])
    return Visit(client, f"/admin/invitations/{part}/revoke", token, ConfirmForm, {})


def admin_client(fuzz: Fuzz) -> tuple[FlaskClient, str]:
    return fuzz.browsers.signed_in(fuzz.world.admin)


@target("/admin/invitations/<id:invitation_id>/resend")
def resend(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = admin_client(fuzz)
    invitation_id, _link = new_invitation(fuzz.app, fuzz.fresh_email(), "assessor", None)
    part = path_part(draw, [str(invitation_id)])
    return Visit(client, f"/admin/invitations/{part}/resend", token, ConfirmForm, {})


def set_values(fuzz: Fuzz) -> dict[str, list[str]]:
    return {
        "name": [f"Set {next(fuzz.serial)}", "Set B", "set a", " ", "x" * 121],
        "programme": ["NVQ Level 7 — cohort 3", "", "p" * 201],
    }


@target("/admin/sets/new")
def new_set(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = admin_client(fuzz)
    return Visit(client, "/admin/sets/new", token, SetForm, set_values(fuzz))


@target("/admin/sets/<id:set_id>/edit")
def edit_set(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = admin_client(fuzz)
    part = path_part(draw, [str(fuzz.world.set_a.id), str(fuzz.world.set_b.id)])
    return Visit(client, f"/admin/sets/{part}/edit", token, SetForm, set_values(fuzz))


@target("/admin/sets/<id:set_id>/members/new")
def add_member(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = admin_client(fuzz)
    newcomer = fuzz.make.user("Newcomer", email=fuzz.fresh_email())
    part = path_part(draw, [str(world.set_a.id), str(world.set_b.id)])
    valid = {
        "email": [newcomer.email, world.cara.email, fuzz.fresh_email()],
        "role": [r.value for r in SetRole],
    }
    return Visit(client, f"/admin/sets/{part}/members/new", token, MemberForm, valid)


def fresh_member(fuzz: Fuzz) -> User:
    """Someone new in set A, whom a move or a removal may take away."""
    member = fuzz.make.user("Member", email=fuzz.fresh_email())
    with fuzz.app.app_context():
        db.session.add(Membership(set_id=fuzz.world.set_a.id, user_id=member.id, role="candidate"))
        db.session.commit()
    return member


@target("/admin/sets/<id:set_id>/members/<id:user_id>/move")
def move_member(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = admin_client(fuzz)
    member = fresh_member(fuzz)
    part = path_part(draw, [str(member.id), str(world.lee.id)])
    valid = {"to_set_id": [str(world.set_b.id), str(world.set_a.id), ""]}
    path = f"/admin/sets/{world.set_a.id}/members/{part}/move"
    return Visit(client, path + query(draw, "to"), token, MoveForm, valid)


@target("/admin/sets/<id:set_id>/members/<id:user_id>/remove")
def remove_member(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = admin_client(fuzz)
    member = fresh_member(fuzz)
    part = path_part(draw, [str(member.id), str(world.lee.id)])
    path = f"/admin/sets/{world.set_a.id}/members/{part}/remove"
    return Visit(client, path, token, ConfirmForm, {})


def framework_id(fuzz: Fuzz) -> int:
    with fuzz.app.app_context():
        found = db.session.scalar(select(Framework.id))
        if found is None:
            framework = Framework(code="L7", title="Level 7")
            db.session.add(framework)
            db.session.commit()
            found = framework.id
        return found


@target("/admin/people/<id:user_id>/enrol")
def enrol(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = admin_client(fuzz)
    candidate = fuzz.make.user("Candidate", email=fuzz.fresh_email())
    part = path_part(draw, [str(candidate.id), str(world.cara.id)])
    valid = {
        "framework_id": [str(framework_id(fuzz)), "", "999999"],
        "assessor": [world.fran.email, candidate.email, fuzz.fresh_email()],
    }
    return Visit(client, f"/admin/people/{part}/enrol", token, EnrolmentForm, valid)


@target("/admin/enrolments/<id:enrolment_id>/assessor")
def change_assessor(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = admin_client(fuzz)
    candidate = fuzz.make.user("Candidate", email=fuzz.fresh_email())
    with fuzz.app.app_context():
        enrolment = Enrolment(
            candidate_id=candidate.id, framework_id=framework_id(fuzz), assessor_id=world.fran.id
        )
        db.session.add(enrolment)
        db.session.commit()
        enrolment_id = enrolment.id
    part = path_part(draw, [str(enrolment_id)])
    valid = {"assessor": [world.admin.email, world.fran.email, candidate.email]}
    return Visit(client, f"/admin/enrolments/{part}/assessor", token, AssessorForm, valid)


@target("/reflections/new")
def write(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = fuzz.browsers.signed_in(fuzz.world.cara)
    path = "/reflections/new" + query(draw, "meeting_id")
    return Visit(client, path, token, ReflectionForm, reflection_values(fuzz.world))


@target("/reflections/<uuid:reflection_id>/edit")
def edit(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = fuzz.browsers.signed_in(world.cara)
    part = path_part(draw, [str(world.own.id), str(world.quiet.id), *others(world)])
    valid = reflection_values(world, version_of(fuzz, part))
    return Visit(client, f"/reflections/{part}/edit", token, ReflectionForm, valid)


@target("/reflections/<uuid:reflection_id>/delete")
def delete(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = fuzz.browsers.signed_in(world.cara)
    mine = fuzz.make.reflection(world.cara, world.meeting)
    part = path_part(draw, [str(mine.id), *others(world)])
    return Visit(client, f"/reflections/{part}/delete", token, ConfirmForm, {})


@target("/actions/<uuid:reflection_id>")
def action(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = fuzz.browsers.signed_in(world.cara)
    part = path_part(draw, [str(world.own.id), str(world.quiet.id), *others(world)])
    try:
        prefix = f"a{uuid.UUID(part).hex}"
    except ValueError:
        prefix = "a"
    valid = {
        f"{prefix}-action_status": [s.value for s in ActionStatus],
        f"{prefix}-action_outcome": ["Booked the room.", ""],
        f"{prefix}-base_version": [version_of(fuzz, part), ""],
    }
    return Visit(client, f"/actions/{part}", token, ActionForm, valid, prefix=prefix)


@target("/reflections/<uuid:reflection_id>/comments")
def comment(fuzz: Fuzz, draw: Draw | None) -> Visit:
    """cara answers on her own reflection; fran comments on it; cal may read cara's set-visible
    one but not comment (403); nobody but lee reads lee's private one (404)."""
    world = fuzz.world
    who = pick(draw, [world.cara, world.fran, world.cal])
    client, token = fuzz.browsers.signed_in(who)
    part = path_part(draw, [str(world.own.id), *others(world)])
    valid = {"body": ["Thank you: *noted*.", "", "  ", "<script>alert(1)</script>"]}
    return Visit(client, f"/reflections/{part}/comments", token, CommentForm, valid)


@target("/reflections/<uuid:reflection_id>/comments/<id:comment_id>/delete")
def delete_comment(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    who = pick(draw, [world.cara, world.fran, world.cal])
    client, token = fuzz.browsers.signed_in(who)
    mine = fuzz.make.comment(world.own, who)
    reflection = path_part(draw, [str(world.own.id), *others(world)])
    comment_id = path_part(draw, [str(mine.id)])
    path = f"/reflections/{reflection}/comments/{comment_id}/delete"
    return Visit(client, path, token, ConfirmForm, {})


def meeting_values(world: World) -> dict[str, list[str]]:
    return {
        # The first of each is valid; then a time the clocks skip and one that happens twice.
        "date": ["2031-05-06", "2027-03-28", "2027-10-31", "1969-12-31", "2101-01-01"],
        "start_time": ["10:00", "01:30", "00:00", "23:59", "10:00:00"],
        "end_time": ["", "12:00", "01:45", "09:00"],
        "location": ["Room 2", "https://meet.example.org/a", "", "javascript:alert(1)"],
        "agenda": REFLECTION_TEXT,
    }


@target("/sets/<id:set_id>/meetings/new")
def schedule(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    who = pick(draw, [world.fran, world.admin, world.cara])
    client, token = fuzz.browsers.signed_in(who)
    part = path_part(draw, [str(world.set_a.id), str(world.set_b.id)])
    return Visit(client, f"/sets/{part}/meetings/new", token, MeetingForm, meeting_values(world))


@target("/meetings/<id:meeting_id>/edit")
def edit_meeting(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    who = pick(draw, [world.fran, world.admin, world.cara])
    client, token = fuzz.browsers.signed_in(who)
    known = [str(world.next_meeting.id), str(world.meeting.id), str(world.other_meeting.id)]
    part = path_part(draw, known)
    return Visit(client, f"/meetings/{part}/edit", token, MeetingForm, meeting_values(world))


@target("/meetings/<id:meeting_id>/cancel")
def cancel_meeting(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    who = pick(draw, [world.fran, world.admin, world.cara])
    client, token = fuzz.browsers.signed_in(who)
    fresh = fuzz.make.meeting(world.set_a, days=3)
    part = path_part(draw, [str(fresh.id), str(world.other_meeting.id)])
    return Visit(client, f"/meetings/{part}/cancel", token, ConfirmForm, {})


@target("/calendar/feed")
def calendar_on(fuzz: Fuzz, draw: Draw | None) -> Visit:
    who = pick(draw, [fuzz.world.cara, fuzz.world.admin])
    client, token = fuzz.browsers.signed_in(who)
    return Visit(client, "/calendar/feed", token, ConfirmForm, {})


@target("/calendar/feed/revoke")
def calendar_off(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = fuzz.browsers.signed_in(fuzz.world.cara)
    if pick(draw, [True, False]):
        client.post("/calendar/feed", data={"csrf_token": token})
    return Visit(client, "/calendar/feed/revoke", token, ConfirmForm, {})


@target("/account/notifications")
def notification_setting(fuzz: Fuzz, draw: Draw | None) -> Visit:
    client, token = fuzz.browsers.signed_in(fuzz.world.cara)
    valid = {"email_notifications": ["daily", "each", "never", "weekly"]}
    return Visit(client, "/account/notifications", token, NotificationsForm, valid)


@target("/unsubscribe/<token>")
def unsubscribe_link(fuzz: Fuzz, draw: Draw | None) -> Visit:
    """A genuine link of a fresh person's (as a mail client posts it: no session), or any text."""
    person = fuzz.make.user("Told Person", email=fuzz.fresh_email())
    with fuzz.app.app_context():
        link = unsubscribe.token_for(db.session.get(User, person.id))
    if pick(draw, ["known", "unknown"]) == "unknown" and draw is not None:
        link = quote(draw(text_values()), safe="") or "-"
    client, token = fuzz.browsers.anonymous()
    return Visit(client, f"/unsubscribe/{link}", token, ConfirmForm, {})


@target("/admin/frameworks")
def upload_framework(fuzz: Fuzz, draw: Draw | None) -> Visit:
    # Form-encoded, as every target: never a file, so always refused (tests/admin covers files).
    client, token = fuzz.browsers.signed_in(fuzz.world.admin)
    return Visit(client, "/admin/frameworks", token, FrameworkUploadForm, {})


def portfolio_of(fuzz: Fuzz, candidate: User) -> int:
    """The candidate's enrolment on the sample framework, made the first time it is asked for."""
    with fuzz.app.app_context():
        found = db.session.scalar(
            select(Enrolment.id).where(Enrolment.candidate_id == candidate.id)
        )
        if found is None:
            enrolment = Enrolment(candidate_id=candidate.id, framework=load_framework())
            db.session.add(enrolment)
            db.session.commit()
            found = enrolment.id
        return found


@target("/portfolios/<id:enrolment_id>/exports")
def export_portfolio(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    client, token = fuzz.browsers.signed_in(pick(draw, [world.cara, world.lee]))
    part = path_part(
        draw, [str(portfolio_of(fuzz, world.cara)), str(portfolio_of(fuzz, world.lee))]
    )
    valid = {"format": ["pdf", "zip", "PDF", ""]}
    return Visit(client, f"/portfolios/{part}/exports", token, ExportForm, valid)


def evidence(fuzz: Fuzz) -> dict:
    """Cara enrolled on a framework of two criteria with an assessor, Ada (made once)."""
    if not fuzz.evidence:
        ada = fuzz.make.user("Ada")
        with fuzz.app.app_context():
            unit = Unit(code="1", title="Self")
            unit.criteria = [
                Criterion(code=f"1.{n}", text="A criterion.", position=n) for n in (1, 2)
            ]
            framework = Framework(code=f"F{next(fuzz.serial)}", title="Leadership", units=[unit])
            enrolment = Enrolment(
                candidate_id=fuzz.world.cara.id, framework=framework, assessor_id=ada.id
            )
            db.session.add_all([framework, enrolment])
            db.session.commit()
            fuzz.evidence.update(
                ada=ada, enrolment=enrolment.id, criteria=[c.id for c in unit.criteria]
            )
    return fuzz.evidence


def new_claim(fuzz: Fuzz) -> int:
    """A new reflection of Cara's offered against both criteria: a claim awaiting Ada (a new one
    each time, since one version is offered once while its claim is live)."""
    found = evidence(fuzz)
    reflection = fuzz.make.reflection(fuzz.world.cara)
    with fuzz.app.app_context():
        claim = claims.offer(
            db.session.get(Reflection, reflection.id),
            db.session.get(Enrolment, found["enrolment"]),
            [db.session.get(Criterion, i) for i in found["criteria"]],
        )
        db.session.commit()
        return claim.id


def standing_claim(fuzz: Fuzz) -> int:
    """One claim that stays for a whole test (decisions and comments pile up on it)."""
    found = evidence(fuzz)
    if "claim" not in found:
        found["claim"] = new_claim(fuzz)
    return found["claim"]


def claim_people(fuzz: Fuzz, draw: Draw | None) -> User:
    """Its assessor, its candidate, or a facilitator who sees nothing of it."""
    return pick(draw, [evidence(fuzz)["ada"], fuzz.world.cara, fuzz.world.fran])


@target("/evidence/offer/<uuid:reflection_id>")
def offer(fuzz: Fuzz, draw: Draw | None) -> Visit:
    world = fuzz.world
    criteria = [str(i) for i in evidence(fuzz)["criteria"]]
    client, token = fuzz.browsers.signed_in(world.cara)
    part = path_part(draw, [str(world.quiet.id), str(world.own.id), *others(world)])
    valid = {
        "criteria": [criteria[0], criteria[1], "", "0"],
        "declaration": ["y", ""],
        "base_version": [version_of(fuzz, part), ""],
    }
    return Visit(client, f"/evidence/offer/{part}", token, OfferForm, valid)


@target("/evidence/claims/<id:claim_id>/criteria/<id:criterion_id>")
def decide(fuzz: Fuzz, draw: Draw | None) -> Visit:
    found = evidence(fuzz)
    claim = standing_claim(fuzz)
    client, token = fuzz.browsers.signed_in(claim_people(fuzz, draw))
    claim_part = path_part(draw, [str(claim)])
    criterion = path_part(draw, [str(i) for i in found["criteria"]])
    prefix = f"c{criterion}"
    valid = {
        f"{prefix}-decision": [d.value for d in Decision if d != Decision.PENDING] + ["pending"],
        f"{prefix}-feedback": ["Say more about what you did.", ""],
    }
    path = f"/evidence/claims/{claim_part}/criteria/{criterion}"
    return Visit(client, path, token, DecisionForm, valid, prefix=prefix)


@target("/evidence/claims/<id:claim_id>/withdraw")
def withdraw(fuzz: Fuzz, draw: Draw | None) -> Visit:
    fresh = new_claim(fuzz)
    client, token = fuzz.browsers.signed_in(claim_people(fuzz, draw))
    part = path_part(draw, [str(fresh)])
    return Visit(client, f"/evidence/claims/{part}/withdraw", token, ConfirmForm, {})


@target("/evidence/claims/<id:claim_id>/comments")
def claim_comment(fuzz: Fuzz, draw: Draw | None) -> Visit:
    claim = standing_claim(fuzz)
    client, token = fuzz.browsers.signed_in(claim_people(fuzz, draw))
    part = path_part(draw, [str(claim)])
    valid = {"body": ["What did the team say?", "", "**Bold** [link](https://example.org)"]}
    return Visit(client, f"/evidence/claims/{part}/comments", token, ClaimCommentForm, valid)


# The properties --------------------------------------------------------------------------------


def post(fuzz: Fuzz, visit: Visit, body: bytes) -> None:
    """Send the form; fail unless the answer is one a form may give and a refusal kept nothing."""
    fuzz.writes.take()
    answer = visit.client.post(visit.path, data=body, content_type=FORM_CONTENT)
    fuzz.server_errors.refuse(answer, f"POST {visit.path}")
    stored = fuzz.writes.take()
    status = answer.status_code
    assert status in FORM_ANSWERS, f"POST {visit.path} answered {answer.status}"
    if status >= 400:
        assert answer.mimetype == "text/html", f"a refused form answered {answer.mimetype}"
        assert not stored, f"POST {visit.path} answered {status} but stored {stored}"


def test_every_form_is_fuzzed():
    """A new route that changes state fails here until it has a target above."""
    changing = set(form_routes())
    assert sorted(changing - TARGETS.keys()) == [], "routes the form fuzzer does not post to"
    assert sorted(TARGETS.keys() - changing) == [], "targets for routes that no longer exist"


@pytest.fixture
def fuzz(app, world, browsers, make, server_errors, writes) -> Fuzz:
    return Fuzz(app, world, browsers, make, server_errors, writes)


def sweep(fuzz: Fuzz, prepare: Prepare) -> Iterator[tuple[str, Callable[[], None]]]:
    """Each field in turn missing or holding each of SWEEP_VALUES, the others valid."""
    first = prepare(fuzz, None)
    names = field_names(fuzz.app, first.form, first.prefix)
    # A form without fields of its own (a button) is sent once, as it is.
    for name, value in itertools.product(names, SWEEP_VALUES) if names else [("", MISSING)]:

        def attempt(name=name, value=value) -> None:
            visit = prepare(fuzz, None)
            post(fuzz, visit, sweep_body(visit.token, names, visit.valid, name, value))

        shown = "(missing)" if value is MISSING else repr(value)[:60]
        yield f"{name}={shown}", attempt


@pytest.mark.parametrize("rule", FORM_ROUTES)
def test_no_form_input_answers_a_server_error(fuzz: Fuzz, rule):
    prepare = target_of(rule)

    @settings(max_examples=examples(10))
    @given(st.data())
    def post_anything(data):
        visit = prepare(fuzz, data.draw)
        names = field_names(fuzz.app, visit.form, visit.prefix)
        body = random_body(data.draw, visit.token, names, visit.valid)
        note(f"POST {visit.path}\n{body[:2000]!r}")
        post(fuzz, visit, body)

    sweep_then_fuzz(sweep(fuzz, prepare), post_anything)


# Multipart and JSON bodies ---------------------------------------------------------------------

# (name, value, file name: None for a text part)
Part = tuple[str, str | bytes, str | None]
# Accepted: a redirect, or a page (an invitation made, or one for someone else).
ACCEPTED = {200, 302}


def multipart(parts: list[Part]) -> tuple[bytes, str]:
    """The parts encoded as a browser encodes a form with files; the body and its type."""
    boundary = f"fuzz-{uuid.uuid4().hex}"
    encoder = MultipartEncoder(boundary.encode())
    body = encoder.send_event(Preamble(data=b""))
    for name, value, filename in parts:
        if filename is None:
            body += encoder.send_event(TextPart(name=name, headers=Headers()))
        else:
            kind = Headers([("Content-Type", "application/octet-stream")])
            body += encoder.send_event(File(name=name, filename=filename, headers=kind))
        data = value if isinstance(value, bytes) else value.encode()
        body += encoder.send_event(Data(data=data, more_data=False))
    body += encoder.send_event(Epilogue(data=b""))
    return body, f"multipart/form-data; boundary={boundary}"


def send(fuzz: Fuzz, visit: Visit, body: bytes, content_type: str, **headers) -> TestResponse:
    """Post `body`; fail on a server error, an answer no form gives, or a refusal that kept
    something. The answer, with what it committed in `answer.stored`."""
    fuzz.writes.take()
    answer = visit.client.post(visit.path, data=body, content_type=content_type, headers=headers)
    fuzz.server_errors.refuse(answer, f"POST {visit.path} ({content_type.split(';')[0]})")
    answer.stored = fuzz.writes.take()
    status = answer.status_code
    assert status in FORM_ANSWERS, f"POST {visit.path} answered {answer.status}"
    if status >= 400:
        assert answer.mimetype == "text/html", f"a refused form answered {answer.mimetype}"
        assert not answer.stored, f"POST {visit.path} answered {status} but stored {answer.stored}"
    return answer


def valid_parts(visit: Visit, names: list[str], leave_out: str = "") -> list[Part]:
    parts: list[Part] = [("csrf_token", visit.token, None)]
    return parts + [
        (name, visit.valid[name][0], None)
        for name in names
        if name != leave_out and visit.valid.get(name)
    ]


def multipart_sweep(fuzz: Fuzz, prepare: Prepare) -> Iterator[tuple[str, Callable[[], None]]]:
    """The usual form as text parts (what `new FormData(form)` sends), then each field in turn
    a file part (as well as its text, and instead of it): refused, by that field."""
    first = prepare(fuzz, None)
    names = field_names(fuzz.app, first.form, first.prefix)
    takes_files = file_field_names(fuzz.app, first.form, first.prefix)

    def as_text() -> None:
        visit = prepare(fuzz, None)
        send(fuzz, visit, *multipart(valid_parts(visit, names)))

    yield "every field a text part", as_text
    for name, instead in itertools.product(sorted(set(names) - takes_files), (False, True)):

        def attempt(name=name, instead=instead) -> None:
            visit = prepare(fuzz, None)
            parts = valid_parts(visit, names, leave_out=name if instead else "")
            parts.append((name, b"cara@example.org", "notes.txt"))
            answer = send(fuzz, visit, *multipart(parts))
            assert answer.status_code not in ACCEPTED, f"a file for {name} was accepted"
            if answer.status_code == 400 and typed_on(answer.text, name):
                assert A_FILE in answer.text, f"no word by {name} that it takes text"

        yield f"{name}=(a file{' instead of text' if instead else ''})", attempt


@pytest.mark.parametrize("rule", FORM_ROUTES)
def test_no_multipart_form_answers_a_server_error(fuzz: Fuzz, rule):
    prepare = target_of(rule)

    @settings(max_examples=examples(3))
    @given(st.data())
    def post_anything(data):
        visit = prepare(fuzz, data.draw)
        names = field_names(fuzz.app, visit.form, visit.prefix)
        parts: list[Part] = [("csrf_token", visit.token, None)]
        for name in names:
            choice = data.draw(st.integers(0, 9))
            if choice < 5 and visit.valid.get(name):
                parts.append((name, data.draw(st.sampled_from(visit.valid[name])), None))
            elif choice < 7:
                parts.append((name, data.draw(field_values()), None))
            elif choice < 9:
                filename = data.draw(st.sampled_from(["a.txt", "", "x.json", "../../etc/passwd"]))
                parts.append((name, data.draw(st.binary(max_size=64)), filename))
        extra = st.sampled_from(["csrf_token", "unknown", *names])
        for name, content in data.draw(st.lists(st.tuples(extra, field_values()), max_size=2)):
            parts.append((name, content, data.draw(st.sampled_from([None, "b.bin"]))))
        body, content_type = multipart(parts)
        note(f"POST {visit.path}\n{body[:2000]!r}")
        send(fuzz, visit, body, content_type)

    sweep_then_fuzz(multipart_sweep(fuzz, prepare), post_anything)


JSON_TYPES = ["application/json", "application/json; charset=utf-8", "application/ld+json"]


def json_bodies(visit: Visit, names: list[str]) -> list[object]:
    """What the issue found (an array, a string, a number for a field), and more of the same."""
    valid = {name: visit.valid[name][0] for name in names if visit.valid.get(name)}
    return [
        [1, 2],
        "str",
        5,
        None,
        {},
        {name: 5 for name in names} or {"csrf_token": 5},
        {name: {"a": 1} for name in names},
        {name: [value] for name, value in valid.items()},
        {**valid, "csrf_token": visit.token},
    ]


def json_sweep(fuzz: Fuzz, prepare: Prepare) -> Iterator[tuple[str, Callable[[], None]]]:
    first = prepare(fuzz, None)
    names = field_names(fuzz.app, first.form, first.prefix)
    for index, value in enumerate(json_bodies(first, names)):

        def attempt(index=index) -> None:
            visit = prepare(fuzz, None)
            body = json.dumps(json_bodies(visit, names)[index]).encode()
            answer = send(fuzz, visit, body, "application/json", **{"X-CSRFToken": visit.token})
            # 403 or 404 when the page is not the usual person's to post to (a withdrawal by
            # the assessor); else refused for what it is.
            assert answer.status_code not in ACCEPTED, f"JSON answered {answer.status}"
            assert not answer.stored, f"JSON to {visit.path} stored {answer.stored}"
            if answer.status_code == 400:
                assert NOT_A_FORM in answer.text, "no word that a form is wanted"

        yield f"JSON {json.dumps(value)[:60]}", attempt


def json_values() -> st.SearchStrategy[object]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text_values())
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner)
    )


@pytest.mark.parametrize("rule", FORM_ROUTES)
def test_no_json_body_answers_a_server_error(fuzz: Fuzz, rule):
    """Nobody's browser sends its form as JSON: whatever the JSON, nothing changes."""
    prepare = target_of(rule)

    @settings(max_examples=examples(3))
    @given(st.data())
    def post_anything(data):
        visit = prepare(fuzz, data.draw)
        names = field_names(fuzz.app, visit.form, visit.prefix)
        keys = st.sampled_from([*names, "csrf_token"]) if names else st.just("csrf_token")
        value = data.draw(st.one_of(json_values(), st.dictionaries(keys, json_values())))
        content_type = data.draw(st.sampled_from([*JSON_TYPES, "text/plain"]))
        body = json.dumps(value).encode()
        note(f"POST {visit.path} ({content_type})\n{body[:2000]!r}")
        answer = send(fuzz, visit, body, content_type, **{"X-CSRFToken": visit.token})
        assert not answer.stored, f"JSON to {visit.path} stored {answer.stored}"

    sweep_then_fuzz(json_sweep(fuzz, prepare), post_anything)
