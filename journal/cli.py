"""Command-line tasks: demo data, the first admin, sets and their members, assessors,
invitations, seeded data at scale. Each refusal says why in one line and changes nothing."""

import functools
from collections.abc import Callable
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from sqlalchemy import inspect, select

from . import backup, demo, seed
from .admin import enrolments, members, sets
from .auth import accounts
from .evidence import exports, frameworks
from .extensions import db
from .mail import delivery, messages
from .models import Framework, Invitation, InvitationRole, LearningSet, Membership, SetRole, User
from .privacy import exports as data_exports


def _email(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    """The address as accounts store it, if it is one (the admin page's form checks the same)."""
    try:
        validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(f"{value!r} is not an email address: {error}") from error
    return accounts.normalise_email(value)


def _migrated(command: Callable[..., None]) -> Callable[..., None]:
    """Say what to do on a database without tables, rather than print SQL's traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs) -> None:
        if not inspect(db.engine).has_table(User.__tablename__):
            raise click.ClickException(
                "The database has no tables yet: run `flask --app wsgi db upgrade` first."
            )
        command(*args, **kwargs)

    return run


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
@with_appcontext
@_migrated
def demo_command(if_empty: bool) -> None:
    """Load the demo sets, people and reflections (password: demo-password)."""
    if demo.exists():
        click.echo("The demo data is already loaded.")
    elif if_empty and not demo.is_empty():
        click.echo("The database already has accounts; the demo data was not loaded.")
        return
    else:
        demo.load()
        click.echo("Demo data loaded.")
    click.echo(f"Demo accounts (password {demo.PASSWORD}):")
    for email, _name, _admin in demo.PEOPLE:
        click.echo(f"  {email}")


@click.command("create-admin")
@click.argument("email", callback=_email)
@click.option("--name", prompt="Name")
@click.password_option(help="At least 8 characters.")
@with_appcontext
@_migrated
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account (the first one, or another)."""
    if accounts.find_user(email) is not None:
        raise click.ClickException(f"An account for {email} already exists.")
    problem = accounts.password_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    accounts.create_user(email, name, password, is_admin=True)
    db.session.commit()
    click.echo(f"Administrator {email} created.")


def _set_named(name: str) -> LearningSet:
    """The set called exactly `name`, or a refusal that says so."""
    learning_set = db.session.scalar(select(LearningSet).where(LearningSet.name == name))
    if learning_set is None:
        raise click.ClickException(f"There is no set called {name!r}.")
    return learning_set


def _account(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No one has an account for {email}.")
    return user


def _link(token: str, base_url: str | None) -> str:
    base_url = base_url or current_app.config.get("BASE_URL") or LOCAL_URL
    with current_app.test_request_context(base_url=base_url):
        return url_for("auth.accept_invitation", token=token, _external=True)


def _email_invitation(invitation: Invitation, link: str) -> None:
    """E-mail the link (README "E-mail"): from the programme's administrator, as no one is
    signed in at a command line."""
    delivery.send_later(messages.invitation(invitation, link, inviter=None), "invitation")


LOCAL_URL = "http://127.0.0.1:5000"
BASE_URL = click.option(
    "--base-url",
    help=f"Where people reach the app, for the link (default: BASE_URL, else {LOCAL_URL}).",
)


@click.command("invite")
@click.argument("email", callback=_email)
@click.option("--role", required=True, type=click.Choice([r.value for r in InvitationRole]))
@click.option("--set", "set_name", help="The set's name (for candidates and facilitators).")
@BASE_URL
@with_appcontext
@_migrated
def invite_command(email: str, role: str, set_name: str | None, base_url: str | None) -> None:
    """Invite someone: e-mails them, and prints, a one-time link where they set their name and
    password."""
    learning_set = _set_named(set_name) if set_name else None
    try:
        invitation, token = accounts.invite(email, role, learning_set, invited_by=None)
    except accounts.InvitationError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    link = _link(token, base_url)
    _email_invitation(invitation, link)
    click.echo(f"Invitation e-mailed to {email}. The link (valid until used or expired):\n{link}")


def _open_invitations(email: str, set_name: str | None) -> list[Invitation]:
    """The invitations to `email` (into that set, if named) not used or withdrawn yet."""
    query = select(Invitation).where(
        Invitation.email == email, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None)
    )
    if set_name:
        query = query.where(Invitation.set_id == _set_named(set_name).id)
    found = list(db.session.scalars(query.order_by(Invitation.created_at, Invitation.id)))
    if not found:
        where = f" into {set_name!r}" if set_name else ""
        raise click.ClickException(f"There is no invitation{where} for {email} to act on.")
    return found


def _describe(invitation: Invitation) -> str:
    into = f" in {invitation.learning_set.name!r}" if invitation.learning_set else ""
    return f"{invitation.role}{into}"


@click.command("resend-invitation")
@click.argument("email", callback=_email)
@click.option("--set", "set_name", help="Only the invitation into this set.")
@BASE_URL
@with_appcontext
@_migrated
def resend_invitation_command(email: str, set_name: str | None, base_url: str | None) -> None:
    """A new link for an invitation not used yet (expired or not), e-mailed and printed; the old
    link stops working."""
    found = _open_invitations(email, set_name)
    if len(found) > 1:
        choices = ", ".join(_describe(invitation) for invitation in found)
        raise click.ClickException(
            f"{email} has {len(found)} invitations not used yet ({choices}): name the set with"
            " --set."
        )
    token = accounts.resend_invitation(found[0], resent_by=None)
    if token is None:
        raise click.ClickException(f"The invitation for {email} was used or withdrawn just now.")
    db.session.commit()
    link = _link(token, base_url)
    _email_invitation(found[0], link)
    click.echo(
        f"New invitation link for {email} ({_describe(found[0])}), e-mailed to them; the old"
        f" link no longer works:\n{link}"
    )


@click.command("revoke-invitation")
@click.argument("email", callback=_email)
@click.option("--set", "set_name", help="Only the invitation into this set.")
@with_appcontext
@_migrated
def revoke_invitation_command(email: str, set_name: str | None) -> None:
    """Withdraw the invitations to EMAIL not used yet: their links stop working."""
    withdrawn = [
        invitation
        for invitation in _open_invitations(email, set_name)
        if accounts.revoke_invitation(invitation, revoked_by=None)
    ]
    db.session.commit()
    for invitation in withdrawn:
        click.echo(f"Withdrawn: the invitation for {email} as {_describe(invitation)}.")


@click.command("create-set")
@click.argument("name")
@click.option("--programme", default="", help='e.g. "NVQ Level 7 Leadership — cohort 3".')
@with_appcontext
@_migrated
def create_set_command(name: str, programme: str) -> None:
    """Create an action learning set, to invite its facilitators and candidates into."""
    try:
        learning_set = sets.create_set(None, name, programme)
    except sets.SetError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    name = learning_set.name
    click.echo(f"Set {name!r} created. Invite people into it with: invite EMAIL --set {name!r}")


@click.command("rename-set")
@click.argument("name")
@click.argument("new_name")
@click.option("--programme", help="A new programme too (left as it is if not given).")
@with_appcontext
@_migrated
def rename_set_command(name: str, new_name: str, programme: str | None) -> None:
    """Rename the set NAME to NEW_NAME (the same name to change only its programme)."""
    learning_set = _set_named(name)
    programme = learning_set.programme if programme is None else programme
    try:
        changed = sets.change_set(None, learning_set, new_name, programme)
    except sets.SetError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if not changed:
        click.echo("Nothing changed.")
    else:
        click.echo(f"Set {learning_set.name!r} saved ({', '.join(changed)} changed).")


ROLE = click.option(
    "--role", required=True, type=click.Choice([r.value for r in SetRole]), help="In the set."
)


@click.command("add-member")
@click.argument("email", callback=_email)
@click.option("--set", "set_name", required=True, help="The set's name.")
@ROLE
@with_appcontext
@_migrated
def add_member_command(email: str, set_name: str, role: str) -> None:
    """Add someone who has an account to a set (invite anyone else)."""
    learning_set, user = _set_named(set_name), _account(email)
    try:
        members.add_member(None, learning_set, user, role)
    except members.MembershipError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{user.name} ({email}) is now a {role} in {learning_set.name!r}.")


def _membership_of(email: str, set_name: str) -> Membership:
    learning_set, user = _set_named(set_name), _account(email)
    membership = members.membership(learning_set.id, user.id)
    if membership is None:
        raise click.ClickException(f"{email} is not in {set_name!r}.")
    return membership


@click.command("move-member")
@click.argument("email", callback=_email)
@click.option("--from", "from_set", required=True, help="The set they are in.")
@click.option("--to", "to_set", required=True, help="The set they move to, in the same role.")
@with_appcontext
@_migrated
def move_member_command(email: str, from_set: str, to_set: str) -> None:
    """Move someone to another set in the same role; what they wrote stays theirs."""
    membership = _membership_of(email, from_set)
    try:
        moved = members.move_member(None, membership, _set_named(to_set))
    except members.MembershipError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{email} moved from {from_set!r} to {to_set!r} as {moved.role}.")


@click.command("remove-member")
@click.argument("email", callback=_email)
@click.option("--set", "set_name", required=True, help="The set's name.")
@with_appcontext
@_migrated
def remove_member_command(email: str, set_name: str) -> None:
    """Take someone out of a set; what they wrote stays theirs, what they shared there is no
    longer read there."""
    try:
        members.remove_member(None, _membership_of(email, set_name))
    except members.MembershipError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{email} is no longer in {set_name!r}. What they wrote stays theirs.")


@click.command("assign-assessor")
@click.argument("candidate", callback=_email)
@click.argument("assessor", callback=_email)
@click.option(
    "--framework",
    "code",
    help="The framework's code; may be left out when only one framework is loaded.",
)
@with_appcontext
@_migrated
def assign_assessor_command(candidate: str, assessor: str, code: str | None) -> None:
    """Make ASSESSOR the assessor of CANDIDATE on a framework, enrolling them if need be."""
    person, judge = _account(candidate), _account(assessor)
    framework = _framework(code)
    enrolment = enrolments.enrolment_of(person, framework)
    try:
        if enrolment is None:
            enrolments.enrol(None, person, framework, judge)
            done = f"{candidate} enrolled on {framework.code}, assessed by {assessor}."
        else:
            enrolments.change_assessor(None, enrolment, judge)
            done = f"{assessor} now assesses {candidate} on {framework.code}."
    except enrolments.EnrolmentError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(done)


def _framework(code: str | None) -> Framework:
    loaded = list(db.session.scalars(select(Framework).order_by(Framework.code)))
    if code is not None:
        found = next((f for f in loaded if f.code == code), None)
        if found is None:
            raise click.ClickException(f"There is no framework with the code {code!r}.")
        return found
    if len(loaded) != 1:
        codes = ", ".join(f.code for f in loaded) or "none is loaded"
        raise click.ClickException(f"Name the framework with --framework ({codes}).")
    return loaded[0]


@click.command("seed")
@click.option(
    "--reflections",
    "wanted",
    type=click.IntRange(min=0),
    required=True,
    help="How many reflections by seeded people there should be (tops up, never removes).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
@_migrated
def seed_command(wanted: int, quiet: bool) -> None:
    """Realistic data at scale: cohorts of sets with years of meetings and reflections.

    Seeded people (…@seed.example.org) sign in with the demo password. With the demo data
    loaded, its people get years of earlier meetings and reflections too.
    """
    before = seed.seeded_reflection_count()
    to_add = max(wanted - before, 0)
    if quiet or not to_add:
        report = seed.seed(wanted)
    else:
        with click.progressbar(length=to_add, label="Seeding reflections") as bar:
            report = seed.seed(wanted, progress=bar.update)
    if report.demo_history is None:
        click.echo("The demo data is not loaded: no history added for its people.")
    elif report.demo_history:
        click.echo(f"Demo people's history: {report.demo_history} reflections added.")
    else:
        click.echo("The demo people's history is there already.")
    if to_add:
        click.echo(f"Seeded reflections: {report.before} before, {report.reflections} added.")
    else:
        click.echo(
            f"There are {report.before} seeded reflections already (asked for {wanted}):"
            " none added."
        )
    tables = ", ".join(f"{rows} {table}" for table, rows in report.inserted.items())
    click.echo(
        f"Inserted {report.rows} rows in {report.seconds:.1f} s"
        + (f" ({tables})." if tables else ".")
    )
    click.echo(f"Seeded people sign in with the password {seed.PASSWORD}.")


@click.group("framework")
def framework_group() -> None:
    """Qualification frameworks: units and assessment criteria."""


@framework_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "kind",
    type=click.Choice(frameworks.FORMATS),
    help="json or csv; by default the file's extension says.",
)
@with_appcontext
@_migrated
def framework_import_command(file: str, kind: str | None) -> None:
    """Load a framework from a JSON or CSV file, or update the one with the same code.

    Every problem in the file is listed with its line and field, and nothing is loaded until
    there are none. README.md describes both formats.
    """
    kind = kind or frameworks.format_of(file)
    if kind is None:
        raise click.ClickException("Say --format json or --format csv: the file's name does not.")
    with open(file, "rb") as opened:
        content = opened.read()
    try:
        report = frameworks.import_framework(frameworks.read_framework(content, kind))
    except frameworks.FrameworkError as error:
        db.session.rollback()
        count = len(error.problems)
        lines = "\n".join(f"  {problem}" for problem in error.problems)
        raise click.ClickException(
            f"{file} was not imported; {count} problem{'s' if count != 1 else ''}:\n{lines}"
        ) from None
    db.session.commit()
    click.echo(report.summary())


@click.command("purge-exports")
@with_appcontext
@_migrated
def purge_exports_command() -> None:
    """Delete the portfolio exports and downloads of people's data past their lifetime
    (EXPORT_LIFETIME): run it from cron."""
    deleted = exports.purge_expired() + data_exports.purge_expired()
    db.session.commit()
    hours = int(exports.lifetime().total_seconds() // 3600)
    if deleted == 1:
        click.echo(f"Deleted 1 export past its lifetime ({hours} hours).")
    else:
        click.echo(f"Deleted {deleted} exports past their lifetime ({hours} hours).")


@click.command("send-digests")
@with_appcontext
@_migrated
def send_digests_command() -> None:
    """E-mail each person who chose a daily digest what happened since their last one: run it
    from cron once a day (README: "What you are told by e-mail")."""
    from .notifications.events import send_digests

    sent = send_digests()
    click.echo(f"Sent {sent} digest{'s' if sent != 1 else ''}.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the database to PATH while the app runs (SQLite's online backup; pg_dump's custom
    format on PostgreSQL). README: how to restore it."""
    try:
        backup.back_up(db.engine.url, path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {path}.")


def init_app(app: Flask) -> None:
    commands = (
        framework_group,
        demo_command,
        create_admin_command,
        create_set_command,
        rename_set_command,
        add_member_command,
        move_member_command,
        remove_member_command,
        assign_assessor_command,
        invite_command,
        resend_invitation_command,
        revoke_invitation_command,
        seed_command,
        purge_exports_command,
        send_digests_command,
        backup_command,
    )
    for command in commands:
        app.cli.add_command(command)
