"""Set Journal: a reflective journal for Action Learning Sets."""

import os
from typing import Any

from flask import Flask

from . import config, security


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    config.load_environment(app)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    config.finalise(app)
    security.trust_proxies(app)

    from .extensions import csrf, db, log_limiter_warnings, login_manager, migrate, new_limiter

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter = new_limiter()
    limiter.init_app(app)
    log_limiter_warnings(app)
    # Held here too: Flask-Limiter keeps only a weak reference when RATELIMIT_ENABLED is false,
    # and the views it wraps then fail once it is collected.
    app.extensions["password_limiter"] = limiter
    login_manager.init_app(app)

    from . import (
        assets,
        cli,
        compression,
        errors,
        health,
        http,
        jobs,
        requestlog,
        templating,
        transactions,
    )
    from .admin.views import bp as admin_bp
    from .api.views import bp as api_bp
    from .auth.throttle import limit_password_guesses, limit_reset_requests
    from .auth.views import bp as auth_bp
    from .calendar.views import bp as calendar_bp
    from .evidence.views import bp as evidence_bp
    from .notifications.views import bp as notifications_bp
    from .privacy.views import bp as privacy_bp
    from .pwa.views import bp as pwa_bp
    from .reflections.views import bp as reflections_bp
    from .sets.views import bp as sets_bp

    app.url_map.converters["id"] = http.IdConverter

    requestlog.init_app(app)
    transactions.init_app(app)
    security.init_app(app)
    compression.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    jobs.init_app(app)
    app.register_blueprint(auth_bp)
    limit_password_guesses(app, limiter)
    limit_reset_requests(app, limiter)
    app.register_blueprint(reflections_bp)
    app.register_blueprint(sets_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(privacy_bp)
    health.init_app(app)
    return app
