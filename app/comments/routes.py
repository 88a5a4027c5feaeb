"""The comments thread's own request: fetch its post again. A GET never changes anything, so the
thread asks for it with a POST once shown (like marking read) when the post is missing or stale."""
from __future__ import annotations

from flask_login import login_required

from app.comments import bp
from app.comments.media import needs_fetch
from app.htmx_responses import empty_fragment
from app.inbox.queries import conversation_or_404
from app.jobs import enqueue_all
from app.models import utcnow


@bp.post("/conversations/<int:conversation_id>/post/refresh")
@login_required
def refresh_post(conversation_id: int):
    """Queue the post's fetch when it is due (never fetched, or its picture's link is a day old);
    another workspace's conversation is a 404, a DM conversation has no post: nothing to do."""
    from app.webhooks.followups import media_call  # ingestion's follow-ups import most of the app

    conversation = conversation_or_404(conversation_id)
    media = conversation.media
    if media is not None and needs_fetch(media, utcnow()):
        enqueue_all([media_call(media.id)])
    return empty_fragment()
