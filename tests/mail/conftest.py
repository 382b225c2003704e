"""E-mail tests send what an admin sends: the administration's set and admin browser."""

from tests.admin.conftest import admin, glasgow

__all__ = ["admin", "glasgow"]
