"""What the administration's tests share: a set, and an admin's browser."""

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def glasgow(make):
    return make.set(name="Glasgow 3")


@pytest.fixture
def admin(make, browser) -> FlaskClient:
    """The browser of an admin who belongs to no set."""
    return browser(make.user("Alex Admin", is_admin=True).email)
