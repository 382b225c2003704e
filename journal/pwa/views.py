"""The web app manifest, the service worker, the offline page, the favicon, and each signed-in
person's storage name and key (journal/pwa/storage.py).

The service worker is rendered here rather than served from static/: it must live at the root
to control every page, it must be revalidated on every visit (`no-cache`), and it carries the
list of files to precache at their hashed addresses and a version derived from their contents.
"""

import hashlib

from flask import Blueprint, Response, current_app, jsonify, request, session, url_for
from flask_login import current_user, user_loaded_from_cookie, user_logged_in

from ..assets import asset, manifest
from ..models import SetRole, User
from ..privacy import erasure
from ..sets.meetings import memberships_of
from . import storage

bp = Blueprint("pwa", __name__)

THEME_COLOUR = "#1f5f8b"  # the header's blue (static/style.css --accent)
BACKGROUND_COLOUR = "#fdfcfa"  # the page's paper (--paper): the splash screen's colour
REVALIDATE = "no-cache"
# Which person's storage an HTML answer belongs to (journal/pwa/storage.py), for the service
# worker: it files a page under that name, and forgets every page when it reads SIGNED_OUT.
# The outbox sends it back on each PUT, naming whose queue the reflection comes from.
STORAGE_HEADER = "X-Journal-Storage"
SIGNED_OUT = "none"
# The storage to erase whole, drafts and outbox included: an answer to a device whose person
# deleted their account (or had it deleted) says so once, and the worker erases it.
ERASE_HEADER = "X-Journal-Erase"
# The session remembers whose storage its device holds ([storage id, account id]), so that a
# session that ends with the account can still name what to erase.
STORAGE_OF = "storage_of"
WAITING_COOKIE = "sj_waiting_"  # + a storage id: static/pwa/outbox.js
# The error's reason when a request names someone else's storage (only_for_its_writer).
STORAGE_REASON = "storage"
# Scripts the service worker shares with the pages (the outbox is sent from both).
WORKER_SCRIPTS = ("pwa/store.js", "pwa/outbox.js")


@bp.get("/manifest.webmanifest")
def web_manifest():
    icons = [
        {"src": asset("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": asset("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": asset("icons/maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    body = {
        "id": "/",
        "name": "Set Journal",
        "short_name": "Set Journal",
        "description": "Your reflective journal for action learning sets: write what happened,"
        " what you learned and what you will do next, even with no signal.",
        "lang": "en-GB",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
        "shortcuts": [
            {
                "name": "Write a reflection",
                "url": url_for("reflections.create"),
                "icons": [icons[0]],
            }
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = REVALIDATE
    return response


def _render(template: str, **context) -> str:
    """A template rendered without the app's context processors, which would load the
    signed-in user (a query) for answers that name nobody: the worker, fetched on every
    navigation, and the offline page."""
    return current_app.jinja_env.get_template(template).render(**context)


def _offline_page() -> str:
    return _render("pwa/offline.html")


@bp.get("/offline")
def offline():
    """What the service worker shows for a page never opened on this device. It names nobody
    and holds no token (it is precached, for whoever uses the phone next)."""
    response = Response(_offline_page(), mimetype="text/html")
    response.headers["Cache-Control"] = REVALIDATE
    return response


def shell() -> tuple[list[str], str]:
    """The app shell's addresses (every static file at its hashed address, and the offline
    page) and a version that changes whenever any of their bytes do."""
    files = manifest()
    urls = files.urls()
    offline_digest = hashlib.sha256(_offline_page().encode()).hexdigest()
    everything = f"{files.version}\n{offline_digest}"
    version = hashlib.sha256(everything.encode()).hexdigest()[:10]
    return [*urls, url_for("pwa.offline")], version


@bp.get("/sw.js")
def service_worker():
    urls, version = shell()
    body = _render(
        "pwa/sw.js",
        version=version,
        shell=urls,  # nosec B604 # the template's list of pages, no process is started
        offline_url=url_for("pwa.offline"),
        scripts=[asset(name) for name in WORKER_SCRIPTS],
        storage_header=STORAGE_HEADER,
        signed_out=SIGNED_OUT,
        erase_header=ERASE_HEADER,
    )
    response = Response(body, mimetype="text/javascript")
    # Checked on every visit, so a new version reaches phones at their next page (a stale
    # worker would keep serving old pages: SECURITY-NOTES.md 9).
    response.headers["Cache-Control"] = REVALIDATE
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; answered from the static files."""
    icon = manifest().files["icons/favicon.ico"]
    response = Response(icon.body, mimetype="image/x-icon")
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.set_etag(icon.digest)
    return response


@bp.get("/pwa/storage")
def storage_key():
    """The signed-in person's storage name and sealing key (journal/pwa/storage.py)."""
    if not current_user.is_authenticated:
        return jsonify(error="Please sign in.", status=401), 401
    return jsonify(storage=storage.storage_id(current_user), key=storage.storage_key(current_user))


@bp.app_context_processor
def storage_name():
    def journal_storage() -> str | None:
        if current_user.is_authenticated:
            return storage.storage_id(current_user)
        return None

    def writes_reflections() -> bool:
        """A candidate in some set: their Today says, once, that writing works offline. The
        signed-in user's memberships came with them: no query."""
        return current_user.is_authenticated and bool(
            memberships_of(current_user, SetRole.CANDIDATE)
        )

    return {"journal_storage": journal_storage, "writes_reflections": writes_reflections}


@bp.before_app_request
def only_for_its_writer():
    """A request that says whose storage on the device it comes from (the outbox's PUT, in
    X-Journal-Storage) is refused when someone else is signed in. On a shared phone a sign-in
    can change the session under a queued reflection a moment before the device hears of it
    (another tab, the worker's Background Sync): one person's words must never be saved in
    another's journal, whatever the device believes. Without the header, nothing changes."""
    claimed = request.headers.get(STORAGE_HEADER)
    if claimed is None or not current_user.is_authenticated:
        return None  # not from the outbox, or nobody signed in (the API answers 401)
    if claimed == storage.storage_id(current_user):
        return None
    message = "Someone else is signed in on this device: this was written by another person."
    return jsonify(error=message, status=403, reason=STORAGE_REASON), 403


@bp.after_app_request
def name_the_storage(response: Response) -> Response:
    """Every HTML answer says whose it is, so the service worker files it under that person
    and drops every page it holds when the answer is for nobody signed in."""
    # The offline page names nobody: nobody's page, and no query to load the signed-in user.
    # Nor does a 503 (the database away, journal/errors.py): who is signed in is not known,
    # and "nobody" would make the worker forget every page the device keeps.
    if (
        response.mimetype == "text/html"
        and request.endpoint != "pwa.offline"
        and response.status_code != 503
    ):
        person = storage.storage_id(current_user) if current_user.is_authenticated else None
        response.headers[STORAGE_HEADER] = person or SIGNED_OUT
        # On a page, never a redirect: the worker keeps only pages it was sent to.
        if person is None and STORAGE_OF in session and not response.location:
            _erase_if_deleted(response)
    return response


def _erase_if_deleted(response: Response) -> None:
    """A session that ended: if with its account, name the storage for the worker to erase
    (once: the session forgets it either way, so a session merely ended costs one query)."""
    storage_id, user_id = session.pop(STORAGE_OF)
    if erasure.is_deleted(user_id):
        response.headers[ERASE_HEADER] = storage_id
        # And the outbox's count of what waited (static/pwa/outbox.js), which the page cannot
        # clear for someone it no longer knows.
        response.delete_cookie(f"{WAITING_COOKIE}{storage_id}", samesite="Strict")


def forget_on_next_visit(user: User) -> None:
    """This device's next page tells its worker to erase `user`'s storage (their account is
    gone: called after the session was cleared)."""
    session[STORAGE_OF] = [storage.storage_id(user), user.id]


@user_logged_in.connect
@user_loaded_from_cookie.connect
def _remember_whose_storage(sender, user: User, **extra) -> None:
    session[STORAGE_OF] = [storage.storage_id(user), user.id]
