"""What staff may attach to a reply, decided by the file's content (magic bytes), never by its
name or the browser's Content-Type, both of which the uploader controls.

Instagram's limits (docs/meta-protocol.md#sending): image png/jpeg 8 MB; video mp4/ogg/avi/mov/webm 25 MB;
audio aac/m4a/wav/mp4 25 MB; file pdf 25 MB.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from werkzeug.utils import secure_filename

MB = 1024 * 1024
SIZE_LIMITS = {"image": 8 * MB, "video": 25 * MB, "audio": 25 * MB, "file": 25 * MB}
LARGEST = max(SIZE_LIMITS.values())

ALLOWED_DESCRIPTION = (
    "images (PNG, JPEG) up to 8 MB; video (MP4, MOV, OGG, AVI, WebM), audio (AAC, M4A, WAV) "
    "and PDF files up to 25 MB"
)

# ISO base-media (MP4 family) brands that mean audio only; every other brand is sent as video.
_AUDIO_BRANDS = {b"M4A ", b"M4B "}
_QUICKTIME_BRANDS = {b"qt  "}


@dataclass(frozen=True)
class MediaKind:
    type: str  # Instagram's attachment type: image, video, audio, file
    content_type: str
    extension: str


class AttachmentRejected(ValueError):
    """The file cannot be sent; the message says why in a sentence for staff."""


def sniff(head: bytes) -> MediaKind | None:
    """The kind of media these leading bytes start, or None for anything Instagram won't take."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaKind("image", "image/png", ".png")
    if head.startswith(b"\xff\xd8\xff"):
        return MediaKind("image", "image/jpeg", ".jpg")
    if head.startswith(b"%PDF-"):
        return MediaKind("file", "application/pdf", ".pdf")
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return MediaKind("audio", "audio/mp4", ".m4a")
        if brand in _QUICKTIME_BRANDS:
            return MediaKind("video", "video/quicktime", ".mov")
        if brand.startswith(b"heic") or brand in (b"heix", b"mif1", b"msf1", b"avif"):
            return None  # HEIF/AVIF still images share the container; Instagram takes neither
        return MediaKind("video", "video/mp4", ".mp4")
    if head.startswith(b"RIFF") and len(head) >= 12:
        if head[8:12] == b"WAVE":
            return MediaKind("audio", "audio/wav", ".wav")
        if head[8:12] == b"AVI ":
            return MediaKind("video", "video/x-msvideo", ".avi")
        return None
    if head.startswith(b"OggS"):
        return MediaKind("video", "video/ogg", ".ogg")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: WebM, or Matroska (.mkv), which Instagram does not list; the doctype tells them apart.
        return MediaKind("video", "video/webm", ".webm") if b"webm" in head[:64] else None
    if head.startswith(b"ADIF") or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0):
        # AAC (ADIF, or an ADTS frame: sync word with layer bits 00, unlike an MP3 frame).
        return MediaKind("audio", "audio/aac", ".aac")
    return None


@dataclass(frozen=True)
class CheckedAttachment:
    kind: MediaKind
    data: bytes
    filename: str


def check_attachment(data: bytes, filename: str | None) -> CheckedAttachment:
    """Accept `data` if its content is an allowed type within that type's size limit."""
    if not data:
        raise AttachmentRejected("The attached file is empty.")
    kind = sniff(data[:64])
    if kind is None:
        raise AttachmentRejected(f"This file type can't be sent on Instagram. Allowed: {ALLOWED_DESCRIPTION}.")
    limit = SIZE_LIMITS[kind.type]
    if len(data) > limit:
        # Callers read at most LARGEST + 1 bytes, so beyond that the true size is unknown.
        size = f"more than {_mb(LARGEST)}" if len(data) > LARGEST else _mb(len(data))
        raise AttachmentRejected(
            f"The {kind.type if kind.type != 'file' else 'PDF'} is {size}; Instagram takes at most "
            f"{_mb(limit)} for this type."
        )
    return CheckedAttachment(kind, data, _filename(filename, kind))


def _filename(original: str | None, kind: MediaKind) -> str:
    # The stored name is shown and sent in Content-Disposition: safe characters, and the
    # extension of what the file really is.
    stem = os.path.splitext(secure_filename(original or ""))[0][:100] or "attachment"
    return stem + kind.extension


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB".replace(".0 MB", " MB")
