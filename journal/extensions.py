"""Extensions, created unbound; `create_app` binds each to the app."""

import logging

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints let Alembic alter them on SQLite (batch mode) and on PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def new_limiter() -> Limiter:
    """A limiter for one app. Flask-Limiter keeps its storage, key prefix and settings on the
    instance, so one instance shared by several apps would count in the last app's storage."""
    # The key is the peer address Werkzeug saw, never a client-supplied X-Forwarded-For.
    return Limiter(key_func=get_remote_address)


def log_limiter_warnings(app: Flask) -> None:
    """Let Flask-Limiter say on stderr that its storage (Redis) is unreachable and limits now
    count in this process's memory (once per outage), and that it recovered.

    Flask-Limiter gives its logger only a NullHandler, which keeps logging's last resort (stderr)
    from ever printing them; a logging configuration of the operator's that gives the logger a
    handler wins. Its other INFO lines name the limit's key, which may be an e-mail address, so
    they stay out (README, "Running it in production": no e-mail address is logged).
    """
    logger = logging.getLogger("flask-limiter")
    if app.testing or any(not isinstance(h, logging.NullHandler) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_storage_news)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # for "Rate limit storage recovered"


def _storage_news(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or record.getMessage() == LIMITER_RECOVERED


LIMITER_RECOVERED = "Rate limit storage recovered"  # Flask-Limiter's words
