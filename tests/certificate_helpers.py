"""Helpers shared by the certificate tests: completing the sample module, reading PDFs and ZIPs."""
import io
import re
import unicodedata

import pypdfium2 as pdfium
from pypdf import PdfReader
from sqlalchemy import select

from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.learning import services as learning
from trainer.quiz import services as quizzes
from trainer.quiz.models import Attempt

from .conftest import Browser


def sample_module(app):
    return app.extensions["trainer.content"].module("sample")


def complete(app, user, issue=True):
    """Mark every lesson of the sample module done and pass its quiz; return the learner's valid certificate.

    With issue=False the completion is recorded without the after-progress hook, so no certificate exists yet.
    """
    module = sample_module(app)
    for lesson in module.lessons:
        learning.mark_done(user, module, lesson)  # the quiz is not passed yet: no certificate here
    attempt = quizzes.start_attempt(user, module)
    quizzes.submit_attempt(attempt, {item["q"]: list(item["c"]) for item in attempt.questions})
    if issue:
        learning.after_progress(user, module)
    return valid_certificate(user)


def valid_certificate(user, module_id="sample"):
    return db.session.scalar(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.module_id == module_id, Certificate.status == "valid"))


def complete_over_http(browser):
    """What a learner does in the browser: both lessons marked done, then a quiz attempt with every answer right."""
    for lesson in ("first", "second"):
        assert browser.post(f"/modules/sample/lessons/{lesson}/done").status_code == 302
    assert browser.post("/modules/sample/quiz/start").status_code == 302
    attempt = db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))
    answers = {f"q-{item['q']}": [str(item["o"].index(o)) for o in item["c"]] for item in attempt.questions}
    return browser.post(f"/modules/sample/quiz/attempts/{attempt.number}", answers)


def signed_in(app, username):
    browser = Browser(app.test_client())
    assert browser.login(username).status_code == 302
    return browser


def pdf_text(pdf):
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def contains_text(pdf, wanted):
    """True when `wanted` is in the PDF's text after NFKC normalisation (shaped Arabic is extracted in
    presentation forms, and in visual order: each line is also tried reversed)."""
    wanted = unicodedata.normalize("NFKC", wanted)
    for line in pdf_text(pdf).splitlines():
        for candidate in (line, line[::-1]):
            if wanted in unicodedata.normalize("NFKC", candidate):
                return True
    return False


def page_image(pdf, dpi=150):
    return pdfium.PdfDocument(pdf)[0].render(scale=dpi / 72).to_pil()


def path_of(url):
    """The path and query of an absolute URL (to open it with the test client)."""
    return re.sub(r"^https?://[^/]+", "", url)
