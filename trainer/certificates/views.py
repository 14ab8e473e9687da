"""Certificate pages: the learner's certificates and downloads, and the public verification pages (a serial, a
QR code's signed record, an uploaded PDF), with the public keys that let anyone check a certificate offline."""
import hashlib
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import audit
from ..app import course
from ..extensions import db, limiter
from ..learning import services as learning
from . import services, signing
from .forms import SerialForm, UploadForm
from .serial import is_valid_serial, normalise_serial

bp = Blueprint("certificates", __name__)

# One count per visitor for every verification page, so switching between them does not multiply the limit.
verify_limit = limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], scope="verify")

OFFLINE_SCRIPT = Path(__file__).resolve().parent / "offline_check.py"

# The verdicts of signing.verify_pdf, in the reader's language (matched on the start of the English reason).
FILE_VERDICTS = (
    ("signature intact", _l("The digital signature is intact and was made by this programme: the file is exactly "
                            "as issued.")),
    ("not a readable PDF", _l("This is not a readable PDF file.")),
    ("the file carries no digital signature", _l("The file carries no digital signature: it is not an original "
                                                 "certificate file (perhaps a scan or a copy made by printing).")),
    ("the file was signed again", _l("The file was signed again after it was issued: it has been altered.")),
    ("the signature cannot be read", _l("The digital signature cannot be read: the file has been damaged or "
                                        "altered.")),
    ("signed with a certificate that is not", _l("The file was signed by someone else, not by this programme.")),
    ("the signature cannot be checked", _l("The digital signature cannot be checked: the file has been damaged "
                                           "or altered.")),
    ("the content was altered", _l("The content was altered after it was signed.")),
    ("content was added", _l("Content was added to the file after it was signed.")),
)


def file_verdict(reason):
    return next((text for start, text in FILE_VERDICTS if reason.startswith(start)), reason)


# --- the learner's certificates ---

@bp.route("/certificates")
@login_required
def mine():
    modules = list(course().modules.values())
    statuses = learning.module_statuses(current_user, modules)
    waiting = services.issue_missing(current_user, statuses)  # a visit retries what could not be issued before
    return render_template("certificates/mine.html", certificates=services.certificates_of(current_user),
                           waiting=[course().module(m) for m in waiting], today=services.today())


@bp.route("/certificates/<serial>.pdf")
@login_required
def download(serial):
    """The stored PDF, byte for byte as issued: for its learner, their country's authority and administrators."""
    certificate = services.by_serial(serial)
    if certificate is None or not services.may_download(current_user, certificate):
        abort(404)
    pdf = services.pdf_of(certificate)
    audit.record("certificate_downloaded", services.target(certificate), current_user, role=current_user.role)
    db.session.commit()
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{certificate.serial}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"  # each download is logged; personal data
    response.headers["ETag"] = f'"{certificate.pdf_sha256}"'
    return response


# --- verification (public) ---

@bp.route("/verify", methods=["GET", "POST"])
@verify_limit
def verify_form():
    """Type a serial (GET ?serial=, sent on to its page) or upload a PDF (POST) to check it."""
    serial_form = SerialForm(formdata=request.args if "serial" in request.args else None)
    upload_form = UploadForm()
    checked = None
    if serial_form.serial.data is not None and serial_form.validate():
        serial = normalise_serial(serial_form.serial.data)
        if serial is None:
            serial_form.serial.errors.append(_("This is not a serial number: it has 16 letters and digits, "
                                               "such as 7K3M-Q9XD-2HTF-8WRC."))
        elif not is_valid_serial(serial):
            serial_form.serial.errors.append(_("This serial number has a typing mistake: check each character "
                                               "again."))
        else:
            return redirect(url_for(".verify", serial=serial))
    if request.method == "POST" and upload_form.validate_on_submit():
        checked = check_file(upload_form.pdf.data.read())
    return render_template("certificates/verify_form.html", serial_form=serial_form, upload_form=upload_form,
                           checked=checked)


def check_file(data):
    """What the upload page says about a file: the signature's verdict and the register's status of its serial."""
    verdict = signing.verify_pdf(data, services.deployment_keys())
    certificate = services.by_serial(verdict.serial) if verdict.serial else None
    return {
        "verdict": verdict,
        "message": file_verdict(verdict.reason),
        "certificate": certificate if verdict.genuine else None,
        "claimed_serial": verdict.serial if not verdict.genuine and certificate is not None else None,
        "exact_copy": bool(certificate and hashlib.sha256(data).hexdigest() == certificate.pdf_sha256),
        "status": services.status_of(certificate) if certificate is not None and verdict.genuine else None,
    }


@bp.route("/verify/<serial>")
@verify_limit
def verify(serial):
    """A certificate's status, name, module and dates; with the QR code's ?c=, whether its signature holds."""
    qr = check_qr() if request.args.get(signing.QR_PARAMETER) else None
    certificate = services.by_serial(serial)
    if certificate is None:
        normal = normalise_serial(serial)
        problem = "format" if normal is None else ("typo" if not is_valid_serial(normal) else "unknown")
        return render_template("certificates/not_found.html", serial=normal or serial, problem=problem,
                               qr=qr, serial_form=SerialForm(formdata=None)), 404
    if qr is not None and qr["valid"]:
        signed = services.record_of(certificate).signed_fields()
        qr["differences"] = [name for name, value in signed.items() if qr["fields"].get(name) != value]
    return render_template("certificates/verify.html", certificate=certificate,
                           status=services.status_of(certificate), successor=services.successor_of(certificate),
                           qr=qr)


def check_qr():
    """The QR code's signed record, checked with this deployment's public key."""
    valid, fields = signing.verify_qr(request.url, services.deployment_keys())
    return {"valid": valid, "fields": fields or {}, "differences": []}


@bp.route("/verify/public-key.pem")
def public_key():
    """The Ed25519 public key that checks the QR codes of this programme's certificates."""
    return _public_file(signing.public_key_pem(services.deployment_keys()), "public-key.pem")


@bp.route("/verify/signing-certificate.pem")
def signing_certificate():
    """The X.509 certificate of the PDF signatures (to trust in a PDF reader)."""
    return _public_file(signing.certificate_pem(services.deployment_keys()), "signing-certificate.pem")


@bp.route("/verify/check_certificate.py")
def offline_script():
    return _public_file(OFFLINE_SCRIPT.read_text(encoding="utf-8"), "check_certificate.py", "text/x-python")


@bp.route("/verify/offline")
def offline():
    """How to check a printed certificate without this server: the public key and a short script."""
    keys = services.deployment_keys()
    return render_template("certificates/offline.html", script=OFFLINE_SCRIPT.read_text(encoding="utf-8"),
                           fingerprint=hashlib.sha256(signing.public_key_pem(keys).encode()).hexdigest(),
                           certificate_fingerprint=keys.fingerprint)


def _public_file(text, filename, mimetype="application/x-pem-file"):
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
