"""Customers named by username: a deterministic IGSID the stand-in's profile lookup answers for."""
from __future__ import annotations

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from app.standin import customer_igsid, customer_profile, username_of_igsid
from tests.demo.conftest import stand_in_token
from tests.meta_kit import GRAPH_VERSION

usernames = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=30)


@given(usernames)
def test_the_igsid_carries_the_username_back(username):
    igsid = customer_igsid(username)
    assert igsid.isdigit() and len(igsid) <= 64  # fits Contact.igsid; the Send API wants digits
    assert customer_igsid(username) == igsid
    assert username_of_igsid(igsid) == username
    assert customer_profile(igsid).username == username


def test_typing_is_forgiving_like_instagram():
    assert customer_igsid("@Lena.Bakes ") == customer_igsid("lena.bakes")
    assert customer_profile(customer_igsid("lena.bakes")).name == "Lena Bakes"


@pytest.mark.parametrize("bad", ["", "two words", "x" * 31, "émile", "a/b"])
def test_not_a_username(bad):
    with pytest.raises(ValueError):
        customer_igsid(bad)


@given(st.integers(min_value=10**14, max_value=10**18))
def test_other_igsids_keep_their_generated_profiles(number):
    igsid = str(number)
    if username_of_igsid(igsid) is None:
        assert customer_profile(igsid).username.count(".") == 1  # first.last<n>


def test_meta_profile_lookup_answers_with_the_username(standin_meta):
    igsid = customer_igsid("marco_fit")
    answer = requests.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/{igsid}", params={"fields": "name,username"},
                          headers={"Authorization": f"Bearer {stand_in_token('demo.boutique')}"}, timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"id": igsid, "name": "Marco Fit", "username": "marco_fit"}
