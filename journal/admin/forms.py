"""The administration's forms."""

from flask import current_app
from flask_wtf.file import FileField
from wtforms import EmailField, SelectChoice, SelectField, ValidationError
from wtforms.validators import DataRequired, Email, Length

from ..evidence.frameworks import format_of
from ..forms import Form, optional_id, strip
from ..models import InvitationRole


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
        description="To invite someone into a set, find the set under Sets and choose Invite.",
    )


class FrameworkUploadForm(Form):
    file = FileField(
        "Framework file",
        description="A .json or .csv file in one of the formats described in the README.",
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
