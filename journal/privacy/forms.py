"""Deleting an account: by its holder with their password, or by an admin with a reason."""

from wtforms import PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form, strip


class DeleteAccountForm(Form):
    password = PasswordField(
        "Your password",
        description="To be sure it is you.",
        validators=[DataRequired(message="Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class AdminDeleteAccountForm(Form):
    reason = TextAreaField(
        "Why",
        description="Kept in the audit trail (the person's request, say, and when it came).",
        filters=[strip],
        validators=[DataRequired(message="Say why."), Length(max=500)],
    )
