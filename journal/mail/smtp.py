"""Handing a message to the SMTP server MAIL_URL names, with the standard library's smtplib;
without MAIL_URL, writing it whole to the log so a developer can follow its links."""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

SCHEMES = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    implicit_tls: bool  # smtps://: TLS from the first byte
    starttls: bool  # smtp://...?starttls=true: TLS once the server offers it
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> "MailServer":
        """smtp://user:pass@host:port, smtp://host:port?starttls=true or smtps://host:port."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError(
                "MAIL_URL must look like smtp://user:password@host:587?starttls=true,"
                " smtp://host:25 or smtps://host:465."
            )
        starttls = parse_qs(parts.query).get("starttls", ["false"])[-1].lower()
        return cls(
            host=parts.hostname,
            port=parts.port or SCHEMES[parts.scheme],
            implicit_tls=parts.scheme == "smtps",
            starttls=starttls in ("true", "1", "yes"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def deliver(message: EmailMessage) -> None:
    """Hand `message` to the mail server; raises smtplib.SMTPException or OSError if it is not
    taken (refused, unreachable, too slow: MAIL_TIMEOUT seconds for each step)."""
    config = current_app.config
    if not config.get("MAIL_URL"):
        current_app.logger.warning(
            "MAIL_URL is not set: this e-mail was not sent, here it is whole.\n%s",
            readable(message),
        )
        return
    server = MailServer.from_url(config["MAIL_URL"])
    timeout = config["MAIL_TIMEOUT"]
    if server.implicit_tls:
        context = ssl.create_default_context()
        connection = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with connection:
        if server.starttls:
            connection.starttls(context=ssl.create_default_context())
        if server.username:
            connection.login(server.username, server.password or "")
        connection.send_message(message)


def readable(message: EmailMessage) -> str:
    """The message as a person reads it: its headers, then each part decoded (a link in
    quoted-printable would be cut by soft line breaks)."""
    lines = [f"{name}: {value}" for name, value in message.items() if name in SHOWN_HEADERS]
    for part in message.walk():
        if not part.is_multipart():
            lines += ["", f"--- {part.get_content_type()} ---", part.get_content().rstrip()]
    return "\n".join(lines)


SHOWN_HEADERS = ("Subject", "From", "To", "Date")
