"""The accounts' periodic jobs, as the clock (app.jobs.schedule) runs them. The rules stay with
their subject: token upkeep in tokens.py, Meta's data-deletion requests in data_deletion.py.
The jobs those enqueue for one account or request (`refresh_account_token`,
`erase_instagram_user_data`, the history import's `import_history_page`) live there too, next to
the code that enqueues them."""
from __future__ import annotations

from app.accounts import history_import
from app.accounts.data_deletion import requeue_lost_erasures
from app.accounts.tokens import queue_token_refreshes


def refresh_expiring_tokens() -> int:
    """Daily: flag expired tokens and enqueue a refresh for each one due. Returns how many
    refreshes were enqueued."""
    return queue_token_refreshes()


def resume_pending_deletions() -> int:
    """Hourly: enqueue again every data erasure whose job was lost. Returns how many."""
    return requeue_lost_erasures()


def resume_history_imports() -> int:
    """Every 5 minutes: queue again each history import whose page job was lost; it continues from
    its stored cursor (app.accounts.history_import). Returns how many."""
    return history_import.resume_stalled_imports()
