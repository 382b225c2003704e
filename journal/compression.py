"""Responses gzip-compressed when the client accepts it, but never where compression could leak.

One after_request hook. A response is compressed when it is of a text type, 500 bytes or more,
complete in memory (not streamed, not a file passed through), not already encoded, has a body
(not 204 or 304), and the client sends `Accept-Encoding` with gzip at a quality above 0. Static
files at hashed addresses (journal/assets.py) never reach this hook: they come with a copy
compressed once at start-up.

BREACH (README, "Light pages"): a compressed answer's length tells a network observer whether
text the attacker chose matches text in the page. Pages are personal, so an answer is
compressed only when nobody else could have chosen any of its request: the browser says the
request came from this site's own pages or from the person (`Sec-Fetch-Site: same-origin` or
`none`), or, from a client that does not say (an old browser), it is a GET or HEAD whose query
string holds nothing but numbers (`?page=2&set_id=7`). A request another site started
(`cross-site`, `same-site`) is never compressed, whatever it carries.
"""

import gzip
import re

from flask import Flask, Response, request

COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
        "text/calendar",
        "text/plain",
    }
)
MINIMUM_SIZE = 500  # bytes; below this gzip's header and the extra headers eat the gain
LEVEL = 6

# Sec-Fetch-Site values for requests only the person or this site's own pages can start.
OWN_REQUEST = frozenset({"same-origin", "none"})
# `name=digits` pairs only: ids and page numbers, in which no guess at a word can be written.
NUMBERS_ONLY = re.compile(r"[a-z_]+=[0-9]*(&[a-z_]+=[0-9]*)*")


def init_app(app: Flask) -> None:
    app.after_request(_compress)


def compress(data: bytes) -> bytes:
    """gzip at level 6, with no timestamp: the same bytes always give the same copy."""
    return gzip.compress(data, compresslevel=LEVEL, mtime=0)


def accepts_gzip(accept_encoding: str) -> bool:
    """An Accept-Encoding header allows gzip: named (or `x-gzip`, or else `*`) with q > 0.

    Werkzeug's `accept_encodings["gzip"]` lets `*;q=1` outweigh `gzip;q=0`; RFC 9110 says the
    named coding wins, so the header is read here.
    """
    qualities: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        if not coding:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities.setdefault(coding.lower(), quality)
    for coding in ("gzip", "x-gzip", "*"):
        if coding in qualities:
            return qualities[coding] > 0
    return False


def may_compress_personal() -> bool:
    """No one but the person or this site could have chosen anything in this request."""
    fetched_from = request.headers.get("Sec-Fetch-Site")
    if fetched_from is not None:
        return fetched_from.strip().lower() in OWN_REQUEST
    if request.method not in ("GET", "HEAD"):
        return False
    query = request.query_string.decode("latin-1")
    return not query or NUMBERS_ONLY.fullmatch(query) is not None


def _compress(response: Response) -> Response:
    if not _compressible(response):
        return response
    # Both encodings of this address exist, so any cache must key on the request's header,
    # including for the identity copy sent to a client that does not accept gzip.
    response.vary.add("Accept-Encoding")
    accepted = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    if not accepted or not may_compress_personal():
        return response
    response.set_data(compress(response.get_data()))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        # Different bytes: a strong validator may not stay; a weak one still answers 304.
        response.set_etag(etag, weak=True)
    return response


def _compressible(response: Response) -> bool:
    if response.direct_passthrough or response.is_streamed:
        return False
    if response.status_code < 200 or response.status_code in (204, 206, 304):
        return False
    if "Content-Encoding" in response.headers or response.mimetype not in COMPRESSIBLE:
        return False
    return len(response.get_data()) >= MINIMUM_SIZE
