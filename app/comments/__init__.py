"""Instagram comments in the inbox.

- `media`: the post a comments conversation is about (`InstagramMedia`): what Meta's media object
  fills in, when it is fetched again, its API shape
- `jobs`: `fetch_media`, the follow-up that fetches a post (queued by ingestion after its commit)
- `routes`: asking for a missing or stale post to be fetched when a thread shows it
- `rules`: Meta's limits on answering a comment (one private reply per comment, within 7 days)
- `actions`: reply publicly, reply privately, hide / unhide, delete our reply (the DM sends' job path)
- `action_routes`: those actions' buttons in a comments thread (`templates/comments/_actions.html`)

Comments themselves arrive through ingestion (app.webhooks.apply) as messages of kind `comment`
in conversations of kind `comments`, one per person per post (docs/architecture.md#comments)."""
from flask import Blueprint

bp = Blueprint("comments", __name__)

from app.comments import action_routes, routes  # noqa: E402,F401
