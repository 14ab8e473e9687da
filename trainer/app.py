"""The application factory: configuration, extensions, content, blueprints, error pages, CLI."""
import hashlib
import logging
import os
import secrets
from pathlib import Path

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import CONFIGS

from . import i18n
from .certificates.template import template_names
from .content import load_content
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate

log = logging.getLogger("trainer")


def create_app(config_name=None, overrides=None):
    """Create the app for `config_name` (default: $TRAINER_CONFIG or development)."""
    name = config_name or os.environ.get("TRAINER_CONFIG", "development")
    if name not in CONFIGS:
        raise SystemExit(f"TRAINER_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    settings = CONFIGS[name]
    app = Flask(__name__)
    app.config.from_object(settings)
    app.config.update(settings.from_environment())
    app.config.update(overrides or {})
    _prepare_instance(app, name)
    if app.config["TRUSTED_PROXIES"]:
        # Behind a TLS proxy: the visitor's address (for rate limits and the audit log) and scheme come from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    compress.init_app(app)
    limiter.init_app(app)
    from . import models  # noqa: F401  (registers every table)

    load_course(app)
    _register_blueprints(app)
    _register_templates(app)
    from .errors import register_error_handlers

    register_error_handlers(app)
    from .cli import register_cli

    register_cli(app)
    return app


def course():
    """The course this app serves (the ContentSet loaded at start-up)."""
    return current_app.extensions["trainer.content"]


def course_templates(app):
    """Names of the certificate templates modules may use, or None when the folder is missing (no check)."""
    folder = Path(app.config["CERTIFICATE_TEMPLATES"])
    return frozenset(template_names(folder)) if folder.is_dir() else None


def load_course(app):
    """Load the YAML course into the app; broken modules are left out and their errors logged."""
    content = load_content(str(app.config["CONTENT_ROOT"]), certificate_templates=course_templates(app))
    for module_id, problems in content.broken_modules.items():
        log.error("content: module %s left out (%d errors)", module_id, len(problems))
        for problem in problems:
            log.error("content: %s", problem)
    app.extensions["trainer.content"] = content
    return content


def _prepare_instance(app, name):
    instance = Path(app.config["INSTANCE_DIR"])
    instance.mkdir(parents=True, exist_ok=True)
    app.instance_path = str(instance)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'trainer.db'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]
    if not app.config.get("CERTIFICATE_KEYS_DIR"):
        app.config["CERTIFICATE_KEYS_DIR"] = str(instance / "keys")
    if not app.config.get("SECRET_KEY"):
        if name == "production":
            raise SystemExit("SECRET_KEY must be set in production (the same value on every app machine)")
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: enforce foreign keys, let readers work during a write, wait for locks instead of failing."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _register_blueprints(app):
    from .accounts.views import bp as accounts
    from .admin.views import bp as admin
    from .certificates.authority import bp as authority
    from .certificates.views import bp as certificates
    from .cohorts.views import bp as cohorts
    from .core import bp as core
    from .learning.views import bp as learning
    from .quiz.views import bp as quiz

    for blueprint in (core, accounts, learning, quiz, certificates, authority, admin, cohorts):
        app.register_blueprint(blueprint)


def _needs_for(status):
    from .learning.services import still_needed

    return still_needed(status)


def _register_templates(app):
    static_dir = Path(app.static_folder)
    versions = {
        p.relative_to(static_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:10]
        for p in static_dir.rglob("*") if p.is_file()
    }

    def static_url(filename):
        from flask import url_for

        return url_for("static", filename=filename, v=versions.get(filename))

    from flask_babel import format_date, format_datetime, format_decimal, format_time

    from .core import navigation, page_header
    from .countries import country_name

    app.jinja_env.filters["tr"] = i18n.translate_text
    app.jinja_env.filters["trhtml"] = i18n.translate_html
    app.jinja_env.filters["trlist"] = i18n.translate_list
    app.jinja_env.globals.update(
        static_url=static_url,
        current_language=i18n.current_language,
        text_direction=i18n.text_direction,
        language_labels=i18n.LANGUAGE_LABELS,
        language_url=i18n.language_url,
        navigation=navigation, page_header=page_header,
        has_endpoint=lambda endpoint: endpoint in app.view_functions,
        country_name=lambda code: country_name(code, i18n.current_language()),
        format_date=format_date, format_datetime=format_datetime, format_time=format_time,
        format_decimal=format_decimal, format_when=i18n.format_when,
        needs_for=_needs_for,
    )
    app.before_request(i18n.apply_language_switch)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.add("Cookie")
        return response

    @app.teardown_request
    def _forget(_exc):
        g.pop("lang", None)
