"""Configuration read from the environment, exactly as docs/contract.md names it.

One `load_config()` turns environment variables into a plain dict for `app.config`, through
small typed parsers, and refuses unsafe production settings with a message that names the fix.
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULT_GRAPH_URL = "https://graph.instagram.com"
DEFAULT_API_URL = "https://api.instagram.com"
DEFAULT_AUTHORIZE_URL = "https://www.instagram.com/oauth/authorize"
DEFAULT_GRAPH_VERSION = "v24.0"
ENVIRONMENTS = ("development", "test", "production")
# werkzeug's scrypt at its default cost (N=2^15, about 0.1 s a hash: the point of it). Not from the
# environment: only the test suite's own config lowers it (tests/conftest.py).
PASSWORD_HASH_METHOD = "scrypt"


class ConfigError(RuntimeError):
    """The environment describes a configuration the app must not run with."""


def env_str(env, name: str, default: str | None = None) -> str | None:
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_int(env, name: str, default: int) -> int:
    raw = env_str(env, name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def env_bool(env, name: str, default: bool) -> bool:
    raw = env_str(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def env_list(env, name: str) -> list[str]:
    raw = env_str(env, name) or ""
    return [part.strip() for part in raw.split(",") if part.strip()]


def normalize_database_url(url: str) -> str:
    """Heroku hands out `postgres://`; SQLAlchemy wants an explicit driver (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret_key(instance_path: Path) -> str:
    """A development key generated once and kept on disk, so every process (web, worker,
    CLI) signs sessions the same way and logins survive restarts."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        tmp = key_file.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            os.link(tmp, key_file)  # atomic: two processes starting together agree on one key
        except FileExistsError:
            pass
        tmp.unlink(missing_ok=True)
    return key_file.read_text().strip()


MIN_SECRET_KEY_BYTES = 32
MIN_SECRET_KEY_DISTINCT = 10


def _weak_secret_key(secret_key: str) -> list[str]:
    """SECRET_KEY signs every session and remember cookie: a guessable one is an account takeover."""
    if len(secret_key.encode()) < MIN_SECRET_KEY_BYTES or len(set(secret_key)) < MIN_SECRET_KEY_DISTINCT:
        return [f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} random characters (this one is too short "
                "or too repetitive); make one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"]
    return []


def _bad_fernet_keys(keys: list[str]) -> list[str]:
    """Build each Fernet key now, so a typo stops the deploy instead of the first account connect."""
    from cryptography.fernet import Fernet

    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(f"TOKEN_ENCRYPTION_KEYS: key {position} is not a valid Fernet key "
                            "(32 url-safe base64-encoded bytes, as `Fernet.generate_key()` makes)")
    return problems


def derived_fernet_key(secret_key: str, purpose: str) -> str:
    """A Fernet key derived from SECRET_KEY for development only (refused in production)."""
    digest = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def load_config(instance_path: str | Path, env=None) -> dict:
    env = os.environ if env is None else env
    instance_path = Path(instance_path)
    app_env = (env_str(env, "APP_ENV", "development") or "").lower()
    if app_env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {app_env!r}")
    production = app_env == "production"

    problems: list[str] = []
    secret_key = env_str(env, "SECRET_KEY")
    if secret_key is None:
        if production:
            problems.append("SECRET_KEY is required (a long random string, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
        else:
            secret_key = _instance_secret_key(instance_path)

    app_id = env_str(env, "INSTAGRAM_APP_ID")
    app_secret = env_str(env, "INSTAGRAM_APP_SECRET")
    demo_mode = app_id is None
    verify_token = env_str(env, "INSTAGRAM_VERIFY_TOKEN")
    encryption_keys = env_list(env, "TOKEN_ENCRYPTION_KEYS")

    if production:
        if demo_mode:
            problems.append("INSTAGRAM_APP_ID is required: demo mode (simulated Instagram) is never enabled in production")
        if app_secret is None:
            problems.append("INSTAGRAM_APP_SECRET is required (it checks webhook signatures)")
        if not encryption_keys:
            problems.append("TOKEN_ENCRYPTION_KEYS is required (comma-separated Fernet keys; make one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)")
        if verify_token is None or len(verify_token) < 32:
            problems.append("INSTAGRAM_VERIFY_TOKEN must be at least 32 characters")
        if secret_key is not None:
            problems.extend(_weak_secret_key(secret_key))
        problems.extend(_bad_fernet_keys(encryption_keys))
        if env_str(env, "MAIL_URL") is not None:
            from app.mail import MailConfigError, parse_mail_url

            try:
                parse_mail_url(env_str(env, "MAIL_URL"))
            except MailConfigError as exc:
                problems.append(str(exc))
        if env_str(env, "PUBLIC_URL") is None:
            problems.append("PUBLIC_URL is required (the https address of this app, e.g. https://inbox.example.com); "
                            "OAuth redirects and webhook callbacks are built from it, never from a request's Host header")
    if problems:
        raise ConfigError("Refusing to start with APP_ENV=production:\n  - " + "\n  - ".join(problems))

    # Web Push keys: all unset = push off; set but wrong refuses to start in every environment,
    # since a bad pair would only show as pushes that never arrive.
    from app.pwa.vapid import problems as vapid_problems

    vapid = {name: env_str(env, name) for name in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "VAPID_SUBJECT")}
    push_problems = vapid_problems(vapid["VAPID_PRIVATE_KEY"], vapid["VAPID_PUBLIC_KEY"], vapid["VAPID_SUBJECT"])
    if push_problems:
        raise ConfigError("Refusing to start: Web Push is half configured:\n  - " + "\n  - ".join(push_problems))

    # Outside production a missing secret is derived, so development and demo work at once.
    if app_secret is None:
        app_secret = hashlib.sha256(f"demo-app-secret:{secret_key}".encode()).hexdigest()
    if verify_token is None:
        verify_token = hashlib.sha256(f"demo-verify:{secret_key}".encode()).hexdigest()
    if not encryption_keys:
        encryption_keys = [derived_fernet_key(secret_key, "tokens")]

    database_url = env_str(env, "DATABASE_URL")
    if database_url is None:
        instance_path.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance_path / 'inbox.sqlite3'}"
    database_url = normalize_database_url(database_url)

    # The port this process's links point at (demo login, Connect redirect, the stand-in's webhook
    # URL). Under the `flask` command FLASK_RUN_PORT is what `flask run` serves (.flaskenv sets it
    # from the environment's PORT), so it wins; gunicorn and the worker read PORT.
    port = env_int(env, "FLASK_RUN_PORT", env_int(env, "PORT", 5000))
    public_url = env_str(env, "PUBLIC_URL")
    if public_url:
        public_url = public_url.rstrip("/")
    # In demo mode the Graph API is the in-app stand-in, reached over real HTTP.
    own_base = public_url or f"http://127.0.0.1:{port}"
    graph_default = f"{own_base}/_meta/graph" if demo_mode else DEFAULT_GRAPH_URL
    api_default = f"{own_base}/_meta/api" if demo_mode else DEFAULT_API_URL
    authorize_default = f"{own_base}/_meta/authorize" if demo_mode else DEFAULT_AUTHORIZE_URL

    config = {
        "APP_ENV": app_env,
        "PORT": port,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env_str(env, "REDIS_URL"),
        # Hosts that outbound webhooks and push endpoints may reach although they resolve to loopback
        # or private addresses (app.net.guard); lower-cased, without ports.
        "OUTBOUND_ALLOW_HOSTS": frozenset(h.lower().strip("[]") for h in env_list(env, "OUTBOUND_ALLOW_HOSTS")),
        "INSTAGRAM_APP_ID": app_id or "demo-app",
        "INSTAGRAM_APP_SECRET": app_secret,
        "INSTAGRAM_VERIFY_TOKEN": verify_token,
        "TOKEN_ENCRYPTION_KEYS": encryption_keys,
        "INSTAGRAM_GRAPH_URL": (env_str(env, "INSTAGRAM_GRAPH_URL") or graph_default).rstrip("/"),
        "INSTAGRAM_API_URL": (env_str(env, "INSTAGRAM_API_URL") or api_default).rstrip("/"),
        "INSTAGRAM_AUTHORIZE_URL": env_str(env, "INSTAGRAM_AUTHORIZE_URL") or authorize_default,
        "INSTAGRAM_GRAPH_VERSION": env_str(env, "INSTAGRAM_GRAPH_VERSION", DEFAULT_GRAPH_VERSION),
        "PUBLIC_URL": public_url,
        "DEMO_MODE": demo_mode,
        "STANDIN_WEBHOOK_URL": f"{own_base}/webhooks/instagram",
        "STANDIN_SIGNING_KEY": hashlib.sha256(f"standin:{secret_key}".encode()).hexdigest(),
        # Sessions: HttpOnly and SameSite always; Secure wherever the site is served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        # The longest any sign-in lasts, "Keep me signed in" included; enforced by app.auth.sessions,
        # which also gives it to Flask-Login as the remember cookie's duration.
        "SESSION_MAX_AGE": timedelta(days=env_int(env, "SESSION_MAX_AGE_DAYS", 30)),
        "PASSWORD_HASH_METHOD": PASSWORD_HASH_METHOD,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # CSRF tokens live as long as the session; a long shift in the inbox must not expire forms.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "MAX_CONTENT_LENGTH": 26 * 1024 * 1024,  # largest attachment Meta takes (25 MB) + form overhead
        "WEBHOOK_MAX_BYTES": env_int(env, "WEBHOOK_MAX_BYTES", 5 * 1024 * 1024),
        "ANONYMOUS_MAX_BYTES": 64 * 1024,  # any body from someone not signed in (app.body_limits)
        # Failed sign-ins (app.throttle): per (account, client), stacked so the wait grows; per client, a
        # ceiling generous enough for an office behind one address.
        "LOGIN_PAIR_LIMITS": env_str(env, "LOGIN_PAIR_LIMITS", "5 per minute;10 per 15 minutes;30 per day"),
        "LOGIN_CLIENT_LIMITS": env_str(env, "LOGIN_CLIENT_LIMITS", "100 per 15 minutes;300 per day"),
        "API_RATE_LIMIT": env_int(env, "API_RATE_LIMIT", 120),  # requests per window per API token
        "API_RATE_WINDOW": env_int(env, "API_RATE_WINDOW", 60),
        # How many proxies in front of the app append to X-Forwarded-For/-Proto: the client address
        # (rate limits, logs) is read that many hops from the right. The platform's router is one;
        # run directly (flask run, gunicorn without a router) there is none, and a forwarded header
        # is then just something a client typed.
        "TRUSTED_PROXY_HOPS": env_int(env, "TRUSTED_PROXY_HOPS", 1 if production else 0),
        "API_MAX_BODY_BYTES": 64 * 1024,  # a JSON API body is a few fields; anything larger is refused
        "JOBS_INLINE": env_str(env, "REDIS_URL") is None,
        "JOBS_INLINE_RETRY_DELAYS": app_env != "test",  # tests retry at once, development waits
        # Connecting an account imports its last 30 days of DMs (app.accounts.history_import).
        "HISTORY_IMPORT_ON_CONNECT": env_bool(env, "HISTORY_IMPORT_ON_CONNECT", True),
        "MAIL_URL": env_str(env, "MAIL_URL"),  # smtp:// or smtps://; unset = links are shown, not mailed
        "MAIL_FROM": env_str(env, "MAIL_FROM"),
        # Web Push (app.pwa.vapid): the key pair and contact; unset = push off.
        **vapid,
        "LLM_API_URL": env_str(env, "LLM_API_URL"),
        "LLM_API_KEY": env_str(env, "LLM_API_KEY"),
        "LLM_MODEL": env_str(env, "LLM_MODEL"),
        "TESTING": app_env == "test",
    }
    return config
