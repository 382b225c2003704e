"""Static files at content-hashed addresses, cached for a year, kept in memory with a gzip copy.

At start-up every file under the static folder is read once, hashed (the first 10 hex digits of
its SHA-256) and compressed once; `style.css` is then also served at `/static/style.<hash>.css`
with `Cache-Control: public, max-age=31536000, immutable`. A change to the file changes its
address, so a browser never needs to ask again. An address with an unknown or old hash is a 404:
an immutable address must never answer other bytes than the ones it was named after. The plain
address (`/static/style.css`, Flask's own static route) still works, with `no-cache`, so a
browser revalidates it every time.

Templates link a static file with `asset("style.css")`; `manifest()` gives every file's hashed
name and hash, and a `version` over all of them (a service worker's cache name).
"""

import hashlib
import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, make_response, url_for
from werkzeug.exceptions import NotFound

from . import compression, security
from .errors import error_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HASH_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Types Python's table lacks or names differently on some systems.
TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}


@dataclass(frozen=True)
class Asset:
    name: str  # logical name, relative to the static folder: "style.css", "icons/192.png"
    hashed_name: str  # "style.3f2a9c1b04.css"
    digest: str  # "3f2a9c1b04"
    mimetype: str
    body: bytes = field(repr=False)
    # None when the type does not compress or gzip saves nothing.
    gzipped: bytes | None = field(repr=False)

    def response(self, environ: "WSGIEnvironment") -> Response:
        """The file at its hashed address, gzipped when the client accepts it."""
        accepted = compression.accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        encoded = self.gzipped is not None and accepted
        response = Response(self.gzipped if encoded else self.body, mimetype=self.mimetype)
        if self.gzipped is not None:
            response.vary.add("Accept-Encoding")
        if encoded:
            response.headers["Content-Encoding"] = "gzip"
        # One validator per encoding: caches never answer one encoding's bytes for the other.
        response.set_etag(f"{self.digest}-gzip" if encoded else self.digest)
        response.headers["Cache-Control"] = IMMUTABLE
        for name, value in security.HEADERS.items():
            response.headers.setdefault(name, value)
        return response.make_conditional(environ)


class Manifest:
    """Every file of a static folder, by logical name and by hashed name."""

    def __init__(self, folder: str, watch: bool = False) -> None:
        self.folder = Path(folder)
        self.watch = watch  # development: read the folder again when a file changes
        self._signature: tuple = ()
        self.files: dict[str, Asset] = {}
        self.by_hashed_name: dict[str, Asset] = {}
        self.version = ""
        self._load()

    def current(self) -> "Manifest":
        if self.watch and self._stat() != self._signature:
            self._load()
        return self

    def to_json(self) -> dict[str, dict[str, str]]:
        """`{"style.css": {"file": "style.3f2a9c1b04.css", "hash": "3f2a9c1b04"}, ...}`"""
        return {
            name: {"file": asset.hashed_name, "hash": asset.digest}
            for name, asset in sorted(self.files.items())
        }

    def urls(self) -> list[str]:
        """Every file's hashed address (what a service worker precaches); needs a request or
        an app context that can build URLs."""
        return [url_for("static", filename=a.hashed_name) for _, a in sorted(self.files.items())]

    def _paths(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        found = []
        for root, folders, names in os.walk(self.folder):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            found += [Path(root) / n for n in sorted(names) if not n.startswith(".")]
        return found

    def _stat(self) -> tuple:
        signature = []
        for path in self._paths():
            try:
                found = path.stat()
            except FileNotFoundError:  # removed a moment ago: the next look sees it gone
                continue
            signature.append((str(path), found.st_mtime_ns, found.st_size))
        return tuple(signature)

    def _load(self) -> None:
        signature = self._stat()
        files = {}
        for path in self._paths():
            name = path.relative_to(self.folder).as_posix()
            files[name] = _asset(name, path.read_bytes())
        self.files = files
        self.by_hashed_name = {asset.hashed_name: asset for asset in files.values()}
        everything = "\n".join(f"{name} {a.digest}" for name, a in sorted(files.items()))
        self.version = hashlib.sha256(everything.encode()).hexdigest()[:HASH_LENGTH]
        self._signature = signature


def _asset(name: str, body: bytes) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
    path = PurePosixPath(name)
    hashed = path.with_name(f"{path.stem}.{digest}{path.suffix}").as_posix()
    mimetype = (
        TYPES.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or "application/octet-stream"
    )
    gzipped = None
    if mimetype in compression.COMPRESSIBLE:
        smaller = compression.compress(body)
        gzipped = smaller if len(smaller) < len(body) else None
    return Asset(name, hashed, digest, mimetype, body, gzipped)


def init_app(app: Flask) -> None:
    if app.static_folder is None:
        return
    watch = app.debug or bool(app.config.get("DEVELOPMENT"))
    files = Manifest(app.static_folder, watch=watch)
    app.extensions["assets"] = files
    app.wsgi_app = HashedFiles(app.wsgi_app, files, f"{app.static_url_path}/")
    app.view_functions["static"] = _revalidated(app.view_functions["static"])
    app.add_template_global(asset)


def manifest() -> Manifest:
    """The current app's static files (read again first in development, if one changed)."""
    return current_app.extensions["assets"].current()


def asset(name: str) -> str:
    """The hashed address of a static file, for templates: `{{ asset('style.css') }}`."""
    found = manifest().files.get(name)
    if found is None:
        raise LookupError(f"no static file {name!r} in {current_app.static_folder}")
    return url_for("static", filename=found.hashed_name)


class HashedFiles:
    """WSGI middleware answering GET and HEAD at hashed addresses before Flask does.

    Flask would load the session for any request it handles, and Flask-Login reads it on every
    response, which adds `Vary: Cookie`: a browser would then fetch the "immutable" file again
    whenever its cookie changed (signing in or out), and no shared cache could share it. Here
    no cookie is read or set and no database is touched; the security headers are the same.
    """

    def __init__(self, wsgi_app: "WSGIApplication", files: Manifest, prefix: str) -> None:
        self.wsgi_app = wsgi_app
        self.files = files
        self.prefix = prefix  # "/static/"

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse"):
        path: str = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and path.startswith(self.prefix):
            # WSGI gives the path's bytes as latin-1 text; file names are UTF-8.
            raw = path[len(self.prefix) :].encode("latin-1", "replace")
            name = raw.decode("utf-8", "replace")
            found = self.files.current().by_hashed_name.get(name)
            if found is not None:
                return found.response(environ)(environ, start_response)
        return self.wsgi_app(environ, start_response)


def _revalidated(plain: Callable[..., Response]) -> Callable[..., Response]:
    """Flask's static view, its answers marked `no-cache`: revalidated on every use. (Hashed
    names never reach it: `HashedFiles` answers them.)"""

    def static(filename: str) -> Response:
        try:
            response = make_response(plain(filename=filename))
        except NotFound:
            # An unknown or old hash too. The error page carries a CSRF token: no cache keeps
            # it, as for any page.
            response = make_response(error_response(404))
            response.headers["Cache-Control"] = "no-store"
            return response
        response.headers["Cache-Control"] = REVALIDATE
        return response

    return static
