"""Outbound: replying to customers (text and attachments) with exactly-once delivery, reply
windows, retries, reactions, seen receipts, and the media URLs Instagram fetches attachments from."""
from flask import Blueprint

bp = Blueprint("outbound", __name__)

from app.outbound import routes  # noqa: E402,F401
