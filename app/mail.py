"""Outgoing mail (invites, password links, email alerts), over SMTP with the standard library's
smtplib and email packages: maintained with Python itself, and all this needs.

MAIL_URL says where: `smtp://user:pass@host:587` (STARTTLS, which every mail provider offers; a
server that does not is refused, since someone on the path who strips the offer would read the
password and the links that open accounts, except a relay on this machine, where nothing crosses a
network), `smtps://user:pass@host:465` (TLS from the first byte).
Unset: no mail is sent, and the pages show the links for an admin to pass on instead.
Mail is always sent by a job (the team's, app.team.jobs; email alerts, app.notifications.email),
never inside a request: an SMTP server that is slow or down must not hold a page, and a failed
send is retried by the job's policy."""
from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from flask import current_app

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20


class MailConfigError(ValueError):
    """MAIL_URL cannot be used; the message says why."""


def mail_enabled(app=None) -> bool:
    return bool((app or current_app).config.get("MAIL_URL"))


def parse_mail_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailConfigError("MAIL_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
    return {
        "tls": parts.scheme == "smtps",
        "host": parts.hostname,
        "port": parts.port or (465 if parts.scheme == "smtps" else 587),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }


def _on_this_machine(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Set here for every message; `headers` may add others but never replace these.
OWN_HEADERS = frozenset({"from", "to", "subject", "message-id", "date", "content-type",
                         "content-transfer-encoding", "mime-version"})


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """One plain-text message, now. Raises on failure, so the job calling it is retried.
    `headers` adds headers of the caller's own (List-Unsubscribe for alert mails).

    Mail jobs queued before the job moved to app.team.jobs name this function itself
    (`app.mail.send_mail`, with three arguments): it must keep this name, place and those
    positional arguments while such a job may still wait."""
    extra = dict(headers or {})
    clash = sorted(name for name in extra if name.lower() in OWN_HEADERS)
    if clash:
        raise ValueError(f"send_mail sets {', '.join(clash)} itself")
    config = current_app.config
    server = parse_mail_url(config["MAIL_URL"])
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM") or f"Instagram Inbox <no-reply@{server['host']}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=server["host"])
    for name, value in extra.items():
        message[name] = value
    message.set_content(body)
    # Headers are folded at RFC 5322's hard limit (998), not its advised 78: a header with a
    # longer unbreakable word (List-Unsubscribe's <URL>) would otherwise be turned into RFC 2047
    # encoded-words, which no mail client reads as a URL. The body was encoded above, with the
    # default policy's short lines.
    message.policy = message.policy.clone(max_line_length=998)
    context = ssl.create_default_context()
    if server["tls"]:
        smtp = smtplib.SMTP_SSL(server["host"], server["port"], timeout=SMTP_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(server["host"], server["port"], timeout=SMTP_TIMEOUT)
    with smtp:
        if not server["tls"]:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif not _on_this_machine(server["host"]):
                raise MailConfigError(f"The mail server {server['host']} did not offer STARTTLS, so the message "
                                      "(and the SMTP password) would cross the network unencrypted; nothing was "
                                      "sent. Use its STARTTLS port (587) or smtps:// (465).")
        if server["username"]:
            smtp.login(server["username"], server["password"] or "")
        smtp.send_message(message)
    log.info("mail sent: %s", subject)  # never the address or the body: they can hold a link that opens an account
