"""The stand-in for api.instagram.com: trading an authorization code for a short-lived token.

This host answers errors in its own flat shape (`error_type`, `code`, `error_message`),
not the Graph API's, as Meta's does.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .context import control, settings, signer
from .errors import StandinError
from .signing import InvalidSignedValue

REQUIRED_FIELDS = ("client_id", "client_secret", "grant_type", "redirect_uri", "code")


def create_api_blueprint() -> Blueprint:
    bp = Blueprint("api", __name__)

    @bp.post("/oauth/access_token")
    def access_token():
        form = request.form
        for name in REQUIRED_FIELDS:
            if not form.get(name):
                raise StandinError(400, f"Missing required field {name}")
        if form["grant_type"] != "authorization_code":
            raise StandinError(400, "Invalid grant_type: authorization_code expected")
        expected_secret = settings().app_secret
        if expected_secret and form["client_secret"] != expected_secret:
            raise StandinError(400, "Error validating client secret.")

        try:
            code = signer().read_code(form["code"])
        except InvalidSignedValue:
            raise StandinError(400, "Invalid authorization code") from None
        ctl = control()
        if code.expired(ctl.now()):
            raise StandinError(400, "This authorization code has expired.")
        if form["client_id"] != code.client_id:
            raise StandinError(400, "Invalid platform app")
        if form["redirect_uri"] != code.redirect_uri:
            raise StandinError(400, "Error validating verification code. Please make sure your redirect_uri "
                                  "is identical to the one you used in the OAuth dialog request")
        # Single use is enforced per process only: a code replayed against another
        # worker would pass, which only matters to tests that run one process anyway.
        if not ctl.claim_code(code.nonce):
            raise StandinError(400, "This authorization code has been used.")

        token = signer().mint_token(
            ig_user_id=code.ig_user_id,
            app_user_id=code.app_user_id,
            username=code.username,
            kind="short",
            scopes=code.scopes,
            client_id=code.client_id,
            issued_at=ctl.now(),
        )
        # As at Meta, `user_id` here is the app-scoped id; the id webhooks carry comes from
        # /me's `user_id`.
        return jsonify({"data": [{
            "access_token": token,
            "user_id": code.app_user_id,
            "permissions": ",".join(code.scopes),
        }]})

    return bp
