"""The evidence pages' forms: offering a reflection, deciding a criterion, commenting on a claim,
asking for a portfolio export."""

from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..forms import Form
from ..http import positive_id
from ..models import TEXT_LIMIT, Decision, ExportFormat
from .claims import DECLARATION

COMMENT_LIMIT = 5_000


class OfferForm(Form):
    # Checkboxes grouped by unit on the page (templates/evidence/offer.html); which ids are
    # offerable is the view's to check against the candidate's own frameworks.
    criteria = SelectMultipleField("Criteria", coerce=positive_id, validate_choice=False)
    declaration = BooleanField(
        DECLARATION,
        validators=[DataRequired("Confirm that this is your own work to offer it.")],
    )
    # The version shown on the page: what is frozen must be what the candidate confirmed.
    base_version = HiddenField()

    def validate_criteria(self, field) -> None:
        if not field.data:
            raise ValidationError("Choose at least one criterion this reflection is evidence for.")


DECISION_CHOICES = [
    SelectChoice(Decision.ACCEPTED.value, "Accepted"),
    SelectChoice(Decision.NOT_YET.value, "Not yet"),
]


class DecisionForm(Form):
    """One criterion's decision; prefixed by the criterion on a claim's page."""

    decision = RadioField(
        "Decision",
        choices=DECISION_CHOICES,
        validators=[InputRequired("Choose accepted or not yet.")],
    )
    feedback = TextAreaField(
        "Feedback",
        description="For the candidate. Needed for “not yet”: say what is missing.",
        validators=[Length(max=TEXT_LIMIT)],
    )

    def validate_feedback(self, field) -> None:
        if self.decision.data == Decision.NOT_YET and not (field.data or "").strip():
            raise ValidationError("Say what is missing: “not yet” needs feedback.")


class CommentForm(Form):
    body = TextAreaField(
        "Your comment",  # the claim's page names whom it is for
        description="You both read it on this page. Markdown: **bold**, _italic_, lists, links.",
        validators=[Length(max=COMMENT_LIMIT)],
    )

    def validate_body(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Write something first.")


class ExportForm(Form):
    # Sent by one of two buttons (name="format"), so one tap asks for the file.
    format = RadioField(
        "Format",
        choices=[
            SelectChoice(ExportFormat.PDF.value, "PDF"),
            SelectChoice(ExportFormat.ZIP.value, "ZIP (the PDF, Markdown files, a manifest)"),
        ],
    )
