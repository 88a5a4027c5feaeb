"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json without a token.

Written by hand as a dict next to the code it describes; tests/api/test_api_openapi.py checks that
every /api/v1 route is documented with its methods and that real responses match these schemas."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import jsonify

from app.api import bp
from app.models import (
    ACCOUNT_STATUSES,
    CONVERSATION_KINDS,
    CONVERSATION_STATUSES,
    DIRECTIONS,
    IMPORT_STATUSES,
    LEAD_STATUSES,
    MESSAGE_SOURCES,
    MESSAGE_STATUSES,
    MAX_ID,
    NOTIFICATION_TYPES,
)
from app.api.notifications import MAX_READ_IDS
from app.inbox.mentions import MAX_MENTIONS
from app.inbox.queries import SORTS
from app.labels.catalog import NAME_MAX
from app.labels.tagging import MAX_LABELS_PER_CONVERSATION
from app.leads.values import LOST_REASONS
from app.messages.content import KINDS as MESSAGE_KINDS
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, encode_cursor


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(type_: str, **extra) -> dict:
    return {"type": [type_, "null"], **extra}


TIME = {"type": "string", "format": "date-time", "description": "ISO-8601, UTC, e.g. 2030-01-31T09:00:00Z"}
TIME_OR_NULL = {**TIME, "type": ["string", "null"]}
ID = {"type": "integer", "minimum": 1}
DECIMAL = {"type": "string", "pattern": "^\\d{1,12}(\\.\\d{1,2})?$", "examples": ["1250.50"]}


def _object(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


def _data(schema: dict) -> dict:
    return _object({"data": schema})


def _page(item: str) -> dict:
    return _object({
        "data": {"type": "array", "items": _ref(item)},
        "next_cursor": _nullable("string", description="Pass back to get the next page; null on the last page."),
    })


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    return {str(s): {"$ref": f"#/components/responses/{ERROR_RESPONSES[s][0]}"} for s in statuses}


ERROR_RESPONSES = {
    400: ("BadRequest", "Malformed input: invalid JSON, a wrong type, an unknown field or value, a bad cursor or limit. "
                        "`error.field` names the field."),
    401: ("Unauthorized", "Missing, unknown or revoked token."),
    403: ("Forbidden", "The token's owner is not allowed to do this (an agent where admins only may)."),
    404: ("NotFound", "No such id in the token's workspace (another workspace's ids look exactly like this)."),
    409: ("Conflict", "The conversation cannot take a reply now (outside Meta's reply window, account disconnected)."),
    413: ("TooLarge", "The body is larger than 64 KB."),
    415: ("UnsupportedMediaType", "The body is not `application/json`."),
    422: ("Unprocessable", "Well-formed, but the inbox's rules refuse it (e.g. a user of another workspace). "
                           "`error.field` names the field."),
    429: ("RateLimited", "Too many requests for this token; wait `Retry-After` seconds."),
}

READ_ERRORS = (401, 429)
WRITE_ERRORS = (400, 401, 404, 413, 415, 422, 429)

CONVERSATION_ID = {"name": "conversation_id", "in": "path", "required": True, "schema": ID}
LIMIT = {"name": "limit", "in": "query", "required": False,
         "description": f"Page size, default {DEFAULT_LIMIT}: a whole number of at least 1; larger values are "
                        f"capped at {MAX_LIMIT} (never refused).",
         "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT}}
# The longest cursor the API can return: the latest timestamp (always UTC, +00:00) and the largest id.
CURSOR_MAX_LENGTH = len(encode_cursor(datetime.max.replace(tzinfo=timezone.utc), MAX_ID))
CURSOR_SCHEMA = {"type": "string", "maxLength": CURSOR_MAX_LENGTH}
CURSOR = {"name": "cursor", "in": "query", "required": False,
          "description": "The `next_cursor` of the previous page.", "schema": CURSOR_SCHEMA}
USER_ID_PATTERN = "[1-9][0-9]{0,9}"  # ids stop at 2147483647; larger ones are a 400

LABEL_NAME = {"type": "string", "minLength": 1, "maxLength": NAME_MAX,
              "description": "Lower case letters (of any script), digits, `-` and `_`."}

SCHEMAS = {
    "Error": _object({
        "error": _object({
            "code": {"type": "string", "examples": ["validation_failed", "not_found", "window_closed"]},
            "message": {"type": "string"},
            "field": {"type": "string", "description": "The field at fault (validation errors)."},
        }, required=["code", "message"]),
    }),
    "Contact": _object({
        "id": ID,
        "igsid": {"type": "string", "description": "Instagram-scoped id of the customer (per account)."},
        "username": _nullable("string"),
        "name": _nullable("string"),
        "profile_pic_url": _nullable("string", format="uri"),
    }),
    "Conversation": _object({
        "id": ID,
        "account_id": ID,
        "contact": _ref("Contact"),
        "kind": {"enum": list(CONVERSATION_KINDS), "description": "`dm`: the customer's direct messages with the "
                 "account; `comments`: the customer's comments on one post, reel or ad of the account (and the "
                 "account's replies to them), one conversation per person per post."},
        "media": {"oneOf": [{"type": "null"}, _ref("Media")],
                  "description": "The post a `comments` conversation is about; null for `dm`."},
        "status": {"enum": list(CONVERSATION_STATUSES)},
        "snoozed_until": TIME_OR_NULL,
        "assignee_id": _nullable("integer"),
        "unread_count": {"type": "integer", "minimum": 0, "description": "Messages the token's owner has not "
                         "read here (each person has their own: opening or marking read clears only yours)."},
        "needs_reply": {"type": "boolean", "description": "The customer spoke last and no person has answered "
                        "since (automated replies do not count; a reply typed in the Instagram app does), and the "
                        "conversation is open or pending. Resolving counts as handled; a snoozed conversation "
                        "needs a reply again when it wakes."},
        "waiting_since": {**TIME_OR_NULL, "description": "When the customer's oldest unanswered message was "
                          "sent; null when nobody is waiting for a person."},
        "last_message_at": TIME,
        "last_message_preview": _nullable("string"),
        "can_reply": {"type": "boolean", "description": "Whether a reply sent through the API now is inside "
                      "Instagram's reply window (24 hours after the customer's last message). A disconnected "
                      "account still refuses it (409 `account_unavailable`; see the account's `status`)."},
        "reply_window_ends_at": {**TIME_OR_NULL, "description": "When replying stops being possible; null "
                                 "when it is not possible now."},
        "window_closes_at": {**TIME_OR_NULL, "description": "When Instagram's 24-hour window (after the customer's "
                             "last message) closes; null when it is closed or the customer never wrote."},
        "labels": {"type": "array", "items": LABEL_NAME, "description": "The names of its labels, alphabetical."},
        "created_at": TIME,
        "updated_at": TIME,
    }),
    "Media": _object({
        "id": {"type": "string", "description": "Instagram's id of the post, reel, story or ad."},
        "permalink": _nullable("string", format="uri", description="The post on Instagram; null until fetched."),
        "caption": _nullable("string"),
        "thumbnail_url": _nullable("string", format="uri", description="Its picture (Instagram's links expire: "
                                   "fetched again daily)."),
        "product_type": _nullable("string", examples=["FEED", "REELS", "STORY", "AD", "LIVE"]),
    }),
    "Attachment": _object({"type": {"type": "string", "examples": ["image", "video", "audio", "file", "share"]},
                           "url": _nullable("string", format="uri")}),
    "Reaction": _object({"emoji": _nullable("string"), "reaction": _nullable("string"),
                         "by": _nullable("string", description="Who reacted.")}),
    # What a message carries beyond text (app/messages/content.py): one object per record, each
    # present when the message has it; `kind` says which one the message is about.
    "StoryContext": _object({
        "kind": {"enum": ["mention", "reply"], "description": "`mention`: the customer mentioned the account in "
                 "their story (or, sent by the business, the account mentioned the customer); `reply`: a reply "
                 "to one of the account's stories."},
        "id": _nullable("string", description="Instagram's id of the story, when Meta sends it."),
        "url": _nullable("string", format="uri", description="The story's media (Instagram's links expire)."),
    }),
    "ReferralContext": _object({
        "ref": _nullable("string", description="The `ref` of an ig.me link or of the ad."),
        "source": _nullable("string", examples=["ADS", "SHORTLINK"]),
        "type": _nullable("string", examples=["OPEN_THREAD"]),
        "ad_id": _nullable("string", description="Set for a click-to-DM ad."),
        "ad_title": _nullable("string"),
        "photo_url": _nullable("string", format="uri"),
        "video_url": _nullable("string", format="uri"),
    }),
    "QuickReplyContext": _object({"payload": _nullable("string", description="The tapped chip's payload.")}),
    "PostbackContext": _object({"title": _nullable("string", description="The tapped button's title."),
                                "payload": _nullable("string")}),
    "ShareContext": _object({
        "type": {"enum": ["post", "reel", "story"]},
        "url": _nullable("string", format="uri"),
        "title": _nullable("string"),
        "media_id": _nullable("string", description="Instagram's id of the shared media, when Meta sends it."),
    }),
    "TemplateButton": _object({"title": _nullable("string"), "url": _nullable("string", format="uri"),
                               "payload": _nullable("string")}),
    "TemplateContext": _object({
        "template_type": _nullable("string", examples=["generic", "button", "media"]),
        "title": _nullable("string", description="The first card's title."),
        "subtitle": _nullable("string"),
        "text": _nullable("string", description="A button template's text."),
        "image_url": _nullable("string", format="uri"),
        "buttons": {"type": "array", "items": _ref("TemplateButton")},
        "cards": {"type": "integer", "minimum": 0, "description": "How many cards a carousel has."},
    }),
    "UnsupportedContext": _object({"type": _nullable("string", description="The attachment type, when there was one.")}),
    "CommentContext": _object({
        "comment_id": _nullable("string", description="Instagram's id of the comment (also the message's `mid`); null "
                                "while a public reply of ours is still being posted."),
        "parent_comment_id": _nullable("string", description="The comment this one replies to; null for a "
                                       "top-level comment."),
        "hidden": {"type": "boolean", "description": "Hidden on Instagram (seen by its author only)."},
    }),
    "MessageContext": _object({
        "story": {**_ref("StoryContext"), "description": "Kinds `story_mention` and `story_reply`."},
        "referral": {**_ref("ReferralContext"), "description": "Kind `referral`, and any message that came with "
                     "a referral (the first message from a click-to-DM ad)."},
        "quick_reply": {**_ref("QuickReplyContext"), "description": "Kind `quick_reply`."},
        "postback": {**_ref("PostbackContext"), "description": "Kind `postback`."},
        "shares": {"type": "array", "items": _ref("ShareContext"), "description": "Kind `share`."},
        "template": {**_ref("TemplateContext"), "description": "Kind `template` (another tool's generic, button "
                     "or media template, sent through the same account)."},
        "unsupported": {**_ref("UnsupportedContext"), "description": "Kind `unsupported`: Instagram does not "
                        "share this message with apps; open Instagram to see it."},
        "comment": {**_ref("CommentContext"), "description": "Kind `comment`: a comment on the post of a "
                    "`comments` conversation (direction `out`: the account's own)."},
    }, required=[], description="Only the records the message has are present."),
    "Message": _object({
        "id": ID,
        "conversation_id": ID,
        "mid": _nullable("string", description="Meta's message id; null while an outbound message is pending."),
        "direction": {"enum": list(DIRECTIONS)},
        "kind": {"enum": list(MESSAGE_KINDS), "description": "What the message is: `text`, `attachment` (photo, "
                 "video, audio, file), `story_mention`, `story_reply`, `share` (post, reel or story), `postback` "
                 "(a button tapped), `referral` (an ig.me link or ad opened in an existing thread), `quick_reply`, "
                 "`template`, `unsupported`, `comment` (a comment on a post). `context` carries the details."},
        "context": {"oneOf": [{"type": "null"}, _ref("MessageContext")],
                    "description": "What the message carries beyond text, by record; null when nothing (and "
                                   "once the sender unsent it)."},
        "text": _nullable("string", description="null for attachments only, and once the sender unsent it."),
        "attachments": {"type": "array", "items": _ref("Attachment")},
        "status": {"enum": list(MESSAGE_STATUSES)},
        "error": _nullable("string", description="Why sending failed, readable."),
        "source": {"enum": list(MESSAGE_SOURCES)},
        "sent_by_id": _nullable("integer", description="The user who sent an outbound message."),
        "reply_to_mid": _nullable("string"),
        "is_deleted": {"type": "boolean", "description": "Unsent by the customer: text and attachments are withheld."},
        "edited": {"type": "boolean"},
        "reactions": {"type": "array", "items": _ref("Reaction")},
        "created_at": TIME,
    }),
    "Lead": _object({
        "id": ID,
        "contact": _ref("Contact"),
        "conversation_id": _nullable("integer"),
        "status": {"enum": list(LEAD_STATUSES)},
        "owner_id": _nullable("integer"),
        "source": {"type": "string", "examples": ["dm", "ad", "link", "story", "comment", "import"]},
        "source_detail": {"type": "object", "description": "What Meta told us about where the lead came from."},
        "notes": _nullable("string"),
        "value": {**DECIMAL, "type": ["string", "null"], "description": "What the deal is worth, in `currency`: a decimal "
                  "string with two decimals (`\"1250.50\"`), never a number (no float rounding); null when not set."},
        "currency": _nullable("string", pattern="^[A-Z]{3}$", description="ISO 4217, e.g. `EUR`."),
        "lost_reason": _nullable("string", maxLength=300, description="Why it was lost (set while `status` is `lost`)."),
        "email": _nullable("string", maxLength=254),
        "phone": _nullable("string", maxLength=40),
        "next_follow_up_at": {**TIME_OR_NULL, "description": "When its follow-up is due; its owner (else the "
                              "conversation's assignee) gets a `follow_up_due` notification then, once."},
        "follow_up_note": _nullable("string", maxLength=300),
        "stage_changed_at": {**TIME_OR_NULL, "description": "When `status` last changed (null: never since created)."},
        "created_at": TIME,
        "updated_at": TIME,
    }),
    "LeadStageChange": _object({
        "from": {"enum": [*LEAD_STATUSES, None]},
        "to": {"enum": list(LEAD_STATUSES)},
        "by": {**_nullable("integer"), "minimum": 1, "description": "The user who moved it; null for automation "
               "or a deleted user."},
        "at": TIME,
        "lost_reason": _nullable("string", description="For a move to `lost`: why."),
        "value": {**DECIMAL, "type": ["string", "null"], "description": "The lead's value at the move (for `won`: "
                  "the deal's)."},
    }),
    "Account": _object({
        "id": ID,
        "ig_user_id": {"type": "string"},
        "username": _nullable("string"),
        "name": _nullable("string"),
        "profile_picture_url": _nullable("string"),
        "status": {"enum": list(ACCOUNT_STATUSES)},
        "token_expires_at": TIME_OR_NULL,
        "webhook_subscribed": {"type": "boolean"},
        "last_webhook_at": TIME_OR_NULL,
        "last_error": _nullable("string"),
        "import": _object({
            "status": {"enum": list(IMPORT_STATUSES), "description": "`idle`: never imported; `running`: pages are "
                       "being read; `done`; `failed` (see `last_error` on /accounts; retrying continues where it stopped)."},
            "done": {"type": "integer", "minimum": 0, "description": "Conversations imported."},
            "total": {"type": "integer", "minimum": 0, "description": "Conversations found in the window so far "
                      "(grows page by page while running; final once done)."},
        }, description="The history import (`flask accounts import`, the Accounts page, and on connect): the last "
           "N days of DMs through Meta's Conversations API, quietly (no unread, automation or notifications)."),
    }),
    "SavedReply": _object({
        "id": ID,
        "title": {"type": "string", "maxLength": 120},
        "shortcut": {"type": "string", "maxLength": 40, "pattern": "^[^\\s/A-Z]+$",
                     "description": "Typed after `/` in the inbox's reply box: lower-case, no spaces; unique within its scope."},
        "text": {"type": "string", "description": "As saved: `{first_name}`, `{username}`, `{agent_name}` and `{account}` "
                 "are filled in when a person inserts it in a conversation. May be empty when the reply is a file only."},
        "scope": {"enum": ["workspace", "personal"], "description": "`workspace`: everyone's (admins manage them); "
                  "`personal`: the token owner's own."},
    }),
    "Label": _object({
        "id": ID,
        "name": LABEL_NAME,
        "color": {"type": "string", "pattern": "^#[0-9a-f]{6}$", "description": "The chip's background, `#rrggbb`, "
                  "one of the inbox's palette (white text is readable on each)."},
    }),
    "ConversationLabels": _object({
        "labels": {"type": "array", "maxItems": MAX_LABELS_PER_CONVERSATION, "items": {"type": "string"},
                   "description": "Label names, as a person would type them: trimmed, lower-cased, spaces become "
                                  "`-` (`Hot Lead` is `hot-lead`). `[]` takes every label off."},
    }, additionalProperties=False),
    "ConversationUpdate": _object({
        "status": {"enum": list(CONVERSATION_STATUSES)},
        "assignee_id": {**_nullable("integer"), "minimum": 1, "description": "A user of the workspace, or null to unassign."},
        "snoozed_until": {**TIME_OR_NULL, "description": "With status `snoozed` (implied when given alone): "
                          "when it reopens; in the future, at most a year ahead, with a time zone."},
    }, required=[], additionalProperties=False),
    "NewMessage": _object({
        "text": {"type": "string", "minLength": 1, "description": "At most 1000 bytes in UTF-8 (Instagram's limit)."},
    }, additionalProperties=False),
    "Note": _object({
        "id": ID,
        "conversation_id": ID,
        "author_id": {**_nullable("integer"), "minimum": 1, "description": "null once the author's user is deleted."},
        "text": {"type": "string"},
        "mentions": {"type": "array", "items": ID, "description": "The teammates the note mentions (user ids); "
                     "each was sent a `mention` notification, except the author."},
        "created_at": TIME,
    }),
    "NewNote": _object({
        "text": {"type": "string", "minLength": 1, "maxLength": 5000, "description": "For the team only; never sent "
                 "to Instagram. The inbox shows `@Display Name` of a mentioned teammate highlighted."},
        "mentions": {"type": "array", "items": ID,
                     "description": f"Teammates to notify (user ids, at most {MAX_MENTIONS} different ones): active "
                                    "members of the workspace, else 422 naming the field `mentions`."},
    }, required=["text"], additionalProperties=False),
    "LeadUpdate": _object({
        "status": {"enum": list(LEAD_STATUSES), "description": "Every change is recorded (`GET /leads/{lead_id}/"
                   "history`). `lost` needs `lost_reason` (else 422 naming it)."},
        "owner_id": {**_nullable("integer"), "minimum": 1},
        "notes": _nullable("string", maxLength=20000),
        "value": {**DECIMAL, "type": ["string", "null"], "description": "A decimal string with at most two "
                  "decimals (`\"1250.50\"`, `\"1250\"`); a JSON number is refused (400). Without a `currency` "
                  "on the lead, the workspace's is used."},
        "currency": _nullable("string", pattern="^[A-Za-z]{3}$", description="ISO 4217 (stored upper-case)."),
        "lost_reason": _nullable("string", maxLength=300),
        "email": _nullable("string", maxLength=254),
        "phone": _nullable("string", maxLength=40),
        "next_follow_up_at": {**TIME_OR_NULL, "description": "ISO 8601 with a time zone (422 without one), at "
                              "most three years ahead; null clears it. A new time is a new reminder."},
        "follow_up_note": _nullable("string", maxLength=300),
    }, required=[], additionalProperties=False),
}

PATHS = {
    "/conversations": {
        "get": {
            "operationId": "listConversations",
            "summary": "Conversations, newest activity first (or longest waiting first)",
            "description": "A conversation that gets new activity while you page moves to the top of the "
                           "list; read from the first page again to pick it up. Paging never repeats a conversation. "
                           "`next_cursor` pages the order it came from: passing it with the other `sort` is a 400.",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"enum": list(CONVERSATION_STATUSES)}},
                {"name": "kind", "in": "query", "schema": {"enum": list(CONVERSATION_KINDS)},
                 "description": "`dm` or `comments` only; both when absent."},
                {"name": "unread", "in": "query", "schema": {"type": "boolean"},
                 "description": "true: only those with messages the token's owner has not read."},
                {"name": "needs_reply", "in": "query", "schema": {"type": "boolean"},
                 "description": "true: only those that need a reply (see Conversation.needs_reply)."},
                {"name": "sort", "in": "query", "schema": {"enum": list(SORTS), "default": "recent"},
                 "description": "`recent`: newest activity first. `waiting`: only conversations a customer waits in "
                                "(`waiting_since` set), longest wait first."},
                {"name": "account_id", "in": "query", "schema": ID},
                {"name": "assignee", "in": "query", "description": "`me`, `unassigned` or a user id (at most 2147483647).",
                 "schema": {"type": "string", "maxLength": 10, "pattern": f"^(me|unassigned|{USER_ID_PATTERN})$",
                            "examples": ["me", "unassigned", "42"]}},
                {"name": "q", "in": "query", "description": "Search contact name, username and message text.",
                 "schema": {"type": "string", "maxLength": 200}},
                {"name": "label", "in": "query", "description": "Only conversations with this label (a name, "
                 "normalised as the labels' are); a name no label has matches nothing.",
                 "schema": {"type": "string", "maxLength": 200, "examples": ["vip", "hot-lead"]}},
                {"name": "mentions", "in": "query", "schema": {"enum": ["me"]},
                 "description": "`me`: only conversations with a private note that mentions the token's owner."},
                CURSOR, LIMIT,
            ],
            "responses": {"200": _json(_page("Conversation"), "A page of conversations."), **_errors(400, *READ_ERRORS)},
        },
    },
    "/conversations/{conversation_id}": {
        "parameters": [CONVERSATION_ID],
        "get": {
            "operationId": "getConversation",
            "summary": "One conversation",
            "responses": {"200": _json(_data(_ref("Conversation")), "The conversation."), **_errors(404, *READ_ERRORS)},
        },
        "patch": {
            "operationId": "updateConversation",
            "summary": "Change status, assignee or snooze",
            "description": "All fields optional; every change is checked before any is saved.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ConversationUpdate")}}},
            "responses": {"200": _json(_data(_ref("Conversation")), "The updated conversation."), **_errors(*WRITE_ERRORS)},
        },
    },
    "/conversations/{conversation_id}/read": {
        "parameters": [CONVERSATION_ID],
        "post": {
            "operationId": "markConversationRead",
            "summary": "Mark read for the token's owner (their unread count becomes 0; others' stay)",
            "responses": {"200": _json(_data(_ref("Conversation")), "The conversation, now read."),
                          **_errors(404, 413, 415, *READ_ERRORS)},
        },
    },
    "/conversations/{conversation_id}/labels": {
        "parameters": [CONVERSATION_ID],
        "put": {
            "operationId": "setConversationLabels",
            "summary": "Set exactly these labels",
            "description": "Labels not listed come off; names no label has yet are created (with the palette's "
                           "least used colour) when the token's owner is an admin, else 422. An invalid name or more "
                           f"than {MAX_LABELS_PER_CONVERSATION} labels: 422 naming the field `labels`; nothing changes.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ConversationLabels")}}},
            "responses": {"200": _json(_data(_ref("Conversation")), "The conversation with its labels."),
                          **_errors(*WRITE_ERRORS)},
        },
    },
    "/conversations/{conversation_id}/messages": {
        "parameters": [CONVERSATION_ID],
        "get": {
            "operationId": "listMessages",
            "summary": "A page of the thread, oldest first within the page",
            "description": "Without `before`: the newest messages. `next_cursor` points at the older page; "
                           "pass it as `before`.",
            "parameters": [
                {"name": "before", "in": "query", "description": "The `next_cursor` of the newer page.",
                 "schema": CURSOR_SCHEMA},
                LIMIT,
            ],
            "responses": {"200": _json(_page("Message"), "A page of messages."), **_errors(400, 404, *READ_ERRORS)},
        },
        "post": {
            "operationId": "sendMessage",
            "summary": "Reply to the customer",
            "description": "Stores the reply as `pending` and queues it; it becomes `sent` (or `failed` with "
                           "a readable `error`) once Instagram answers — read the thread to follow it. Refusals: "
                           "409 `window_closed` / `human_agent_required` (outside Instagram's reply window for "
                           "automated senders), 409 `account_unavailable`, 409 `not_a_dm` (a `comments` "
                           "conversation: comments are answered on the post), 422 `too_long` (over 1000 bytes) / "
                           "`empty`, both naming the field `text`.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewMessage")}}},
            "responses": {"202": _json(_data(_ref("Message")), "The reply, queued (status `pending`)."),
                          **_errors(409, *WRITE_ERRORS)},
        },
    },
    "/conversations/{conversation_id}/notes": {
        "parameters": [CONVERSATION_ID],
        "post": {
            "operationId": "addNote",
            "summary": "Add a private note for the team, mentioning teammates",
            "description": "The note and each mentioned teammate's `mention` notification are saved together. "
                           "Refusals: 422 `text` (empty or over 5000 characters), 422 `mentions` (a user of another "
                           f"workspace, a former member, more than {MAX_MENTIONS} people).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewNote")}}},
            "responses": {"201": _json(_data(_ref("Note")), "The note."), **_errors(*WRITE_ERRORS)},
        },
    },
    "/leads": {
        "get": {
            "operationId": "listLeads",
            "summary": "Leads, newest first",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"enum": list(LEAD_STATUSES)}},
                {"name": "owner", "in": "query", "description": "`me`, `none` or a user id (at most 2147483647).",
                 "schema": {"type": "string", "maxLength": 10, "pattern": f"^(me|none|{USER_ID_PATTERN})$",
                            "examples": ["me", "none", "42"]}},
                {"name": "source", "in": "query", "description": "e.g. `dm`, `ad`, `link`, `story`.",
                 "schema": {"type": "string", "maxLength": 20}},
                CURSOR, LIMIT,
            ],
            "responses": {"200": _json(_page("Lead"), "A page of leads."), **_errors(400, *READ_ERRORS)},
        },
    },
    "/leads/{lead_id}": {
        "parameters": [{"name": "lead_id", "in": "path", "required": True, "schema": ID}],
        "patch": {
            "operationId": "updateLead",
            "summary": "Change the stage, owner, value, follow-up, contact facts or notes",
            "description": "Every rule is checked before anything changes: a refusal (422, naming the `field`) "
                           "changes nothing, e.g. `status` `lost` without `lost_reason`, a `value` with three "
                           "decimals, a `next_follow_up_at` without a time zone.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("LeadUpdate")}}},
            "responses": {"200": _json(_data(_ref("Lead")), "The updated lead."), **_errors(*WRITE_ERRORS)},
        },
    },
    "/leads/{lead_id}/history": {
        "parameters": [{"name": "lead_id", "in": "path", "required": True, "schema": ID}],
        "get": {
            "operationId": "leadHistory",
            "summary": "Every stage change of the lead, oldest first",
            "responses": {"200": _json(_object({"data": {"type": "array", "items": _ref("LeadStageChange")}}),
                                       "The lead's stage changes."), **_errors(404, *READ_ERRORS)},
        },
    },
    "/accounts": {
        "get": {
            "operationId": "listAccounts",
            "summary": "Connected Instagram accounts (never a token)",
            "responses": {"200": _json(_object({"data": {"type": "array", "items": _ref("Account")}}), "The accounts."),
                          **_errors(*READ_ERRORS)},
        },
    },
    "/saved-replies": {
        "get": {
            "operationId": "listSavedReplies",
            "summary": "Saved replies the token owner can use: their own, then the workspace's",
            "description": "Each list by shortcut. A personal reply may have the same shortcut as a workspace one; "
                           "both are listed.",
            "responses": {"200": _json(_object({"data": {"type": "array", "items": _ref("SavedReply")}}),
                                       "The saved replies."), **_errors(*READ_ERRORS)},
        },
    },
    "/labels": {
        "get": {
            "operationId": "listLabels",
            "summary": "The workspace's labels, by name",
            "responses": {"200": _json(_object({"data": {"type": "array", "items": _ref("Label")}}), "The labels."),
                          **_errors(*READ_ERRORS)},
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        },
    },
}

# -- Outbound webhooks (app/api/webhooks.py, app.integrations) ------------------------------------
from app.integrations.endpoints import URL_MAX  # noqa: E402
from app.integrations.events import EVENTS as WEBHOOK_EVENTS  # noqa: E402

ADMIN_ERRORS = (403,)
WEBHOOK_ID = {"name": "webhook_id", "in": "path", "required": True, "schema": ID}
WEBHOOK_URL = {"type": "string", "maxLength": URL_MAX, "examples": ["https://hooks.example.com/inbox"]}
WEBHOOK_EVENT_LIST = {"type": "array", "minItems": 1, "items": {"enum": list(WEBHOOK_EVENTS)}, "uniqueItems": True}
SCHEMAS.update({
    "Webhook": _object({
        "id": ID,
        "url": WEBHOOK_URL,
        "events": WEBHOOK_EVENT_LIST,
        "active": {"type": "boolean", "description": "false while an admin has paused it (Settings → Integrations)."},
        "created_at": TIME,
    }),
    "NewWebhook": _object({
        "url": {**WEBHOOK_URL, "description": "https:// (in production) on a public address; a private or local "
                "address only when its host is named in OUTBOUND_ALLOW_HOSTS. Else 422 naming `url`, with the reason."},
        "events": {**WEBHOOK_EVENT_LIST, "description": "What to send. An unknown name: 422 naming `events`, "
                   "listing the unknown ones."},
    }, additionalProperties=False),
    "CreatedWebhook": _object({
        "id": ID,
        "url": WEBHOOK_URL,
        "events": WEBHOOK_EVENT_LIST,
        "secret": {"type": "string", "description": "The signing secret, shown this once: every delivery carries "
                   "`X-Inbox-Signature: sha256=<hex HMAC-SHA256 of the raw body with this secret>`."},
    }),
})
PATHS.update({
    "/webhooks": {
        "get": {
            "operationId": "listWebhooks",
            "summary": "The workspace's outbound webhook endpoints (admins)",
            "responses": {"200": _json(_object({"data": {"type": "array", "items": _ref("Webhook")}}), "The endpoints."),
                          **_errors(*ADMIN_ERRORS, *READ_ERRORS)},
        },
        "post": {
            "operationId": "createWebhook",
            "summary": "Register a URL to receive events (admins)",
            "description": "Each event is a signed `POST` of JSON to the URL (see `webhooks` in this document); "
                           "a delivery that is not answered 2xx within 10 s is retried after 1 min, 5 min, 30 min, "
                           "2 h, 6 h and 12 h. Every attempt is listed in Settings → Integrations.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewWebhook")}}},
            "responses": {"201": _json(_data(_ref("CreatedWebhook")), "The endpoint, with its secret (once)."),
                          **_errors(*ADMIN_ERRORS, *WRITE_ERRORS)},
        },
    },
    "/webhooks/{webhook_id}": {
        "parameters": [WEBHOOK_ID],
        "get": {
            "operationId": "getWebhook",
            "summary": "One endpoint (admins; never its secret)",
            "responses": {"200": _json(_data(_ref("Webhook")), "The endpoint."),
                          **_errors(404, *ADMIN_ERRORS, *READ_ERRORS)},
        },
        "delete": {
            "operationId": "deleteWebhook",
            "summary": "Delete an endpoint with its delivery history (admins); pending events are not sent",
            "responses": {"204": {"description": "Deleted."}, **_errors(404, *ADMIN_ERRORS, *READ_ERRORS)},
        },
    },
})

# -- An account's auto-assignment (app/api/accounts.py, app.assignment) ---------------------------
from app.models import ASSIGNMENT_MODES  # noqa: E402

ACCOUNT_ID = {"name": "account_id", "in": "path", "required": True, "schema": ID}
ASSIGNMENT_MODE = {"enum": list(ASSIGNMENT_MODES), "description": "How new conversations of the account (and "
                   "unassigned ones a customer reopens) are assigned among active, available agents and admins: "
                   "`off`, `round_robin` (in turn, by user id) or `least_open` (fewest open and pending "
                   "conversations, ties in turn). Nobody available: they stay unassigned."}
ASSIGNEES = {"type": "array", "items": ID, "uniqueItems": True, "description": "The people auto-assignment "
             "chooses among (user ids of active members); empty: every active agent and admin."}
SCHEMAS.update({
    "AccountWithAssignment": {**SCHEMAS["Account"], "properties": {
        **SCHEMAS["Account"]["properties"], "assignment": ASSIGNMENT_MODE, "assignees": ASSIGNEES},
        "required": [*SCHEMAS["Account"]["required"], "assignment", "assignees"]},
    "AccountUpdate": _object({"assignment": ASSIGNMENT_MODE, "assignees": {
        **ASSIGNEES, "description": ASSIGNEES["description"] + " Absent: unchanged. Not active members: 422 "
        "naming `assignees`."}}, required=[], additionalProperties=False),
})
PATHS.update({
    "/accounts/{account_id}": {
        "parameters": [ACCOUNT_ID],
        "patch": {
            "operationId": "updateAccount",
            "summary": "Set how the account's new conversations are assigned (admins)",
            "description": "A person's assignment always wins: auto-assignment only gives conversations that have "
                           "no assignee. Each auto-assigned conversation records `round_robin` or `least_open` "
                           "as its reason and notifies the assignee (`assigned`).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("AccountUpdate")}}},
            "responses": {"200": _json(_data(_ref("AccountWithAssignment")), "The account and its assignment."),
                          **_errors(404, *ADMIN_ERRORS, *WRITE_ERRORS)},
        },
    },
})


# -- The manager's summary (app/api/reports.py, app.reports; docs/architecture.md#reports) ----------
from app.reports.scope import DEFAULT_DAYS, MAX_DAYS  # noqa: E402

SECONDS = {**_nullable("number"), "minimum": 0, "description": "Seconds; null when nothing was answered."}
DAY = {"type": "string", "format": "date", "examples": ["2030-01-31"]}
SCHEMAS.update({
    "ReportSummary": _object({
        "from": DAY,
        "to": {**DAY, "description": "The last day, included."},
        "timezone": {"type": "string", "description": "The workspace's time zone: days begin at its midnight."},
        "currency": {"type": "string", "description": "The workspace's currency (ISO 4217): `won_value` is in it."},
        "conversations": {"type": "integer", "minimum": 0, "description": "Conversations created in the period."},
        "inbound": {"type": "integer", "minimum": 0, "description": "Messages customers wrote in the period."},
        "outbound": {"type": "integer", "minimum": 0, "description": "Messages people of the team sent in the "
                     "period (inbox, API, Instagram app; not automated replies, not failed sends)."},
        "first_response_median_s": {**SECONDS, "description": "Median time from a new conversation's first "
                                    "customer message to the first person's reply (seconds)."},
        "first_response_p90_s": {**SECONDS, "description": "90th percentile of the same (continuous)."},
        "business_hours_first_response_median_s": {**SECONDS, "description": "The median counting only the "
                                                   "business hours automation works by: the saved schedule, else the default Monday to Friday 9 to 5 "
                                                   "in the workspace's time zone (every hour if the schedule has no opening)."},
        "business_hours_first_response_p90_s": SECONDS,
        "replied_within_window_rate": {**_nullable("number"), "minimum": 0, "maximum": 1, "description":
                                       "Share of the period's conversations whose first customer message got a "
                                       "person's reply within 24 h; null without conversations."},
        "resolution_median_s": {**SECONDS, "description": "Resolved conversations of the period: median time from "
                                "the first customer message to the last message."},
        "days": {"type": "array", "items": _object({"date": DAY, "conversations": {"type": "integer"},
                                                    "inbound": {"type": "integer"}, "outbound": {"type": "integer"}})},
        "by_agent": {"type": "array", "description": "An agent's token: their own row only.",
                     "items": _object({"user_id": ID,
                                       "conversations": {"type": "integer", "minimum": 0, "description":
                                                         "Conversations of the period assigned to them."},
                                       "replies": {"type": "integer", "minimum": 0},
                                       "first_response_median_s": SECONDS})},
        "leads_by_source": {"type": "array", "items": _object({
            "source": {"type": "string", "examples": ["dm", "ad", "story", "link", "comment", "import"]},
            "leads": {"type": "integer", "minimum": 0, "description": "Leads created in the period."},
            "contacted": {"type": "integer", "minimum": 0, "description": "... that reached contacted or a later step."},
            "qualified": {"type": "integer", "minimum": 0},
            "won": {"type": "integer", "minimum": 0},
            "won_value": {**DECIMAL, "description": "Sum of the won leads' values in `currency` (others left out)."},
        })},
        "lost_by_reason": {"type": "array", "description": "Leads moved to lost in the period and lost still, by "
                           "the reason picked (words alone count as Other), in the forms' order; reasons nobody "
                           "gave are left out.", "items": _object({
            "reason": {"type": "string", "enum": list(LOST_REASONS)},
            "leads": {"type": "integer", "minimum": 0},
            "value": {**DECIMAL, "description": "Sum of their values in `currency` (others left out)."},
        })},
    }),
})
PATHS.update({
    "/reports/summary": {
        "get": {
            "operationId": "reportSummary",
            "summary": "The manager's figures for a period (the /reports page's numbers)",
            "description": f"Admins see the whole team; an agent sees their own conversations. Without dates: the last "
                           f"{DEFAULT_DAYS} days up to today in the workspace's time zone. 422 (naming the field) for a "
                           f"date not written YYYY-MM-DD, `from` after `to`, or more than {MAX_DAYS} days.",
            "parameters": [
                {"name": "from", "in": "query", "schema": DAY, "description": "First day (workspace time zone)."},
                {"name": "to", "in": "query", "schema": DAY, "description": "Last day, included."},
                {"name": "account_id", "in": "query", "schema": ID,
                 "description": "Only this account's conversations; another workspace's account is a 404."},
                {"name": "label", "in": "query", "schema": {"type": "string", "maxLength": 200},
                 "description": "Only conversations with this label; a name no label has matches nothing."},
            ],
            "responses": {"200": _json(_data(_ref("ReportSummary")), "The figures."),
                          **_errors(404, 422, *READ_ERRORS)},
        },
    },
})

def _delivery(event: str, data: dict, summary: str) -> dict:
    body = _object({
        "id": {"type": "string", "format": "uuid", "description": "The event's id, also in `X-Inbox-Delivery`; "
               "the same on every retry and redelivery, so receivers dedupe on it."},
        "event": {"const": event},
        "created_at": {**TIME, "description": "When the event happened."},
        "data": data,
    })
    return {"post": {
        "operationId": f"webhook_{event.replace('.', '_')}",
        "summary": summary,
        "parameters": [
            {"name": "X-Inbox-Signature", "in": "header", "required": True, "schema": {"type": "string"},
             "description": "`sha256=` and the hex HMAC-SHA256 of the raw body with the endpoint's secret."},
            {"name": "X-Inbox-Event", "in": "header", "required": True, "schema": {"const": event}},
            {"name": "X-Inbox-Delivery", "in": "header", "required": True, "schema": {"type": "string"}},
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"2XX": {"description": "Received. Anything else (or no answer in 10 s) is retried."}},
        "security": [],
    }}


WEBHOOKS = {
    "lead.created": _delivery("lead.created", _ref("Lead"), "A new customer wrote for the first time"),
    "lead.updated": _delivery("lead.updated", _ref("Lead"), "A lead changed (stage, owner, value, details)"),
    "conversation.assigned": _delivery("conversation.assigned", _ref("Conversation"),
                                       "A conversation's assignee changed (`unread_count` is the team's)"),
    "message.created": _delivery("message.created", _ref("Message"),
                                 "A customer's message arrived, or a reply was queued (status `pending`)"),
}
assert set(WEBHOOKS) == set(WEBHOOK_EVENTS), "every event is described"

# -- The token owner's notifications (app/api/notifications.py) ---------------------------------
SCHEMAS.update({
    "Notification": _object({
        "id": ID,
        "type": {"enum": list(NOTIFICATION_TYPES)},
        "conversation_id": {**_nullable("integer"), "minimum": 1},
        "lead_id": {**_nullable("integer"), "minimum": 1},
        "account_id": {**_nullable("integer"), "minimum": 1, "description": "The account that needs attention "
                       "(`account_attention`)."},
        "text": {"type": "string", "maxLength": 300, "description": "One line: the customer's newest message, who "
                 "assigned or mentioned you, what an account needs."},
        "count": {"type": "integer", "minimum": 1, "description": "`new_message`: the messages it stands for; it "
                  "counts up while unread, and the next message after it is read starts a new notification."},
        "created_at": {**TIME, "description": "When it was written (for a `new_message`, its newest message)."},
        "read_at": TIME_OR_NULL,
    }),
    "NotificationsRead": {
        "oneOf": [
            _object({"ids": {"type": "array", "minItems": 1, "maxItems": MAX_READ_IDS, "items": ID}},
                    additionalProperties=False),
            _object({"all": {"const": True}}, additionalProperties=False),
        ],
    },
})
PATHS.update({
    "/notifications": {
        "get": {
            "operationId": "listNotifications",
            "summary": "The token owner's notifications (those shown in the app), newest first",
            "parameters": [
                {"name": "unread", "in": "query", "schema": {"type": "boolean"},
                 "description": "true: only those not read yet."},
                CURSOR, LIMIT,
            ],
            "responses": {"200": _json(_page("Notification"), "A page of notifications."),
                          **_errors(400, *READ_ERRORS)},
        },
    },
    "/notifications/read": {
        "post": {
            "operationId": "readNotifications",
            "summary": "Mark the token owner's notifications read: some by id, or all",
            "description": "An id that is not one of the token owner's notifications is a 404 and nothing changes.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NotificationsRead")}}},
            "responses": {"200": _json(_data(_object({"marked_read": {"type": "integer", "minimum": 0,
                                                                         "description": "How many were unread."}})),
                                       "Done."),
                          **_errors(*WRITE_ERRORS)},
        },
    },
})

# -- Actions on a comment (app/api/comments.py, app.comments) --------------------------------------
COMMENT_ID = {"name": "comment_id", "in": "path", "required": True,
              "description": "Instagram's comment id: a comment message's `context.comment.comment_id`.",
              "schema": {"type": "string", "minLength": 1, "maxLength": 255}}
SCHEMAS.update({
    "NewCommentReply": _object({
        "text": {"type": "string", "minLength": 1, "maxLength": 2200,
                 "description": "At most 2200 characters (Instagram's limit for a comment)."},
    }, additionalProperties=False),
    "NewPrivateReply": _object({
        "text": {"type": "string", "minLength": 1, "description": "At most 1000 bytes in UTF-8 (a DM's limit)."},
    }, additionalProperties=False),
    "CommentVisibility": _object({"hidden": {"type": "boolean"}}, additionalProperties=False),
    "PrivateReplyContext": _object({
        "comment_id": {"type": "string", "description": "The comment this DM privately answers."},
        "media_id": _nullable("string", description="Instagram's id of the post the comment is on."),
        "permalink": _nullable("string", description="The post's link (http(s) only)."),
        "caption": _nullable("string", description="The start of the post's caption."),
    }),
})
SCHEMAS["MessageContext"]["properties"]["private_reply"] = {
    **_ref("PrivateReplyContext"), "description": "A DM sent as the private reply to a comment (\"from a comment on "
    "<post>\")."}
PATHS.update({
    "/comments/{comment_id}/reply": {
        "parameters": [COMMENT_ID],
        "post": {
            "operationId": "replyToComment",
            "summary": "Reply publicly under a comment",
            "description": "Stores the reply as a `pending` message of kind `comment` in the comment's conversation and "
                           "queues it; it becomes `sent` (its `mid` the new comment's id) or `failed` with a readable "
                           "`error`. A reply to a reply goes under the comment that started the thread (Instagram "
                           "threads one level deep). Refusals: 409 `account_unavailable`, 422 `empty` / `too_long`.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewCommentReply")}}},
            "responses": {"202": _json(_data(_ref("Message")), "The public reply, queued (status `pending`)."),
                          **_errors(409, *WRITE_ERRORS)},
        },
    },
    "/comments/{comment_id}/private-reply": {
        "parameters": [COMMENT_ID],
        "post": {
            "operationId": "replyPrivatelyToComment",
            "summary": "Send the comment's one private reply (a DM to its author)",
            "description": "Instagram allows one private reply per comment, within 7 days of it (a Live comment only "
                           "during the broadcast). The reply is a `pending` message in the person's DM conversation "
                           "(made if they have none) whose `context.private_reply` names the comment and its post. "
                           "Refusals: 409 `already_replied`, `too_old`, `live_ended`, `not_a_comment` (our own "
                           "comment), `account_unavailable`, each with the reason in `message`; 422 `empty` / "
                           "`too_long`.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewPrivateReply")}}},
            "responses": {"202": _json(_data(_ref("Message")), "The private reply, queued (status `pending`)."),
                          **_errors(409, *WRITE_ERRORS)},
        },
    },
    "/comments/{comment_id}/hide": {
        "parameters": [COMMENT_ID],
        "post": {
            "operationId": "hideComment",
            "summary": "Hide a customer's comment from everyone but its author, or show it again",
            "description": "The comment's `context.comment.hidden` changes at once; a job tells Instagram, and if "
                           "Instagram refuses, it changes back. Refusals: 409 `not_a_comment` (our own comment), "
                           "`account_unavailable`.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CommentVisibility")}}},
            "responses": {"202": _json(_data(_ref("Message")), "The comment."), **_errors(409, *WRITE_ERRORS)},
        },
    },
})

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "Instagram Inbox API",
        "version": "1",
        "description": "Conversations, messages and leads of the token owner's workspace. Errors are "
                       "`{\"error\": {\"code\", \"message\", \"field\"?}}`. Lists are keyset-paginated: pass "
                       "`next_cursor` back until it is null.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "webhooks": WEBHOOKS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "`flask --app app tokens create EMAIL`, or Settings → API tokens."}},
        "schemas": SCHEMAS,
        "responses": {
            name: {
                "description": description,
                "content": {"application/json": {"schema": _ref("Error")}},
                **({"headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}}
                   if status == 429 else {}),
            }
            for status, (name, description) in ERROR_RESPONSES.items()
        },
    },
}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(OPENAPI)
