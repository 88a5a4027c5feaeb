"""A post people comment on (`InstagramMedia`): what Meta's media object fills in, and when it is
fetched again. A comment never waits for its post: ingestion makes the row from the comment's
`media` and queues `app.comments.jobs.fetch_media`; the thread shows what is known meanwhile."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from app.instagram.events import parse_time
from app.models import InstagramMedia

# Meta's CDN urls (media_url, thumbnail_url) expire; the permalink does not. Fetch again after a day.
STALE_AFTER = timedelta(days=1)
# A failed fetch is tried again when the post is shown, at most this often.
RETRY_AFTER = timedelta(hours=1)
# Instagram media ids are decimal digits; the id goes in the Graph path, where `..` or `/` would
# reach another endpoint with the account's token.
MEDIA_ID = re.compile(r"[0-9]{1,64}")


def needs_fetch(media: InstagramMedia, now: datetime) -> bool:
    """Never fetched, or its CDN urls are older than a day; a recent failure waits an hour."""
    if media.fetched_at is not None and media.fetched_at > now - STALE_AFTER:
        return False
    if media.fetch_error is not None and media.updated_at is not None and media.updated_at > now - RETRY_AFTER:
        return False
    return True


def _text(value: Any, limit: int | None = None) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value[:limit] if limit else value


def _http(value: Any) -> str | None:
    # Only links the browser may follow or load: Instagram's strings are untrusted.
    text = _text(value, 4000)
    return text if text and text.startswith(("https://", "http://")) else None


def apply_fetched(media: InstagramMedia, payload: dict[str, Any], now: datetime) -> None:
    """Store what `GET /<media_id>?fields=...` answered. Ad id and title stay as the comments said."""
    media.caption = _text(payload.get("caption"), 10000)
    media.media_type = _text(payload.get("media_type"), 30)
    media.product_type = _text(payload.get("media_product_type"), 30) or media.product_type
    media.media_url = _http(payload.get("media_url"))
    # A video's picture is its thumbnail; a photo's is the media itself.
    media.thumbnail_url = _http(payload.get("thumbnail_url")) or (
        media.media_url if media.media_type in ("IMAGE", "CAROUSEL_ALBUM") else None)
    media.permalink = _http(payload.get("permalink")) or media.permalink
    posted = payload.get("timestamp")
    media.posted_at = parse_time(posted, now) if posted is not None else media.posted_at
    media.fetched_at = now
    media.fetch_error = None
    media.updated_at = now


def record_failure(media: InstagramMedia, sentence: str, now: datetime) -> None:
    media.fetch_error = sentence[:500]
    media.updated_at = now


def media_json(media: InstagramMedia | None) -> dict[str, Any] | None:
    """The API's `media` of a comments conversation (docs/contract.md)."""
    if media is None:
        return None
    return {"id": media.ig_media_id, "permalink": media.permalink, "caption": media.caption,
            "thumbnail_url": media.thumbnail_url, "product_type": media.product_type}
