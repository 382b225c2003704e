"""What every form shares: text that can be stored, the CSRF-only form, small field helpers."""

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError

from .http import positive_id
from .sets.scheduling import out_of_range
from .text import unstorable


class Form(FlaskForm):
    """The base of every form: besides each field's own rules, no field may hold text that no
    database can store (a NUL in an e-mail address was a 500 on PostgreSQL)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = unstorable(field.data) if isinstance(field.data, str) else None
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
