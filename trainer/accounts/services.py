"""Account rules, callable without a request: creating users, checking passwords and one-time codes."""
import re
import secrets
from datetime import timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..countries import is_country
from ..extensions import db
from ..timeutil import utcnow
from .models import ROLES, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LANGUAGES = ("ar", "en", "fr")
MIN_PASSWORD = 8
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on a phone
CODE_VALID_DAYS = 30
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


class AccountError(ValueError):
    """A value that cannot be stored; the message says why, in words for the user."""


def normalise_username(username):
    return (username or "").strip().lower()


def validate_user_fields(username=None, role=None, full_name=None, full_name_ar=None, country=None,
                         language=None, email=None):
    """Check the fields of a user; return a list of (field, message) problems."""
    problems = []
    if username is not None and not USERNAME.match(username):
        problems.append(("username", _l("2 to 64 characters: lowercase letters, digits, dot, hyphen or underscore, "
                                        "starting with a letter or digit")))
    if role is not None and role not in ROLES:
        problems.append(("role", _l("must be one of %(roles)s", roles=", ".join(ROLES))))
    if full_name is not None and (not full_name.strip() or len(full_name) > 200):
        problems.append(("full_name", _l("required, at most 200 characters")))
    if full_name and _ARABIC.search(full_name):
        problems.append(("full_name", _l("must be in Latin script (write the Arabic spelling as the name in Arabic "
                                         "script)")))
    if full_name_ar and (not _ARABIC.search(full_name_ar) or len(full_name_ar) > 200):
        problems.append(("full_name_ar", _l("must be written in Arabic script, at most 200 characters")))
    if country and not is_country(country):
        problems.append(("country", _l("'%(code)s' is not an ISO 3166 two-letter country code", code=country)))
    if language is not None and language not in LANGUAGES:
        problems.append(("language", _l("must be ar, en or fr")))
    if email and (len(email) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)):
        problems.append(("email", _l("'%(email)s' is not an e-mail address", email=email)))
    return problems


def create_user(username, role="learner", full_name=None, full_name_ar=None, country=None, agency=None,
                language="en", email=None, password=None):
    """Add a user to the session (not committed); raise AccountError when a field is wrong."""
    username = normalise_username(username)
    country = country.strip().upper() if country else None
    full_name = (full_name or username).strip()
    problems = validate_user_fields(username, role, full_name, full_name_ar, country, language, email)
    if password is not None and len(password) < MIN_PASSWORD:
        problems.append(("password", lazy_ngettext("at least %(num)d character", "at least %(num)d characters",
                                                    MIN_PASSWORD)))
    if role == "authority" and not country:
        problems.append(("country", _l("a national authority needs the country it represents")))
    if problems:
        raise AccountError(gettext("; ").join(gettext("%(field)s: %(problem)s", field=field, problem=message)
                                              for field, message in problems))
    if find_user(username) is not None:
        raise AccountError(_l("username: %(name)s is already taken", name=username))
    user = User(username=username, role=role, full_name=full_name, full_name_ar=(full_name_ar or None),
                country=country, agency=agency or None, language=language, email=email or None, active=True)
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    return user


def find_user(username):
    return db.session.scalar(select(User).where(func.lower(User.username) == normalise_username(username)))


def set_password(user, password):
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(lazy_ngettext("password: at least %(num)d character",
                                         "password: at least %(num)d characters", MIN_PASSWORD))
    user.password_hash = generate_password_hash(password)
    user.login_code_hash = None
    user.login_code_expires_at = None


def issue_login_code(user, now=None, method=None):
    """Give `user` a fresh one-time sign-in code (returned once, stored hashed).

    `method` is a werkzeug hash method; bulk imports pass a cheaper one (see trainer.cohorts.services).
    """
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    code = f"{raw[:5]}-{raw[5:]}"
    user.login_code_hash = generate_password_hash(raw, method=method) if method else generate_password_hash(raw)
    user.login_code_expires_at = (now or utcnow()) + timedelta(days=CODE_VALID_DAYS)
    return code


def authenticate(username, secret, now=None):
    """Return (user, "password" | "code") for a correct password or one-time code, else (None, None)."""
    user = find_user(username)
    if user is None or not user.active or not secret:
        # Same work as a real check, so a missing user is not faster to detect.
        check_password_hash(_DUMMY_HASH, secret or "x")
        return None, None
    if user.password_hash and check_password_hash(user.password_hash, secret):
        return user, "password"
    code = re.sub(r"[\s-]", "", secret).upper()
    if (user.login_code_hash and user.login_code_expires_at and user.login_code_expires_at > (now or utcnow())
            and check_password_hash(user.login_code_hash, code)):
        user.login_code_hash = None  # one use only
        user.login_code_expires_at = None
        return user, "code"
    return None, None


_DUMMY_HASH = generate_password_hash("not-a-real-password")
