"""Where staff attachments live until Instagram has fetched them.

Meta sends media by URL, so an upload must be reachable from the internet for a while: at
`/media/<key>` under PUBLIC_URL, where the key is 256 random bits and expires (24 h by default).
The `MediaStore` protocol is all the rest of the app sees, so the database store below could be
swapped for an S3 bucket (pre-signed URLs) without touching the send flow.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from app.extensions import db
from app.models import Upload, utcnow

MEDIA_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class StoredMedia:
    key: str
    content_type: str
    filename: str
    size: int
    expires_at: datetime
    data: bytes = field(repr=False, default=b"")


class MediaStore(Protocol):
    def put(self, workspace_id: int, data: bytes, *, content_type: str, filename: str,
            ttl: timedelta = MEDIA_TTL) -> StoredMedia:
        """Store the bytes under a new unguessable key (in the caller's transaction)."""

    def get(self, key: str) -> StoredMedia | None:
        """The media, or None when unknown or expired."""

    def extend(self, key: str, ttl: timedelta = MEDIA_TTL) -> bool:
        """Keep live media for another `ttl`; False when it is already gone."""

    def delete(self, key: str) -> None: ...


class DatabaseMediaStore:
    """Bytes in the `uploads` table: a Heroku-style dyno has no persistent disk. Expired rows are
    purged by the clock (app.jobs.upkeep.purge_expired_uploads)."""

    def put(self, workspace_id, data, *, content_type, filename, ttl=MEDIA_TTL):
        upload = Upload(workspace_id=workspace_id, key=secrets.token_urlsafe(32), content_type=content_type,
                        filename=filename, size=len(data), data=data, expires_at=utcnow() + ttl)
        db.session.add(upload)
        db.session.flush()
        return self._stored(upload, with_data=False)

    def get(self, key):
        upload = self._live(key)
        return self._stored(upload, with_data=True) if upload else None

    def extend(self, key, ttl=MEDIA_TTL):
        upload = self._live(key)
        if upload is None:
            return False
        upload.expires_at = utcnow() + ttl
        return True

    def delete(self, key):
        upload = db.session.scalar(select(Upload).where(Upload.key == key))
        if upload is not None:
            db.session.delete(upload)

    @staticmethod
    def _live(key: str) -> Upload | None:
        return db.session.scalar(select(Upload).where(Upload.key == key, Upload.expires_at > utcnow()))

    @staticmethod
    def _stored(upload: Upload, with_data: bool) -> StoredMedia:
        return StoredMedia(upload.key, upload.content_type, upload.filename, upload.size, upload.expires_at,
                           upload.data if with_data else b"")


def media_store() -> MediaStore:
    store = current_app.extensions.get("media_store")
    if store is None:
        store = current_app.extensions["media_store"] = DatabaseMediaStore()
    return store


class NoPublicUrl(RuntimeError):
    """Neither PUBLIC_URL nor a request tells where Instagram could fetch the file from."""


def require_public_url() -> None:
    """Raise NoPublicUrl unless media URLs can be built here (check before storing anything)."""
    if not current_app.config.get("PUBLIC_URL") and not has_request_context():
        raise NoPublicUrl("Set PUBLIC_URL so Instagram can fetch attachments from this server.")


def attachment_expired(item: dict) -> bool:
    """Whether an attachment of ours (a message's `attachments` entry) is no longer served; the
    bubble then says so instead of showing a broken image."""
    expires_at = item.get("expires_at")
    if not expires_at:
        return False
    try:
        return datetime.fromisoformat(expires_at) <= utcnow()
    except (TypeError, ValueError):
        return False


def public_media_url(key: str) -> str:
    """The absolute URL Instagram fetches the media from: under PUBLIC_URL, else the request's host."""
    require_public_url()
    base = current_app.config.get("PUBLIC_URL")
    if base:
        # Built from the URL map, so it works in a job too (no request, no SERVER_NAME).
        path = current_app.url_map.bind("localhost").build("outbound.media", {"key": key})
        return base.rstrip("/") + path
    return url_for("outbound.media", key=key, _external=True)
