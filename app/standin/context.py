"""What every stand-in view needs from the app it is mounted in: settings, control, tokens.

All configuration is read from `current_app.config` at request time, so the same views
serve the main app's demo mode (`/_meta/...`) and the standalone test server.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

from .control import ECHO_MODES, StandinControl
from .errors import StandinError
from .signing import Claims, InvalidSignedValue, Signer

EXTENSION = "standin"
MESSAGING_SCOPE = "instagram_business_manage_messages"
DEFAULT_DEMO_ACCOUNTS = ("demo.boutique", "demo.studio", "demo.cafe")


@dataclass(frozen=True)
class Settings:
    app_secret: str | None  # INSTAGRAM_APP_SECRET: signs echoes, checks client_secret
    webhook_url: str | None  # STANDIN_WEBHOOK_URL: where echoes go (None: no echoes)
    signing_key: str  # STANDIN_SIGNING_KEY, else SECRET_KEY
    echo_mode: str  # STANDIN_ECHO: "after" | "before" | "off"
    echo_delay: float  # STANDIN_ECHO_DELAY: seconds after the answer ("after" mode)
    echo_attempts: int  # STANDIN_ECHO_ATTEMPTS: deliveries tried before giving up
    app_name: str | None  # STANDIN_APP_NAME: shown on the consent page
    demo_accounts: tuple[str, ...]  # STANDIN_DEMO_ACCOUNTS: offered on the consent page
    public_url: str | None  # STANDIN_PUBLIC_URL: base for avatar URLs (else the request host)
    refresh_min_age: float  # STANDIN_REFRESH_MIN_AGE: Meta's 24 h rule, off (0) by default


def settings() -> Settings:
    config = current_app.config
    signing_key = config.get("STANDIN_SIGNING_KEY") or config.get("SECRET_KEY")
    if not signing_key:
        raise RuntimeError("the Meta stand-in needs STANDIN_SIGNING_KEY (or SECRET_KEY) to sign tokens")
    ctl = control()
    echo_mode = ctl.echo_mode or config.get("STANDIN_ECHO") or "after"
    if echo_mode not in ECHO_MODES:
        raise RuntimeError(f"STANDIN_ECHO must be one of {ECHO_MODES}, not {echo_mode!r}")
    echo_delay = ctl.echo_delay if ctl.echo_delay is not None else config.get("STANDIN_ECHO_DELAY", 0.05)
    accounts = config.get("STANDIN_DEMO_ACCOUNTS") or DEFAULT_DEMO_ACCOUNTS
    if isinstance(accounts, str):
        accounts = [a.strip() for a in accounts.split(",") if a.strip()]
    return Settings(
        app_secret=config.get("INSTAGRAM_APP_SECRET") or None,
        webhook_url=config.get("STANDIN_WEBHOOK_URL") or None,
        signing_key=str(signing_key),
        echo_mode=echo_mode,
        echo_delay=float(echo_delay),
        echo_attempts=int(config.get("STANDIN_ECHO_ATTEMPTS", 3)),
        app_name=config.get("STANDIN_APP_NAME") or None,
        demo_accounts=tuple(accounts),
        public_url=config.get("STANDIN_PUBLIC_URL") or None,
        refresh_min_age=float(config.get("STANDIN_REFRESH_MIN_AGE", 0)),
    )


def control() -> StandinControl:
    return current_app.extensions[EXTENSION]


def signer() -> Signer:
    return Signer(settings().signing_key)


def presented_token() -> str | None:
    """The access token of this request: `Authorization: Bearer|OAuth <t>` or `access_token=`."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return request.args.get("access_token") or request.form.get("access_token") or None


def authenticate(token: str | None = None) -> Claims:
    """The claims of a valid, unexpired, unrevoked access token, or the 104/190 error Meta gives."""
    token = token if token is not None else presented_token()
    if not token:
        raise StandinError(104)
    try:
        claims = signer().read_token(token)
    except InvalidSignedValue:
        raise StandinError(190) from None
    ctl = control()
    if claims.expired(ctl.now()):
        raise StandinError(190, "Error validating access token: Session has expired.", subcode=463)
    revoked = ctl.revocation(claims.ig_user_id, claims.iat)
    if revoked == 460:
        raise StandinError(190, "Error validating access token: The session has been invalidated because "
                              "the user changed their password or Facebook has changed the session for "
                              "security reasons.", subcode=460)
    if revoked is not None:
        raise StandinError(190, "Error validating access token: The user has not authorized application.",
                         subcode=revoked)
    return claims


def token_account(token: str | None) -> str | None:
    """The ig_user_id a token names if its signature is good (for the request log only)."""
    if not token:
        return None
    try:
        return signer().read_token(token).ig_user_id
    except (InvalidSignedValue, RuntimeError):
        return None


def is_own_node(node_id: str, claims: Claims) -> bool:
    # Meta accepts the professional account id, the app-scoped id and "me" for the token owner.
    return node_id in ("me", claims.ig_user_id, claims.app_user_id)


def require_own_node(node_id: str, claims: Claims, verb: str = "get") -> None:
    if not is_own_node(node_id, claims):
        raise StandinError(
            100,
            f"Unsupported {verb} request. Object with ID '{node_id}' does not exist, cannot be loaded "
            "due to missing permissions, or does not support this operation.",
            subcode=33,
        )


def require_scope(claims: Claims, scope: str) -> None:
    if scope not in claims.scopes:
        raise StandinError(200, f"(#200) Requires {scope} permission to manage the object")


def avatar_url(kind: str, seed: str) -> str:
    """An absolute URL of a stand-in-served avatar.

    Browsers load it directly, so behind a proxy set STANDIN_PUBLIC_URL to the host they see.
    """
    public_url = settings().public_url
    if public_url:
        return public_url.rstrip("/") + url_for("standin.graph.avatar", kind=kind, seed=seed)
    return url_for("standin.graph.avatar", kind=kind, seed=seed, _external=True)
