"""Response headers that make the browser a second wall, and the proxies trusted in front."""

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere, so no nonce: pages cached by the service worker stay valid.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Flask-WTF checks the Referer over HTTPS, so never `no-referrer`.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


# Two years, subdomains too (hstspreload.org's minimum): only ever sent over HTTPS, which a
# browser requires before it believes it.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS proxies, take the client's address and scheme from the X-Forwarded-For
    and X-Forwarded-Proto they add (Werkzeug's ProxyFix, the last PROXY_HOPS values only, so a
    client cannot put words in front). Not X-Forwarded-Host, -Port or -Prefix: links that leave
    the app start with BASE_URL, the proxy passes the Host it was asked for, and a trusted
    X-Forwarded-Host a proxy forgot to overwrite would let a client choose the host the app
    believes it has (CSRF's Referer check, redirects). README, "Behind a proxy"."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if request.endpoint != "static":
        # Reflections are personal: no shared cache may keep a page or an API answer.
        response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")
    return response
