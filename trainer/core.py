"""Site-wide pages and page furniture: the front door, the health check, the navigation by role."""
from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from markupsafe import escape
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import text

from . import fragments
from .extensions import db

bp = Blueprint("core", __name__)

# (endpoint, label, roles that see it); None = signed-out visitors. Entries whose feature is not installed
# (no such endpoint) are skipped.
NAVIGATION = [
    ("learning.catalogue", _l("Modules"), {"learner", "trainer", "admin"}),
    ("learning.glossary", _l("Glossary"), {"learner", "trainer", "admin"}),
    ("certificates.mine", _l("My certificates"), {"learner"}),
    ("cohorts.list_cohorts", _l("Cohorts"), {"trainer", "admin"}),
    ("authority.certificates", _l("Certificates"), {"authority", "admin"}),
    ("admin.dashboard", _l("Administration"), {"admin"}),
    ("certificates.verify_form", _l("Verify a certificate"), {None}),
]

HOME = {"trainer": "cohorts.list_cohorts", "authority": "authority.certificates", "admin": "admin.dashboard"}


def home_endpoint(user):
    """Where each role starts."""
    endpoint = HOME.get(user.role, "learning.catalogue")
    return endpoint if endpoint in current_app.view_functions else "learning.catalogue"


def navigation():
    """The menu for the current user: [(url, label, is_current)]."""
    role = current_user.role if current_user.is_authenticated else None
    items = []
    for endpoint, label, roles in NAVIGATION:
        if role in roles and endpoint in current_app.view_functions:
            blueprint = endpoint.split(".")[0]
            current = request.endpoint == endpoint or (
                request.blueprint == blueprint and blueprint not in ("learning", "certificates"))
            items.append((url_for(endpoint), label, current))
    return items


_LANGUAGE = {code: f"\x00lang-{code}\x00" for code in ("ar", "en", "fr")}


def page_header():
    """The header (skip link, menu, sign-out, languages) of this page.

    It depends only on the language, the user's role and the page's endpoint, so it is rendered once per
    combination (trainer.fragments); the sign-out token and the language links' addresses are filled in.
    """
    from .i18n import current_language, language_url

    role = current_user.role if current_user.is_authenticated else None
    key = ("header", current_language(), role, request.endpoint, request.blueprint)
    html = fragments.cached(key, "_header.html", language_placeholders=_LANGUAGE)
    for code, placeholder in _LANGUAGE.items():
        html = html.replace(placeholder, str(escape(language_url(code))))
    return fragments.with_token(html)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for(home_endpoint(current_user)))


@bp.route("/healthz")
def healthz():
    """200 when the database answers; 503 otherwise (for load balancers)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not healthy"
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/ping")
def ping():
    """The trivial endpoint the benchmarks compare real pages with (no session, no database)."""
    return "ok"


@bp.route("/ping/signed-in")
@login_required
def ping_signed_in():
    """The trivial signed-in endpoint: what every learner page costs before doing its own work (session, user)."""
    return "ok"
