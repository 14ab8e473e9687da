"""Page parts rendered once and kept: the course and the menus do not change while the app runs, so a part that
is the same for every reader with the same key (language, role, lesson, done or not...) is rendered on first use.
The one per-reader value inside such a part, the CSRF token of its form, is filled into a placeholder.

The cache lives in the process, holds only rendered content (no user data) and is rebuilt by any new process, so
app processes still share nothing.
"""
from flask import current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

CSRF_PLACEHOLDER = "\x00csrf\x00"


def cached(key, template, **context):
    """`template` rendered with `context` once per `key`, as a string (placeholders still in)."""
    key = (request.script_root, *key)  # the links inside depend on where the app is mounted
    store = current_app.extensions.setdefault("trainer.fragments", {})
    html = store.get(key)
    if html is None:
        html = store[key] = str(render_template(template, csrf_placeholder=CSRF_PLACEHOLDER, **context))
    return html


def with_token(html):
    """Fill this session's CSRF token into a cached part."""
    return Markup(html.replace(CSRF_PLACEHOLDER, generate_csrf()) if CSRF_PLACEHOLDER in html else html)
