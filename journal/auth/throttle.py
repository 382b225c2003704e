"""Throttling password guesses at sign-in and on the account page.

Only a wrong password counts. Guesses are limited per address, and per account in the way of
OWASP's "Slow Down Online Guessing Attacks with Device Cookies": a browser that has signed in to
an account holds a signed device cookie naming it, and its guesses at that account draw on a pool
of its own. Strangers who use up the account's pool for unknown devices do not lock its owner out,
and a copied device cookie still allows only the one pool's guesses.
"""

import secrets
import time
from typing import NamedTuple

from flask import Flask, Response, after_this_request, current_app, g, request
from flask_limiter import Limiter
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from ..models import User
from . import accounts

# Views that check a password: signing in, and the current password when changing it.
PASSWORD_VIEWS = ("auth.login", "auth.account")
# Accounts one browser's device cookie vouches for (a shared computer); the least recently
# signed-in one is dropped beyond this.
DEVICE_ACCOUNTS = 5
_DEVICE_SALT = "journal.device-cookie"


class DeviceEntry(NamedTuple):
    """One account this browser signed in to: whose, a random name for the pool, and when."""

    user_id: int
    nonce: str
    issued_at: int


def record_wrong_password() -> None:
    """Called by a view exactly where it finds a password wrong: only that counts."""
    g.wrong_password = True


def _wrong_password(response: Response) -> bool:
    # A refused form (CSRF, an empty field, a weak or mismatched new password) counts nothing.
    return g.get("wrong_password", False)


def _serializer() -> URLSafeSerializer:
    # Signed like the session: the newest key signs, fallback keys still verify after rotation.
    keys = [*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.secret_key]
    return URLSafeSerializer(keys, salt=_DEVICE_SALT)


def _device_entries() -> list[DeviceEntry]:
    """This browser's unexpired device entries, most recent first; none if forged or tampered."""
    value = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not value:
        return []
    try:
        entries = [DeviceEntry(*entry) for entry in _serializer().loads(value)]
    except (BadSignature, TypeError):
        return []
    # Checked here too, not only by the browser: a copied cookie must not work for ever.
    oldest = time.time() - current_app.config["DEVICE_COOKIE_DURATION"].total_seconds()
    return [entry for entry in entries if entry.issued_at >= oldest]


def trust_this_device(user: User) -> None:
    """After the right password: a fresh entry (a new pool) for `user` in this browser's cookie."""
    fresh = DeviceEntry(user.id, secrets.token_urlsafe(16), int(time.time()))
    others = [entry for entry in _device_entries() if entry.user_id != user.id]
    value = _serializer().dumps([fresh, *others][:DEVICE_ACCOUNTS])

    @after_this_request
    def set_device_cookie(response: Response) -> Response:
        config, sessions = current_app.config, current_app.session_interface
        response.set_cookie(
            config["DEVICE_COOKIE_NAME"],
            value,
            max_age=config["DEVICE_COOKIE_DURATION"],
            path=sessions.get_cookie_path(current_app),
            domain=sessions.get_cookie_domain(current_app),
            secure=sessions.get_cookie_secure(current_app),
            httponly=True,
            samesite="Lax",
        )
        return response


def _checked_email() -> str:
    """The account whose password this request checks: the signed-in person's, or the form's."""
    return current_user.email if current_user.is_authenticated else request.form.get("email", "")


def _checked_user_id() -> int | None:
    if current_user.is_authenticated:
        return current_user.id
    user = accounts.find_user(_checked_email())
    return user.id if user else None


def _account_key() -> str:
    """This device's own pool if it has signed in to the account, else the account's pool for
    devices it does not know."""
    entries = _device_entries()
    # The account is looked up only when a device cookie could vouch for it.
    user_id = _checked_user_id() if entries else None
    for entry in entries:
        if entry.user_id == user_id:
            return "device:" + entry.nonce
    return "account:" + accounts.normalise_email(_checked_email())


def record_reset_asked() -> None:
    """Called by the forgotten-password view when it asks for a link: only that counts."""
    g.reset_asked = True


def _reset_asked(response: Response) -> bool:
    return g.get("reset_asked", False)


def _asked_email() -> str:
    return "reset:" + accounts.normalise_email(request.form.get("email", ""))


def limit_reset_requests(app: Flask, limiter: Limiter) -> None:
    """Throttle asking for password reset links per address asking and per e-mail address asked
    for (so no one floods an inbox), counting only requests that asked for one."""
    per_email = limiter.limit(
        lambda: current_app.config["RESET_LIMIT_PER_EMAIL"],
        scope="reset-per-email",
        key_func=_asked_email,
        methods=["POST"],
        deduct_when=_reset_asked,
    )
    per_address = limiter.limit(
        lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"],
        scope="reset-per-address",
        methods=["POST"],
        deduct_when=_reset_asked,
    )
    view = "auth.forgot_password"
    app.view_functions[view] = per_address(per_email(app.view_functions[view]))


def limit_password_guesses(app: Flask, limiter: Limiter) -> None:
    """Throttle wrong passwords per address and per account, with this app's limiter.

    Shared limits: a guess on either page counts against the same account (or device) and address.
    """
    per_account = limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        scope="password-per-account",
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_wrong_password,
    )
    per_address = limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        scope="password-per-address",
        methods=["POST"],
        deduct_when=_wrong_password,
    )
    for endpoint in PASSWORD_VIEWS:
        app.view_functions[endpoint] = per_address(per_account(app.view_functions[endpoint]))
