import pytest

from app.config import ConfigError, load_config, normalize_database_url


def prod_env(**overrides):
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": "kV3q-9xPz_T7mW2rL8bN4yH6dF1sJ0cA5eG",
        "INSTAGRAM_APP_ID": "123",
        "INSTAGRAM_APP_SECRET": "app-secret",
        "INSTAGRAM_VERIFY_TOKEN": "v" * 32,
        "TOKEN_ENCRYPTION_KEYS": "Fz8m0Zb3F1m2Ew9bJ3QeZ1b6V6o3o3G3YV7nF0b0b0A=",
        "DATABASE_URL": "postgres://u:p@db.example/app",
        "PUBLIC_URL": "https://inbox.example.com",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def test_production_refuses_without_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        load_config(tmp_path, prod_env(SECRET_KEY=None))


@pytest.mark.parametrize("missing, message", [
    ("TOKEN_ENCRYPTION_KEYS", "TOKEN_ENCRYPTION_KEYS is required"),
    ("INSTAGRAM_APP_SECRET", "INSTAGRAM_APP_SECRET is required"),
    ("INSTAGRAM_APP_ID", "demo mode"),
    ("INSTAGRAM_VERIFY_TOKEN", "at least 32 characters"),
])
def test_production_refuses_unsafe_defaults(tmp_path, missing, message):
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, prod_env(**{missing: None}))


def test_production_config_is_strict_and_secure(tmp_path):
    config = load_config(tmp_path, prod_env())
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["DEMO_MODE"] is False
    assert config["INSTAGRAM_GRAPH_URL"] == "https://graph.instagram.com"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/app"
    assert config["PASSWORD_HASH_METHOD"] == "scrypt"  # werkzeug's cost; only the suite's own config lowers it


def test_production_refusal_reaches_create_app(monkeypatch):
    from app import create_app

    for key, value in prod_env(SECRET_KEY=None).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_development_defaults_are_usable_at_once(tmp_path):
    config = load_config(tmp_path, {})
    assert config["DEMO_MODE"] is True
    assert config["JOBS_INLINE"] is True
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["INSTAGRAM_GRAPH_URL"] == "http://127.0.0.1:5000/_meta/graph"
    assert config["PASSWORD_HASH_METHOD"] == "scrypt"
    # The generated key is kept, so every process signs sessions alike.
    assert load_config(tmp_path, {})["SECRET_KEY"] == config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_typed_parsing_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="PORT must be a whole number"):
        load_config(tmp_path, {"PORT": "eighty"})
    with pytest.raises(ConfigError, match="APP_ENV must be one of"):
        load_config(tmp_path, {"APP_ENV": "staging"})


def test_meta_urls_are_configurable(tmp_path):
    config = load_config(tmp_path, {"INSTAGRAM_APP_ID": "1", "INSTAGRAM_GRAPH_URL": "http://localhost:9000/",
                                    "INSTAGRAM_GRAPH_VERSION": "v99.0"})
    assert config["INSTAGRAM_GRAPH_URL"] == "http://localhost:9000"
    assert config["INSTAGRAM_GRAPH_VERSION"] == "v99.0"


@pytest.mark.parametrize("given, expected", [
    ("postgres://a@h/d", "postgresql+psycopg://a@h/d"),
    ("postgresql://a@h/d", "postgresql+psycopg://a@h/d"),
    ("postgresql+psycopg://a@h/d", "postgresql+psycopg://a@h/d"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_url_rewrite(given, expected):
    assert normalize_database_url(given) == expected


@pytest.mark.parametrize("secret_key", ["x", "short-but-random-9f8", "s" * 48, "ab" * 20])
def test_production_refuses_a_weak_secret_key(tmp_path, secret_key):
    """F-22: SECRET_KEY signs sessions and remember cookies; a short or repetitive one is refused."""
    with pytest.raises(ConfigError, match="SECRET_KEY must be at least 32 random characters"):
        load_config(tmp_path, prod_env(SECRET_KEY=secret_key))


@pytest.mark.parametrize("keys, position", [("notakey", 1), ("Fz8m0Zb3F1m2Ew9bJ3QeZ1b6V6o3o3G3YV7nF0b0b0A=,short", 2)])
def test_production_refuses_invalid_token_encryption_keys(tmp_path, keys, position):
    """F-22: an invalid Fernet key stops the start, not the first connect."""
    with pytest.raises(ConfigError, match=f"TOKEN_ENCRYPTION_KEYS: key {position} is not a valid Fernet key"):
        load_config(tmp_path, prod_env(TOKEN_ENCRYPTION_KEYS=keys))


def test_production_requires_public_url(tmp_path):
    with pytest.raises(ConfigError, match="PUBLIC_URL is required"):
        load_config(tmp_path, prod_env(PUBLIC_URL=None))


def test_production_lists_every_problem_at_once(tmp_path):
    with pytest.raises(ConfigError) as refused:
        load_config(tmp_path, prod_env(SECRET_KEY="x", TOKEN_ENCRYPTION_KEYS="bad", PUBLIC_URL=None))
    message = str(refused.value)
    assert "SECRET_KEY" in message and "TOKEN_ENCRYPTION_KEYS" in message and "PUBLIC_URL" in message


def test_proxy_hops_default_to_the_platform_router_only_in_production(tmp_path):
    assert load_config(tmp_path, prod_env())["TRUSTED_PROXY_HOPS"] == 1
    assert load_config(tmp_path, {})["TRUSTED_PROXY_HOPS"] == 0
    assert load_config(tmp_path, {"TRUSTED_PROXY_HOPS": "2"})["TRUSTED_PROXY_HOPS"] == 2


def test_the_app_port_follows_flask_run_port(tmp_path):
    """`flask run` reads FLASK_RUN_PORT (.flaskenv sets it from PORT): the demo's own links match."""
    config = load_config(tmp_path, {"FLASK_RUN_PORT": "8123"})
    assert config["PORT"] == 8123
    assert config["INSTAGRAM_GRAPH_URL"] == "http://127.0.0.1:8123/_meta/graph"
    assert load_config(tmp_path, {"PORT": "8000", "FLASK_RUN_PORT": "8000"})["STANDIN_WEBHOOK_URL"] == \
        "http://127.0.0.1:8000/webhooks/instagram"
