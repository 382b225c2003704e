"""Messages from templates: templates/email/<name>.txt and .html, plain text with a simple HTML
part, every link absolute."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template, url_for

from ..models import utcnow


def absolute_url(endpoint: str, **values: Any) -> str:
    """The address of `endpoint` as someone reading an e-mail reaches it: under BASE_URL when
    set (a worker has no request to take a host from), else under SERVER_NAME or the request's
    host, with PREFERRED_URL_SCHEME (Flask's own rules)."""
    base = current_app.config.get("BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def compose(template: str, to: str, subject: str, **context: Any) -> EmailMessage:
    """A message to `to` from MAIL_FROM: templates/email/`template`.txt, and .html beside it."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Date"] = format_datetime(utcnow())
    sender_domain = message["From"].addresses[0].domain or "localhost"
    message["Message-ID"] = make_msgid(domain=sender_domain)
    context = {"subject": subject, **context}
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    return message
