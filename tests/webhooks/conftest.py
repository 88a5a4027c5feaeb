"""Fixtures for the webhook tests: Meta's Graph API stood in for at http://graph.test."""
from __future__ import annotations

import json
import re

import pytest
import responses

from tests.meta_kit import GRAPH_URL, GRAPH_VERSION

PROFILE_URL = re.compile(rf"{re.escape(GRAPH_URL)}/{re.escape(GRAPH_VERSION)}/(\d+)\?.*")


def profile_body(igsid: str) -> dict:
    return {
        "id": igsid, "name": f"Customer {igsid[-4:]}", "username": f"customer_{igsid[-4:]}",
        "profile_pic": f"https://cdn.example/{igsid}.jpg", "follower_count": 321,
        "is_verified_user": False, "is_user_follow_business": True, "is_business_follow_user": False,
    }


@pytest.fixture(autouse=True)
def graph(meta):
    """The suite's `meta`, where every profile lookup answers like Meta unless a test registers
    something else first."""
    def profile(request):
        igsid = PROFILE_URL.match(request.url).group(1)
        return 200, {"Content-Type": "application/json"}, json.dumps(profile_body(igsid))

    meta.add_callback(responses.GET, PROFILE_URL, callback=profile)
    return meta
