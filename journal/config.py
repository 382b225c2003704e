"""Configuration: defaults, then what the environment says, then checks before start-up."""

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # A token lives as long as the session, so a draft written offline days ago still syncs.
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_SSL_STRICT": True,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
    # None: decided in finalise(), Secure except in development and tests (plain http there).
    # Flask's own default is False, which would leave production cookies without the flag.
    "SESSION_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_SECURE": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "REMEMBER_COOKIE_NAME": "remember_token",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_REFRESH_EACH_REQUEST": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Redis away: each process counts in its own memory until it answers again (logged once
    # each way), and sign-in goes on (README, "Running it in production").
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    # Seconds the web process waits for Redis to accept a connection, then for each answer:
    # redis-py would wait for ever, and a page with it. Redis answers in well under a
    # millisecond, so a second means it is away.
    "REDIS_CONNECT_TIMEOUT": 1.0,
    "REDIS_TIMEOUT": 1.0,
    "LOGIN_LIMIT_PER_ADDRESS": "20 per 10 minutes",
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 10 minutes",
    # A browser that has signed in to an account guesses at it from a pool of its own
    # (auth/throttle.py); the cookie saying so lasts this long from the last sign-in.
    "DEVICE_COOKIE_NAME": "device",
    "DEVICE_COOKIE_DURATION": timedelta(days=180),
    "INVITATION_LIFETIME": timedelta(days=7),
    "PAGE_SIZE": 20,
    # A framework file uploaded on /admin/frameworks (the largest real one is a few dozen KB).
    "FRAMEWORK_FILE_LIMIT": 256 * 1024,
    # Portfolio exports are deleted this long after they were asked for (journal/evidence/).
    "EXPORT_LIFETIME": timedelta(hours=24),
    # The RQ queue background jobs go to when REDIS_URL is set (journal/jobs.py).
    "JOBS_QUEUE": "set-journal",
    "TIMEZONE": "Europe/London",
    # E-mail (journal/mail/, README "E-mail"): MAIL_URL names the SMTP server; without it each
    # message is written to the log. BASE_URL (https://journal.example.org) starts every link
    # in a message; without it, SERVER_NAME and PREFERRED_URL_SCHEME. Production refuses to
    # start with neither; development and tests fall back to the request's host.
    "MAIL_URL": None,
    "MAIL_FROM": "Set Journal <no-reply@localhost>",
    "MAIL_TIMEOUT": 10,  # seconds for each step of a conversation with the mail server
    # RQ's retries of a message the server refused or could not take: waits in seconds.
    "MAIL_RETRY_INTERVALS": [30, 120, 600],
    "BASE_URL": None,
    "PASSWORD_RESET_LIFETIME": timedelta(hours=1),
    # Asking for a password reset link: per address asking, and per e-mail address asked for.
    "RESET_LIMIT_PER_ADDRESS": "10 per hour",
    "RESET_LIMIT_PER_EMAIL": "5 per hour",
    # development: a generated secret key and cookies without the Secure flag (plain http).
    "DEVELOPMENT": False,
    # Proxies in front of the app that each add to X-Forwarded-For and set X-Forwarded-Proto
    # (README, "Behind a proxy"). 0: the headers are ignored, the address is the TCP peer's.
    "PROXY_HOPS": 0,
}

ENVIRONMENT_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    # The rest are read into settings of the same name.
    **{
        name: name
        for name in ("SECRET_KEY", "REDIS_URL", "MAIL_URL", "MAIL_FROM", "BASE_URL", "PROXY_HOPS")
    },
}


def load_environment(app: Flask) -> None:
    """Read the unprefixed variables a host sets: DATABASE_URL, SECRET_KEY, REDIS_URL, MAIL_URL,
    MAIL_FROM, BASE_URL, PROXY_HOPS."""
    for variable, key in ENVIRONMENT_KEYS.items():
        if os.environ.get(variable):
            app.config[key] = os.environ[variable]


def finalise(app: Flask) -> None:
    """Fill in what depends on other settings, and refuse to start in production without a
    secret key or the address links in e-mail start with."""
    config = app.config
    config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(app.instance_path) / 'journal.sqlite'}"
    )
    config["SQLALCHEMY_DATABASE_URI"] = _with_driver(config["SQLALCHEMY_DATABASE_URI"])
    if config.get("REDIS_URL"):
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
        config.setdefault("RATELIMIT_STORAGE_OPTIONS", redis_timeouts(config))
    if config.get("MAIL_URL"):
        from .mail.smtp import MailServer

        MailServer.from_url(config["MAIL_URL"])  # a mistyped MAIL_URL stops start-up, saying why
    config["PROXY_HOPS"] = _proxy_hops(config["PROXY_HOPS"])
    relaxed = config["DEVELOPMENT"] or app.testing or app.debug
    if not config.get("SECRET_KEY"):
        if not relaxed:
            raise RuntimeError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random"
                " string (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if not relaxed and not (config.get("BASE_URL") or config.get("SERVER_NAME")):
        # Links in e-mail (password resets, invitations) must not come from the request's Host
        # header, which whoever asks for a reset chooses (README, "E-mail").
        raise RuntimeError(
            "BASE_URL is not set. Set it to the address people open the journal at"
            " (e.g. https://journal.example.org): links in e-mail start with it."
        )
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config.get(key) is None:
            config[key] = not relaxed


def redis_timeouts(config: Mapping[str, Any]) -> dict[str, float]:
    """redis-py's socket options for the configured timeouts (the limiter's and the queue's)."""
    return {
        "socket_connect_timeout": config["REDIS_CONNECT_TIMEOUT"],
        "socket_timeout": config["REDIS_TIMEOUT"],
    }


def _proxy_hops(value: object) -> int:
    """PROXY_HOPS as a count; anything else stops start-up (a typo must not trust every
    client's X-Forwarded-For, nor silently ignore the proxy's)."""
    hops = value if isinstance(value, int) else None
    if isinstance(value, str) and value.strip().isdigit():
        hops = int(value)
    if hops is None or isinstance(value, bool) or hops < 0:
        raise RuntimeError(
            f"PROXY_HOPS must be a whole number of proxies (0, 1, 2 ...), not {value!r}."
        )
    return hops


def _with_driver(url: str) -> str:
    # Hosts hand out postgres:// or postgresql:// URLs; psycopg 3 is the driver installed.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _instance_secret(instance: Path) -> str:
    """Generate the development secret once, so sessions survive a restart."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
