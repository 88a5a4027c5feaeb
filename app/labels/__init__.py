"""Labels: a workspace's coloured tags for conversations ("vip", "wholesale", "hot-lead").

- `palette`: the colours a label may have, each readable under the chip's text (WCAG AA)
- `catalog`: what a label name may be; creating, renaming, recolouring and deleting labels (admins, audited)
- `tagging`: putting labels on conversations and taking them off, one at a time, as an exact
  list (the API) or in bulk (`label_conversations`, for the list's bulk actions)
- `routes`: Settings → Labels and the thread header's add/remove

Elsewhere: the list's `label=` filter (app.inbox.filters, app.inbox.queries), the API
(app.api.routes: GET /labels, PUT /conversations/<id>/labels), and automation's "add a label"
action (app.automation.respond)."""
from flask import Blueprint

bp = Blueprint("labels", __name__)

from app.labels import routes  # noqa: E402,F401
