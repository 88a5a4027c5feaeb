"""Whatever a signed body holds, the endpoint answers 200 or 400, never raises, and a delivery that
is not applied leaves no rows besides its own log row."""
from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from app.extensions import db
from app.instagram import payloads as p
from app.instagram.events import UnknownEvent, parse_delivery
from app.webhooks.apply import HANDLED_KINDS
from app.models import Contact, Conversation, DeferredEvent, Lead, Message, WebhookEvent
from app.instagram.signature import compute_signature
from tests.conftest import TEST_APP_SECRET
from tests.webhooks.helpers import T0, post, snapshot

ACCOUNT = "17841400000000777"
C = "6543210987654321"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def base_bodies():
    A = ACCOUNT
    return [
        p.delivery(p.entry(A, [p.text_message(A, C, "m1", "hello", T0)])),
        p.delivery(p.entry(A, [p.attachment_message(A, C, "m2", "image", "https://cdn.example/a.jpg", T0)])),
        p.delivery(p.entry(A, [p.reaction(A, C, "m1", ts_ms=T0)])),
        p.delivery(p.entry(A, [p.postback(A, C, "pb", "Start", "START", T0)])),
        p.delivery(p.entry(A, [p.ad_referral_message(A, C, "m3", "hi", "123", T0, ad_title="Ad")])),
        p.delivery(p.entry(A, [p.echo(A, C, "e1", "ours", T0)])),
        p.delivery(p.entry(A, [p.edit(A, C, "m1", "new", 1, T0)])),
        p.delivery(p.entry(A, [p.read(A, C, "m1", T0)])),
        p.dashboard_test(),
    ]


def paths(value, prefix=()):
    """Every path to a value inside a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, prefix + (index,))


def replace_at(document, path, new):
    if not path:
        return new
    document = copy.deepcopy(document)
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return document


@st.composite
def mutated_bodies(draw):
    body = draw(st.sampled_from(base_bodies()))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        all_paths = list(paths(body))
        path = draw(st.sampled_from(all_paths))
        if path and draw(st.booleans()) and isinstance(body, (dict, list)):
            # Sometimes delete the field instead of changing it.
            parent = body
            for step in path[:-1]:
                parent = parent[step]
            if isinstance(parent, dict):
                parent = copy.deepcopy(parent)
                body = replace_at(body, path[:-1], {k: v for k, v in parent.items() if k != path[-1]})
                continue
        body = replace_at(body, path, draw(json_values))
    raw = json.dumps(body).encode()
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        position = draw(st.integers(min_value=0, max_value=len(raw)))
        raw = raw[:position] + draw(st.binary(min_size=1, max_size=4)) + raw[position:]
    return raw


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=mutated_bodies())
def test_mutated_signed_deliveries(client, factory, raw):
    from app.models import InstagramAccount

    if db.session.scalar(select(InstagramAccount).where(InstagramAccount.ig_user_id == ACCOUNT)) is None:
        factory.account(ig_user_id=ACCOUNT)
    for model in (DeferredEvent, Lead, Message, Conversation, Contact, WebhookEvent):
        db.session.execute(delete(model))
    db.session.commit()

    response = post(client, raw)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.scalars(select(WebhookEvent)).one()
    assert row.body == raw
    if response.status_code == 400:
        assert row.status == "rejected"
    else:
        assert row.status in ("applied", "failed", "ignored")
        assert response.get_json() == {"status": row.status}
    if response.status_code == 400:
        return
    if row.status == "failed":
        # Reported by the parser or the length checks, never an exception while applying.
        assert row.error.startswith("could not use: "), row.error
    # The parser (tested on its own) is the oracle for what the delivery holds.
    parsed = parse_delivery(json.loads(raw), received_at=row.received_at)
    unusable = [e for e in parsed.events if isinstance(e, UnknownEvent) and e.kind in HANDLED_KINDS]
    if parsed.errors or unusable or parsed.object_type != "instagram":
        # Something could not be used: failed when nothing was applied, else a warning (never silent).
        assert row.status in ("failed", "applied"), (parsed.errors, unusable)
        assert row.status == "failed" or row.warnings, (parsed.errors, unusable)
    usable = parsed.object_type == "instagram" and any(
        not isinstance(e, UnknownEvent) and e.account_id == ACCOUNT and e.customer_id != ACCOUNT
        and len(e.customer_id) <= 64 and len(getattr(e, "mid", None) or "") <= 255 for e in parsed.events)
    if not usable:
        assert row.status in ("failed", "ignored")
        assert [count(m) for m in (Contact, Conversation, Message, Lead, DeferredEvent)] == [0, 0, 0, 0, 0], row.error


def _fresh_state(factory):
    from app.models import InstagramAccount

    if db.session.scalar(select(InstagramAccount).where(InstagramAccount.ig_user_id == ACCOUNT)) is None:
        factory.account(ig_user_id=ACCOUNT)
    for model in (DeferredEvent, Lead, Message, Conversation, Contact, WebhookEvent):
        db.session.execute(delete(model))
    db.session.commit()


def _tampered(raw: bytes, how: str) -> tuple[bytes, str | bool]:
    """A body and X-Hub-Signature-256 value that Meta did not produce together."""
    good = compute_signature(TEST_APP_SECRET, raw)
    if how == "body":
        return raw + b" ", good  # one byte more than what was signed
    if how == "digit":
        last = good[-1]
        return raw, good[:-1] + ("0" if last != "0" else "1")
    if how == "secret":
        return raw, compute_signature("another-app-secret", raw)
    if how == "sha1":
        return raw, "sha1=" + good.split("=", 1)[1]
    if how == "bare":
        return raw, good.split("=", 1)[1]  # the hex without its scheme
    return raw, False  # no header at all


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=mutated_bodies(), how=st.sampled_from(["body", "digit", "secret", "sha1", "bare", "missing"]))
def test_mutated_deliveries_with_a_bad_signature_write_nothing(client, factory, raw, how):
    _fresh_state(factory)
    body, signature = _tampered(raw, how)

    response = post(client, body, signature=signature)

    assert response.status_code == 401
    assert [count(m) for m in (WebhookEvent, Contact, Conversation, Message, Lead, DeferredEvent)] == [0] * 6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=mutated_bodies(), times=st.integers(min_value=2, max_value=3))
def test_redelivering_any_mutated_delivery_changes_nothing(client, factory, raw, times):
    """Invariant (docs/architecture.md#invariants): whatever a delivery holds, redelivering it
    changes nothing after the first time (not even a timestamp), and every copy is answered alike."""
    _fresh_state(factory)
    first = post(client, raw)
    after_first = snapshot()

    for _ in range(times - 1):
        again = post(client, raw)
        assert again.status_code == first.status_code
        assert again.get_json() == first.get_json()
    assert snapshot() == after_first
    assert count(WebhookEvent) == times  # every copy is kept in the log


def test_a_reaction_without_any_timestamp_redelivered_waits_once(client, factory):
    """Found by the test above: with no item timestamp and no entry time, the event is dated when
    received, which differs at each redelivery; the waiting event must still be recognised as the
    same one (it is told apart by the item as Meta sent it, not by that date)."""
    _fresh_state(factory)
    raw = json.dumps({"object": "instagram", "entry": [{"id": ACCOUNT, "messaging": [{
        "sender": {"id": "6543210987654321"}, "recipient": {"id": ACCOUNT},
        "reaction": {"mid": "m1", "action": "react", "reaction": "love", "emoji": "\u2764\ufe0f"}}]}]}).encode()
    post(client, raw)
    after_first = snapshot()
    post(client, raw)
    assert snapshot() == after_first
    assert count(DeferredEvent) == 1
