"""What every form shares: the CSRF-only confirmation form and small field helpers."""

from flask_wtf import FlaskForm


def optional_int(value: str | int | None) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def strip(value: str | None) -> str | None:
    # An address pasted with a space around it is still that address.
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""
