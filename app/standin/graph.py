"""The stand-in for graph.instagram.com: token exchange and refresh, /me, customer
profiles, the account's posts (media objects), webhook subscriptions, the Send API with its echo
webhook, and the Conversations API (app.standin.history)."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request, url_for

from . import comments, history, webhooks
from .context import (
    MESSAGING_SCOPE,
    authenticate,
    avatar_url,
    control,
    is_own_node,
    require_own_node,
    require_scope,
    settings,
    signer,
)
from .errors import StandinError
from .media import MEDIA_FIELDS, media_fields, picture_svg
from .messages import MAX_TEXT_BYTES, SendRequest, new_mid, parse_send_request, request_params
from .profiles import USERNAME_RE, avatar_svg, business_account, customer_profile
from .signing import LONG_LIVED_SECONDS, Claims

SUBSCRIBABLE_FIELDS = (
    "messages", "message_reactions", "messaging_seen", "messaging_postbacks", "messaging_referral",
    "messaging_optins", "messaging_handover", "standby", "message_edit", "comments", "live_comments",
)
ACCOUNT_FIELDS = ("id", "user_id", "username", "name", "profile_picture_url", "account_type",
                  "followers_count", "follows_count", "media_count")
COMMENTS_SCOPE = "instagram_business_manage_comments"
CUSTOMER_FIELDS = ("id", "name", "username", "profile_pic", "follower_count", "is_user_follow_business",
                   "is_business_follow_user", "is_verified_user")
DEFAULT_ME_FIELDS = ("user_id", "username", "name", "profile_picture_url")
# Fields only a media object has: a lookup asking for one of them is about a post, not a person
# (Meta knows an id's node type; the stand-in, whose ids are all digits, reads it from the fields).
MEDIA_ONLY_FIELDS = frozenset(MEDIA_FIELDS) - {"id", "username"}


def create_graph_blueprint() -> Blueprint:
    bp = Blueprint("graph", __name__)

    @bp.get("/access_token")
    def exchange_token():
        _require_param("grant_type", "ig_exchange_token")
        _check_client_secret(request.args.get("client_secret"))
        claims = authenticate(request.args.get("access_token") or "")
        return _long_lived_token_answer(claims)

    @bp.get("/refresh_access_token")
    def refresh_token():
        _require_param("grant_type", "ig_refresh_token")
        claims = authenticate(request.args.get("access_token") or "")
        if claims.kind != "long":
            raise StandinError(100, "(#100) Only long-lived tokens can be refreshed; exchange this one first")
        if control().now() - claims.iat < settings().refresh_min_age:
            raise StandinError(100, "(#100) A token can be refreshed only once it is at least 24 hours old")
        return _long_lived_token_answer(claims)

    # Meta serves unversioned paths too (its default version), so both forms are routed.
    @bp.get("/me", defaults={"ver": None})
    @bp.get("/<ver>/me")
    def me(ver):
        claims = authenticate()
        return jsonify(_account_fields(claims, _requested_fields(DEFAULT_ME_FIELDS)))

    @bp.get("/<node_id>", defaults={"ver": None})
    @bp.get("/<ver>/<node_id>")
    def node(ver, node_id):
        claims = authenticate()
        if is_own_node(node_id, claims):
            return jsonify(_account_fields(claims, _requested_fields(DEFAULT_ME_FIELDS)))
        if history.parse_conversation_id(node_id) is not None:
            return jsonify(_conversation(claims, node_id))
        if not node_id.isdigit():
            require_own_node(node_id, claims)  # raises Meta's "does not exist" error
        fields = _requested_fields(("name", "username"))
        if MEDIA_ONLY_FIELDS.intersection(fields):
            _reject_unknown(fields, MEDIA_FIELDS, "IGMedia")
            return jsonify(media_fields(node_id, fields, _picture_url(node_id)))
        require_scope(claims, MESSAGING_SCOPE)
        return jsonify(_customer_fields(node_id, fields))

    @bp.route("/<node_id>/subscribed_apps", methods=["GET", "POST", "DELETE"], defaults={"ver": None})
    @bp.route("/<ver>/<node_id>/subscribed_apps", methods=["GET", "POST", "DELETE"])
    def subscribed_apps(ver, node_id):
        claims = authenticate()
        require_own_node(node_id, claims, request.method.lower())
        ctl = control()
        if request.method == "GET":
            fields = ctl.subscribed_fields(claims.ig_user_id)
            if fields is None:
                return jsonify({"data": []})
            app_name = settings().app_name or "Stand-in app"
            return jsonify({"data": [{"id": claims.client_id or "standin", "name": app_name,
                                      "subscribed_fields": fields}]})
        if request.method == "DELETE":
            ctl.unsubscribe(claims.ig_user_id)
            return jsonify({"success": True})
        ctl.subscribe(claims.ig_user_id, _subscribed_fields_param())
        return jsonify({"success": True})

    @bp.get("/<node_id>/conversations", defaults={"ver": None})
    @bp.get("/<ver>/<node_id>/conversations")
    def conversations(ver, node_id):
        claims = authenticate()
        require_own_node(node_id, claims)
        require_scope(claims, MESSAGING_SCOPE)
        if request.args.get("platform") != "instagram":
            raise StandinError(100, "(#100) The parameter platform is required and must be instagram")
        limit = history.limit_of(request.args.get("limit"), history.CONVERSATIONS_PAGE)
        listed = history.conversation_list(claims.ig_user_id, _threads(claims))
        return jsonify(history.page(listed, request.args.get("after"), limit, _next_url))

    @bp.get("/<conversation>/messages", defaults={"ver": None})
    @bp.get("/<ver>/<conversation>/messages")
    def conversation_messages(ver, conversation):
        claims = authenticate()
        messages, fields = _thread(claims, conversation), history.message_fields(request.args.get("fields"))
        limit = history.limit_of(request.args.get("limit"), history.MESSAGES_PAGE)
        return jsonify(history.page(messages(fields), request.args.get("after"), limit, _next_url))

    @bp.post("/<node_id>/messages", defaults={"ver": None})
    @bp.post("/<ver>/<node_id>/messages")
    def send_message(ver, node_id):
        claims = authenticate()
        require_own_node(node_id, claims, "post")
        require_scope(claims, MESSAGING_SCOPE)
        params = request_params(request.get_json(silent=True), request.form.to_dict())
        recipient = params.get("recipient")
        if isinstance(recipient, dict) and "comment_id" in recipient:
            return _private_reply(claims, params)
        send = parse_send_request(params)
        if send.recipient_id in (claims.ig_user_id, claims.app_user_id):
            raise StandinError(100, "(#100) No matching user found", subcode=2534014)
        if not send.is_message:
            return jsonify({"recipient_id": send.recipient_id})
        mid = new_mid(claims.ig_user_id)
        response = jsonify({"recipient_id": send.recipient_id, "message_id": mid})
        _echo(claims, send, mid, response)
        return response

    @bp.get("/_standin/post/<media_id>.svg")
    def post_picture(media_id):
        if not media_id.isdigit() or len(media_id) > 30:
            raise StandinError(100, "(#100) Unknown media", status=404)
        response = Response(picture_svg(media_id), mimetype="image/svg+xml")
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        return response

    @bp.post("/<node_id>/replies", defaults={"ver": None})
    @bp.post("/<ver>/<node_id>/replies")
    def comment_replies(ver, node_id):
        claims = authenticate()
        require_scope(claims, COMMENTS_SCOPE)
        return comments.reply(claims, node_id, request.form.get("message") or request.args.get("message"))

    @bp.post("/<node_id>", defaults={"ver": None})
    @bp.post("/<ver>/<node_id>")
    def hide_comment(ver, node_id):
        claims = authenticate()
        require_scope(claims, COMMENTS_SCOPE)
        return comments.hide(claims, node_id, request.args.get("hide") or request.form.get("hide"))

    @bp.delete("/<node_id>", defaults={"ver": None})
    @bp.delete("/<ver>/<node_id>")
    def delete_comment(ver, node_id):
        claims = authenticate()
        require_scope(claims, COMMENTS_SCOPE)
        return comments.delete(claims, node_id)

    @bp.get("/_standin/avatar/<kind>/<seed>.svg")
    def avatar(kind, seed):
        valid = (kind == "customer" and seed.isdigit()) or (kind == "account" and USERNAME_RE.match(seed))
        if not valid:
            raise StandinError(100, "(#100) Unknown avatar", status=404)
        response = Response(avatar_svg(kind, seed), mimetype="image/svg+xml")
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        return response

    return bp


def _picture_url(media_id: str) -> str:
    # Absolute, as Meta's CDN urls are; behind a proxy STANDIN_PUBLIC_URL names the host browsers see.
    public_url = settings().public_url
    if public_url:
        return public_url.rstrip("/") + url_for("standin.graph.post_picture", media_id=media_id)
    return url_for("standin.graph.post_picture", media_id=media_id, _external=True)


def _require_param(name: str, expected: str) -> None:
    value = request.args.get(name)
    if value != expected:
        raise StandinError(100, f"(#100) param {name} must be {expected}" if value else f"(#100) Missing {name}")


def _check_client_secret(client_secret: str | None) -> None:
    if not client_secret:
        raise StandinError(100, "(#100) Missing client_secret")
    expected = settings().app_secret
    if expected and client_secret != expected:
        raise StandinError(101, "Error validating client secret.")


def _long_lived_token_answer(claims: Claims) -> Response:
    token = signer().mint_token(
        ig_user_id=claims.ig_user_id,
        app_user_id=claims.app_user_id,
        username=claims.username,
        kind="long",
        scopes=claims.scopes,
        client_id=claims.client_id,
        issued_at=control().now(),
    )
    return jsonify({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})


def _requested_fields(default: tuple[str, ...]) -> list[str]:
    raw = request.args.get("fields")
    if raw is None:
        return list(default)
    return [f.strip() for f in raw.split(",") if f.strip()]


def _reject_unknown(fields: list[str], known: tuple[str, ...], node_type: str) -> None:
    for name in fields:
        if name not in known:
            raise StandinError(100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})")


def _account_fields(claims: Claims, fields: list[str]) -> dict:
    _reject_unknown(fields, ACCOUNT_FIELDS, "User")
    account = business_account(claims.username)
    values = {
        # `id` is app-scoped and differs from `user_id`, the id webhooks use: as at Meta.
        "id": claims.app_user_id,
        "user_id": claims.ig_user_id,
        "username": claims.username,
        "name": account.name,
        "profile_picture_url": avatar_url("account", claims.username),
        "account_type": "BUSINESS",
        "followers_count": 1200,
        "follows_count": 80,
        "media_count": 42,
    }
    answer = {name: values[name] for name in fields}
    answer.setdefault("id", claims.app_user_id)
    return answer


def _customer_fields(igsid: str, fields: list[str]) -> dict:
    _reject_unknown(fields, CUSTOMER_FIELDS, "InstagramUser")
    profile = customer_profile(igsid)
    values = {
        "id": igsid,
        "name": profile.name,
        "username": profile.username,
        "profile_pic": avatar_url("customer", igsid) if profile.has_picture else None,
        "follower_count": profile.follower_count,
        "is_user_follow_business": profile.is_user_follow_business,
        "is_business_follow_user": profile.is_business_follow_user,
        "is_verified_user": profile.is_verified_user,
    }
    answer = {name: values[name] for name in fields}
    answer.setdefault("id", igsid)
    return answer


def _threads(claims: Claims) -> dict[str, list[history.HistoryMessage]]:
    return history.threads(claims.ig_user_id, control().now(), control().added_history(claims.ig_user_id),
                           lambda igsid: avatar_url("customer", igsid))


def _thread(claims: Claims, node_id: str):
    """The conversation's messages (newest first) as a function of the fields asked for; Meta's
    "does not exist" for a conversation of another account or an unknown one."""
    ids = history.parse_conversation_id(node_id)
    if ids is None or ids[0] != claims.ig_user_id:
        require_own_node("unknown-" + node_id[:40], claims)  # raises Meta's error
    require_scope(claims, MESSAGING_SCOPE)
    igsid = ids[1]
    messages = _threads(claims).get(igsid, [])
    return lambda fields: [history.message_json(m, claims.ig_user_id, claims.username, igsid, fields)
                           for m in reversed(messages)]


def _conversation(claims: Claims, node_id: str) -> dict:
    messages = _thread(claims, node_id)
    raw = request.args.get("fields") or "id"
    answer: dict = {"id": node_id}
    if raw.startswith("messages") or ",messages" in raw:
        fields = history.message_fields(raw[raw.index("messages"):])
        base = request.base_url.rstrip("/") + "/messages"
        answer["messages"] = history.page(messages(fields), None, history.MESSAGES_PAGE,
                                          lambda cursor: base + "?" + urlencode({"fields": ",".join(fields), "after": cursor}))
    return answer


def _next_url(cursor: str) -> str:
    params = {k: v for k, v in request.args.items() if k not in ("after", "access_token")}
    return request.base_url + "?" + urlencode({**params, "after": cursor})


def _subscribed_fields_param() -> list[str]:
    raw = request.args.get("subscribed_fields") or request.form.get("subscribed_fields")
    if not raw:
        raise StandinError(100, "(#100) The parameter subscribed_fields is required.")
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    for name in fields:
        if name not in SUBSCRIBABLE_FIELDS:
            raise StandinError(100, f"(#100) Param subscribed_fields must be one of "
                                  f"{{{', '.join(SUBSCRIBABLE_FIELDS)}}} - got \"{name}\"")
    return fields


def _private_reply(claims: Claims, params: dict) -> Response:
    """A private reply (recipient {comment_id}): a text DM to the commenter, under Meta's rules."""
    require_scope(claims, COMMENTS_SCOPE)
    message = params.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise StandinError(100, "(#100) A private reply must be a text message")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise StandinError(100, f"(#100) Length of param message[text] must be less than or equal to {MAX_TEXT_BYTES}")
    commenter, mid = comments.private_reply(claims, str(params["recipient"]["comment_id"]), text)
    response = jsonify({"recipient_id": commenter, "message_id": mid})
    if commenter:  # unknown for a comment another process delivered: no echo then
        _echo(claims, SendRequest(recipient_id=commenter, text=text), mid, response)
    return response


def _echo(claims: Claims, send: SendRequest, mid: str, response: Response) -> None:
    """Send the echo webhook Meta would deliver for a message the business just sent."""
    config = settings()
    if config.echo_mode == "off" or not config.webhook_url:
        return
    if not config.app_secret:
        # Unsigned deliveries are never accepted, so do not pretend to send one.
        webhooks.log.warning("stand-in echo skipped: INSTAGRAM_APP_SECRET is not set")
        return
    body = webhooks.encode_payload(webhooks.echo_event(
        ig_user_id=claims.ig_user_id,
        igsid=send.recipient_id,
        mid=mid,
        text=send.text,
        attachment=send.attachment,
        timestamp_ms=int(control().now() * 1000),
    ))
    ctl = control()
    if config.echo_mode == "before":
        webhooks.deliver(config.webhook_url, body, config.app_secret, attempts=1, on_attempt=ctl.record_echo)
        return
    answered = threading.Event()
    response.call_on_close(answered.set)
    webhooks.deliver_later(config.webhook_url, body, config.app_secret, delay=config.echo_delay,
                           answered=answered, attempts=config.echo_attempts, on_attempt=ctl.record_echo)
