"""Access rules: who may open what. A role that may not open a page gets 403; an object outside the user's
scope (another country, another trainer's cohort) is a 404, so its existence is not revealed."""
from functools import wraps

from flask import abort, make_response, render_template
from flask_login import current_user, login_required

from .extensions import db, login_manager


@login_manager.user_loader
def _load_user(user_id):
    from .accounts.models import User

    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def roles_required(*roles):
    """Signed-in users with one of `roles` only."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def secret_page(template, **context):
    """Render a page that shows a secret once (a one-time code): never stored by the browser or a proxy."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response
