"""The portfolio pages' one form: asking for an export."""

from wtforms import RadioField, SelectChoice

from ..forms import Form
from ..models import ExportFormat


class ExportForm(Form):
    # Sent by one of two buttons (name="format"), so one tap asks for the file.
    format = RadioField(
        "Format",
        choices=[
            SelectChoice(ExportFormat.PDF.value, "PDF"),
            SelectChoice(ExportFormat.ZIP.value, "ZIP (the PDF, Markdown files, a manifest)"),
        ],
    )
