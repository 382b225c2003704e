"""What every form shares: text that can be stored, the CSRF-only form, small field helpers."""

from flask import abort, make_response, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import Field
from wtforms.fields import FileField
from wtforms.validators import ValidationError

from .errors import error_response
from .http import positive_id
from .sets.scheduling import out_of_range
from .text import unstorable

# What a browser's <form> sends: its `enctype`, or `new FormData(form)` from a page's script.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
NOT_A_FORM = (
    "This page takes a form as a browser sends it (URL-encoded or multipart), not JSON or"
    " another type. Programs have the JSON API under /api/v1/."
)
A_FILE = "This field takes text, not a file."
# The default of Form(formdata=...): read the request (Flask-WTF's own default is private).
FROM_REQUEST = object()


class Form(FlaskForm):
    """The base of every form: besides each field's own rules, no field may hold text that no
    database can store (a NUL in an e-mail address was a 500 on PostgreSQL), nor anything but
    text (README, Security: a file part or a JSON value was a 500 in fourteen forms)."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: "Form", formdata: object):
            if formdata is FROM_REQUEST:
                return form.submitted_text()
            return super().wrap_formdata(form, formdata)

    def __init__(self, formdata: object = FROM_REQUEST, **kwargs):
        self.files_refused: set[str] = set()
        super().__init__(formdata=formdata, **kwargs)

    def submitted_text(self) -> MultiDict | None:
        """What was posted, as Flask-WTF would read it, but text only: its default also reads
        every file part into any field, and a JSON body's values (numbers, lists, objects)
        straight into the fields, which expect text. Here a file part reaches only a file
        field (one sent for another field is that field's error, the form shown again with
        400), and a body no browser's form sends (JSON, text/plain, ...) is a plain 400 page:
        nobody typed it, so there is no form to give back, only a word to its program."""
        if not self.is_submitted():
            return None
        if request.mimetype not in FORM_TYPES and (request.mimetype or request.content_length):
            abort(make_response(*error_response(400, NOT_A_FORM)))
        names = {field.name for field in self}
        file_fields = {field.name for field in self if isinstance(field, FileField)}
        files = MultiDict()
        for name, part in request.files.items(multi=True):
            if name in file_fields:
                files.add(name, part)
            elif name in names:
                self.files_refused.add(name)
        if files:
            return CombinedMultiDict((files, request.form))
        return request.form if request.form or request.files else None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = unstorable(field.data) if isinstance(field.data, str) else None
            if field.name in self.files_refused:
                problem = A_FILE
            if problem is not None:
                field.errors = [*field.errors, problem]
                valid = False
        return valid


def optional_id(value: str | int | None) -> int | None:
    """A row's id from a select, or None for none; ValueError (a form error) for what no row can
    have: a number past LARGEST_ID (a 500 on both databases), "-1", " 7", "٣"."""
    if value in (None, "", "None"):
        return None
    return positive_id(str(value))


def within_years(form: FlaskForm, field: Field) -> None:
    """A date within the years a meeting may have (1970 to 2100, sets/scheduling.py): anything
    else is a typing slip, and 9999-12-31 has no next day for a calendar's all-day event."""
    if field.data is not None and (problem := out_of_range(field.data)) is not None:
        raise ValidationError(problem)


def strip(value: str | None) -> str | None:
    # An address pasted with a space around it is still that address.
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(Form):
    """A form with nothing but its CSRF token, for buttons that change state."""
