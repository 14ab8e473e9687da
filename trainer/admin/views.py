"""Administrators' pages: the dashboard (with content problems), users (list, create, edit, sign-in codes)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select

from .. import audit
from ..accounts import services as accounts
from ..accounts.models import ROLE_LABELS, ROLES, User
from ..app import course
from ..countries import country_choices
from ..extensions import db
from ..i18n import current_language, select_choices
from ..security import roles_required, secret_page
from .forms import UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles_required("admin")
def dashboard():
    content = course()
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    from ..certificates.services import certificate_problems

    return render_template("admin/dashboard.html", content=content, counts=counts, role_labels=ROLE_LABELS,
                           certificate_problems=certificate_problems(content.modules.values()))


@bp.route("/users")
@roles_required("admin")
def users():
    query = select(User)
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    country = request.args.get("country", "").strip().upper()
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.username).like(like), func.lower(User.full_name).like(like),
                                User.full_name_ar.like(f"%{q}%")))
    if role in ROLES:
        query = query.where(User.role == role)
    if country:
        query = query.where(User.country == country)
    page = db.paginate(query.order_by(User.username), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("admin/users.html", page=page, q=q, role=role, country=country,
                           role_labels=ROLE_LABELS, countries=country_choices(current_language()))


def _user_form(**kwargs):
    form = UserForm(**kwargs)
    form.country.choices = select_choices([("", "—")] + country_choices(current_language()))
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.username.data, role=form.role.data, full_name=form.full_name.data,
                full_name_ar=form.full_name_ar.data or None, country=form.country.data or None,
                agency=form.agency.data, language=form.language.data, email=form.email.data or None)
        except accounts.AccountError as exc:
            form.username.errors.append(str(exc))
        else:
            user.active = form.active.data
            code = accounts.issue_login_code(user)
            db.session.flush()
            audit.record("user_created", target=f"user:{user.id}", actor=current_user, role=user.role)
            db.session.commit()
            return secret_page("admin/code.html", user=user, code=code)
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(obj=user)
    form.username.data = user.username  # usernames are fixed: certificates and the audit log refer to them
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            flash(_("You cannot remove your own administrator access."), "warning")
        else:
            for field in ("full_name", "agency", "language", "role", "active"):
                setattr(user, field, getattr(form, field).data)
            user.full_name_ar = form.full_name_ar.data or None
            user.country = form.country.data or None
            user.email = form.email.data or None
            audit.record("user_updated", target=f"user:{user.id}", actor=current_user)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user, code_form=FlaskForm())


@bp.route("/users/<int:user_id>/code", methods=["POST"])
@roles_required("admin")
def new_code(user_id):
    user = db.session.get(User, user_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    code = accounts.issue_login_code(user)
    audit.record("login_code_issued", target=f"user:{user.id}", actor=current_user)
    db.session.commit()
    return secret_page("admin/code.html", user=user, code=code)
