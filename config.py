"""Settings for trainer: one class per environment; a deployment's own values come from environment variables.

`create_app()` takes the class named by `TRAINER_CONFIG` (development, testing, production; development by
default), then `from_environment()` of that class, read when the app is created, never at import time.
"""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent


def _bool(value):
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults shared by every environment."""

    INSTANCE_DIR = str(REPO_ROOT / "instance")
    SECRET_KEY = None  # development and tests make one; production must set it
    SQLALCHEMY_DATABASE_URI = None  # default: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BASE_URL = "http://127.0.0.1:5000"
    CONTENT_ROOT = str(REPO_ROOT)  # holds modules/ and quizzes/
    CERTIFICATE_TEMPLATES = str(REPO_ROOT / "certificates")
    CERTIFICATE_KEYS_DIR = None  # default: instance/keys; app machines of one deployment share the same keys
    ISSUING_ORGANISATION = None  # overrides the template's organisation
    REDIS_URL = None
    SELF_REGISTRATION = False
    TRUSTED_PROXIES = 0  # reverse proxies in front of the app whose X-Forwarded-* headers are believed

    LANGUAGES = ("ar", "en", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # largest upload: a CSV or a PDF to verify
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session: no expired form after a long lesson
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SEND_FILE_MAX_AGE_DEFAULT = 60 * 60 * 24 * 365  # static URLs carry a version, so they can be cached for good
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/csv", "application/json", "image/svg+xml", "text/plain"]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 500

    RATELIMIT_STORAGE_URI = "memory://"  # per process; set REDIS_URL so all processes share one count
    RATELIMIT_HEADERS_ENABLED = True
    VERIFY_RATE_LIMIT = "60 per minute"
    LOGIN_RATE_LIMIT = "30 per minute"
    PAGE_SIZE = 50

    # Environment variable -> setting, with a converter.
    ENVIRONMENT = {
        "SECRET_KEY": ("SECRET_KEY", str),
        "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
        "BASE_URL": ("BASE_URL", lambda v: v.rstrip("/")),
        "CONTENT_ROOT": ("CONTENT_ROOT", str),
        "CERTIFICATE_TEMPLATES": ("CERTIFICATE_TEMPLATES", str),
        "CERTIFICATE_KEYS_DIR": ("CERTIFICATE_KEYS_DIR", str),
        "ISSUING_ORGANISATION": ("ISSUING_ORGANISATION", str),
        "REDIS_URL": ("REDIS_URL", str),
        "SELF_REGISTRATION": ("SELF_REGISTRATION", _bool),
        "TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
        "TRAINER_INSTANCE": ("INSTANCE_DIR", str),
        "VERIFY_RATE_LIMIT": ("VERIFY_RATE_LIMIT", str),
        "LOGIN_RATE_LIMIT": ("LOGIN_RATE_LIMIT", str),
    }

    @classmethod
    def from_environment(cls, environ=None):
        """Settings that the environment sets, read now."""
        environ = os.environ if environ is None else environ
        values = {}
        for variable, (setting, convert) in cls.ENVIRONMENT.items():
            if environ.get(variable):
                try:
                    values[setting] = convert(environ[variable])
                except ValueError:
                    raise SystemExit(f"{variable}={environ[variable]!r} is not a valid value") from None
        if values.get("REDIS_URL"):
            values["RATELIMIT_STORAGE_URI"] = values["REDIS_URL"]
        return values


class DevelopmentConfig(Config):
    """`make run`: SQLite in instance/, a secret key generated once and kept in instance/."""


class TestingConfig(Config):
    """pytest: the database is TEST_DATABASE_URL (SQLite by default); nothing else is read from the environment."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    RATELIMIT_ENABLED = False  # the tests that check rate limits switch it on
    BASE_URL = "http://trainer.test"
    ENVIRONMENT = {"TEST_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str)}


class ProductionConfig(Config):
    """gunicorn behind a TLS proxy: SECRET_KEY and DATABASE_URL must come from the environment."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    ENVIRONMENT = {**Config.ENVIRONMENT, "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _bool)}


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
