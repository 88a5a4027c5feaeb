"""The comments' follow-up job: fetch the post a comment is on (caption, permalink, thumbnail),
queued by ingestion after its commit (app.webhooks.followups) and when a thread shows a post that
is missing or stale. The comment exists without it; a failure is kept on the post and shown."""
from __future__ import annotations

import logging

from app.accounts.lifecycle import can_call_meta, mark_reauth_required
from app.comments.media import MEDIA_ID, apply_fetched, needs_fetch, record_failure
from app.extensions import db
from app.instagram.client import account_token, graph_client
from app.instagram.errors import GraphError, RateLimitedError, TokenInvalidError, TransientError
from app.models import InstagramAccount, InstagramMedia, utcnow

log = logging.getLogger(__name__)


def fetch_media(media_id: int) -> None:
    """Fill in a post from `GET /<media_id>?fields=...`. Idempotent: a post fetched within the day
    (or that failed within the hour) is left alone."""
    media = db.session.get(InstagramMedia, media_id)
    if media is None:
        return
    now = utcnow()
    if not needs_fetch(media, now):
        return
    if not MEDIA_ID.fullmatch(media.ig_media_id or ""):
        record_failure(media, "The post's id is not an Instagram media id (digits); it was not looked up.", now)
        db.session.commit()
        return
    account = db.session.get(InstagramAccount, media.account_id)
    if account is None or not can_call_meta(account):
        return  # no usable token now; shown again once the account is reconnected
    try:
        payload = graph_client().get_media(account_token(account), media.ig_media_id)
    except TokenInvalidError:
        mark_reauth_required(account.id, "Instagram rejected the access token while looking up a post.")
        db.session.commit()
        return
    except (TransientError, RateLimitedError):
        raise  # RQ retries with backoff
    except GraphError as exc:
        record_failure(media, f"Instagram did not give the post: {exc.user_message}", now)
        db.session.commit()
        log.info("media %s not available: %s", media_id, type(exc).__name__)
        return
    apply_fetched(media, payload if isinstance(payload, dict) else {}, utcnow())
    db.session.commit()
