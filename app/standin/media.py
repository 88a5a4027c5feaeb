"""The stand-in's posts: the media objects `GET /<media_id>?fields=caption,...` answers, and
the pictures their CDN-like urls serve. A few demo posts have fixed captions (the simulator and
`flask demo` comment on them); any other numeric id gets a plain generated post, as any IGSID
gets a generated profile."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .profiles import _digest

MEDIA_FIELDS = ("id", "caption", "media_type", "media_product_type", "media_url", "thumbnail_url", "permalink",
                "timestamp", "username", "like_count", "comments_count")


@dataclass(frozen=True)
class Post:
    media_id: str
    product_type: str
    caption: str
    shortcode: str


DEMO_POSTS = {
    "17841000000000101": Post("17841000000000101", "FEED",
                              "Our summer tote is back in three colours 👜 Comment PRICE and we'll DM you the details.",
                              "CsTote101"),
    "17841000000000102": Post("17841000000000102", "REELS",
                              "Behind the scenes of the spring shoot ✨ Comment SIZE for the size guide.", "CsReel102"),
    "17841000000000103": Post("17841000000000103", "FEED",
                              "Limited sneaker drop — 40 pairs only. Comment INFO to get the link.", "CsKick103"),
}
_COLOURS = ("#f4a261", "#2a9d8f", "#e76f51", "#8ab17d", "#6d597a", "#457b9d")


def post(media_id: str) -> Post:
    known = DEMO_POSTS.get(media_id)
    if known is not None:
        return known
    return Post(media_id, "FEED", f"Post {media_id[-4:]} from the stand-in's feed.", f"Cs{media_id[-8:]}")


def media_fields(media_id: str, fields: list[str], picture_url: str) -> dict:
    """The answer to `GET /<media_id>?fields=...` (only the fields asked for, plus `id`)."""
    item = post(media_id)
    values = {
        "id": media_id,
        "caption": item.caption,
        "media_type": "VIDEO" if item.product_type == "REELS" else "IMAGE",
        "media_product_type": item.product_type,
        "media_url": picture_url,
        "thumbnail_url": picture_url,
        "permalink": f"https://www.instagram.com/p/{item.shortcode}/",
        "timestamp": datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "username": "standin",
        "like_count": 120,
        "comments_count": 14,
    }
    if item.product_type != "REELS":
        values.pop("thumbnail_url")  # Meta gives a thumbnail for videos only
    answer = {name: values[name] for name in fields if name in values}
    answer.setdefault("id", media_id)
    return answer


def picture_svg(media_id: str) -> str:
    """A square picture for a post: a coloured tile with the post's number (digits only: no escaping)."""
    colour = _COLOURS[_digest("post", media_id)[0] % len(_COLOURS)]
    label = "".join(ch for ch in media_id[-3:] if ch.isdigit())
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320">'
        f'<rect width="320" height="320" fill="{colour}"/>'
        '<rect x="60" y="60" width="200" height="200" rx="24" fill="none" stroke="#fff" stroke-width="10"/>'
        f'<text x="160" y="160" dy=".35em" text-anchor="middle" fill="#fff" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="64">#{label}</text></svg>'
    )
