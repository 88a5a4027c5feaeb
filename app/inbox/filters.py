"""The inbox list's filters as they appear in the URL (`/?view=unread&status=open&account=3&q=ann`).

Every filter lives in the query string so a reload, back/forward or a shared link shows the same
list. A value that cannot be understood is dropped with a readable notice instead of failing the
page, so a stale bookmark still opens the inbox."""
from __future__ import annotations

from dataclasses import dataclass

from app.inbox.queries import ConversationFilters
from app.models import CONVERSATION_STATUSES
from app.scoping import valid_id

def parse_id(raw: str | None) -> int | None:
    """A row id from a form or URL, or None when it cannot be one (the rule: app.scoping.valid_id)."""
    return valid_id(raw or "")


VIEWS = {"all": "All", "unread": "Unread", "mine": "Mine", "unassigned": "Unassigned"}
MAX_QUERY = 100


@dataclass(frozen=True)
class ListView:
    view: str = "all"
    status: str | None = None
    account_id: int | None = None
    q: str = ""
    notices: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args) -> ListView:
        notices = []
        view = (args.get("view") or "all").strip()
        if view not in VIEWS:
            notices.append(f"Unknown view “{view[:40]}” was ignored.")
            view = "all"
        status = (args.get("status") or "").strip() or None
        if status is not None and status not in CONVERSATION_STATUSES:
            notices.append(f"Unknown status “{status[:40]}” was ignored.")
            status = None
        account_id = None
        raw_account = (args.get("account") or "").strip()
        if raw_account:
            account_id = parse_id(raw_account)
            if account_id is None:
                notices.append(f"Unknown account “{raw_account[:40]}” was ignored.")
        q = " ".join((args.get("q") or "").split())
        if len(q) > MAX_QUERY:
            notices.append(f"The search was shortened to {MAX_QUERY} characters.")
            q = q[:MAX_QUERY]
        return cls(view=view, status=status, account_id=account_id, q=q, notices=tuple(notices))

    def conversation_filters(self) -> ConversationFilters:
        return ConversationFilters(
            status=self.status,
            unread=self.view == "unread",
            assignee={"mine": "me", "unassigned": "unassigned"}.get(self.view),
            account_id=self.account_id,
            q=self.q or None,
        )

    def params(self) -> dict[str, str]:
        """Only what differs from the defaults, so URLs stay short and canonical."""
        params = {}
        if self.view != "all":
            params["view"] = self.view
        if self.status:
            params["status"] = self.status
        if self.account_id:
            params["account"] = str(self.account_id)
        if self.q:
            params["q"] = self.q
        return params

    @property
    def narrowed(self) -> bool:
        """Whether anything but the whole inbox is shown (decides which empty state fits)."""
        return bool(self.params())
