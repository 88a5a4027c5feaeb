"""Background jobs of the outbound side: sending replies, reactions and seen receipts, and the
periodic sweep that finds sends a lost enqueue or a crashed worker left behind.

Jobs take ids, re-fetch, and are safe to run twice (a send is claimed before it goes out).
Graph errors are handled here, by kind; anything unexpected is raised for RQ's retry and
failed-job registry.
"""
from __future__ import annotations

import logging
from datetime import datetime

from redis.exceptions import RedisError
from rq import get_current_job

from app.accounts.lifecycle import can_call_meta, mark_reauth_required
from app.extensions import db
from app.instagram.client import AccountNotConnected, account_token, graph_client
from app.instagram.errors import (
    BadRequestError,
    GraphError,
    MissingPermissionError,
    OutsideWindowError,
    TokenInvalidError,
)
from app.messages.content import content_of
from app.jobs import QUEUE_HIGH, enqueue
from app.jobs.owed import Lease
from app.models import Conversation, Message, Workspace, utcnow
from app.outbound import lifecycle, sending, state_sync
from app.outbound.rules import DISCONNECTED, MAY_NOT_HAVE_BEEN_DELIVERED, RENEW_CONNECTION, is_human
from app.outbound.windows import STANDARD_WINDOW, reply_window

log = logging.getLogger(__name__)

TOKEN_REJECTED = "Instagram rejected the access token (error 190); reconnect the account."


# -- Sending a reply --------------------------------------------------------------------------

def deliver_message_job(message_id: int, then: tuple[int, ...] = ()) -> None:
    """Send one pending message to Instagram once; `then` are messages of the same reply to
    deliver after it, in order. Its state changes are drawn in app.outbound.lifecycle."""
    claim = sending.claim_outgoing(message_id)
    if claim is None and _release_own_claim(message_id):
        claim = sending.claim_outgoing(message_id)
    if claim is None:
        if then and sending.in_flight(message_id):
            # Another try holds it (or one that died: the stale-claim sweep settles it). The rest
            # of the reply waits behind it, to keep its order: the lost-send sweep sends a
            # conversation's pending sends one at a time, once this one is sent or failed.
            log.info("message %s is being sent by another try; the rest of its reply waits", message_id)
            return
        log.info("message %s is not waiting to be sent (already claimed, sent or gone)", message_id)
        _send_next(then)
        return
    claimed_at, outgoing = claim
    try:
        plan = sending.plan_send(outgoing)
        db.session.commit()  # ends whatever plan_send read: nothing stays open during the Graph call
    except sending.CannotSend as exc:
        lifecycle.record_failure(message_id, claimed_at, exc.reason, uncertain=False)
        _send_next(then)
        return
    except Exception:
        # Nothing went to Meta yet: hand the claim back so the RQ retry or the sweep sends it.
        db.session.rollback()
        try:
            lifecycle.release_for_retry(message_id, claimed_at, DELAYED_BY_AN_ERROR, delay=60)
        except Exception:
            # The database went away with the claim still held: the RQ retry hands it back itself.
            db.session.rollback()
            _remember_own_claim(message_id, claimed_at)
            raise
        raise

    try:
        mid = _call_meta(plan)
    except GraphError as error:
        _handle_send_error(message_id, claimed_at, error, then)
        return
    except ValueError as exc:
        # The client's own validation refused before any request: nothing was sent.
        lifecycle.record_failure(message_id, claimed_at, f"The message could not be sent: {exc}", uncertain=False)
        _send_next(then)
        return
    # From here a crash leaves the claim in place: the echo or the sweep settles it, never a resend.
    for other_id in lifecycle.record_sent(message_id, mid):
        enqueue(deliver_message_job, other_id, queue=QUEUE_HIGH, retry=sending.JOB_RETRY)
    log.info("message %s sent", message_id)
    _send_next(then)


DELAYED_BY_AN_ERROR = "Sending was delayed by an internal error; it will be tried again."
OWN_CLAIMS = "unreleased_claims"  # RQ job meta: message id -> the claim a try of this job left held


def _remember_own_claim(message_id: int, claimed_at) -> None:
    """A try claimed the message, failed before calling Meta, and could not hand the claim back
    (the database went away). Kept in the job's meta in Redis, so that its RQ retry knows that
    claim is its own and that nothing was sent under it: without this the retry found the message
    "not waiting", sent the rest of the reply (a caption without its photo) and the sweep later
    marked the photo "may not have been delivered"."""
    job = get_current_job()
    if job is None:
        return
    job.meta.setdefault(OWN_CLAIMS, {})[str(message_id)] = claimed_at.isoformat()
    try:
        job.save_meta()
    except RedisError:
        log.warning("message %s: its claim could not be remembered for the retry; the sweep settles it", message_id)


def _release_own_claim(message_id: int) -> bool:
    """Hand back a claim an earlier try of this job left held (see _remember_own_claim); True when
    it was still that claim, so the message can be claimed again."""
    job = get_current_job()
    claimed = (job.meta.get(OWN_CLAIMS) or {}).get(str(message_id)) if job is not None else None
    if claimed is None:
        return False
    released = lifecycle.release_for_retry(message_id, datetime.fromisoformat(claimed), DELAYED_BY_AN_ERROR, delay=0)
    job.meta[OWN_CLAIMS].pop(str(message_id), None)
    try:
        job.save_meta()
    except RedisError:
        pass  # the claim is released either way; a stale note is harmless (it no longer matches)
    return released


def _call_meta(plan: sending.SendPlan) -> str:
    """The one Graph call of a send; the id Meta gives what was sent (a DM's mid, or for a public
    reply the new comment's id, which ingestion will see again in the comment's webhook)."""
    client = graph_client()
    if plan.action == sending.COMMENT_REPLY:
        return client.reply_to_comment(plan.token, plan.recipient, plan.text)
    if plan.action == sending.PRIVATE_REPLY:
        return client.send_private_reply(plan.token, plan.ig_user_id, plan.recipient, plan.text).message_id
    return client.send_message(plan.token, plan.ig_user_id, plan.recipient, text=plan.text,
                               attachment=plan.attachment, human_agent=plan.human_agent).message_id


def _handle_send_error(message_id: int, claimed_at, error: GraphError, then: tuple[int, ...]) -> None:
    message = db.session.get(Message, message_id, populate_existing=True)
    attempt = message.send_attempts
    log.warning("send of message %s failed on attempt %d: %r", message_id, attempt, error)

    if isinstance(error, TokenInvalidError):
        mark_reauth_required(message.account_id, TOKEN_REJECTED)
        lifecycle.record_failure(message_id, claimed_at, RENEW_CONNECTION, uncertain=False)
    elif error.delivery_uncertain:
        lifecycle.record_failure(message_id, claimed_at, MAY_NOT_HAVE_BEEN_DELIVERED, uncertain=True)
    elif error.retryable and attempt < sending.MAX_SEND_ATTEMPTS:
        delay = sending.retry_delay(attempt, error)
        if lifecycle.release_for_retry(message_id, claimed_at, sending.retrying_note(attempt, error), delay):
            # The rest of the reply waits for this one, to keep its order (in the job's `then`; the
            # lost-send sweep leaves a conversation's later sends alone while this one is pending).
            enqueue(deliver_message_job, message_id, then=then, queue=QUEUE_HIGH, retry=sending.JOB_RETRY, delay=delay)
            return
    elif error.retryable:
        lifecycle.record_failure(message_id, claimed_at, sending.gave_up_reason(error), uncertain=False)
    elif _is_private_reply(message) and isinstance(error, (OutsideWindowError, BadRequestError)):
        # Meta refuses a second private reply to a comment, or one after its time: permanent.
        lifecycle.record_failure(message_id, claimed_at, private_reply_refused(error), uncertain=False)
    elif isinstance(error, OutsideWindowError) and _may_retry_as_human_agent(message):
        # Meta's clock says the 24 hours are over where ours did not: a person's reply may still go
        # with the Human Agent tag. Nothing was sent, so trying again is safe.
        note = "Instagram counts the 24 hours as over; sending again as a human agent reply."
        if lifecycle.release_for_retry(message_id, claimed_at, note, 0, human_agent=True):
            enqueue(deliver_message_job, message_id, then=then, queue=QUEUE_HIGH, retry=sending.JOB_RETRY)
            return
    else:
        if isinstance(error, MissingPermissionError):
            # Staff can't fix this; admins see it on the Accounts page.
            message.conversation.account.last_error = error.user_message
        lifecycle.record_failure(message_id, claimed_at, error.user_message, uncertain=False)
    _send_next(then)


def _is_private_reply(message: Message) -> bool:
    return content_of(message).private_reply is not None


def private_reply_refused(error: GraphError) -> str:
    from app.comments.rules import REFUSED_BY_INSTAGRAM

    if isinstance(error, OutsideWindowError) or error.user_message == BadRequestError.default_user_message:
        return REFUSED_BY_INSTAGRAM
    return error.user_message  # a subcode's own sentence (e.g. the person could not be found)


def _may_retry_as_human_agent(message: Message) -> bool:
    """Meta says the 24 hours are over, though our clock may not yet: as of their end (or now, if
    later), may a person still reply with the Human Agent tag?"""
    conversation = message.conversation
    if (message.human_agent or not is_human(message) or conversation.last_inbound_at is None
            or message.kind == "comment" or _is_private_reply(message)):
        return False
    as_meta_counts = max(utcnow(), conversation.last_inbound_at + STANDARD_WINDOW)
    window = reply_window(conversation, now=as_meta_counts, human=True)
    return window.can_reply and window.human_agent


def _send_next(then: tuple[int, ...]) -> None:
    if then:
        enqueue(deliver_message_job, then[0], then=tuple(then[1:]), queue=QUEUE_HIGH, retry=sending.JOB_RETRY)


# Jobs already queued in Redis before a deploy carry this function's old dotted name
# (app.outbound.jobs.send_message_job); RQ resolves them by that name, so it must keep working.
send_message_job = deliver_message_job


# -- Reactions --------------------------------------------------------------------------------

def sync_reaction_job(message_id: int, attempt: int = 1) -> None:
    """Make Instagram show the business reaction the message has now (react, or unreact when
    there is none). Runs for every change, so whichever run comes last sends the latest state;
    the sweep runs it again if it was lost (app.outbound.state_sync)."""
    with state_sync.lease(message_id) as held:
        _sync_reaction(message_id, attempt, held)


def _sync_reaction(message_id: int, attempt: int, held: Lease) -> None:
    message = db.session.get(Message, message_id)
    if message is None or not message.mid:
        return
    wanted = _business_reaction(message)
    account = message.conversation.account
    try:
        token = account_token(account)
    except AccountNotConnected:
        _reaction_failed(message, wanted, DISCONNECTED)
        return
    recipient = message.conversation.contact.igsid
    client = graph_client()
    try:
        if wanted:
            client.send_reaction(token, account.ig_user_id, recipient, message.mid, wanted["reaction"])
        else:
            client.remove_reaction(token, account.ig_user_id, recipient, message.mid)
    except TokenInvalidError:
        mark_reauth_required(account.id, TOKEN_REJECTED)
        _reaction_failed(message, wanted, RENEW_CONNECTION)
        return
    except GraphError as error:
        log.warning("reaction on message %s failed on attempt %d: %r", message_id, attempt, error)
        if error.retryable and attempt < sending.MAX_SEND_ATTEMPTS:
            delay = sending.retry_delay(attempt, error)
            held.retry_at(enqueue(sync_reaction_job, message_id, attempt=attempt + 1, queue=QUEUE_HIGH, delay=delay,
                                  retry=sending.JOB_RETRY), delay)
            return
        _reaction_failed(message, wanted, error.user_message)
        return
    db.session.refresh(message)
    if _business_reaction(message) != wanted:
        # Staff changed it while this call was under way: send the newer state too.
        enqueue(sync_reaction_job, message_id, queue=QUEUE_HIGH, retry=sending.JOB_RETRY)


def _business_reaction(message: Message) -> dict | None:
    return next((r for r in message.reactions or [] if r.get("by") == "business"), None)


def _reaction_failed(message: Message, wanted: dict | None, reason: str) -> None:
    db.session.refresh(message)
    if wanted is not None and _business_reaction(message) == wanted:
        # It never reached Instagram: stop showing it.
        message.reactions = [r for r in message.reactions if r.get("by") != "business"]
    action = "reaction" if wanted else "removal of the reaction"
    message.meta = {**(message.meta or {}), "reaction_error": f"The {action} could not be sent: {reason}"}
    db.session.commit()


# -- Comments: hide / unhide, delete -----------------------------------------------------------
# Like reactions, these are states Instagram should show, not messages: shown here at once, the
# job makes Instagram match, and a refusal puts the state back with the reason on the comment
# (`meta["comment_error"]`). Running twice is harmless (hiding a hidden comment, deleting a
# deleted one), so they need no claim; their Graph errors map as a send's do.

def sync_comment_hidden_job(message_id: int, attempt: int = 1) -> None:
    """Make Instagram hide (or show) a customer's comment as the row says now."""
    with state_sync.lease(message_id) as held:
        _sync_comment_hidden(message_id, attempt, held)


def _sync_comment_hidden(message_id: int, attempt: int, held: Lease) -> None:
    comment = db.session.get(Message, message_id)
    if comment is None or comment.kind != "comment" or not comment.mid:
        return
    wanted = comment.hidden
    account = comment.conversation.account
    try:
        token = account_token(account)
        graph_client().set_comment_hidden(token, comment.mid, wanted)
    except AccountNotConnected:
        _comment_action_failed(comment, "hidden", not wanted, DISCONNECTED)
        return
    except GraphError as error:
        if _retrying(sync_comment_hidden_job, comment, attempt, error, held):
            return
        _comment_action_failed(comment, "hidden", not wanted, _comment_error_reason(account.id, error))
        return
    db.session.refresh(comment)
    if comment.hidden != wanted:
        # Staff changed it again while this call was under way: send the newer state too.
        enqueue(sync_comment_hidden_job, message_id, queue=QUEUE_HIGH, retry=sending.JOB_RETRY)
        return
    _clear_comment_error(comment)


def delete_comment_job(message_id: int, attempt: int = 1) -> None:
    """Delete one of the account's own comments on Instagram (the row is already marked deleted)."""
    with state_sync.lease(message_id) as held:
        _delete_comment(message_id, attempt, held)


def _delete_comment(message_id: int, attempt: int, held: Lease) -> None:
    comment = db.session.get(Message, message_id)
    if comment is None or comment.kind != "comment" or not comment.mid or not comment.is_deleted:
        return
    account = comment.conversation.account
    try:
        token = account_token(account)
        graph_client().delete_comment(token, comment.mid)
    except AccountNotConnected:
        _comment_action_failed(comment, "is_deleted", False, DISCONNECTED)
        return
    except GraphError as error:
        if isinstance(error, BadRequestError) and error.subcode == 33:
            log.info("comment %s was already gone on Instagram", message_id)  # "does not exist": done
            _clear_comment_error(comment)
            return
        if _retrying(delete_comment_job, comment, attempt, error, held):
            return
        _comment_action_failed(comment, "is_deleted", False, _comment_error_reason(account.id, error))
        return
    _clear_comment_error(comment)


def _retrying(job, comment: Message, attempt: int, error: GraphError, held: Lease) -> bool:
    log.warning("%s of message %s failed on attempt %d: %r", job.__name__, comment.id, attempt, error)
    # Hiding and deleting are idempotent: asking again after an unknown outcome cannot do it twice.
    if (error.retryable or error.delivery_uncertain) and attempt < sending.MAX_SEND_ATTEMPTS:
        delay = sending.retry_delay(attempt, error)
        held.retry_at(enqueue(job, comment.id, attempt=attempt + 1, queue=QUEUE_HIGH, delay=delay,
                              retry=sending.JOB_RETRY), delay)
        return True
    return False


def _comment_error_reason(account_id: int, error: GraphError) -> str:
    if isinstance(error, TokenInvalidError):
        mark_reauth_required(account_id, TOKEN_REJECTED)
        return RENEW_CONNECTION
    if error.retryable:
        return sending.gave_up_reason(error)
    return error.user_message


def _comment_action_failed(comment: Message, column: str, restored, reason: str) -> None:
    db.session.refresh(comment)
    setattr(comment, column, restored)  # it never happened on Instagram: stop showing it
    what = {"hidden": "hide" if not restored else "unhide"}.get(column, "delete")
    comment.meta = {**(comment.meta or {}), "comment_error": f"Instagram did not {what} the comment: {reason}"}
    comment.conversation.updated_at = utcnow()  # the open thread's poll shows the change
    db.session.commit()


def _clear_comment_error(comment: Message) -> None:
    if (comment.meta or {}).get("comment_error"):
        comment.meta = {k: v for k, v in comment.meta.items() if k != "comment_error"}
        db.session.commit()


# -- Seen receipts ----------------------------------------------------------------------------

def mark_seen_due(conversation: Conversation) -> bool:
    """Whether Instagram should be told this conversation was seen: the workspace wants seen
    receipts, the account can call Meta, and the customer has written (there is something to see).
    Checked when the job is queued and again when it runs."""
    if conversation.kind != "dm":
        return False  # comments are not a DM thread: Instagram has nothing to mark seen
    workspace = db.session.get(Workspace, conversation.workspace_id)
    return (workspace.mark_seen_enabled and can_call_meta(conversation.account)
            and conversation.last_inbound_at is not None)


def _end_read() -> None:
    """End the job's read transaction before a Graph call (up to 13 s): its connection goes back
    to the pool rather than sitting idle in a transaction, where a failover or PostgreSQL's
    idle-in-transaction timeout would cut it under the job."""
    db.session.rollback()


def mark_seen_job(conversation_id: int) -> None:
    """Send `mark_seen` for a conversation. Best effort: only transient errors are raised (for
    RQ's retry); the rest are logged."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not mark_seen_due(conversation):
        return
    account = conversation.account
    account_id, ig_user_id, igsid, token = account.id, account.ig_user_id, conversation.contact.igsid, account_token(account)
    _end_read()
    try:
        graph_client().mark_seen(token, ig_user_id, igsid)
    except TokenInvalidError:
        mark_reauth_required(account_id, TOKEN_REJECTED)
        db.session.commit()
        log.warning("mark_seen for conversation %s: the account's token is no longer valid", conversation_id)
    except GraphError as error:
        if error.retryable:
            raise
        log.warning("mark_seen for conversation %s failed: %r", conversation_id, error)


# -- Typing indicator -------------------------------------------------------------------------

def typing_due(conversation: Conversation, now=None) -> bool:
    """Whether the customer may be shown "typing…" for a reply being written: the workspace wants
    it, it is a DM whose 24-hour window is open (Instagram takes sender actions only inside it; a
    HUMAN_AGENT reply cannot carry one), and the account can call Meta. Checked when the job is
    queued and again when it runs."""
    if conversation.kind != "dm":
        return False
    workspace = db.session.get(Workspace, conversation.workspace_id)
    return (workspace.typing_indicator_enabled and can_call_meta(conversation.account)
            and reply_window(conversation, now, human=False).can_reply)


def typing_job(conversation_id: int) -> None:
    """Send `typing_on` for a conversation. Best effort and never retried: a "typing…" that comes
    late is worse than none (the reply may be there first). Failures are logged."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not typing_due(conversation):
        return
    account = conversation.account
    account_id, ig_user_id, igsid = account.id, account.ig_user_id, conversation.contact.igsid
    try:
        token = account_token(account)
        _end_read()
        graph_client().typing(token, ig_user_id, igsid, True)
    except TokenInvalidError:
        mark_reauth_required(account_id, TOKEN_REJECTED)
        db.session.commit()
        log.warning("typing_on for conversation %s: the account's token is no longer valid", conversation_id)
    except (GraphError, AccountNotConnected) as error:
        log.warning("typing_on for conversation %s failed: %r", conversation_id, error)


# -- Periodic sweep ---------------------------------------------------------------------------

def sweep_outbound() -> dict[str, int]:
    """Settle sends whose job died mid-way, and queue sends whose enqueue was lost, and the
    reactions and comment actions whose job was lost (app.outbound.state_sync)."""
    failed = sending.fail_stale_claims()
    lost = sending.take_lost_sends()
    for message_id in lost:
        enqueue(deliver_message_job, message_id, queue=QUEUE_HIGH, retry=sending.JOB_RETRY)
    states = state_sync.sweep()
    if failed or lost or states:
        log.warning("outbound sweep: %d stale sends failed, %d lost sends queued again, %d lost reactions or "
                    "comment actions queued again", failed, len(lost), states)
    return {"failed_stale": failed, "requeued": len(lost), "states_requeued": states}
