"""The inbox list's filters as they appear in the URL
(`/?view=unread&kind=comments&status=open&account=3&q=ann&label=vip&needs_reply=1&mentions=me&sort=waiting`).

Every filter lives in the query string so a reload, back/forward or a shared link shows the same
list. A value that cannot be understood is dropped with a readable notice instead of failing the
page, so a stale bookmark still opens the inbox."""
from __future__ import annotations

from dataclasses import dataclass

from app.inbox.queries import SORTS, ConversationFilters
from app.models import CONVERSATION_STATUSES
from app.url_filters import choice_arg, id_arg, label_arg

VIEWS = {"all": "All", "unread": "Unread", "mine": "Mine", "unassigned": "Unassigned"}
# DMs, comments (a person's comments on one post), or both ("" in the URL: the default).
KINDS = {"": "All", "dm": "DMs", "comments": "Comments"}
SORT_LABELS = dict(zip(SORTS, ("Newest activity", "Longest waiting")))
MAX_QUERY = 100


@dataclass(frozen=True)
class InboxListQuery:
    """What the list shows, read from the URL's query string (and written back by `params`)."""

    view: str = "all"
    kind: str | None = None
    status: str | None = None
    account_id: int | None = None
    q: str = ""
    label: str | None = None
    needs_reply: bool = False
    mentions: bool = False  # `mentions=me`: conversations where a note mentions me (app.inbox.mentions)
    sort: str = "recent"
    notices: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args) -> InboxListQuery:
        notices: list[str] = []
        view = choice_arg(args, "view", VIEWS, notices, default="all")
        kind = choice_arg(args, "kind", KINDS, notices)
        status = choice_arg(args, "status", CONVERSATION_STATUSES, notices)
        account_id = id_arg(args, "account", "account", notices)
        q = " ".join((args.get("q") or "").split())
        if len(q) > MAX_QUERY:
            notices.append(f"The search was shortened to {MAX_QUERY} characters.")
            q = q[:MAX_QUERY]
        label = label_arg(args, notices)
        raw_needs = (args.get("needs_reply") or "").strip()
        if raw_needs not in ("", "0", "1", "on"):
            notices.append(f"Unknown needs_reply “{raw_needs[:40]}” was ignored.")
        needs_reply = raw_needs in ("1", "on")  # "on": the filter form's checkbox without JavaScript
        raw_mentions = (args.get("mentions") or "").strip()
        if raw_mentions not in ("", "me"):
            notices.append(f"Unknown mentions “{raw_mentions[:40]}” was ignored.")
        mentions = raw_mentions == "me"  # the only value for now; leaves room for a teammate's id
        sort = choice_arg(args, "sort", SORTS, notices, default="recent", what="order")
        return cls(view=view, kind=kind or None, status=status, account_id=account_id, q=q, label=label, needs_reply=needs_reply,
                   mentions=mentions, sort=sort, notices=tuple(notices))

    def conversation_filters(self) -> ConversationFilters:
        return ConversationFilters(
            status=self.status,
            kind=self.kind,
            unread=self.view == "unread",
            assignee={"mine": "me", "unassigned": "unassigned"}.get(self.view),
            account_id=self.account_id,
            q=self.q or None,
            label=self.label,
            needs_reply=self.needs_reply,
            mentioned=self.mentions,
            sort=self.sort,
        )

    def params(self) -> dict[str, str]:
        """Only what differs from the defaults, so URLs stay short and canonical."""
        params = {}
        if self.view != "all":
            params["view"] = self.view
        if self.kind:
            params["kind"] = self.kind
        if self.status:
            params["status"] = self.status
        if self.account_id:
            params["account"] = str(self.account_id)
        if self.q:
            params["q"] = self.q
        if self.label:
            params["label"] = self.label
        if self.needs_reply:
            params["needs_reply"] = "1"
        if self.mentions:
            params["mentions"] = "me"
        if self.sort != "recent":
            params["sort"] = self.sort
        return params

    @property
    def narrowed(self) -> bool:
        """Whether anything but the whole inbox is shown (decides which empty state fits)."""
        return bool(self.params())
