"""Who may open a person's own data export (journal/privacy/): that person alone. Not an admin,
not their facilitator or assessor: it holds everything they wrote, private reflections included,
so anyone else gets 404 (its existence is not theirs to know)."""

from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import LARGEST_ID, DataExport, User


def can_open_data_export(user: User, export: DataExport) -> bool:
    return user.is_authenticated and export.user_id == user.id


def get_data_export(export_id: int) -> DataExport:
    """The export (without its file) for the person it is of; 404 for anyone else."""
    export = db.session.get(DataExport, export_id) if 0 < export_id <= LARGEST_ID else None
    if export is None or not can_open_data_export(current_user, export):
        abort(404)
    return export
