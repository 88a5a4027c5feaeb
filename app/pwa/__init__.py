"""The installable app and its devices: the web app manifest, the service worker (served from the
root so its scope is the whole app) and its offline page (`manifest.py`, `routes.py`); the devices
that receive Web Push, subscribed from Settings → Profile (`devices.py`, `routes.py`); the server's
VAPID keys and `flask push keys` (`vapid.py`, `commands.py`). Sending a notification over push is
app.notifications.push's, from a job."""
from flask import Blueprint

bp = Blueprint("pwa", __name__, cli_group="push")


from app.pwa import commands, routes  # noqa: E402,F401
