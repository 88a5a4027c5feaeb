"""The team's mail (invites and password links), sent by a job so a slow or unreachable SMTP
server never holds a page; how a message is sent is app.mail's."""
from __future__ import annotations

from app.jobs import QUEUE_DEFAULT, RetryPolicy, enqueue
from app.mail import mail_enabled, send_mail

RETRY = RetryPolicy((30, 120, 600))


def queue_mail(to: str, subject: str, body: str) -> bool:
    """Send later, by `send_mail_job`; False when mail is not configured (the caller shows the link)."""
    if not mail_enabled():
        return False
    enqueue(send_mail_job, to, subject, body, queue=QUEUE_DEFAULT, retry=RETRY)
    return True


def send_mail_job(to: str, subject: str, body: str) -> None:
    """The job: one plain-text message. Raises on failure, so RQ retries it."""
    send_mail(to, subject, body)
