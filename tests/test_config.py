import pytest

from app.config import ConfigError, load_config, normalize_database_url


def prod_env(**overrides):
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "INSTAGRAM_APP_ID": "123",
        "INSTAGRAM_APP_SECRET": "app-secret",
        "INSTAGRAM_VERIFY_TOKEN": "v" * 32,
        "TOKEN_ENCRYPTION_KEYS": "Fz8m0Zb3F1m2Ew9bJ3QeZ1b6V6o3o3G3YV7nF0b0b0A=",
        "DATABASE_URL": "postgres://u:p@db.example/app",
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
