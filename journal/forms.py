"""WTForms forms of the server-rendered pages (CSRF through Flask-WTF)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional

from .models import TEXT_LIMIT, ActionStatus, InvitationRole, Visibility

VISIBILITY_CHOICES = [
    SelectChoice(Visibility.PRIVATE.value, "Private — only you"),
    SelectChoice(Visibility.FACILITATOR.value, "Facilitator — you and your set's facilitators"),
    SelectChoice(
        Visibility.SET.value, "Set — you, your facilitators and the other candidates in the set"
    ),
]

STATUS_CHOICES = [
    SelectChoice(ActionStatus.OPEN.value, "Open"),
    SelectChoice(ActionStatus.DONE.value, "Done"),
    SelectChoice(ActionStatus.DROPPED.value, "Dropped"),
    SelectChoice(ActionStatus.CARRIED.value, "Carried forward"),
]


def _optional_int(value: str | int | None) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device")


class ReflectionForm(FlaskForm):
    meeting_id = SelectField("Meeting", coerce=_optional_int, validate_choice=False)
    experience = TextAreaField(
        "Experience",
        description="What happened? Your own experience, in your own words.",
        validators=[Length(max=TEXT_LIMIT)],
    )
    insight = TextAreaField(
        "Insight",
        description="What did you learn? What do you now see differently?",
        validators=[Length(max=TEXT_LIMIT)],
    )
    next_action = TextAreaField(
        "Next action",
        description="What will you do before the next meeting?",
        validators=[Length(max=TEXT_LIMIT)],
    )
    action_due = DateField("Action due by", validators=[Optional()])
    visibility = RadioField(
        "Who may read this", choices=VISIBILITY_CHOICES, default=Visibility.FACILITATOR.value
    )
    # The version this form was opened at: saving over a newer one is refused, not lost.
    base_version = HiddenField()


class ActionForm(FlaskForm):
    action_status = SelectField("Status", choices=STATUS_CHOICES)
    action_outcome = TextAreaField("What came of it", validators=[Length(max=TEXT_LIMIT)])


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


def _strip(value: str | None) -> str | None:
    # An address pasted with a space around it is still that address.
    return value.strip() if isinstance(value, str) else value


class InvitationForm(FlaskForm):
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    role = SelectField(
        "Role", choices=[SelectChoice(r.value, r.value.title()) for r in InvitationRole]
    )
    set_id = SelectField("Set", coerce=_optional_int, validate_choice=False)


def _new_password(label: str) -> PasswordField:
    # Length and commonness are checked by accounts.password_problem, with a message of its own.
    return PasswordField(
        label,
        description="At least 8 characters. A few unrelated words make a strong one.",
        validators=[InputRequired(), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )


def _password_again() -> PasswordField:
    return PasswordField(
        "Password again",
        validators=[InputRequired(), EqualTo("password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class AcceptInvitationForm(FlaskForm):
    name = StringField(
        "Your name",
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    password = _new_password("Choose a password")
    confirm = _password_again()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password("New password")
    confirm = _password_again()
