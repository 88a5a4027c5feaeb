"""The stand-in's test handle: fault injection, a log of what it received, echo records.

This is the one place where the stand-in keeps state in process memory. It exists for
tests and benchmarks that drive one process; production-like demo traffic never depends
on it (tokens and codes verify from their own signatures).

Patterns are regular expressions searched (`re.search`) in the request path *relative to
the part's mount point*, e.g. `/v24.0/17841400000000000/messages` for the Graph part, so
`r"/messages$"` matches every send.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PARTS = ("graph", "api", "authorize")
ECHO_MODES = ("after", "before", "off")
# The log is open to anyone who can reach a demo deployment (F-23): it keeps the latest requests
# only, and a body larger than this is recorded by its size, not its content.
MAX_RECORDED = 500
MAX_RECORDED_BODY = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stand-in saw it (the Authorization value is redacted)."""

    part: str  # "graph", "api" or "authorize"
    method: str
    path: str  # relative to the part's mount point, e.g. "/v24.0/me"
    full_path: str  # as received, e.g. "/_meta/graph/v24.0/me"
    query: dict[str, str]
    json: Any
    form: dict[str, str]
    headers: dict[str, str]
    account: str | None  # ig_user_id of a valid token sent with the request, if any
    at: float
    fault: str | None = None  # the injected fault that answered it, if any
    body_size: int = 0  # bytes; above MAX_RECORDED_BODY, json and form are left empty


@dataclass(frozen=True)
class EchoDelivery:
    """One attempt to deliver an echo webhook (retries are separate records)."""

    url: str
    body: bytes
    signature: str
    status: int | None  # HTTP status from the receiver, None when it could not be reached
    error: str | None
    attempt: int
    at: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class FaultRule:
    kind: str  # "graph_error", "server_error", "rate_limit" or "delay"
    pattern: re.Pattern[str]
    params: dict[str, Any]
    remaining: int | None  # None: every matching request until reset()
    method: str | None = None
    part: str | None = None
    when: Callable[[RecordedRequest], bool] | None = None
    used: int = 0

    def matches(self, request: RecordedRequest) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method and self.method != request.method:
            return False
        if self.part and self.part != request.part:
            return False
        if not self.pattern.search(request.path):
            return False
        return self.when is None or bool(self.when(request))


@dataclass
class Fault:
    """What `StandinControl.take_faults` tells the request hook to do."""

    delay: float = 0.0
    respond: FaultRule | None = None
    labels: list[str] = field(default_factory=list)


class StandinControl:
    """Thread-safe handle for tests: queue faults, read the request log, steer echoes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.mounts: dict[str, str] = {}  # part -> URL prefix, filled in when mounted
        self.reset()

    def reset(self) -> None:
        """Forget faults, logs, revocations, used codes, subscriptions, added history and echo overrides."""
        with self._lock:
            self._rules: list[FaultRule] = []
            self._requests: deque[RecordedRequest] = deque(maxlen=MAX_RECORDED)
            self._echoes: deque[EchoDelivery] = deque(maxlen=MAX_RECORDED)
            self._revoked: dict[str, tuple[float, int]] = {}
            self._used_codes: set[str] = set()
            self._subscriptions: dict[str, list[str]] = {}
            # Conversations added to an account's history (the simulator, tests): ig_user_id ->
            # customer igsid -> messages; app.standin.history adds the built-in ones.
            self._history: dict[str, dict[str, list[dict]]] = {}
            self._comments: dict[str, Any] = {}  # comment id -> comments.KnownComment
            self._clock_offset = 0.0
            self.echo_mode: str | None = None  # None: use the app's STANDIN_ECHO
            self.echo_delay: float | None = None  # None: use the app's STANDIN_ECHO_DELAY
            self._changed.notify_all()

    # -- fault injection -------------------------------------------------------------

    def _add(self, kind: str, pattern: str, times: int | None, method: str | None, part: str | None,
             when: Callable[[RecordedRequest], bool] | None, **params: Any) -> FaultRule:
        if part is not None and part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        rule = FaultRule(kind=kind, pattern=re.compile(pattern), params=params, remaining=times,
                         method=method.upper() if method else None, part=part, when=when)
        with self._lock:
            self._rules.append(rule)
        return rule

    def graph_error(self, pattern: str, code: int, subcode: int | None = None, *, status: int | None = None,
                    message: str | None = None, error_type: str = "OAuthException", times: int | None = 1,
                    method: str | None = None, part: str | None = None,
                    when: Callable[[RecordedRequest], bool] | None = None) -> FaultRule:
        """Answer the next `times` matching requests with a Meta error body.

        On the api part the body takes the code exchange's flat shape instead.
        """
        return self._add("graph_error", pattern, times, method, part, when, code=code, subcode=subcode,
                         status=status, message=message, error_type=error_type)

    def server_error(self, pattern: str, status: int = 500, *, body: str | None = None, times: int | None = 1,
                     method: str | None = None, part: str | None = None,
                     when: Callable[[RecordedRequest], bool] | None = None) -> FaultRule:
        """Answer with a bare 5xx and a non-JSON body, like a failing load balancer."""
        if not 500 <= status <= 599:
            raise ValueError("server_error takes a 5xx status")
        return self._add("server_error", pattern, times, method, part, when, status=status, body=body)

    def rate_limit(self, pattern: str, retry_after: int = 1, *, code: int = 4, subcode: int | None = None,
                   times: int | None = 1, method: str | None = None, part: str | None = None,
                   when: Callable[[RecordedRequest], bool] | None = None) -> FaultRule:
        """Answer 429 with `Retry-After: <seconds>` and a rate-limit error body."""
        return self._add("rate_limit", pattern, times, method, part, when, retry_after=retry_after,
                         code=code, subcode=subcode)

    def delay(self, pattern: str, seconds: float, *, times: int | None = 1, method: str | None = None,
              part: str | None = None, when: Callable[[RecordedRequest], bool] | None = None) -> FaultRule:
        """Wait `seconds` before handling the next `times` matching requests (then answer as usual,
        or with another queued fault). Longer than the client's timeout simulates a hang."""
        return self._add("delay", pattern, times, method, part, when, seconds=seconds)

    def clear_faults(self) -> None:
        with self._lock:
            self._rules.clear()

    def pending_faults(self) -> list[FaultRule]:
        with self._lock:
            return [r for r in self._rules if r.remaining is None or r.remaining > 0]

    def take_faults(self, request: RecordedRequest) -> Fault:
        """Consume at most one delay rule and one answering rule matching `request`."""
        fault = Fault()
        with self._lock:
            for rule in self._rules:
                if rule.kind == "delay" and fault.delay == 0.0 and rule.matches(request):
                    self._consume(rule)
                    fault.delay = float(rule.params["seconds"])
                    fault.labels.append("delay")
                elif rule.kind != "delay" and fault.respond is None and rule.matches(request):
                    self._consume(rule)
                    fault.respond = rule
                    fault.labels.append(rule.kind)
        return fault

    @staticmethod
    def _consume(rule: FaultRule) -> None:
        rule.used += 1
        if rule.remaining is not None:
            rule.remaining -= 1

    # -- request log -----------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._changed.notify_all()

    @property
    def requests(self) -> list[RecordedRequest]:
        """The latest MAX_RECORDED requests, oldest first (echo attempts are bounded the same way)."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, pattern: str, *, method: str | None = None, part: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose relative path matches `pattern` (re.search)."""
        compiled = re.compile(pattern)
        return [
            r for r in self.requests
            if compiled.search(r.path)
            and (method is None or r.method == method.upper())
            and (part is None or r.part == part)
        ]

    # -- history (Conversations API) -------------------------------------------------

    def add_history(self, ig_user_id: str, igsid: str, messages: list[dict]) -> None:
        """Add messages to the account's conversation with a customer, as the Conversations API
        will list them: each `{"mid", "at" (epoch seconds), "from_customer", "text"}`."""
        with self._lock:
            thread = self._history.setdefault(ig_user_id, {}).setdefault(igsid, [])
            known = {m["mid"] for m in thread}
            thread.extend(dict(m) for m in messages if m["mid"] not in known)

    def added_history(self, ig_user_id: str) -> dict[str, list[dict]]:
        with self._lock:
            return {igsid: [dict(m) for m in thread] for igsid, thread in self._history.get(ig_user_id, {}).items()}

    # -- echo webhooks ---------------------------------------------------------------

    def set_echo(self, mode: str | None = None, delay: float | None = None) -> None:
        """Override the app's echo configuration: mode "after" (default: deliver from a
        background thread once the send is answered), "before" (deliver, then answer) or
        "off"; delay in seconds for "after"."""
        if mode is not None and mode not in ECHO_MODES:
            raise ValueError(f"echo mode must be one of {ECHO_MODES}")
        with self._lock:
            if mode is not None:
                self.echo_mode = mode
            if delay is not None:
                self.echo_delay = delay

    def record_echo(self, delivery: EchoDelivery) -> None:
        with self._lock:
            self._echoes.append(delivery)
            self._changed.notify_all()

    @property
    def echoes(self) -> list[EchoDelivery]:
        with self._lock:
            return list(self._echoes)

    def wait_for_echoes(self, count: int = 1, timeout: float = 5.0) -> list[EchoDelivery]:
        """Block until at least `count` delivery attempts are recorded; raise on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._echoes) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} echo deliveries, got {len(self._echoes)}")
                self._changed.wait(left)
            return list(self._echoes)

    # -- token lifecycle -------------------------------------------------------------

    def now(self) -> float:
        """The stand-in's clock: real time plus whatever `advance_clock` added."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the stand-in's clock forward, e.g. 61 days to expire long-lived tokens."""
        with self._lock:
            self._clock_offset += seconds

    def revoke(self, ig_user_id: str, *, subcode: int = 458) -> None:
        """Every token issued so far for this account now fails with 190/`subcode`
        (458: the user removed the app; 460: password changed). Reconnecting issues
        tokens that work again."""
        with self._lock:
            self._revoked[ig_user_id] = (self.now(), subcode)

    def revocation(self, ig_user_id: str, issued_at: float) -> int | None:
        """The subcode to fail with if a token issued at `issued_at` was revoked."""
        with self._lock:
            revoked = self._revoked.get(ig_user_id)
        if revoked and issued_at <= revoked[0]:
            return revoked[1]
        return None

    def claim_code(self, nonce: str) -> bool:
        """Mark a code as used; False if this process saw it used before (best effort:
        another process would not know)."""
        with self._lock:
            if nonce in self._used_codes:
                return False
            self._used_codes.add(nonce)
            return True

    # -- webhook subscriptions (best effort, this process only) -----------------------

    def subscribe(self, ig_user_id: str, fields: list[str]) -> None:
        with self._lock:
            self._subscriptions[ig_user_id] = list(fields)

    def unsubscribe(self, ig_user_id: str) -> None:
        with self._lock:
            self._subscriptions.pop(ig_user_id, None)

    def subscribed_fields(self, ig_user_id: str) -> list[str] | None:
        with self._lock:
            fields = self._subscriptions.get(ig_user_id)
            return list(fields) if fields is not None else None

    # -- comments (this process only, like subscriptions) ------------------------------

    def remember_comment(self, comment: Any) -> None:
        """A comment the stand-in delivered (comments.KnownComment), so replies to it follow Meta's rules."""
        with self._lock:
            self._comments[comment.comment_id] = comment

    def known_comment(self, comment_id: str) -> Any | None:
        with self._lock:
            return self._comments.get(comment_id)

    def take_private_reply(self, comment_id: str) -> bool:
        """Meta's one private reply per comment: True for the first call only."""
        with self._lock:
            comment = self._comments.get(comment_id)
            if comment is None or comment.private_replied:
                return False
            comment.private_replied = True
            return True
