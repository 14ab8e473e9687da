"""Shared fixtures: the app on a real database (SQLite, or PostgreSQL via TEST_DATABASE_URL), a client that
carries CSRF tokens like a browser, user factories and small content trees.

The schema is made once per run by the Alembic migrations (so they are tested too); every test starts from
empty tables.
"""
import functools
import html
import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import trainer.app
from trainer import create_app
from trainer.accounts.services import create_user
from trainer.extensions import db

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSWORD = "correct horse battery"

# Loading the real course takes about a second; tests share one load per content root (content is immutable).
trainer.app.load_content = functools.lru_cache(maxsize=32)(trainer.app.load_content)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def make_app(database_url, instance_dir):
    """Build an app on the test database; keyword arguments override settings."""

    def factory(**overrides):
        settings = {"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_DIR": str(instance_dir)}
        settings.update(overrides)
        return create_app("testing", settings)

    return factory


@pytest.fixture(scope="session")
def _schema(make_app):
    from flask_migrate import upgrade

    app = make_app()
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def course_app(_schema):
    """The app serving the real course in modules/ and quizzes/."""
    return _schema


@pytest.fixture
def app(course_app):
    with course_app.app_context():
        yield course_app
        _empty_tables()


def _empty_tables():
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    db.session.remove()


@pytest.fixture
def sample_app(make_app, _schema, tmp_path):
    """An app serving a copy of the small fixture course (tests may edit it before building the app)."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURES / "content", root)
    app = make_app(CONTENT_ROOT=str(root))
    with app.app_context():
        yield app
        _empty_tables()


def sample_tree(tmp_path):
    """Copy the fixture course to tmp_path/content and return its path."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURES / "content", root)
    return root


def _fresh_request_globals():
    """Requests made while a test holds the app context share its `g`, where Flask-Login, Flask-WTF and
    Flask-Babel cache the user, the CSRF token and the locale: start each request with an empty `g`, as in
    production, where every request has its own app context."""
    from flask import g, has_app_context

    if has_app_context():
        g.__dict__.clear()


class Browser:
    """A test client that sends each form's CSRF token, as a browser would after loading the page."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kwargs):
        _fresh_request_globals()
        response = self.client.get(url, **kwargs)
        self._remember(response)
        return response

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            if self.token is None:
                self.get("/login")
            data["csrf_token"] = self.token
        _fresh_request_globals()
        response = self.client.post(url, data=data, **kwargs)
        self._remember(response)
        return response

    def _remember(self, response):
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', response.data or b"")
        if match:
            self.token = match.group(1).decode()

    def login(self, username, password=PASSWORD):
        self.get("/login")
        return self.post("/login", {"username": username, "password": password})

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def make_user(app):
    """Create and commit a user; every user's password is PASSWORD."""
    counter = iter(range(1, 10_000))

    def factory(username=None, role="learner", **fields):
        fields.setdefault("full_name", "Test Person")
        user = create_user(username or f"user{next(counter)}", role=role, password=PASSWORD, **fields)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def learner(make_user):
    return make_user("learner", full_name="Omar Haddad", full_name_ar="عمر حداد", country="JO")


def html_text(response):
    """The visible text of a page, whitespace collapsed (for assertions on what a user reads)."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()
