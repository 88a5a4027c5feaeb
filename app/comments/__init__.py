"""Instagram comments in the inbox.

- `media`: the post a comments conversation is about (`InstagramMedia`): what Meta's media object
  fills in, when it is fetched again, its API shape
- `jobs`: `fetch_media`, the follow-up that fetches a post (queued by ingestion after its commit)
- `routes`: asking for a missing or stale post to be fetched when a thread shows it

Comments themselves arrive through ingestion (app.webhooks.apply) as messages of kind `comment`
in conversations of kind `comments`, one per person per post (docs/architecture.md#comments)."""
from flask import Blueprint

bp = Blueprint("comments", __name__)

from app.comments import routes  # noqa: E402,F401
