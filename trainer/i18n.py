"""Languages: which one a page is in, and picking a content text in it.

Order: the signed-in user's preference, then the `?lang=` switcher (which also saves the preference of a
signed-in user), then the session of an anonymous visitor, then Accept-Language. Arabic pages are right to left.
"""
from urllib.parse import urlencode

import pytz
from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from .content.model import Text

RTL_LANGUAGES = {"ar"}
LANGUAGE_LABELS = {"ar": "العربية", "en": "English", "fr": "Français"}


def select_choices(pairs):
    """(value, label) pairs as WTForms select choices."""
    from wtforms import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]


def language_choices():
    return select_choices(LANGUAGE_LABELS.items())


def apply_language_switch():
    """before_request: honour `?lang=xx` by saving it as the user's (or the session's) language."""
    lang = request.args.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        return
    if current_user.is_authenticated:
        if current_user.language != lang:
            from .extensions import db

            current_user.language = lang
            db.session.commit()
    else:
        session["lang"] = lang
    g.lang = lang


def language_url(lang):
    """This page's address with `?lang=` set, keeping its other query parameters (the home page after a POST)."""
    if request.method != "GET":
        return "/?" + urlencode({"lang": lang})
    return request.path + "?" + urlencode({**request.args.to_dict(), "lang": lang})


def select_locale():
    """Flask-Babel locale selector."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line speaks English
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if getattr(g, "lang", None):
        return g.lang
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    """Show times in the user's country's time zone (its first zone), UTC otherwise."""
    if not has_request_context():
        return "UTC"
    country = getattr(current_user, "country", None) if current_user.is_authenticated else None
    zones = pytz.country_timezones.get(country or "", [])
    return zones[0] if zones else "UTC"


def format_when(moment):
    """A moment in the reader's time zone: just the time when it is today ("14:30"), else date and time."""
    from flask_babel import format_datetime, format_time, to_user_timezone

    from .timeutil import utcnow

    if to_user_timezone(moment).date() == to_user_timezone(utcnow()).date():
        return format_time(moment, "short")
    return format_datetime(moment, "short")


def current_language():
    return str(get_locale() or "en")


def text_direction(lang=None):
    return "rtl" if (lang or current_language()) in RTL_LANGUAGES else "ltr"


def _pick(text, lang):
    if isinstance(text, Text):
        return text.get(lang), text.has(lang)
    if isinstance(text, dict):  # a snapshot stored with an attempt
        value = text.get(lang) or text.get("en") or ""
        return value, bool(text.get(lang))
    return ("" if text is None else text), True


def translate_text(text):
    """Jinja filter `tr`: a content text in the page's language; an English fallback is marked as English."""
    lang = current_language()
    value, found = _pick(text, lang)
    if found or lang == "en" or not value:
        return value
    return Markup('<span lang="en" dir="ltr">%s</span>') % value


def translate_html(text):
    """Jinja filter `trhtml`: sanitised HTML (rendered at load time) in the page's language."""
    lang = current_language()
    value, found = _pick(text, lang)
    if found or lang == "en":
        return Markup(value)
    return Markup('<div lang="en" dir="ltr">') + Markup(value) + Markup("</div>")


def translate_list(text):
    """Jinja filter `trlist`: a list of texts (objectives, key points) in the page's language."""
    lang = current_language()
    value, found = _pick(text, lang)
    value = value or []
    if found or lang == "en":
        return value
    return [Markup('<span lang="en" dir="ltr">%s</span>') % escape(item) for item in value]
