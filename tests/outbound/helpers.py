"""Helpers shared by the outbound tests."""
from __future__ import annotations

import json
from dataclasses import dataclass

from app.extensions import db
from app.models import Conversation, InstagramAccount, User, Workspace
from tests.meta_kit import graph_url

TOKEN = "IGQWRtestTOKENvalue"  # tests.factories' default account token


@dataclass
class World:
    workspace: Workspace
    user: User
    account: InstagramAccount
    conversation: Conversation

    @property
    def messages_url(self) -> str:
        return graph_url(self.account.ig_user_id, "messages")

    @property
    def igsid(self) -> str:
        return self.conversation.contact.igsid


def sent_bodies(meta, url=None) -> list[dict]:
    return [json.loads(call.request.body) for call in meta.calls if url is None or call.request.url == url]


def refetch(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


# Files as their first bytes make them (the rest is padding): what the server sniffs.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(200)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(200)
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + bytes(200)
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(200)
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm" + bytes(200)
MKV = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x88matroska" + bytes(200)
OGG = b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00" + bytes(200)
AVI = b"RIFF\xf0\x00\x00\x00AVI LIST" + bytes(200)
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(200)
AAC = b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(200)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(200)
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200)
GIF = b"GIF89a\x01\x00\x01\x00" + bytes(200)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(200)
MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(200)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)
HTML = b"<!doctype html><script>alert(1)</script>" + bytes(200)
