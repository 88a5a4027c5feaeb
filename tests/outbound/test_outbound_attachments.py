"""Attachments: checked by content, stored, served to Meta at an unguessable, expiring URL."""
from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Message, Upload, utcnow
from app.outbound.attachments import MB, sniff
from app.outbound.replies import ReplyRefused, queue_reply
from tests.meta_kit import graph_error, sent_ok
from tests.outbound import helpers as files
from tests.outbound.helpers import TOKEN, refetch, sent_bodies

MEDIA_URL = re.compile(r"^http://inbox\.test/media/([A-Za-z0-9_-]{43})$")


def upload(data: bytes, filename: str, content_type: str = "application/octet-stream") -> FileStorage:
    return FileStorage(BytesIO(data), filename=filename, content_type=content_type)


@pytest.mark.parametrize("data, filename, kind, content_type", [
    (files.PNG, "photo.png", "image", "image/png"),
    (files.JPEG, "photo.jpeg", "image", "image/jpeg"),
    (files.MP4, "clip.mp4", "video", "video/mp4"),
    (files.MOV, "clip.mov", "video", "video/quicktime"),
    (files.OGG, "clip.ogg", "video", "video/ogg"),
    (files.AVI, "clip.avi", "video", "video/x-msvideo"),
    (files.WEBM, "clip.webm", "video", "video/webm"),
    (files.M4A, "voice.m4a", "audio", "audio/mp4"),
    (files.WAV, "voice.wav", "audio", "audio/wav"),
    (files.AAC, "voice.aac", "audio", "audio/aac"),
    (files.PDF, "price list.pdf", "file", "application/pdf"),
])
def test_each_attachment_type_reaches_meta_by_url(app, client, world, meta, data, filename, kind, content_type):
    meta.post(world.messages_url, **sent_ok("mid.media"))

    message = queue_reply(world.conversation, text=None, upload=upload(data, filename), user=world.user)[-1]

    call = meta.calls[0]
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    [body] = sent_bodies(meta)
    url = body["message"]["attachment"]["payload"]["url"]
    assert body == {"recipient": {"id": world.igsid},
                    "message": {"attachment": {"type": kind, "payload": {"url": url}}}}
    assert MEDIA_URL.match(url)
    message = refetch(Message, message.id)
    assert message.status == "sent" and message.text is None
    [stored] = message.attachments
    assert (stored["type"], stored["url"]) == (kind, url)
    assert stored["filename"].startswith(filename.rsplit(".", 1)[0].replace(" ", "_") + ".")

    # What Meta fetches from that URL (no login):
    served = client.get(url.removeprefix("http://inbox.test"))
    assert served.status_code == 200
    assert served.data == data
    assert served.headers["Content-Type"].split(";")[0] == content_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    disposition = served.headers["Content-Disposition"]
    assert disposition.startswith("attachment" if kind == "file" else "inline")
    assert "filename=" in disposition


@pytest.mark.parametrize("data, filename", [
    (files.ZIP, "photo.png"),          # a zip wearing a .png name
    (files.HTML, "photo.jpg"),
    (files.GIF, "anim.gif"),           # Instagram takes png/jpeg images only
    (files.MP3, "song.mp3"),
    (files.MP3_FRAME, "song.aac"),     # an MP3 frame is not AAC, whatever the name says
    (files.MKV, "clip.webm"),          # Matroska, not WebM
    (files.HEIC, "photo.mp4"),         # an HEIF still image in an MP4-like box
    (b"", "empty.png"),
])
def test_content_decides_not_the_name(app, world, meta, data, filename):
    with pytest.raises(ReplyRefused) as refused:
        queue_reply(world.conversation, text=None, upload=upload(data, filename, "image/png"), user=world.user)
    assert refused.value.code == "bad_attachment"
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
    assert len(meta.calls) == 0


def test_a_file_named_wrongly_is_sent_as_what_it_is(app, world, meta):
    meta.post(world.messages_url, **sent_ok())
    message = queue_reply(world.conversation, text=None, upload=upload(files.JPEG, "scan.pdf"), user=world.user)[-1]
    [item] = refetch(Message, message.id).attachments
    assert (item["type"], item["filename"]) == ("image", "scan.jpg")


@pytest.mark.parametrize("data, size, allowed", [
    (files.PNG, 8 * MB, True),
    (files.PNG, 8 * MB + 1, False),
    (files.MP4, 25 * MB, True),
    (files.MP4, 25 * MB + 1, False),
    (files.PDF, 25 * MB + 1, False),
])
def test_size_limits_per_type(app, world, meta, data, size, allowed):
    meta.post(world.messages_url, **sent_ok())
    content = data + bytes(size - len(data))
    if allowed:
        queue_reply(world.conversation, text=None, upload=upload(content, "x"), user=world.user)
        assert len(meta.calls) == 1
    else:
        with pytest.raises(ReplyRefused) as refused:
            queue_reply(world.conversation, text=None, upload=upload(content, "x"), user=world.user)
        assert refused.value.code == "bad_attachment"
        limit = "8 MB" if data == files.PNG else "25 MB"
        assert refused.value.message.endswith(f"takes at most {limit} for this type.")
        assert ("is 8 MB;" if data == files.PNG else "is more than 25 MB;") in refused.value.message
        assert len(meta.calls) == 0


def test_empty_file_field_is_no_attachment(app, world, meta):
    meta.post(world.messages_url, **sent_ok())
    message = queue_reply(world.conversation, text="just text", upload=upload(b"", ""), user=world.user)[-1]
    assert refetch(Message, message.id).attachments == []


def test_sniffer_needs_more_than_an_extension():
    assert sniff(b"\x89PNG\r\n\x1a\n").type == "image"
    assert sniff(b"PNG") is None
    assert sniff(b"") is None


# -- Serving ---------------------------------------------------------------------------------

def stored_key(world, meta) -> str:
    meta.post(world.messages_url, **sent_ok())
    message = queue_reply(world.conversation, text=None, upload=upload(files.PNG, "a.png"), user=world.user)[-1]
    return MEDIA_URL.match(refetch(Message, message.id).attachments[0]["url"]).group(1)


def test_media_urls_expire(app, client, world, meta):
    key = stored_key(world, meta)
    assert client.get(f"/media/{key}").status_code == 200
    db.session.execute(Upload.__table__.update().where(Upload.key == key)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(f"/media/{key}").status_code == 404


def test_media_keys_are_unguessable(app, client, world, meta):
    key = stored_key(world, meta)
    other = stored_key(world, meta)
    assert key != other and len(key) >= 43  # 256 random bits, URL-safe
    near_miss = key[:-1] + ("B" if key[-1] == "A" else "A")
    assert client.get(f"/media/{near_miss}").status_code == 404
    for guess in ("1", "abc", "../../etc/passwd", key.upper() if key.upper() != key else key.lower()):
        assert client.get(f"/media/{guess}").status_code == 404
    # Upload ids are not a way in either.
    upload_id = db.session.scalar(select(Upload.id).where(Upload.key == key))
    assert client.get(f"/media/{upload_id}").status_code == 404


def test_media_supports_range_requests_for_video_players(app, client, world, meta):
    key = stored_key(world, meta)
    partial = client.get(f"/media/{key}", headers={"Range": "bytes=0-7"})
    assert partial.status_code == 206
    assert partial.data == files.PNG[:8]


def test_attachment_without_public_url_uses_the_request_host(app, world, meta):
    app.config["PUBLIC_URL"] = None
    meta.post(world.messages_url, **sent_ok())
    with app.test_request_context("/", base_url="https://inbox.example.com"):
        message = queue_reply(world.conversation, text=None, upload=upload(files.PNG, "a.png"), user=world.user)[-1]
    url = refetch(Message, message.id).attachments[0]["url"]
    assert url.startswith("https://inbox.example.com/media/")


def test_attachment_without_any_public_url_is_refused(app, world, meta):
    app.config["PUBLIC_URL"] = None
    with pytest.raises(ReplyRefused) as refused:
        queue_reply(world.conversation, text=None, upload=upload(files.PNG, "a.png"), source="automation")
    assert refused.value.code == "bad_attachment" and "PUBLIC_URL" in refused.value.message
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0


def test_attachment_expired_before_sending_fails_readably(app, world, meta):
    from app.outbound.jobs import deliver_message_job

    meta.post(world.messages_url, **sent_ok())
    key = stored_key(world, meta)
    message = db.session.scalar(select(Message).order_by(Message.id.desc()))
    # The same attachment, queued again after its URL expired (e.g. after a long outage).
    db.session.execute(Upload.__table__.update().where(Upload.key == key)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.execute(Message.__table__.update().where(Message.id == message.id)
                       .values(status="pending", mid=None, send_claimed_at=None))
    db.session.commit()
    calls = len(meta.calls)
    deliver_message_job(message.id)
    message = refetch(Message, message.id)
    assert message.status == "failed" and "attach it again" in message.error
    assert len(meta.calls) == calls


def test_retrying_an_attachment_after_it_expired_is_refused(app, world, meta):
    from app.outbound.replies import retry_message

    meta.post(world.messages_url, **graph_error(551))
    message = queue_reply(world.conversation, text=None, upload=upload(files.PNG, "a.png"), user=world.user)[-1]
    db.session.execute(Upload.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with pytest.raises(ReplyRefused) as refused:
        retry_message(refetch(Message, message.id))
    assert refused.value.code == "bad_attachment" and "attach it again" in refused.value.message
    assert refetch(Message, message.id).status == "failed"


def test_deleting_a_failed_attachment_removes_the_file(app, world, meta):
    from app.outbound.replies import delete_failed_message

    meta.post(world.messages_url, **graph_error(551))
    message = queue_reply(world.conversation, text=None, upload=upload(files.PNG, "a.png"), user=world.user)[-1]
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 1
    delete_failed_message(refetch(Message, message.id))
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
