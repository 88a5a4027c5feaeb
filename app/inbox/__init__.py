"""The unified inbox: conversation list, thread, composer."""
from flask import Blueprint

bp = Blueprint("inbox", __name__)

from app.inbox import drafts, routes, viewers  # noqa: E402,F401
