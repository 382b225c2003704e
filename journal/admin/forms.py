"""The administration's forms."""

from wtforms import EmailField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Email, Length

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
