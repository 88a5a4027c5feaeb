"""The unsubscribe link of alert mails: `GET /notifications/unsubscribe/<token>` asks, the POST
does (app.notifications.unsubscribe holds the token and the change).

A GET never changes anything: mail scanners and link previews follow every link in a mail, and
must not unsubscribe anyone. The POST is also RFC 8058's one-click endpoint: the mail's
`List-Unsubscribe` header names this address and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
tells the mail client to POST that body here, from its own servers, with no cookie and no page of
ours. So the POST is exempt from CSRF, alone in this blueprint: CSRF protection guards requests
that a browser's cookies authorise, and this one uses no cookie (nobody is signed in for it); its
authority is the signed token in the address, which only the mail's recipient has, so a forged
cross-site POST could only unsubscribe someone whose link the forger already holds. It is its own
blueprint so the bell's `/notifications` pages (app.notifications) keep every protection."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from app.extensions import csrf
from app.notifications.unsubscribe import read_token, stop_emails

bp = Blueprint("unsubscribe", __name__)


def _request_or_404(token: str):
    unsubscribe = read_token(token)
    if unsubscribe is None:
        abort(404, description="This unsubscribe link is not valid. Change your email alerts in Settings instead.")
    return unsubscribe


@bp.get("/notifications/unsubscribe/<token>")
def confirm(token: str):
    unsubscribe = _request_or_404(token)
    return render_template("notifications/unsubscribe.html", unsubscribe=unsubscribe, token=token, done=False)


@bp.post("/notifications/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str):
    unsubscribe = _request_or_404(token)
    stop_emails(unsubscribe)
    return render_template("notifications/unsubscribe.html", unsubscribe=unsubscribe, token=token, done=True)
