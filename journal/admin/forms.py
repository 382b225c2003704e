"""The administration's forms."""

from flask import current_app
from flask_wtf.file import FileField
from wtforms import EmailField, SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Email, InputRequired, Length

from ..evidence.frameworks import format_of
from ..forms import Form, optional_id, strip
from ..models import InvitationRole, SetRole
from .sets import NAME_LIMIT, PROGRAMME_LIMIT


class InvitationForm(Form):
    email = EmailField(
        "Email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    role = SelectField(
        "Role", choices=[SelectChoice(r.value, r.value.title()) for r in InvitationRole]
    )
    set_id = SelectField(
        "Set",
        coerce=optional_id,
        validate_choice=False,
        description="To invite someone into a set, find it by name above, then choose it here.",
    )


class SetForm(Form):
    name = StringField(
        "Name",
        description='Unique, e.g. "Glasgow 3".',
        filters=[strip],
        validators=[
            DataRequired("Give the set a name."),
            Length(max=NAME_LIMIT, message=f"Use at most {NAME_LIMIT} characters."),
        ],
    )
    programme = StringField(
        "Programme",
        description='Optional, e.g. "NVQ Level 7 Leadership — cohort 3".',
        filters=[strip],
        validators=[
            Length(max=PROGRAMME_LIMIT, message=f"Use at most {PROGRAMME_LIMIT} characters.")
        ],
    )


def _email(label: str, description: str) -> EmailField:
    return EmailField(
        label,
        description=description,
        filters=[strip],
        validators=[
            DataRequired("Enter their email address."),
            Email("Enter an email address, like name@example.org."),
            Length(max=254),
        ],
    )


class MemberForm(Form):
    """Someone who has an account, into a set: found by their email address, never picked from
    a list of everyone (tens of thousands of people)."""

    email = _email("Their email address", "The address they sign in with.")
    role = SelectField("Role", choices=[SelectChoice(r.value, r.value.title()) for r in SetRole])


class MoveForm(Form):
    """The set a member moves to, as chosen on the confirmation page."""

    to_set_id = StringField(validators=[InputRequired("Choose the set to move them to.")])


class EnrolmentForm(Form):
    framework_id = SelectField("Qualification framework", coerce=optional_id, validate_choice=False)
    assessor = _email("The assessor's email address", "Anyone with an account may assess.")


class AssessorForm(Form):
    assessor = _email("The new assessor's email address", "Anyone with an account may assess.")


class FrameworkUploadForm(Form):
    file = FileField(
        "Framework file",
        description="A .json or .csv file in one of the formats shown below.",
        render_kw={"accept": ".json,.csv"},
    )

    def validate_file(self, field: FileField) -> None:
        """A file was chosen, named .json or .csv, within FRAMEWORK_FILE_LIMIT; its bytes are
        read into `field.content`."""
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError("Choose a file to upload.")
        if format_of(upload.filename) is None:
            raise ValidationError("Choose a .json or .csv file.")
        limit = current_app.config["FRAMEWORK_FILE_LIMIT"]
        field.content = upload.stream.read(limit + 1)
        if len(field.content) > limit:
            raise ValidationError(f"The file is larger than {limit // 1024} KB.")
        if not field.content.strip():
            raise ValidationError("The file is empty.")
