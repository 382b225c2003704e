"""Where a device keeps one person's offline copies, and the key that seals them.

A phone may be shared. Its browser keeps the pages a person visited (Cache Storage) and what
they wrote without a connection (IndexedDB) under a name of that person's own, and seals the
drafts and the outbox with AES-GCM under a key that only that person's session can fetch
(`GET /pwa/storage`). When someone else signs in on the phone, or the phone learns that nobody
is signed in, the scripts delete the pages and the key: what could not be sent yet stays on the
phone, sealed, until its writer signs in again, and nobody else can read it (static/pwa/).

Both values come from the person's id and SECRET_KEY (HMAC-SHA256 with a label each), so they
need no column and no migration, stay the same across sign-ins (a queue written before a session
ended is found again after signing in), never contain the e-mail address, and cannot be worked
out without the secret. Changing SECRET_KEY signs everyone out and makes sealed copies on
devices unreadable: their writers would have to type them again.
"""

import base64
import hashlib
import hmac

from flask import current_app

from ..models import User

STORAGE_ID_LENGTH = 24  # hex digits: 96 bits, no collision between people in practice


def _derive(label: str, user: User) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"{label}\0{user.id}".encode(), hashlib.sha256).digest()


def storage_id(user: User) -> str:
    """The opaque name of this person's storage on any device (cache and database names)."""
    return _derive("set-journal offline storage id", user).hex()[:STORAGE_ID_LENGTH]


def storage_key(user: User) -> str:
    """The 256-bit AES-GCM key, base64url, that seals this person's drafts and outbox."""
    key = _derive("set-journal offline storage key", user)
    return base64.urlsafe_b64encode(key).decode().rstrip("=")
