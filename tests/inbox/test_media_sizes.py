"""Every picture in a thread has its box before it loads (templates/inbox/_media.html): its own
width and height when the attachment gives them as whole pixels, else the stylesheet's fixed box;
sizes that are not plain numbers never reach the page."""
from __future__ import annotations

import re

import pytest


@pytest.fixture
def thread(factory, auth, client):
    ws = factory.workspace("Shop")
    user = factory.user(ws)
    conversation = factory.conversation(factory.account(ws))
    auth.login(user)

    def show(attachment: dict) -> str:
        factory.message(conversation, None, attachments=[attachment])
        html = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
        return re.findall(r'<span class="media media--(?:image|video)[^"]*">\s*(?:<a [^>]*>)?<(?:img|video) [^>]*>', html)[-1]

    return show


def test_a_picture_with_its_size_reserves_its_proportions(thread):
    tag = thread({"type": "image", "url": "https://cdn.example/p.jpg", "width": 1080, "height": 1350})
    assert "media--sized" in tag
    assert 'width="1080" height="1350"' in tag


def test_a_size_in_the_payload_counts_too(thread):
    tag = thread({"type": "video", "payload": {"url": "https://cdn.example/v.mp4", "width": 720, "height": 1280}})
    assert "media--sized" in tag and 'width="720" height="1280"' in tag


def test_without_a_size_the_fixed_box_is_used(thread):
    tag = thread({"type": "image", "url": "https://cdn.example/p.jpg"})
    assert "media--sized" not in tag
    assert "width=" not in tag and "height=" not in tag


@pytest.mark.parametrize("width, height", [
    ('100" onload="alert(1)', 100), ("1080", "1350"), (-5, 100), (0, 100), (100, 99999), (1.5, 2), (None, 100),
])
def test_a_size_that_is_not_whole_pixels_is_ignored(thread, width, height):
    tag = thread({"type": "image", "url": "https://cdn.example/p.jpg", "width": width, "height": height})
    assert "media--sized" not in tag
    assert "width=" not in tag and "onload" not in tag
