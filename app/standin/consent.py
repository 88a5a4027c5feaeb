"""The stand-in for instagram.com/oauth/authorize: a consent page that hands out codes.

The page echoes request parameters (app id, scopes, state in hidden fields), so it is
rendered by a private Jinja environment with autoescaping always on, independent of how
the host app configures its own.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, request, url_for
from jinja2 import Environment, StrictUndefined

from .context import control, settings, signer
from .profiles import business_account, normalise_username

SCOPE_DESCRIPTIONS = {
    "instagram_business_basic": "See your profile info: username, name and profile picture",
    "instagram_business_manage_messages": "Read and reply to your Direct Messages",
    "instagram_business_manage_comments": "Read, reply to and hide comments on your posts",
    "instagram_business_content_publish": "Publish posts, reels and stories",
    "instagram_business_manage_insights": "See insights about your account and content",
}
REQUIRED_SCOPE = "instagram_business_basic"
FORWARDED_PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state",
                    "force_authentication", "enable_fb_login")
DENIED_DESCRIPTION = "The user denied your request."

_env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

_PAGE = _env.from_string("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} • Instagram (stand-in)</title>
<link rel="icon" href="data:,">{# no icon, and no request for /favicon.ico (a 404 in the console) #}
<style>
  body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; background: #fafafa;
         color: #262626; margin: 0; display: flex; justify-content: center; }
  main { background: #fff; border: 1px solid #dbdbdb; border-radius: 8px; max-width: 26rem;
         margin: 3rem 1rem; padding: 2rem; }
  .brand { font-size: 1.6rem; font-weight: 600; text-align: center; margin: 0 0 .25rem; }
  .standin { text-align: center; color: #8e8e8e; font-size: .8rem; margin: 0 0 1.5rem; }
  h1 { font-size: 1.1rem; line-height: 1.4; }
  ul { padding-left: 1.2rem; } li { margin: .35rem 0; }
  code { font-size: .8rem; color: #8e8e8e; }
  fieldset { border: 1px solid #dbdbdb; border-radius: 6px; margin: 1rem 0; }
  label { display: block; margin: .3rem 0; }
  input[type=text] { width: 100%; box-sizing: border-box; padding: .45rem; border: 1px solid #dbdbdb;
                     border-radius: 4px; }
  .error { background: #fdecea; color: #b00020; padding: .6rem; border-radius: 4px; }
  .actions { display: flex; flex-direction: row-reverse; gap: .75rem; margin-top: 1.25rem; }
  button { flex: 1; padding: .6rem; border-radius: 8px; border: 0; font-weight: 600; cursor: pointer; }
  #allow { background: #0095f6; color: #fff; }
  #cancel { background: #efefef; color: #262626; }
</style>
</head>
<body>
<main>
  <p class="brand">Instagram</p>
  <p class="standin">Local stand-in for Meta: nothing leaves this machine.</p>
  {% if problems %}
    <h1>{{ title }}</h1>
    <div class="error" role="alert">
      <p>This link can't be used:</p>
      <ul>{% for problem in problems %}<li>{{ problem }}</li>{% endfor %}</ul>
    </div>
  {% else %}
    <h1>{{ title }}</h1>
    <p>{{ app_name }} is asking to:</p>
    <ul id="scopes">
      {% for scope, description in scopes %}
        <li data-scope="{{ scope }}">{{ description }} <code>{{ scope }}</code></li>
      {% endfor %}
    </ul>
    <form method="post" action="{{ action }}">
      {% for name, value in forwarded %}
        <input type="hidden" name="{{ name }}" value="{{ value }}">
      {% endfor %}
      <fieldset>
        <legend>Continue as</legend>
        {% for account in accounts %}
          <label><input type="radio" name="account" value="{{ account }}"
                 {% if account == chosen %}checked{% endif %}> @{{ account }}</label>
        {% endfor %}
        <label for="username">or another username</label>
        <input type="text" id="username" name="username" value="{{ typed }}"
               autocomplete="off" placeholder="your.business" maxlength="31">
      </fieldset>
      {% if form_error %}<p class="error" role="alert">{{ form_error }}</p>{% endif %}
      <div class="actions">
        {# Allow comes first so that Enter in the username field means Allow. #}
        <button type="submit" id="allow" name="decision" value="allow">Allow</button>
        <button type="submit" id="cancel" name="decision" value="cancel">Cancel</button>
      </div>
    </form>
  {% endif %}
</main>
</body>
</html>
""")


def create_authorize_blueprint() -> Blueprint:
    bp = Blueprint("authorize", __name__)

    @bp.route("", methods=["GET", "POST"])
    def consent():
        params = request.form if request.method == "POST" else request.args
        problems = _problems(params)
        if problems:
            return _page(params, problems=problems, status=400)
        if request.method == "GET":
            return _page(params)

        if params.get("decision") != "allow":
            return _redirect_back(params["redirect_uri"], {
                "error": "access_denied",
                "error_reason": "user_denied",
                "error_description": DENIED_DESCRIPTION,
            }, params.get("state"))

        typed = (params.get("username") or "").strip()
        username = normalise_username(typed or params.get("account") or "")
        if username is None:
            return _page(params, form_error="Choose an account or type a valid Instagram username "
                                            "(letters, digits, periods and underscores, at most 30).",
                         status=400)
        account = business_account(username)
        code = signer().mint_code(
            ig_user_id=account.ig_user_id,
            app_user_id=account.app_user_id,
            username=account.username,
            scopes=_scopes(params),
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            issued_at=control().now(),
        )
        return _redirect_back(params["redirect_uri"], {"code": code}, params.get("state"))

    return bp


def _scopes(params) -> list[str]:
    # Meta takes the list comma-separated; tolerate spaces as OAuth clients often send them.
    return [s for s in re.split(r"[,\s]+", params.get("scope") or "") if s]


def _problems(params) -> list[str]:
    problems = []
    for name in ("client_id", "redirect_uri", "response_type"):
        if not params.get(name):
            problems.append(f"Missing parameter: {name}")
    response_type = params.get("response_type")
    if response_type and response_type != "code":
        problems.append("Invalid response_type: only 'code' is supported")
    redirect_uri = params.get("redirect_uri")
    if redirect_uri:
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            problems.append("Invalid redirect_uri: it must be an absolute http(s) URL without a fragment")
    scopes = _scopes(params)
    unknown = [s for s in scopes if s not in SCOPE_DESCRIPTIONS]
    if unknown:
        problems.append("Invalid Scopes: " + ", ".join(unknown))
    elif REQUIRED_SCOPE not in scopes:
        problems.append(f"Invalid Scopes: {REQUIRED_SCOPE} is required")
    return problems


def _page(params, *, problems: list[str] | None = None, form_error: str | None = None, status: int = 200) -> Response:
    config = settings()
    client_id = params.get("client_id") or ""
    app_name = config.app_name or f"App {client_id}"
    accounts = list(config.demo_accounts)
    typed = (params.get("username") or "") if request.method == "POST" else ""
    chosen = params.get("account") if request.method == "POST" else None
    html = _PAGE.render(
        title=("Invalid request" if problems else f"Allow {app_name} to access your Instagram professional account?"),
        problems=problems or [],
        app_name=app_name,
        scopes=[(s, SCOPE_DESCRIPTIONS[s]) for s in _scopes(params) if s in SCOPE_DESCRIPTIONS],
        forwarded=[(name, params[name]) for name in FORWARDED_PARAMS if params.get(name) is not None],
        accounts=accounts,
        chosen=chosen or (accounts[0] if accounts and not typed else None),
        typed=typed,
        form_error=form_error,
        action=url_for("standin.authorize.consent"),
    )
    response = Response(html, status=status, mimetype="text/html")
    # The page echoes request input: forbid scripts outright and keep it out of frames.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _redirect_back(redirect_uri: str, params: dict[str, str], state: str | None) -> Response:
    """302 to the app's redirect_uri with `params` (+ state), ending in Meta's `#_`.

    The `#_` goes at the very end: anything after a `#` never reaches the server, so a
    state placed after it would be lost to the app's callback.
    """
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    if state is not None:
        query.append(("state", state))
    return redirect(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "_")), code=302)
