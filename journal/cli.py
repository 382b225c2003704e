"""Command-line tasks: demo data, the first admin, sets, invitations, seeded data at scale."""

import functools
from collections.abc import Callable

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from sqlalchemy import inspect, select

from . import demo, seed
from .auth import accounts
from .evidence import frameworks
from .extensions import db
from .models import InvitationRole, LearningSet, User


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


@click.command("invite")
@click.argument("email", callback=_email)
@click.option("--role", required=True, type=click.Choice([r.value for r in InvitationRole]))
@click.option("--set", "set_name", help="The set's name (for candidates and facilitators).")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where people reach the app, for the link.",
)
@with_appcontext
@_migrated
def invite_command(email: str, role: str, set_name: str | None, base_url: str) -> None:
    """Invite someone: prints a one-time link where they set their name and password."""
    learning_set = None
    if set_name:
        learning_set = db.session.scalar(select(LearningSet).where(LearningSet.name == set_name))
        if learning_set is None:
            raise click.ClickException(f"There is no set called {set_name!r}.")
    try:
        _invitation, token = accounts.invite(email, role, learning_set, invited_by=None)
    except accounts.InvitationError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    with current_app.test_request_context(base_url=base_url):
        link = url_for("auth.accept_invitation", token=token, _external=True)
    click.echo(f"Invitation link (valid until used or expired):\n{link}")


@click.command("create-set")
@click.argument("name")
@click.option("--programme", default="", help='e.g. "NVQ Level 7 Leadership — cohort 3".')
@with_appcontext
@_migrated
def create_set_command(name: str, programme: str) -> None:
    """Create an action learning set, to invite its facilitators and candidates into."""
    name, programme = name.strip(), programme.strip()
    if not name or len(name) > LearningSet.name.type.length:
        raise click.ClickException("Give the set a name of 1 to 120 characters.")
    if db.session.scalar(select(LearningSet.id).where(LearningSet.name == name)) is not None:
        raise click.ClickException(f"There is a set called {name!r} already.")
    db.session.add(LearningSet(name=name, programme=programme))
    db.session.commit()
    click.echo(f"Set {name!r} created. Invite people into it with: invite EMAIL --set {name!r}")


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


def init_app(app: Flask) -> None:
    commands = (
        framework_group,
        demo_command,
        create_admin_command,
        create_set_command,
        invite_command,
        seed_command,
    )
    for command in commands:
        app.cli.add_command(command)
