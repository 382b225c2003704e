"""Forms for signing in, accepting an invitation, changing a password and resetting one."""

from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from ..forms import Form, strip


class LoginForm(Form):
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


class AcceptInvitationForm(Form):
    name = StringField(
        "Your name",
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    password = _new_password("Choose a password")
    confirm = _password_again()


class ChangePasswordForm(Form):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password("New password")
    confirm = _password_again()


class ForgotPasswordForm(Form):
    email = EmailField(
        "Email",
        filters=[strip],
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


class ResetPasswordForm(Form):
    password = _new_password("New password")
    confirm = _password_again()
