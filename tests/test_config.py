"""Configuration: what the environment says, a secret key that is never missing by accident."""

import gc
import os
import stat

import pytest
from flask import Flask

from journal import create_app
from journal.extensions import db
from tests.helpers import csrf_token_of, make_app

HOST_VARIABLES = (
    "DATABASE_URL",
    "SECRET_KEY",
    "REDIS_URL",
    "MAIL_URL",
    "MAIL_FROM",
    "BASE_URL",
    "PROXY_HOPS",
)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A clean environment and an empty instance folder of our own for every app made here."""
    for name in list(os.environ):
        if name in HOST_VARIABLES or name.startswith("FLASK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BASE_URL", "https://journal.example.org")
    folder = tmp_path / "instance"
    # Flask asks this when no instance_path is given to the constructor, as create_app does.
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    return folder


def test_production_without_a_secret_key_refuses_to_start(instance):
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app()

    assert not (instance / "secret_key").exists()


def test_production_without_a_base_url_refuses_to_start(instance, monkeypatch):
    """Otherwise a reset link would be built from the Host header of whoever asked for it."""
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.delenv("BASE_URL")

    with pytest.raises(RuntimeError, match="BASE_URL is not set"):
        create_app()


def test_production_reads_the_secret_key_from_the_environment(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")

    app = create_app()

    assert app.config["SECRET_KEY"] == "a-production-secret"
    assert not (instance / "secret_key").exists()


def test_production_cookies_are_secure_by_default(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")

    config = create_app().config

    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True


def test_development_generates_a_secret_key_once_and_keeps_it(instance, monkeypatch):
    monkeypatch.setenv("FLASK_DEVELOPMENT", "true")

    first = create_app()
    second = create_app()

    key_file = instance / "secret_key"
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 64
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    # Only the owner may read it.
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_development_keys_differ_between_installations(tmp_path, instance, monkeypatch):
    monkeypatch.setenv("FLASK_DEVELOPMENT", "true")
    first = create_app().config["SECRET_KEY"]
    other = tmp_path / "other-instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(other))

    assert create_app().config["SECRET_KEY"] != first


def test_development_cookies_work_over_plain_http(instance, monkeypatch):
    monkeypatch.setenv("FLASK_DEVELOPMENT", "true")

    config = create_app().config

    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["REMEMBER_COOKIE_SECURE"] is False


def test_an_explicit_secret_key_wins_over_the_generated_one(instance, monkeypatch):
    monkeypatch.setenv("FLASK_DEVELOPMENT", "true")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")

    assert create_app().config["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()


def test_testing_without_a_secret_key_uses_the_instance_one(instance):
    app = create_app({"TESTING": True})

    assert app.config["SECRET_KEY"] == (instance / "secret_key").read_text().strip()


def test_the_default_database_is_sqlite_in_the_instance_folder(instance):
    app = create_app({"TESTING": True})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'journal.sqlite'}"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (
            "postgres://u:p@db.example.org:5432/journal",
            "postgresql+psycopg://u:p@db.example.org:5432/journal",
        ),
        (
            "postgresql://u:p@db.example.org/journal",
            "postgresql+psycopg://u:p@db.example.org/journal",
        ),
        (
            "postgresql+psycopg://u@db.example.org/journal",
            "postgresql+psycopg://u@db.example.org/journal",
        ),
        ("sqlite:////srv/journal.sqlite", "sqlite:////srv/journal.sqlite"),
    ],
)
def test_database_url_comes_from_the_environment_with_the_psycopg_driver(
    instance, monkeypatch, given, used
):
    monkeypatch.setenv("DATABASE_URL", given)

    app = create_app({"TESTING": True})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == used


def test_redis_url_from_the_environment_is_where_limits_are_kept(instance, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")

    app = create_app({"TESTING": True})

    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_without_redis_url_limits_are_kept_in_memory(instance):
    app = create_app({"TESTING": True})

    assert "REDIS_URL" not in app.config
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_the_test_config_wins_over_the_environment(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example.org/journal")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "from-the-test", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )

    assert app.config["SECRET_KEY"] == "from-the-test"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


def test_other_flask_settings_come_from_prefixed_variables(instance, monkeypatch):
    monkeypatch.setenv("FLASK_PAGE_SIZE", "30")

    app = create_app({"TESTING": True})

    assert app.config["PAGE_SIZE"] == 30


def test_sensible_limits_are_set(instance):
    config = create_app({"TESTING": True}).config

    assert 0 < config["MAX_CONTENT_LENGTH"] <= 10 * 1024 * 1024
    assert config["WTF_CSRF_TIME_LIMIT"] is None
    assert config["REMEMBER_COOKIE_DURATION"].days == 30


def test_sign_in_works_with_rate_limiting_switched_off(tmp_path):
    """Flask-Limiter holds a disabled limiter only weakly; once Python collects it, every view
    it wraps used to answer 500 (found by tests/fuzz)."""
    app = make_app(f"sqlite:///{tmp_path / 'journal.sqlite'}", RATELIMIT_ENABLED=False)
    with app.app_context():
        db.create_all()
    gc.collect()
    client = app.test_client()
    token = csrf_token_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"email": "nobody@example.org", "password": "wrong-password", "csrf_token": token},
    )
    assert answer.status_code == 400
