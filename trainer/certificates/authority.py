"""The national authority's portal: its country's certificates, filtered and paged, downloaded one by one, as a
ZIP with a manifest or as a register (CSV); revocation. Administrators see every country and may re-issue.

Scope: an authority sees the learners whose country is its own; any other certificate is a 404.
"""
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..app import course
from ..countries import country_choices
from ..extensions import db
from ..i18n import current_language, select_choices
from ..security import roles_required
from ..timeutil import utcnow
from . import exports, services
from .forms import FilterForm, ReissueForm, RevokeForm

bp = Blueprint("authority", __name__, url_prefix="/authority")


def filter_form():
    """The filters from the query string, with the choices this viewer may pick from."""
    form = FilterForm(formdata=request.args)
    lang = current_language()
    form.module.choices = select_choices([("", _("All modules"))] + [
        (m, title.get(lang) or title.get("en") or m) for m, title in services.module_choices(current_user)])
    form.cohort.choices = select_choices(
        [("", _("All cohorts"))] + [(str(i), name) for i, name in services.cohort_choices(current_user)])
    if current_user.role == "admin":
        form.country.choices = select_choices([("", _("All countries"))] + country_choices(lang))
    return form


def read_filters(form):
    """The CertificateFilter of a valid form, or None when a filter is wrong (the form then carries the error)."""
    if not form.validate():
        return None
    country = (form.country.data or "").strip().upper() or None
    if current_user.role != "admin" and country not in (None, current_user.country):
        abort(404)  # another country's certificates do not exist for this authority
    cohort = form.cohort.data or ""
    if cohort and not cohort.isdigit():
        form.cohort.errors.append(_("Choose a cohort from the list."))
        return None
    return services.CertificateFilter(
        module=form.module.data or None, cohort=int(cohort) if cohort else None,
        issued_from=form.issued_from.data, issued_to=form.issued_to.data, status=form.status.data or None,
        country=country if current_user.role == "admin" else None, q=(form.q.data or "").strip() or None)


def query_args():
    """The list's filters as query parameters (for the ZIP and CSV links and the pager)."""
    return {k: v for k, v in request.args.items() if k not in ("page", "lang") and v}


@bp.route("/certificates")
@roles_required("authority", "admin")
def certificates():
    form = filter_form()
    filters = read_filters(form)
    page = None
    if filters is not None:
        page = db.paginate(services.portal_query(current_user, filters),
                           per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("authority/certificates.html", form=form, page=page, args=query_args(),
                           today=services.today(), status_of=services.status_of)


def _download_name(extension, filters):
    """certificates-JO-2026-12-01.zip: the country (or "all" for an administrator's unfiltered set) and the day."""
    scope = (filters.country or "all") if current_user.role == "admin" else (current_user.country or "none")
    return f"certificates-{scope}-{services.today().isoformat()}.{extension}"


def _filters_or_400():
    filters = read_filters(filter_form())
    if filters is None:
        abort(400)
    return filters


@bp.route("/certificates.zip")
@roles_required("authority", "admin")
def certificates_zip():
    """Every filtered certificate's PDF and manifest.csv, streamed: memory stays flat whatever the number."""
    return _download("zip", "certificates_zip_downloaded", "application/zip", exports.certificates_zip)


@bp.route("/certificates.csv")
@roles_required("authority", "admin")
def certificates_csv():
    """The register of the filtered certificates (the same rows as the ZIP's manifest, without the files)."""
    return _download("csv", "certificates_register_downloaded", "text/csv", exports.register_csv)


def _download(kind, action, mimetype, make_chunks):
    """A streamed download of the filtered certificates, recorded in the audit log before it starts."""
    filters = _filters_or_400()
    count = services.portal_count(current_user, filters)
    viewer = services.Viewer.of(current_user)
    audit.record(action, None, current_user, count=count, **filters.as_details())
    db.session.commit()
    chunks = make_chunks(viewer, filters, current_language())
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{_download_name(kind, filters)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def load_certificate(serial):
    certificate = services.visible_certificate(current_user, serial)
    if certificate is None:
        abort(404)
    return certificate


def _detail(certificate, revoke_form=None, reissue_form=None, status=200):
    return render_template(
        "authority/certificate.html", certificate=certificate, status=services.status_of(certificate),
        successor=services.successor_of(certificate), revoked_by=services.revoked_by(certificate),
        history=services.history(certificate), revoke_form=revoke_form or RevokeForm(),
        reissue_form=reissue_form or ReissueForm(), stale=_stale(certificate)), status


def _stale(certificate):
    """The details that changed since issuance (only worth computing for administrators, who may re-issue)."""
    if current_user.role != "admin" or certificate.status != "valid":
        return []
    module = course().module(certificate.module_id)
    learner = certificate.user
    facts = services.completion(learner, module) if module else None
    if facts is None:
        return []
    try:
        return services.stale_fields(certificate, services.build_record(learner, module, facts, utcnow()))
    except services.CannotIssue:
        return []


@bp.route("/certificates/<serial>")
@roles_required("authority", "admin")
def certificate(serial):
    return _detail(load_certificate(serial))


@bp.route("/certificates/<serial>/revoke", methods=["POST"])
@roles_required("authority", "admin")
def revoke(serial):
    certificate = load_certificate(serial)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _detail(certificate, revoke_form=form, status=400)
    try:
        services.revoke(certificate, current_user, form.reason.data)
    except services.CertificateError:
        flash(_("This certificate is not valid any more, so it cannot be revoked."), "warning")
    else:
        flash(_("The certificate is revoked. Its verification page says so from now on."), "success")
    return redirect(url_for(".certificate", serial=certificate.serial))


@bp.route("/certificates/<serial>/reissue", methods=["POST"])
@roles_required("admin")
def reissue(serial):
    """A new certificate with the learner's current details, superseding this one."""
    certificate = load_certificate(serial)
    form = ReissueForm()
    if not form.validate_on_submit():
        return _detail(certificate, reissue_form=form, status=400)
    try:
        new = services.reissue(certificate, current_user, services.clean_reason(form.reason.data) or None)
    except services.NotComplete:
        flash(_("The learner's progress no longer shows this module as completed: nothing was re-issued."),
              "warning")
    except services.CannotIssue as exc:
        flash(_("The certificate cannot be made now: %(reason)s", reason=str(exc)), "error")
    except services.CertificateError:
        flash(_("This certificate is not valid any more, so it cannot be re-issued."), "warning")
    else:
        flash(_("A new certificate is issued; the old one now shows as superseded."), "success")
        return redirect(url_for(".certificate", serial=new.serial))
    return redirect(url_for(".certificate", serial=certificate.serial))
