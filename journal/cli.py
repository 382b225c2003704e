"""Command-line tasks: demo data, the first admin, invitations."""

import click
from flask import Flask, current_app, url_for
from sqlalchemy import select

from . import accounts, demo
from .extensions import db
from .models import InvitationRole, LearningSet


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
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
@click.argument("email")
@click.option("--name", prompt="Name")
@click.password_option(help="At least 8 characters.")
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account (the first one, or another)."""
    if accounts.find_user(email) is not None:
        raise click.ClickException(f"An account for {email} already exists.")
    problem = accounts.password_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    accounts.create_user(email, name, password, is_admin=True)
    db.session.commit()
    click.echo(f"Administrator {accounts.normalise_email(email)} created.")


@click.command("invite")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in InvitationRole]))
@click.option("--set", "set_name", help="The set's name (for candidates and facilitators).")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where people reach the app, for the link.",
)
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


def init_app(app: Flask) -> None:
    for command in (demo_command, create_admin_command, invite_command):
        app.cli.add_command(command)
