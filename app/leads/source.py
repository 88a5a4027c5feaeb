"""Where a new lead came from: the CRM rule that names a customer's first contact an ad, a link,
a story or a plain DM, with the details the leads page shows. Ingestion (app.webhooks.apply)
applies it to the first event of a new conversation; a customer found in an imported history
(app.accounts.history_import) is `import`."""
from __future__ import annotations

from app.instagram.events import CommentEvent, Event, MessageEvent, ReferralEvent

IMPORTED = "import"


def _present(**values: str | None) -> dict[str, str]:
    return {key: value for key, value in values.items() if value is not None}


def lead_source(event: Event, *, imported: bool = False, permalink: str | None = None) -> tuple[str, dict[str, str]]:
    """How the customer found the business, for a new lead: ``(source, detail)``.

    ``("import", {})`` when the event came from an imported history (``imported``): the
    Conversations API says nothing of how the conversation began, and the team should see that
    this lead was found in the past, not brought by a campaign now.

    ``("comment", {media_id, permalink, ad_id, ad_title})`` for a comment on a post or an ad
    (``media_id`` is Instagram's; ``permalink`` when the post was fetched already, given by the caller),
    ``("ad", {ad_id, ad_title, ref, source, type, photo_url, video_url})`` for a
    click-to-DM ad, ``("link", {ref, source, type})`` for an ig.me link,
    ``("story", {kind: "mention"|"reply", url, story_id})`` for a story mention or
    reply, otherwise ``("dm", {})``. Absent values are left out of ``detail``.
    """
    if imported:
        return IMPORTED, {}
    if isinstance(event, CommentEvent):
        return "comment", _present(media_id=event.media_id, permalink=permalink, ad_id=event.ad_id,
                                   ad_title=event.ad_title)
    referral = event.referral if isinstance(event, (MessageEvent, ReferralEvent)) else None
    if referral is not None:
        if referral.is_ad:
            return "ad", _present(
                ad_id=referral.ad_id,
                ad_title=referral.ad_title,
                ref=referral.ref,
                source=referral.source,
                type=referral.type,
                photo_url=referral.photo_url,
                video_url=referral.video_url,
            )
        return "link", _present(ref=referral.ref, source=referral.source, type=referral.type)
    if isinstance(event, MessageEvent):
        for attachment in event.attachments:
            if attachment.type == "story_mention":
                return "story", _present(kind="mention", url=attachment.url)
        if event.reply_to_story is not None:
            story = event.reply_to_story
            return "story", _present(kind="reply", url=story.url, story_id=story.id)
    return "dm", {}
