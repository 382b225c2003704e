"""Throttling password guesses at sign-in and on the account page."""

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user

from . import accounts


def _guess_failed(response) -> bool:
    # Only failures count towards the limits; a sign-in or a password change that works redirects.
    return response.status_code != 302


def _account_key() -> str:
    email = current_user.email if current_user.is_authenticated else request.form.get("email", "")
    return "account:" + accounts.normalise_email(email)


# Views that check a password: signing in, and the current password when changing it.
PASSWORD_VIEWS = ("auth.login", "auth.account")


def limit_password_guesses(app: Flask, limiter: Limiter) -> None:
    """Throttle wrong passwords per address and per account, with this app's limiter.

    Shared limits: a guess on either page counts against the same account and address.
    """
    per_account = limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        scope="password-per-account",
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_guess_failed,
    )
    per_address = limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        scope="password-per-address",
        methods=["POST"],
        deduct_when=_guess_failed,
    )
    for endpoint in PASSWORD_VIEWS:
        app.view_functions[endpoint] = per_address(per_account(app.view_functions[endpoint]))
