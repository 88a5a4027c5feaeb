import hmac

from flask import current_app, request

from app.webhooks import bp


@bp.get("/webhooks/instagram")
def verify():
    """Meta's subscription check: echo the challenge when the verify token matches."""
    mode = request.args.get("hub.mode")
    token = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    expected = current_app.config["INSTAGRAM_VERIFY_TOKEN"]
    if mode == "subscribe" and hmac.compare_digest(token.encode(), expected.encode()):
        return challenge, 200, {"Content-Type": "text/plain; charset=utf-8"}
    return "verification failed", 403, {"Content-Type": "text/plain; charset=utf-8"}
