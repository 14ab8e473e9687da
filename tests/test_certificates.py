"""Certificates in the app: issued the moment a module is completed, once only (also under parallel requests),
rendered and stored once, downloaded byte for byte, revoked, re-issued, expired; the command line; audit rows.
Verification pages: tests/test_certificates_verify.py; the authority portal: tests/test_certificates_portal.py."""
import datetime
import shutil
import threading
from datetime import timedelta

import pytest
import zxingcpp
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from trainer.accounts.models import User
from trainer.audit import AuditEvent
from trainer.certificates import services, signing
from trainer.certificates.models import Certificate, CertificateFile
from trainer.certificates.serial import is_valid_serial
from trainer.extensions import db
from trainer.learning import services as learning
from trainer.learning.models import LessonProgress
from trainer.quiz.models import Attempt

from .certificate_helpers import (complete, complete_over_http, contains_text, page_image, path_of, pdf_text,
                                   sample_module, signed_in, valid_certificate)
from .conftest import REPO, html_text

ARABIC_NAME = "محمد عبد الرحمن الهاشمي"


@pytest.fixture
def guard(sample_app, make_user):
    return make_user("guard", full_name="Mohammed Al-Hashimi", full_name_ar=ARABIC_NAME, country="JO",
                     language="en")


def audit_rows(action, target=None):
    query = select(AuditEvent).where(AuditEvent.action == action)
    if target:
        query = query.where(AuditEvent.target == target)
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


# --- issuing ---

def test_completing_over_http_issues_the_certificate_at_once(sample_app, guard):
    browser = signed_in(sample_app, "guard")
    assert browser.get("/certificates").status_code == 200
    assert valid_certificate(guard) is None
    response = complete_over_http(browser)
    assert response.status_code == 302
    certificate = valid_certificate(guard)
    assert certificate is not None and is_valid_serial(certificate.serial)
    page = html_text(browser.get("/certificates"))
    assert certificate.serial in page and "Sample module" in page and "Valid" in page
    assert f'href="/certificates/{certificate.serial}.pdf"' in browser.get("/certificates").get_data(as_text=True)
    issued = audit_rows("certificate_issued", f"certificate:{certificate.serial}")
    assert len(issued) == 1 and issued[0].actor_id == guard.id and issued[0].details["via"] == "completion"


def test_the_certificate_states_completion_date_score_and_expiry(sample_app, guard):
    certificate = complete(sample_app, guard)
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == guard.id))
    last_lesson = db.session.scalar(select(func.max(LessonProgress.completed_at)))
    completed_at = max(attempt.submitted_at, last_lesson)
    assert certificate.completed_on == services.local_day(completed_at, "JO")
    assert certificate.score == attempt.score == 100.0
    assert certificate.expires_on == services.add_months(certificate.completed_on, 12)  # valid_months: 12
    assert certificate.module_version == 3 and certificate.module_title["ar"] == "وحدة تجريبية"
    assert certificate.full_name_ar == ARABIC_NAME and certificate.country == "JO"
    assert certificate.second_language == "en"
    assert len(certificate.pdf_sha256) == 64 and certificate.pdf_size > 10_000


def test_completion_date_is_when_the_rule_was_met_and_score_the_best_pass(sample_app, make_user):
    user = make_user("late", full_name="Late Reader", country="TN")
    module = sample_module(sample_app)
    first, second = module.lessons
    learning.mark_done(user, module, first)
    now = services.utcnow()
    from trainer.quiz import services as quizzes

    started = quizzes.start_attempt(user, module)
    answers = {item["q"]: list(item["c"]) for item in started.questions[:2]}  # two right of three: 66.67 %
    quizzes.submit_attempt(started, answers, now=now - timedelta(days=40))
    db.session.execute(update(LessonProgress).values(completed_at=now - timedelta(days=60)))
    db.session.commit()
    learning.mark_done(user, module, second)  # the rule is met now: the last lesson comes after the pass
    certificate = valid_certificate(user)
    assert certificate.score == pytest.approx(66.67)
    second_done = db.session.scalar(select(LessonProgress.completed_at).where(LessonProgress.lesson_id == "second"))
    assert certificate.completed_on == services.local_day(second_done, "TN")


def test_issuing_twice_returns_the_same_certificate(sample_app, guard):
    first = complete(sample_app, guard)
    module = sample_module(sample_app)
    again = services.issue(guard, module)
    learning.after_progress(guard, module)
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_the_database_refuses_a_second_valid_certificate(sample_app, guard):
    certificate = complete(sample_app, guard)
    twin = {c.name: getattr(certificate, c.name) for c in Certificate.__table__.columns if c.name != "id"}
    twin["serial"] = "0000-0000-0000-0000"
    with pytest.raises(IntegrityError):
        db.session.execute(Certificate.__table__.insert().values(**twin))
        db.session.flush()
    db.session.rollback()
    twin["status"] = "revoked"  # only valid ones are limited to one
    db.session.execute(Certificate.__table__.insert().values(**twin))
    db.session.commit()


def test_parallel_completions_issue_exactly_one_valid_certificate(sample_app, guard):
    """Eight threads, each with its own session and connection, complete the same module at the same moment."""
    complete(sample_app, guard, issue=False)
    assert valid_certificate(guard) is None
    module = sample_module(sample_app)
    user_id = guard.id
    db.session.remove()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def finish():
        with sample_app.app_context():
            try:
                user = db.session.get(User, user_id)
                status = learning.module_status(user, module)
                barrier.wait()
                certificate = services.issue_for_completion(user, module, status)
                results.append(certificate.serial if certificate is not None else None)
            except Exception as exc:  # reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=finish) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    valid = db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)).all()
    assert len(valid) == 1 and valid[0].status == "valid"
    assert results == [valid[0].serial] * 8  # every request got the one certificate
    assert db.session.scalar(select(func.count()).select_from(CertificateFile)) == 1
    assert len(audit_rows("certificate_issued")) == 1


def test_a_broken_template_never_fails_the_learner_and_the_certificate_comes_once_fixed(
        make_app, _schema, tmp_path, make_user):
    from .conftest import sample_tree

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "default.yaml").write_text("wording: [this is: not a template\n", encoding="utf-8")
    app = make_app(CONTENT_ROOT=str(sample_tree(tmp_path)), CERTIFICATE_TEMPLATES=str(templates))
    with app.app_context():
        try:
            user = make_user("guard", full_name="Guard One", country="JO")
            make_user("boss", role="admin")
            browser = signed_in(app, "guard")
            assert complete_over_http(browser).status_code == 302
            assert valid_certificate(user) is None
            assert "You have completed this module" in html_text(browser.get("/modules/sample"))
            page = browser.get("/certificates")
            assert page.status_code == 200 and "cannot be prepared at the moment" in html_text(page)
            dashboard = html_text(signed_in(app, "boss").get("/admin/"))
            assert "Certificates cannot be issued" in dashboard and "default.yaml" in dashboard
            shutil.copy(REPO / "certificates" / "default.yaml", templates / "default.yaml")
            page = browser.get("/certificates")  # the learner's next visit makes it
            certificate = valid_certificate(user)
            assert certificate is not None and certificate.serial in html_text(page)
        finally:
            from .conftest import _empty_tables

            _empty_tables()


def test_the_second_language_is_the_learners_choice_on_the_account_page(sample_app, guard):
    browser = signed_in(sample_app, "guard")
    page = browser.get("/account").get_data(as_text=True)
    assert 'name="certificate_language"' in page
    assert browser.post("/account", {"language": "en", "certificate_language": "fr"}).status_code == 302
    db.session.refresh(guard)
    assert guard.certificate_language == "fr" and guard.second_language == "fr"
    certificate = complete(sample_app, guard)
    assert certificate.second_language == "fr"
    pdf = services.pdf_of(certificate)
    assert contains_text(pdf, "Certificat de réussite".upper()) or contains_text(pdf, "CERTIFICAT DE RÉUSSITE")
    assert contains_text(pdf, "Module d'essai") and not contains_text(pdf, "Sample module")


# --- the PDF ---

def test_the_pdf_shows_the_arabic_name_shaped_and_its_qr_opens_a_valid_verify_page(sample_app, guard):
    certificate = complete(sample_app, guard)
    pdf = signed_in(sample_app, "guard").get(f"/certificates/{certificate.serial}.pdf").data
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "\ufee4" in text  # a medial meem: the name is shaped (contextual forms), not isolated letters
    assert contains_text(pdf, ARABIC_NAME) and contains_text(pdf, "Mohammed Al-Hashimi")
    assert contains_text(pdf, certificate.serial)
    codes = zxingcpp.read_barcodes(page_image(pdf, 150))
    assert len(codes) == 1
    url = codes[0].text
    assert url.startswith(f"http://trainer.test/verify/{certificate.serial}?c=")
    assert url == signing.qr_url(services.record_of(certificate), "http://trainer.test", services.deployment_keys())
    page = html_text(sample_app.test_client().get(path_of(url)))
    assert "Valid" in page and "The signature in this QR code is valid, and the details it carries match" in page


def test_every_download_returns_the_stored_bytes_and_is_logged(sample_app, guard):
    certificate = complete(sample_app, guard)
    browser = signed_in(sample_app, "guard")
    first = browser.get(f"/certificates/{certificate.serial}.pdf")
    second = browser.get(f"/certificates/{certificate.serial.lower()}.pdf")
    assert first.data == second.data == services.pdf_of(certificate)
    assert first.mimetype == "application/pdf" and "no-store" in first.headers["Cache-Control"]
    assert f"certificate-{certificate.serial}.pdf" in first.headers["Content-Disposition"]
    downloads = audit_rows("certificate_downloaded", f"certificate:{certificate.serial}")
    assert len(downloads) == 2 and downloads[0].actor_id == guard.id and downloads[0].details["role"] == "learner"


def test_another_learners_certificate_cannot_be_downloaded(sample_app, guard, make_user):
    certificate = complete(sample_app, guard)
    make_user("other", country="JO")
    make_user("coach", role="trainer", country="JO")
    for username in ("other", "coach"):
        assert signed_in(sample_app, username).get(f"/certificates/{certificate.serial}.pdf").status_code == 404
    anonymous = sample_app.test_client().get(f"/certificates/{certificate.serial}.pdf")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


# --- lifecycle: revoked, superseded, expired ---

def test_revocation_shows_on_the_verify_page_at_once_with_its_reason(sample_app, guard, make_user):
    certificate = complete(sample_app, guard)
    make_user("ministry", role="authority", country="JO")
    browser = signed_in(sample_app, "ministry")
    detail = browser.get(f"/authority/certificates/{certificate.serial}")
    assert detail.status_code == 200
    response = browser.post(f"/authority/certificates/{certificate.serial}/revoke",
                            {"reason": "Issued on the basis of a shared account"})
    assert response.status_code == 302
    page = html_text(sample_app.test_client().get(f"/verify/{certificate.serial}"))
    assert "Revoked" in page and "Issued on the basis of a shared account" in page
    assert "was revoked on" in page
    rows = audit_rows("certificate_revoked", f"certificate:{certificate.serial}")
    assert len(rows) == 1 and rows[0].details["reason"] == "Issued on the basis of a shared account"
    assert rows[0].actor_id == db.session.scalar(select(User.id).where(User.username == "ministry"))
    # a revoked certificate is not replaced behind the authority's back when the learner comes back
    signed_in(sample_app, "guard").get("/certificates")
    assert valid_certificate(guard) is None


def test_revoking_needs_a_reason(sample_app, guard, make_user):
    certificate = complete(sample_app, guard)
    make_user("ministry", role="authority", country="JO")
    response = signed_in(sample_app, "ministry").post(f"/authority/certificates/{certificate.serial}/revoke",
                                                      {"reason": "   "})
    assert response.status_code == 400 and "Give the reason" in html_text(response)
    db.session.refresh(certificate)
    assert certificate.status == "valid"
    with pytest.raises(services.CertificateError):
        services.revoke(certificate, None, "")


def test_a_reissue_supersedes_the_old_certificate(sample_app, guard):
    old = complete(sample_app, guard)
    guard.full_name = "Mohammed Abdulrahman Al-Hashimi"  # a corrected name
    db.session.commit()
    new, done = services.issue_current(guard, sample_module(sample_app))
    assert done == "reissued" and new.serial != old.serial
    db.session.refresh(old)
    assert old.status == "superseded" and old.superseded_by_id == new.id
    assert new.status == "valid" and new.full_name == "Mohammed Abdulrahman Al-Hashimi"
    client = sample_app.test_client()
    old_page = html_text(client.get(f"/verify/{old.serial}"))
    assert "Superseded" in old_page and "replaced on" in old_page and new.serial in old_page
    new_page = html_text(client.get(f"/verify/{new.serial}"))
    assert "Valid" in new_page and "Mohammed Abdulrahman Al-Hashimi" in new_page
    assert services.issue_current(guard, sample_module(sample_app)) == (new, "unchanged")
    assert audit_rows("certificate_superseded", f"certificate:{old.serial}")[0].details["by"] == new.serial


def test_an_administrator_reissues_from_the_portal(sample_app, guard, make_user):
    old = complete(sample_app, guard)
    guard.full_name_ar = "محمد الهاشمي"
    db.session.commit()
    make_user("boss", role="admin")
    browser = signed_in(sample_app, "boss")
    assert "name in Arabic" in html_text(browser.get(f"/authority/certificates/{old.serial}"))
    response = browser.post(f"/authority/certificates/{old.serial}/reissue", {"reason": "Arabic name corrected"})
    new = valid_certificate(guard)
    assert response.status_code == 302 and response.headers["Location"].endswith(new.serial)
    assert new.full_name_ar == "محمد الهاشمي" and contains_text(services.pdf_of(new), "محمد الهاشمي")
    make_user("ministry", role="authority", country="JO")
    refused = signed_in(sample_app, "ministry").post(f"/authority/certificates/{new.serial}/reissue")
    assert refused.status_code == 403


def test_an_expired_certificate_shows_as_expired(sample_app, guard):
    module = sample_module(sample_app)
    long_ago = services.utcnow() - timedelta(days=400)  # the sample module's certificates last 12 months
    complete(sample_app, guard, issue=False)
    db.session.execute(update(LessonProgress).values(completed_at=long_ago))
    db.session.execute(update(Attempt).values(submitted_at=long_ago))
    db.session.commit()
    certificate = services.issue(guard, module)
    assert certificate.expires_on < datetime.date.today()
    assert services.status_of(certificate) == "expired"
    page = html_text(sample_app.test_client().get(f"/verify/{certificate.serial}"))
    assert "Expired" in page and "it has expired" in page
    assert "Expired" in html_text(signed_in(sample_app, "guard").get("/certificates"))


# --- the command line ---

def cli(app, *args):
    """Run `flask certificates ...` against `app` (fixtures may have pushed another app's context)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["certificates", *args])


def test_cli_issue_revoke_and_verify(sample_app, guard, make_user, tmp_path):
    make_user("novice", country="JO")
    result = cli(sample_app, "issue", "novice", "sample")
    assert result.exit_code == 1 and "has not completed" in result.output
    complete(sample_app, guard, issue=False)
    result = cli(sample_app, "issue", "guard", "sample")
    certificate = valid_certificate(guard)
    assert result.exit_code == 0 and f"issued {certificate.serial}" in result.output
    assert audit_rows("certificate_issued")[0].details["via"] == "command line"
    result = cli(sample_app, "issue", "guard", "sample")
    assert result.exit_code == 0 and "already valid and up to date" in result.output

    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(services.pdf_of(certificate))
    result = cli(sample_app, "verify", str(pdf))
    assert result.exit_code == 0 and "genuine" in result.output and "register: valid" in result.output
    altered = bytearray(pdf.read_bytes())
    position = altered.index(b"Mohammed") if b"Mohammed" in altered else len(altered) // 3
    altered[position] ^= 0x01
    (tmp_path / "altered.pdf").write_bytes(bytes(altered))
    result = cli(sample_app, "verify", str(tmp_path / "altered.pdf"))
    assert result.exit_code == 1 and result.output.startswith("tampered")

    result = cli(sample_app, "revoke", certificate.serial.lower(), "--reason", "Test revoke")
    assert result.exit_code == 0 and f"revoked {certificate.serial}" in result.output
    row = audit_rows("certificate_revoked")[0]
    assert row.actor_id is None and row.details["via"] == "command line"
    result = cli(sample_app, "verify", str(pdf))
    assert result.exit_code == 0 and "register: revoked" in result.output and "Test revoke" in result.output
    result = cli(sample_app, "revoke", certificate.serial, "--reason", "again")
    assert result.exit_code == 1
    result = cli(sample_app, "revoke", certificate.serial)
    assert result.exit_code == 2  # --reason is required


def test_cli_init_keys_makes_keys_once(make_app, _schema, tmp_path):
    app = make_app(CERTIFICATE_KEYS_DIR=str(tmp_path / "keys"))
    first = cli(app, "init-keys", "--organisation", "Test Programme")
    assert first.exit_code == 0 and "created" in first.output
    files = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert files == sorted([signing.PDF_KEY, signing.PDF_CERT, signing.QR_KEY, signing.QR_PUBLIC])
    before = (tmp_path / "keys" / signing.QR_KEY).read_bytes()
    second = cli(app, "init-keys")
    assert second.exit_code == 0 and "already present" in second.output
    assert (tmp_path / "keys" / signing.QR_KEY).read_bytes() == before
    assert oct((tmp_path / "keys" / signing.QR_KEY).stat().st_mode & 0o777) == "0o600"


def test_issuing_works_without_a_request_and_uses_base_url(make_app, _schema, tmp_path, make_user):
    from .conftest import sample_tree

    app = make_app(CONTENT_ROOT=str(sample_tree(tmp_path)), BASE_URL="https://certificates.example.org")
    with app.app_context():
        try:
            user = make_user("guard", full_name="Guard One", country="JO")
            certificate = complete(app, user)
            codes = zxingcpp.read_barcodes(page_image(services.pdf_of(certificate)))
            assert codes[0].text.startswith(f"https://certificates.example.org/verify/{certificate.serial}?c=")
        finally:
            from .conftest import _empty_tables

            _empty_tables()
