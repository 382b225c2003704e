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


NO_SET = "No set: only you will read it"


class ReflectionForm(Form):
    """The writing form. What it says is what is saved: linked to a meeting, the reflection
    reaches that meeting's set, and "No set" means only its author reads it; a choice that
    contradicts another is refused by its field rather than quietly overridden (README, "Who may
    read what"). static/app.js makes the choices follow each other where scripts run."""

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

    def __init__(
        self,
        *args,
        meeting_sets: dict[int, tuple[int, str]] | None = None,
        stored_alone: str | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # Each meeting offered -> (id, name) of its set: the set a reflection linked to it reaches.
        self.meeting_sets = meeting_sets or {}
        # The visibility of an edited reflection saved with no set (the API allows it; it reaches
        # its author alone): keeping it may stay, as saving keeps what was saved before.
        self.stored_alone = stored_alone

    def _no_set_chosen(self) -> bool:
        """ "No set" was chosen (a form without the set choice leaves it to the meeting)."""
        return self.set_id.raw_data == [""]

    def _shared(self) -> bool:
        return self.visibility.data != Visibility.PRIVATE.value

    def validate_set_id(self, field: SelectField) -> None:
        meeting_set = self.meeting_sets.get(self.meeting_id.data)
        if meeting_set is not None and self._no_set_chosen() and self._shared():
            name = meeting_set[1]
            raise ValidationError(
                f"Linked to a meeting of {name}, this reflection reaches {name}, so it cannot be"
                f" “No set”: choose {name} here, or “Private — only you” under “Who may read"
                " this” for only you to read it."
            )

    def validate_visibility(self, field: RadioField) -> None:
        kept = self.stored_alone == field.data
        if self.meeting_id.data is None and self._no_set_chosen() and self._shared() and not kept:
            raise ValidationError(
                "With “No set”, only you will read it: choose “Private — only you”, or choose"
                " a set above for others to read it."
            )


class ActionForm(Form):
    action_status = SelectField(
        "Status",
        choices=STATUS_CHOICES,
        description="Choose “Carried forward” to report on it again at your set’s next meeting.",
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
