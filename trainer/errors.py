"""Error pages: every error a user can cause gets a page in their language, never a traceback."""
import logging

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger("trainer")


def _messages():
    return {
        400: (_("Bad request"), _("The request could not be understood. Go back, reload the page and try again.")),
        403: (_("Not allowed"), _("Your account does not give access to this page.")),
        404: (_("Page not found"), _("There is no page at this address. Check the address or start again from "
                                    "the home page.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (_("File too large"), _("The file you sent is larger than the limit. Send a smaller file.")),
        429: (_("Too many requests"), _("Too many requests in a short time. Wait a minute and try again.")),
        500: (_("Something went wrong"), _("The server could not complete your request. Nothing was saved from it. "
                                          "Please try again; if it keeps happening, tell your administrator.")),
        503: (_("Service unavailable"), _("The service is not available right now. Please try again soon.")),
    }


def render_error(code, title=None, message=None):
    default_title, default_message = _messages().get(code, _messages()[500])
    return render_template("error.html", code=code, title=title or default_title,
                           message=message or default_message), code


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, _("Form expired or invalid"),
                            _("This form could not be accepted (its security token is missing or invalid). "
                              "Go back, reload the page and submit it again."))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 500 or exc.code is None:
            return render_error(500)
        if exc.code in (301, 302, 303, 307, 308):
            return exc
        description = None
        if exc.code in (400, 403, 404) and getattr(exc, "user_message", None):
            description = exc.user_message
        return render_error(exc.code, message=description)

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if isinstance(exc, InternalServerError) and exc.original_exception:
            exc = exc.original_exception
        return render_error(500)
