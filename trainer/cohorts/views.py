"""The trainer workspace pages: cohorts, the dashboard and its exports, a learner's attempts, adding learners
(one by hand, or many from a CSV: preview, then confirm), one-time codes, and the question analysis.

Each handler loads the cohort (404 when it is outside the user's scope), checks the form, calls services or
reports, and renders. A trainer sees only the cohorts they are assigned to; administrators see every cohort.
"""
import base64
import math
import re
import unicodedata
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_timezone, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from ..accounts.models import User
from ..accounts.services import CODE_VALID_DAYS
from ..app import course
from ..countries import country_choices
from ..extensions import db
from ..i18n import current_language, select_choices, text_direction
from ..security import roles_required
from ..timeutil import utcnow
from . import charts, exports, reports, services
from .exports import CERTIFICATE_LABELS, FLAG_LABELS, STATE_LABELS, TYPE_LABELS
from .forms import SCOPE_LABELS, CohortForm, ConfirmImportForm, DeleteCohortForm, ImportForm, LearnerForm
from .models import Cohort

bp = Blueprint("cohorts", __name__, url_prefix="/trainer")

STAFF = ("trainer", "admin")
IMPORT_TOKEN_HOURS = 2
FILTER_LABELS = {"all": _l("Everyone"), "not_started": _l("Not started"), "in_progress": _l("In progress"),
                 "failed": _l("Quiz not passed"), "completed": _l("Completed"), "overdue": _l("Overdue")}
FUNNEL_LABELS = {"enrolled": _l("Enrolled"), "started": _l("Started"), "one_module": _l("Completed a module"),
                 "all_modules": _l("Completed every module"), "lessons_done": _l("Read every lesson"),
                 "quiz_taken": _l("Took the quiz"), "completed": _l("Completed the module")}
ACTION_LABELS = {"create": _l("Create and enrol"), "update_enrol": _l("Update and enrol"), "update": _l("Update"),
                 "enrol": _l("Enrol"), "unchanged": _l("No change (already enrolled)"), "error": _l("Bad row")}
FIELD_LABELS = {"row": _l("row"), "username": "username", "full_name": "full_name", "full_name_ar": "full_name_ar",
                "country": "country", "agency": "agency", "language": "language", "email": "email"}


def load_cohort(cohort_id):
    """The cohort, if the current user may manage it; 404 otherwise (its existence is not revealed)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not services.can_manage(current_user, cohort):
        abort(404)
    return cohort


def load_learner(cohort, user_id):
    """A learner of `cohort`; 404 for anyone else."""
    user = db.session.get(User, user_id)
    if user is None or not services.is_member(cohort, user.id):
        abort(404)
    return user


def load_quiz_module(cohort, module_id):
    """A module with a quiz, assigned to `cohort` (any module for the all-learners view)."""
    module = course().module(module_id)
    if module is None or module.quiz is None:
        abort(404)
    if cohort is not None and module_id not in {m.module_id for m in cohort.modules}:
        abort(404)
    return module


def viewer_today():
    """Today's date where the viewer is: due dates are judged by it."""
    return to_user_timezone(utcnow()).date()


def _slug(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40]


def _filename(cohort, what, extension):
    parts = ["cohort", str(cohort.id) if cohort else "all", _slug(cohort.name) if cohort else "", what,
             viewer_today().isoformat()]
    return "-".join(p for p in parts if p) + "." + extension


def _download(data, filename, mimetype):
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"  # personal data: keep it out of shared caches
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Page:
    """A slice of a list, shaped like Flask-SQLAlchemy's Pagination for the `pagination` macro."""

    def __init__(self, items, page, per_page):
        self.total = len(items)
        self.per_page = per_page
        self.pages = max(1, math.ceil(self.total / per_page))
        self.page = min(max(page, 1), self.pages)
        start = (self.page - 1) * per_page
        self.items = items[start:start + per_page]
        self.first = start + 1 if self.items else 0
        self.last = start + len(self.items)
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


# --- Cohorts -----------------------------------------------------------------------------------------------------

@bp.route("/cohorts")
@roles_required(*STAFF)
def list_cohorts():
    page = db.paginate(services.visible_cohorts(current_user), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    counts = reports.cohort_counts([c.id for c in page.items])
    quiz_modules = [m for m in course().modules.values() if m.quiz] if current_user.role == "admin" else []
    return render_template("cohorts/list.html", page=page, counts=counts, quiz_modules=quiz_modules)


def _cohort_form(cohort=None):
    form = CohortForm()
    form.country.choices = select_choices([("", "—")] + country_choices(current_language()))
    trainers = db.session.scalars(select(User).where(User.role == "trainer", User.active.is_(True))
                                  .order_by(User.full_name)).all()
    if cohort is not None:  # keep a trainer who was deactivated since, so saving does not drop them silently
        trainers += [t for t in cohort.trainers if t not in trainers]
    form.trainers.choices = select_choices((t.id, f"{t.full_name} ({t.username})") for t in trainers)
    if request.method == "GET":
        if cohort is not None:
            form.name.data, form.agency.data = cohort.name, cohort.agency
            form.starts_on.data, form.ends_on.data = cohort.starts_on, cohort.ends_on
            form.trainers.data = [t.id for t in cohort.trainers]
            form.country.data = cohort.country or ""
        assigned = {m.module_id: m for m in cohort.modules} if cohort is not None else {}
        order = [m.module_id for m in cohort.modules] if cohort is not None else []
        modules = sorted(course().modules.values(),
                         key=lambda m: (order.index(m.id) if m.id in order else len(order), m.position))
        for module in modules:
            item = assigned.get(module.id)
            form.modules.append_entry({"module_id": module.id, "assigned": item is not None,
                                       "due_on": item.due_on if item else None})
    return form, {t.id: t for t in trainers}


def _form_assignments(form):
    """[(module_id, due_on)] ticked in the form; 400 for a module id the course does not have (a tampered form)."""
    seen, chosen = set(), []
    for entry in form.modules.entries:
        module_id = entry.form.module_id.data
        if course().module(module_id) is None or module_id in seen:
            abort(400)
        seen.add(module_id)
        if entry.form.assigned.data:
            chosen.append((module_id, entry.form.due_on.data))
    return chosen


def _save_cohort(form, trainers_by_id, cohort=None):
    fields = dict(name=form.name.data, country=form.country.data or None, agency=form.agency.data,
                  starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                  trainers=[trainers_by_id[i] for i in form.trainers.data], modules=_form_assignments(form),
                  actor=current_user)
    problems = services.validate_cohort_fields(form.name.data, form.country.data, form.starts_on.data,
                                               form.ends_on.data, cohort=cohort)
    for name, message in problems:
        getattr(form, name).errors.append(message)
    if problems:
        return None
    try:
        if cohort is None:
            cohort = services.create_cohort(**fields)
        else:
            services.update_cohort(cohort, **fields)
        db.session.commit()
    except services.CohortError as exc:
        db.session.rollback()
        form.name.errors.append(str(exc))
        return None
    return cohort


@bp.route("/cohorts/new", methods=["GET", "POST"])
@roles_required("admin")
def new_cohort():
    form, trainers = _cohort_form()
    if form.validate_on_submit():
        cohort = _save_cohort(form, trainers)
        if cohort is not None:
            flash(_("Cohort created. Add its learners: import a CSV file or add them one by one."), "success")
            return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=None, modules=course().modules)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_cohort(cohort_id):
    cohort = load_cohort(cohort_id)
    form, trainers = _cohort_form(cohort)
    if form.validate_on_submit():
        if _save_cohort(form, trainers, cohort) is not None:
            flash(_("Saved."), "success")
            return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=cohort, modules=course().modules,
                           delete_form=DeleteCohortForm(formdata=None))


@bp.route("/cohorts/<int:cohort_id>/delete", methods=["POST"])
@roles_required("admin")
def delete_cohort(cohort_id):
    cohort = load_cohort(cohort_id)
    form = DeleteCohortForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm."), "warning")
        return redirect(url_for("cohorts.edit_cohort", cohort_id=cohort.id))
    services.delete_cohort(cohort, actor=current_user)
    db.session.commit()
    flash(_("The cohort is deleted. Its learners, their progress and certificates are kept."), "success")
    return redirect(url_for("cohorts.list_cohorts"))


# --- Dashboard -----------------------------------------------------------------------------------------------------

def _dashboard_report(cohort):
    args = request.args
    return reports.cohort_dashboard(cohort, course(), viewer_today(), focus=args.get("module") or None,
                                    state=args.get("status", "all"), q=args.get("q", ""),
                                    sort=args.get("sort", "name"), direction=args.get("dir", "asc"))


def _number(value):
    return format_decimal(value)


def _dashboard_charts(report):
    rtl = text_direction() == "rtl"
    bins = report.score_bins
    scored = sum(count for _, _, count in bins)
    counts = _("; ").join(_("%(low)d–%(high)d %%: %(count)d", low=low, high=high, count=count)
                          for low, high, count in bins)
    what = _("best score of each learner in this module") if report.focus else \
        _("best score of each learner in each module")
    scores = charts.score_distribution(
        "chart-scores", bins, _("Score distribution"),
        ngettext("%(what)s, %(num)d score: %(counts)s.", "%(what)s, %(num)d scores: %(counts)s.", scored, what=what,
                 counts=counts),
        pass_mark=report.pass_mark, pass_label=_("pass mark %(mark)d %%", mark=report.pass_mark or 0), rtl=rtl,
        fmt=_number)
    steps = [(str(FUNNEL_LABELS[key]), count) for key, count in report.funnel]
    funnel = charts.funnel(
        "chart-funnel", steps, _("Completion funnel"),
        _("; ").join(_("%(step)s: %(count)d", step=label, count=count) for label, count in steps) + ".", rtl=rtl,
        fmt=_number,
        percent=lambda value: format_decimal(round(value), "0") + " %")
    return {"scores": scores, "funnel": funnel, "steps": steps}


@bp.route("/cohorts/<int:cohort_id>")
@roles_required(*STAFF)
def dashboard(cohort_id):
    cohort = load_cohort(cohort_id)
    report = _dashboard_report(cohort)
    page = Page(report.rows, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_template("cohorts/dashboard.html", cohort=cohort, report=report, page=page,
                           charts=_dashboard_charts(report), filter_labels=FILTER_LABELS, state_labels=STATE_LABELS,
                           certificate_labels=CERTIFICATE_LABELS, export_args=_export_args())


def _export_args():
    return {k: v for k, v in request.args.items() if k in ("module", "status", "q", "sort", "dir")}


@bp.route("/cohorts/<int:cohort_id>/export.csv")
@roles_required(*STAFF)
def export_csv(cohort_id):
    cohort = load_cohort(cohort_id)
    table = exports.dashboard_table(_dashboard_report(cohort), current_language(), get_timezone())
    return _download(exports.to_csv(table), _filename(cohort, "dashboard", "csv"), "text/csv")


@bp.route("/cohorts/<int:cohort_id>/export.xlsx")
@roles_required(*STAFF)
def export_xlsx(cohort_id):
    cohort = load_cohort(cohort_id)
    table = exports.dashboard_table(_dashboard_report(cohort), current_language(), get_timezone())
    data = exports.to_xlsx([table], rtl=text_direction() == "rtl")
    return _download(data, _filename(cohort, "dashboard", "xlsx"), XLSX)


# --- One learner ---------------------------------------------------------------------------------------------------

@bp.route("/cohorts/<int:cohort_id>/learners/<int:user_id>")
@roles_required(*STAFF)
def learner(cohort_id, user_id):
    cohort = load_cohort(cohort_id)
    user = load_learner(cohort, user_id)
    modules, _missing = reports.assigned_modules(cohort, course())
    row = reports.learner_rows(cohort, modules, viewer_today(), user_id=user.id)[0]
    return render_template("cohorts/learner.html", cohort=cohort, user=user, row=row,
                           reviews=reports.attempt_reviews(user.id, modules), form=FlaskForm(),
                           state_labels=STATE_LABELS, certificate_labels=CERTIFICATE_LABELS)


@bp.route("/cohorts/<int:cohort_id>/learners/<int:user_id>/code", methods=["POST"])
@roles_required(*STAFF)
def new_code(cohort_id, user_id):
    cohort = load_cohort(cohort_id)
    user = load_learner(cohort, user_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    code = services.issue_code(cohort, user, actor=current_user)
    db.session.commit()
    return _codes_page(cohort, [services.IssuedCode(user, code)], summary=None)


@bp.route("/cohorts/<int:cohort_id>/learners/<int:user_id>/remove", methods=["GET", "POST"])
@roles_required(*STAFF)
def remove_learner(cohort_id, user_id):
    cohort = load_cohort(cohort_id)
    user = load_learner(cohort, user_id)
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        services.remove_learner(cohort, user, actor=current_user)
        db.session.commit()
        flash(_("%(name)s is no longer in this cohort. Their progress and certificates are kept.",
                name=user.full_name), "success")
        return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/remove.html", cohort=cohort, user=user, form=form)


@bp.route("/cohorts/<int:cohort_id>/learners/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def add_learner(cohort_id):
    cohort = load_cohort(cohort_id)
    form = LearnerForm()
    form.country.choices = select_choices([("", "—")] + country_choices(current_language()))
    if request.method == "GET":
        form.country.data = cohort.country or ""
    if form.validate_on_submit():
        values = {name: (getattr(form, name).data or "").strip() for name in services.COLUMNS}
        plan = services.plan_import(cohort, [services.ImportRecord(line=1, values=values)], actor=current_user,
                                    default_country=cohort.country)
        row = plan.rows[0]
        for name, message in row.problems:
            getattr(form, name if name in services.COLUMNS else "username").errors.append(message)
        if row.ok and row.action == "unchanged":
            flash(_("%(name)s is already in this cohort.", name=row.user.full_name), "info")
            return redirect(url_for("cohorts.learner", cohort_id=cohort.id, user_id=row.user.id))
        if row.ok:
            try:
                issued = services.apply_import(cohort, plan, actor=current_user)
            except services.CohortError as exc:
                form.username.errors.append(str(exc))
            else:
                if issued:
                    return _codes_page(cohort, issued, summary=plan.counts)
                if row.kept:
                    flash(_("Enrolled. Their details were not changed: only their own trainer or an administrator "
                            "may change them."), "info")
                else:
                    flash(_("%(name)s is enrolled.", name=row.user.full_name), "success")
                return redirect(url_for("cohorts.learner", cohort_id=cohort.id, user_id=row.user.id))
    return render_template("cohorts/add_learner.html", cohort=cohort, form=form)


# --- CSV import ----------------------------------------------------------------------------------------------------

def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="trainer.cohort-import")


def _import_form(cohort):
    form = ImportForm()
    form.default_country.choices = select_choices([("", "—")] + country_choices(current_language()))
    if request.method == "GET":
        form.default_country.data = cohort.country or ""
    return form


def _preview(cohort, form, plan, text=None, changed=False):
    token = None
    if plan.ok:
        token = _serializer().dumps({"cohort": cohort.id, "actor": current_user.id, "csv": text,
                                     "country": form.default_country.data or None,
                                     "language": form.default_language.data, "plan": plan.fingerprint()})
    return render_template("cohorts/import.html", cohort=cohort, form=form, plan=plan, changed=changed,
                           confirm_form=ConfirmImportForm(formdata=None, token=token), action_labels=ACTION_LABELS,
                           field_labels=FIELD_LABELS, max_rows=services.MAX_IMPORT_ROWS)


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_learners(cohort_id):
    cohort = load_cohort(cohort_id)
    form = _import_form(cohort)
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            records = services.read_csv(data)
        except services.ImportFileError as exc:
            form.file.errors.append(str(exc))
        else:
            plan = services.plan_import(cohort, records, actor=current_user,
                                        default_country=form.default_country.data or None,
                                        default_language=form.default_language.data)
            return _preview(cohort, form, plan, text=data.decode("utf-8-sig"))
    return render_template("cohorts/import.html", cohort=cohort, form=form, plan=None,
                           max_rows=services.MAX_IMPORT_ROWS)


@bp.route("/cohorts/<int:cohort_id>/import/confirm", methods=["POST"])
@roles_required(*STAFF)
def confirm_import(cohort_id):
    cohort = load_cohort(cohort_id)
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        abort(400)
    try:
        payload = _serializer().loads(confirm.token.data, max_age=IMPORT_TOKEN_HOURS * 3600)
    except BadSignature:
        flash(_("This preview is too old or was altered. Upload the file again."), "warning")
        return redirect(url_for("cohorts.import_learners", cohort_id=cohort.id))
    if payload.get("cohort") != cohort.id or payload.get("actor") != current_user.id:
        abort(400)  # a preview made for another cohort or person
    try:
        records = services.read_csv(payload["csv"].encode("utf-8"))
    except services.ImportFileError:  # it was read for the preview; only a change of the rules could do this
        flash(_("This preview can no longer be used. Upload the file again."), "warning")
        return redirect(url_for("cohorts.import_learners", cohort_id=cohort.id))
    plan = services.plan_import(cohort, records, actor=current_user, default_country=payload["country"],
                                default_language=payload["language"])
    if not plan.ok or plan.fingerprint() != payload["plan"]:
        form = _import_form(cohort)
        form.default_country.data, form.default_language.data = payload["country"] or "", payload["language"]
        return _preview(cohort, form, plan, text=payload["csv"], changed=True)
    try:
        issued = services.apply_import(cohort, plan, actor=current_user)
    except services.CohortError as exc:
        flash(str(exc), "error")
        return redirect(url_for("cohorts.import_learners", cohort_id=cohort.id))
    return _codes_page(cohort, issued, summary=plan.counts)


@bp.route("/cohorts/import-template.csv")
@roles_required(*STAFF)
def import_template():
    table = exports.Table(title="", headers=list(services.COLUMNS), rows=[
        ["salma.aziz", "Salma Aziz", "سلمى عزيز", "JO", "Border Police", "ar", ""],
        ["youssef.benali", "Youssef Ben Ali", "يوسف بن علي", "TN", "Garde nationale", "fr", "y.benali@example.org"],
    ])
    return _download(exports.to_csv(table), "learners-template.csv", "text/csv")


def _codes_page(cohort, issued, summary):
    """The one-time codes, shown once: a printable sheet and the same as a CSV file (a data: link, so the codes
    are never stored in clear on the server)."""
    valid_until = (utcnow() + timedelta(days=CODE_VALID_DAYS)).date()
    sign_in = current_app.config["BASE_URL"] + url_for("accounts.login")
    table = exports.Table(title="", headers=[_("Username"), _("Full name"), _("Full name (Arabic)"),
                                             _("One-time code"), _("Valid until"), _("Sign-in address")],
                          rows=[[i.user.username, i.user.full_name, i.user.full_name_ar, i.code, valid_until, sign_in]
                                for i in issued])
    csv_link = "data:text/csv;charset=utf-8;base64," + base64.b64encode(exports.to_csv(table)).decode()
    response = Response(render_template("cohorts/codes.html", cohort=cohort, issued=issued, summary=summary,
                                        valid_until=valid_until, sign_in=sign_in, csv_link=csv_link,
                                        csv_name=_filename(cohort, "codes", "csv")))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Question analysis ---------------------------------------------------------------------------------------------

def _analysis(cohort, module_id):
    module = load_quiz_module(cohort, module_id)
    return reports.question_analysis(module, cohort=cohort, scope=request.args.get("attempts", "all"),
                                     sort=request.args.get("sort", "order"))


def _render_analysis(analysis):
    return render_template("cohorts/analysis.html", analysis=analysis, cohort=analysis.cohort,
                           flag_labels=FLAG_LABELS, type_labels=TYPE_LABELS, scope_labels=SCOPE_LABELS,
                           thresholds=(reports.TOO_EASY, reports.TOO_HARD))


def _analysis_download(analysis, which):
    tables = exports.analysis_tables(analysis, current_language())
    cohort = analysis.cohort
    what = f"analysis-{analysis.module.id}"
    if which == "xlsx":
        return _download(exports.to_xlsx(tables, rtl=text_direction() == "rtl"), _filename(cohort, what, "xlsx"),
                         XLSX)
    table = tables[0] if which == "questions" else tables[1]
    return _download(exports.to_csv(table), _filename(cohort, f"{what}-{which}", "csv"), "text/csv")


@bp.route("/cohorts/<int:cohort_id>/analysis/<module_id>")
@roles_required(*STAFF)
def analysis(cohort_id, module_id):
    return _render_analysis(_analysis(load_cohort(cohort_id), module_id))


@bp.route("/cohorts/<int:cohort_id>/analysis/<module_id>/export.csv")
@roles_required(*STAFF)
def analysis_csv(cohort_id, module_id):
    return _analysis_download(_analysis(load_cohort(cohort_id), module_id), "questions")


@bp.route("/cohorts/<int:cohort_id>/analysis/<module_id>/options.csv")
@roles_required(*STAFF)
def analysis_options_csv(cohort_id, module_id):
    return _analysis_download(_analysis(load_cohort(cohort_id), module_id), "options")


@bp.route("/cohorts/<int:cohort_id>/analysis/<module_id>/export.xlsx")
@roles_required(*STAFF)
def analysis_xlsx(cohort_id, module_id):
    return _analysis_download(_analysis(load_cohort(cohort_id), module_id), "xlsx")


@bp.route("/analysis/<module_id>")
@roles_required("admin")
def analysis_all(module_id):
    return _render_analysis(_analysis(None, module_id))


@bp.route("/analysis/<module_id>/export.csv")
@roles_required("admin")
def analysis_all_csv(module_id):
    return _analysis_download(_analysis(None, module_id), "questions")


@bp.route("/analysis/<module_id>/options.csv")
@roles_required("admin")
def analysis_all_options_csv(module_id):
    return _analysis_download(_analysis(None, module_id), "options")


@bp.route("/analysis/<module_id>/export.xlsx")
@roles_required("admin")
def analysis_all_xlsx(module_id):
    return _analysis_download(_analysis(None, module_id), "xlsx")
