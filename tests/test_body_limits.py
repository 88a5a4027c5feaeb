"""Bodies from someone not signed in are refused past a small limit before anything reads them
(SECURITY_REVIEW F-21); a signed-in person keeps the attachment-sized limit."""
from __future__ import annotations

import io

import pytest

BIG = 200 * 1024  # far past ANONYMOUS_MAX_BYTES, far below MAX_CONTENT_LENGTH


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        chunk = super().readline(size)
        self.read_bytes += len(chunk)
        return chunk


@pytest.mark.parametrize("path", ["/login", "/accounts/instagram/deauthorize", "/accounts/instagram/data-deletion",
                                  "/settings/tokens", "/nowhere"])
def test_anonymous_large_bodies_are_refused_unread(client, path):
    body = b"signed_request=" + b"a" * BIG
    stream = CountingStream(body)
    response = client.post(path, input_stream=stream, content_type="application/x-www-form-urlencoded",
                           headers={"Content-Length": str(len(body))})
    assert response.status_code == 413
    assert stream.read_bytes == 0


def test_anonymous_small_bodies_still_work(client, auth, factory):
    user = factory.user(password="right-password-1")
    response = client.post("/login", data={"email": user.email, "password": "right-password-1",
                                           "csrf_token": auth.csrf_token()})
    assert response.status_code == 302


def test_signed_in_people_keep_the_attachment_limit(client, auth):
    auth.login()
    response = auth.post("/settings/tokens", {"name": "x" * BIG})
    assert response.status_code != 413


def test_the_limit_is_small(app):
    assert app.config["ANONYMOUS_MAX_BYTES"] <= 64 * 1024 < app.config["MAX_CONTENT_LENGTH"]
