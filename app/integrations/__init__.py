"""Outbound webhooks for the team's CRM (HubSpot, Zapier, Make, a spreadsheet): admins register
URLs and events; every event is written in its own transaction, sent signed by jobs with backoff
retries, and every attempt is listed (docs/architecture.md, "Outbound webhooks").

- `events`: the events, their bodies, and writing them in the change's transaction;
- `endpoints`: the URL and events rules, the secret, adding, pausing and deleting;
- `sending`: claiming, one attempt (signed, through app/net/guard.py), backoff, redelivery, pruning;
- `jobs`: the send jobs and the sweep;
- `routes`: Settings → Integrations. The JSON API's /api/v1/webhooks is app/api/webhooks.py.
"""
from flask import Blueprint

bp = Blueprint("integrations", __name__)


from app.integrations import routes  # noqa: E402,F401
