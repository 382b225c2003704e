"""The administration's forms."""

from wtforms import EmailField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Email, Length

from ..forms import Form, strip
from ..http import positive_id
from ..models import InvitationRole


def optional_id(value: str | int | None) -> int | None:
    """A set's id, or None for no set; ValueError for what no row can have: a number past
    LARGEST_ID (a 500 on both databases), "-1", " 7", "٣"."""
    if value in (None, "", "None"):
        return None
    return positive_id(str(value))


class InvitationForm(Form):
    email = EmailField(
        "Email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    role = SelectField(
        "Role", choices=[SelectChoice(r.value, r.value.title()) for r in InvitationRole]
    )
    set_id = SelectField("Set", coerce=optional_id, validate_choice=False)
