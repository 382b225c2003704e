"""The one-click unsubscribe link in every notification (RFC 8058): a token signed with the
app's SECRET_KEY (itsdangerous, with a salt of its own), naming the person by id and address.

It never expires (an old message's link must still work) and grants one thing only: turning
that person's notifications off. Nobody can make one without SECRET_KEY; an altered one fails
the signature; one for an account that was deleted, or whose address changed, names nobody.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..mail.compose import absolute_url
from ..models import User

SALT = "journal.notifications.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user: User) -> str:
    return _serializer().dumps([user.id, user.email])


def read(token: str) -> tuple[int, str] | None:
    """The (id, address) a genuine token names; None for anything else."""
    try:
        found = _serializer().loads(token)
    except BadSignature:
        return None
    match found:
        case [int() as user_id, str() as address]:
            return user_id, address
    return None


def link_for(user: User) -> str:
    return absolute_url("notifications.unsubscribe", token=token_for(user))
