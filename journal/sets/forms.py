"""The meeting form: when (in the installation's time zone), where, and the agenda."""

from wtforms import DateField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import Form, strip
from ..models import TEXT_LIMIT

LOCATION_LIMIT = 500
# What browsers send for <input type="time">: seconds only when the field asks for them.
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


class MeetingForm(Form):
    date = DateField("Date", validators=[InputRequired("Enter the date of the meeting.")])
    start_time = TimeField(
        "Starts at",
        format=TIME_FORMATS,
        validators=[InputRequired("Enter the time the meeting starts.")],
    )
    end_time = TimeField(
        "Ends at",
        format=TIME_FORMATS,
        description="Optional; the same day, after the start.",
        validators=[Optional()],
    )
    location = StringField(
        "Place or call link",
        description="A room and address, or the link to the video call.",
        filters=[strip],
        validators=[Length(max=LOCATION_LIMIT)],
    )
    agenda = TextAreaField(
        "Agenda",
        description="Optional. Markdown: **bold**, _italic_, lists, links.",
        validators=[Length(max=TEXT_LIMIT)],
    )
