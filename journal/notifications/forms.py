"""The notification setting on Account."""

from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from ..forms import Form
from ..models import EmailChoice

LABELS = {
    EmailChoice.EACH: "Each time",
    EmailChoice.DAILY: "Once a day (a digest)",
    EmailChoice.NEVER: "Never",
}
CHOICES = [SelectChoice(choice.value, label) for choice, label in LABELS.items()]


class NotificationsForm(Form):
    email_notifications = RadioField(
        "E-mail me",
        description=(
            "When someone comments on your reflection, or offers, decides or comments on"
            " evidence you are part of. The e-mail says who and what kind, with a link; never"
            " the words."
        ),
        choices=CHOICES,
        validators=[InputRequired(message="Choose how often to be e-mailed.")],
    )
