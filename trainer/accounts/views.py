"""Signing in and out, choosing a password after a one-time code, the account page."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..extensions import db, limiter, login_manager
from ..timeutil import utcnow
from . import services
from ..countries import country_choices
from ..i18n import current_language, select_choices
from .forms import ChoosePasswordForm, LanguageForm, LoginForm, RegisterForm

bp = Blueprint("accounts", __name__)
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to open this page.")
login_manager.login_message_category = "info"

# Pages a user who signed in with a one-time code may open before choosing a password.
_OPEN_BEFORE_PASSWORD = {"accounts.choose_password", "accounts.logout", "static", "core.healthz", "core.ping"}


@bp.before_app_request
def _require_password_choice():
    if request.endpoint in _OPEN_BEFORE_PASSWORD:  # checked first: these pages need no user loaded
        return None
    if current_user.is_authenticated and (session.get("must_choose_password") or not current_user.password_hash):
        return redirect(url_for("accounts.choose_password"))
    return None


def _safe_next(target):
    """Only same-site paths, so the sign-in page cannot send users elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    from ..core import home_endpoint

    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user, how = services.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong username, password or code."))
        else:
            user.last_login_at = utcnow()
            audit.record("sign_in", target=f"user:{user.id}", actor=user, method=how)
            db.session.commit()
            login_user(user)
            session.pop("lang", None)
            if how == "code":
                session["must_choose_password"] = True
                return redirect(url_for("accounts.choose_password"))
            return redirect(_safe_next(form.next.data) or url_for(home_endpoint(user)))
    return render_template("accounts/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def register():
    """Learners create their own account, only where the deployment allows it (SELF_REGISTRATION)."""
    from ..core import home_endpoint

    if not current_app.config["SELF_REGISTRATION"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = RegisterForm(language=current_language())
    form.country.choices = select_choices([("", "—")] + country_choices(current_language()))
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.username.data, role="learner", full_name=form.full_name.data,
                full_name_ar=form.full_name_ar.data or None, country=form.country.data or None,
                agency=form.agency.data, language=form.language.data, password=form.password.data)
        except services.AccountError as exc:
            form.username.errors.append(str(exc))
        else:
            db.session.flush()
            audit.record("self_registered", target=f"user:{user.id}", actor=user)
            db.session.commit()
            login_user(user)
            flash(_("Welcome. Your account is ready."), "success")
            return redirect(url_for(home_endpoint(user)))
    return render_template("accounts/register.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    logout_user()
    session.pop("must_choose_password", None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def choose_password():
    form = ChoosePasswordForm()
    first_time = session.get("must_choose_password") or not current_user.password_hash
    if form.validate_on_submit():
        services.set_password(current_user, form.password.data)
        audit.record("password_set", target=f"user:{current_user.id}", actor=current_user)
        db.session.commit()
        session.pop("must_choose_password", None)
        flash(_("Your password is saved. Use it from now on."), "success")
        from ..core import home_endpoint

        return redirect(url_for(home_endpoint(current_user)))
    return render_template("accounts/choose_password.html", form=form, first_time=first_time,
                           min_password=services.MIN_PASSWORD)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = LanguageForm(language=current_user.language, certificate_language=current_user.second_language)
    if form.validate_on_submit():
        current_user.language = form.language.data
        current_user.certificate_language = form.certificate_language.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form)
