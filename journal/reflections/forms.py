"""The writing form and the action form."""

from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, ValidationError

from ..forms import Form, optional_id, within_years
from ..models import TEXT_LIMIT, ActionStatus, Visibility

VISIBILITY_CHOICES = [
    SelectChoice(Visibility.PRIVATE.value, "Private — only you"),
    SelectChoice(Visibility.FACILITATOR.value, "Facilitator — you and your set's facilitators"),
    SelectChoice(
        Visibility.SET.value, "Set — you, your facilitators and the other candidates in the set"
    ),
]

STATUS_CHOICES = [
    SelectChoice(ActionStatus.OPEN.value, "Open"),
    SelectChoice(ActionStatus.DONE.value, "Done"),
    SelectChoice(ActionStatus.DROPPED.value, "Dropped"),
    SelectChoice(ActionStatus.CARRIED.value, "Carried forward"),
]


class ReflectionForm(Form):
    meeting_id = SelectField("Meeting", coerce=optional_id, validate_choice=False)
    set_id = SelectField(
        "Which set",
        description="The one set this reflection may reach. Linked to a meeting, it is that"
        " meeting's set.",
        coerce=optional_id,
        validate_choice=False,
    )
    experience = TextAreaField(
        "Experience",
        description="What happened? Your own experience, in your own words.",
        validators=[Length(max=TEXT_LIMIT)],
    )
    insight = TextAreaField(
        "Insight",
        description="What did you learn? What do you now see differently?",
        validators=[Length(max=TEXT_LIMIT)],
    )
    next_action = TextAreaField(
        "Next action",
        description="What will you do before the next meeting?",
        validators=[Length(max=TEXT_LIMIT)],
    )
    action_due = DateField("Action due by", validators=[Optional(), within_years])
    visibility = RadioField(
        "Who may read this", choices=VISIBILITY_CHOICES, default=Visibility.FACILITATOR.value
    )
    # The version this form was opened at: saving over a newer one is refused, not lost.
    base_version = HiddenField()


class ActionForm(Form):
    action_status = SelectField(
        "Status",
        choices=STATUS_CHOICES,
        description="Carried forward: followed up at your set's next meeting.",
    )
    action_outcome = TextAreaField("What came of it", validators=[Length(max=TEXT_LIMIT)])
    # As on the writing form: a change synced from another device meanwhile is a conflict.
    base_version = HiddenField()


class CommentForm(Form):
    """A comment on a reflection, or its author's answer: Markdown, like the reflection."""

    body = TextAreaField("Your comment")

    def validate_body(self, field: TextAreaField) -> None:
        text = field.data or ""
        if not text.strip():
            raise ValidationError("Write something first: this comment is empty.")
        if len(text) > TEXT_LIMIT:
            raise ValidationError(
                f"Keep this under {TEXT_LIMIT:,} characters (it has {len(text):,})."
            )
