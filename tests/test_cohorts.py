"""The trainer workspace over HTTP, as trainers and administrators use it: importing a class from CSV (preview,
fix, confirm, one-time codes that work), managing learners by hand, who may open what, creating cohorts."""
import base64
import functools
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from trainer.accounts.models import User
from trainer.audit import AuditEvent
from trainer.cohorts.models import Cohort, CohortLearner, CohortModule
from trainer.extensions import db
from trainer.timeutil import utcnow

from .cohort_helpers import make_cohort as new_cohort
from .cohort_helpers import module, read_lessons, take_quiz
from .conftest import Browser, html_text

HEADER = "username,full_name,full_name_ar,country,agency,language,email\n"


def _upload(browser, cohort, text, **fields):
    data = {"file": (io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text), "class.csv"),
            "default_country": fields.get("country", ""), "default_language": fields.get("language", "ar")}
    return browser.post(f"/trainer/cohorts/{cohort.id}/import", data, content_type="multipart/form-data")


def _token(response):
    match = re.search(r'name="token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def _codes(response):
    """{username: code} from the printable sheet."""
    html = response.get_data(as_text=True)
    return dict(re.findall(r'<section class="slip" aria-label="([^"]+)">.*?<dt>One-time code</dt><dd class="code">'
                           r'([A-Z0-9-]+)</dd>', html, flags=re.S))


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def make_cohort(sample_app):
    """Cohorts on the sample course (the test's current app is the real course: make_user pushes it)."""
    return functools.partial(new_cohort, app=sample_app)


@pytest.fixture
def trainer(make_user):
    return make_user("karim", role="trainer", full_name="Karim Mansour", country="JO")


@pytest.fixture
def trainer_browser(sample_app, trainer):
    browser = Browser(sample_app.test_client())
    browser.login("karim")
    return browser


def test_import_with_a_bad_row_then_fixed_creates_learners_who_sign_in_with_their_codes(
        sample_app, trainer, trainer_browser, make_cohort):
    cohort = make_cohort(trainers=[trainer])
    bad = (HEADER + "salma.aziz,Salma Aziz,سلمى عزيز,JO,Border Police,ar,\n"
           "yousef.naser,Yousef Naser,يوسف ناصر,XX,Border Police,ar,\n"
           "omar.h,Omar Haddad,,JO,Airport Police,en,omar@example.org\n")
    preview = _upload(trainer_browser, cohort, bad)
    assert preview.status_code == 200
    text = html_text(preview)
    assert "Line 3 ( yousef.naser ): country 'XX' is not an ISO 3166 two-letter country code" in text
    assert "Nothing has been written" in text and "1 bad row" in text
    assert _token(preview) is None and "/import/confirm" not in preview.get_data(as_text=True)
    assert _count(User) == 1 and _count(CohortLearner) == 0  # only the trainer

    preview = _upload(trainer_browser, cohort, bad.replace(",XX,", ",JO,"))
    text = html_text(preview)
    assert "3 new learners" in text and text.count("Create and enrol") == 3 and "bad row" not in text
    assert _count(User) == 1  # a preview writes nothing

    sheet = trainer_browser.post(f"/trainer/cohorts/{cohort.id}/import/confirm", {"token": _token(preview)})
    assert sheet.status_code == 200 and sheet.headers["Cache-Control"] == "no-store"
    codes = _codes(sheet)
    assert set(codes) == {"salma.aziz", "yousef.naser", "omar.h"}
    assert "shown only this once" in html_text(sheet) and "سلمى عزيز" in sheet.get_data(as_text=True)
    # The same codes as a CSV file, from a data: link (nothing kept in clear on the server).
    link = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)" download="([^"]+)"',
                     sheet.get_data(as_text=True))
    listing = base64.b64decode(link.group(1))
    assert link.group(2).endswith(".csv") and listing.startswith(b"\xef\xbb\xbf")
    assert "سلمى عزيز" in listing.decode("utf-8") and codes["salma.aziz"] in listing.decode("utf-8")

    salma = db.session.scalar(select(User).where(User.username == "salma.aziz"))
    assert (salma.role, salma.full_name_ar, salma.country, salma.language, salma.password_hash) == \
        ("learner", "سلمى عزيز", "JO", "ar", None)
    assert _count(CohortLearner) == 3
    for username, code in codes.items():
        learner = Browser(sample_app.test_client())
        response = learner.login(username, code)
        assert response.headers["Location"] == "/account/password", username
        assert learner.get("/modules").headers["Location"] == "/account/password"
        assert learner.post("/account/password", {"password": "my own secret", "confirm": "my own secret"}
                            ).status_code == 302
        assert learner.get("/modules").status_code == 200
    assert "Salma Aziz" in html_text(trainer_browser.get(f"/trainer/cohorts/{cohort.id}"))


def test_a_confirmation_that_no_longer_matches_the_preview_writes_nothing(sample_app, trainer, trainer_browser,
                                                                          make_user, make_cohort):
    cohort = make_cohort(trainers=[trainer])
    preview = _upload(trainer_browser, cohort, HEADER + "nadia.k,Nadia Khoury,,JO,,en,\nrami.s,Rami Saleh,,JO,,en,\n")
    token = _token(preview)
    make_user("rami.s", role="trainer")  # meanwhile an administrator gives this username to a trainer
    response = trainer_browser.post(f"/trainer/cohorts/{cohort.id}/import/confirm", {"token": token})
    text = html_text(response)
    assert "Something changed since the preview" in text
    assert "rami.s has the role “Trainer”, not learner" in text
    assert db.session.scalar(select(User).where(User.username == "nadia.k")) is None
    assert _count(CohortLearner) == 0


def test_a_tampered_or_foreign_confirmation_is_refused(sample_app, trainer, trainer_browser, make_user, make_cohort):
    mine = make_cohort("Mine", trainers=[trainer])
    other_trainer = make_user("sophie", role="trainer")
    theirs = make_cohort("Theirs", trainers=[other_trainer, trainer])
    token = _token(_upload(trainer_browser, theirs, HEADER + "nadia.k,Nadia Khoury,,JO,,en,\n"))
    # A preview made for one cohort cannot be confirmed into another.
    assert trainer_browser.post(f"/trainer/cohorts/{mine.id}/import/confirm", {"token": token}).status_code == 400
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = trainer_browser.post(f"/trainer/cohorts/{theirs.id}/import/confirm", {"token": altered},
                                    follow_redirects=True)
    assert "too old or was altered" in html_text(response)
    assert db.session.scalar(select(User).where(User.username == "nadia.k")) is None


@pytest.mark.parametrize("content,message", [
    ("username;full_name\nsalma;Salma Aziz\n".encode("cp1256") + "سلمى".encode("cp1256"), "not UTF-8 text"),
    ("name,surname\nSalma,Aziz\n".encode(), "The first line must name the columns"),
    ("username,fullname\nsalma,Salma\n".encode(), "Required column missing from the first line: full_name"),
    (HEADER.encode(), "no learner rows"),
    (b"", "The file is empty"),
    ("username,full_name\n".encode("utf-16"), "UTF-16"),
    ((HEADER + "".join(f"l{i:05d},Learner {i},,JO,,ar,\n" for i in range(5001))).encode(), "more than 5,000"),
])
def test_a_malformed_file_gets_a_clear_message_and_writes_nothing(sample_app, trainer, trainer_browser, content,
                                                                  message, make_cohort):
    cohort = make_cohort(trainers=[trainer])
    response = _upload(trainer_browser, cohort, content)
    assert response.status_code == 200
    assert message in html_text(response)
    assert _count(User) == 1 and _count(CohortLearner) == 0


def test_an_upload_over_the_size_limit_is_a_413_page_not_a_500(make_app, _schema, make_user):
    app = make_app(MAX_CONTENT_LENGTH=2048)
    with app.app_context():
        trainer = make_user("karim", role="trainer")
        cohort = new_cohort(trainers=[trainer], modules=())
        browser = Browser(app.test_client())
        browser.login("karim")
        response = _upload(browser, cohort, HEADER + "x" * 5000)
        assert response.status_code == 413 and "File too large" in html_text(response)


def test_an_existing_trainer_account_in_the_file_is_a_bad_row(sample_app, trainer, trainer_browser, make_user,
                                                             make_cohort):
    make_user("amal", role="admin")
    cohort = make_cohort(trainers=[trainer])
    text = html_text(_upload(trainer_browser, cohort, HEADER + "karim,Karim Mansour,,JO,,en,\namal,Amal,,,,en,\n"))
    assert "Line 2 ( karim ): username karim has the role “Trainer”, not learner" in text
    assert "Line 3 ( amal ): username amal has the role “Administrator”, not learner" in text


def test_existing_learners_are_enrolled_and_only_their_own_trainer_may_change_their_details(
        sample_app, trainer, trainer_browser, make_user, make_cohort):
    omar = make_user("omar", full_name="Omar Haddad", country="JO")
    lina = make_user("lina", full_name="Lina Saleh", country="JO")
    first = make_cohort("First", trainers=[trainer], learners=[omar])
    second = make_cohort("Second", trainers=[trainer])
    preview = _upload(trainer_browser, second, HEADER + "omar,Omar Al-Haddad,,,,,\nlina,Lina S.,,,,,\n")
    text = html_text(preview)
    assert "Update and enrol" in text and "full_name Omar Haddad → Omar Al-Haddad" in text
    assert "their details differ from the file (full_name) and are kept" in text  # Lina: not my learner yet
    trainer_browser.post(f"/trainer/cohorts/{second.id}/import/confirm", {"token": _token(preview)})
    db.session.expire_all()
    assert omar.full_name == "Omar Al-Haddad" and lina.full_name == "Lina Saleh"
    # A learner may be in several cohorts.
    assert set(db.session.scalars(select(CohortLearner.cohort_id).where(CohortLearner.user_id == omar.id))) == \
        {first.id, second.id}


def test_add_a_learner_by_hand_new_then_existing(sample_app, trainer, trainer_browser, make_user, make_cohort):
    cohort = make_cohort(trainers=[trainer])
    bad = trainer_browser.post(f"/trainer/cohorts/{cohort.id}/learners/new",
                               {"username": "Bad Name", "full_name": "X", "country": "JO", "language": ""})
    assert "2 to 64 characters" in html_text(bad) and _count(CohortLearner) == 0
    sheet = trainer_browser.post(f"/trainer/cohorts/{cohort.id}/learners/new",
                                 {"username": "hala", "full_name": "Hala Masri", "full_name_ar": "هالة المصري",
                                  "country": "JO", "agency": "", "language": "", "email": ""})
    code = _codes(sheet)["hala"]
    hala = db.session.scalar(select(User).where(User.username == "hala"))
    assert hala.language == "ar" and hala.full_name_ar == "هالة المصري"
    assert Browser(sample_app.test_client()).login("hala", code).headers["Location"] == "/account/password"
    make_user("khaled", full_name="Khaled Obeidat")
    response = trainer_browser.post(f"/trainer/cohorts/{cohort.id}/learners/new",
                                    {"username": "khaled", "country": "", "language": ""}, follow_redirects=True)
    assert "Khaled Obeidat is enrolled" in html_text(response)
    assert _count(CohortLearner) == 2


def test_remove_a_learner_and_issue_a_new_code(sample_app, trainer, trainer_browser, make_user, make_cohort):
    omar = make_user("omar", full_name="Omar Haddad")
    cohort = make_cohort(trainers=[trainer], learners=[omar])
    first = _codes(trainer_browser.post(f"/trainer/cohorts/{cohort.id}/learners/{omar.id}/code"))["omar"]
    second = _codes(trainer_browser.post(f"/trainer/cohorts/{cohort.id}/learners/{omar.id}/code"))["omar"]
    assert first != second
    assert "Wrong" in html_text(Browser(sample_app.test_client()).login("omar", first))  # the earlier code stops
    assert Browser(sample_app.test_client()).login("omar", second).headers["Location"] == "/account/password"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "login_code_issued", AuditEvent.actor_id == trainer.id)) == 2
    confirm = trainer_browser.get(f"/trainer/cohorts/{cohort.id}/learners/{omar.id}/remove")
    assert "Remove" in html_text(confirm) and _count(CohortLearner) == 1
    trainer_browser.post(f"/trainer/cohorts/{cohort.id}/learners/{omar.id}/remove")
    assert _count(CohortLearner) == 0 and db.session.get(User, omar.id) is not None
    assert trainer_browser.get(f"/trainer/cohorts/{cohort.id}/learners/{omar.id}").status_code == 404


def test_another_trainers_cohort_learners_and_exports_are_404(sample_app, trainer, trainer_browser, make_user,
                                                              make_cohort):
    sophie = make_user("sophie", role="trainer")
    omar = make_user("omar")
    theirs = make_cohort("Tunis", trainers=[sophie], learners=[omar])
    mine = make_cohort("Amman", trainers=[trainer])
    base = f"/trainer/cohorts/{theirs.id}"
    for url in (base, f"{base}/export.csv", f"{base}/export.xlsx", f"{base}/learners/{omar.id}", f"{base}/import",
                f"{base}/learners/new", f"{base}/analysis/sample", f"{base}/analysis/sample/export.csv",
                f"{base}/analysis/sample/export.xlsx", f"{base}/learners/{omar.id}/remove"):
        assert trainer_browser.get(url).status_code == 404, url
    for url in (f"{base}/learners/{omar.id}/code", f"{base}/learners/{omar.id}/remove", f"{base}/import/confirm"):
        assert trainer_browser.post(url, {"token": "x"}).status_code == 404, url
    # A learner id outside my cohort, even a real one, is a 404 and changes nothing.
    mine_base = f"/trainer/cohorts/{mine.id}/learners/{omar.id}"
    assert trainer_browser.get(mine_base).status_code == 404
    assert trainer_browser.post(f"{mine_base}/code").status_code == 404
    assert trainer_browser.post(f"{mine_base}/remove").status_code == 404
    db.session.expire_all()
    assert omar.login_code_hash is None and _count(CohortLearner) == 1
    listing = html_text(trainer_browser.get("/trainer/cohorts"))
    assert "Amman" in listing and "Tunis" not in listing
    assert trainer_browser.get("/trainer/cohorts/999999").status_code == 404


def test_learners_and_authorities_may_not_open_the_workspace(sample_app, trainer, make_user, make_cohort):
    omar = make_user("omar")
    make_user("rania", role="authority", country="JO")
    cohort = make_cohort(trainers=[trainer], learners=[omar])
    for username in ("omar", "rania"):
        browser = Browser(sample_app.test_client())
        browser.login(username)
        for url in ("/trainer/cohorts", f"/trainer/cohorts/{cohort.id}", f"/trainer/cohorts/{cohort.id}/export.csv",
                    "/trainer/analysis/sample"):
            assert browser.get(url).status_code == 403, (username, url)
    assert Browser(sample_app.test_client()).get("/trainer/cohorts").headers["Location"].startswith("/login")


def test_admins_see_every_cohort_and_the_all_learners_analysis(sample_app, trainer, trainer_browser, make_user,
                                                               make_cohort):
    make_user("amal", role="admin")
    make_cohort("Amman", trainers=[trainer])
    make_cohort("Tunis", trainers=[make_user("sophie", role="trainer")])
    admin = Browser(sample_app.test_client())
    admin.login("amal")
    listing = html_text(admin.get("/trainer/cohorts"))
    assert "Amman" in listing and "Tunis" in listing and "Question analysis for all learners" in listing
    assert admin.get("/trainer/analysis/sample").status_code == 200
    assert trainer_browser.get("/trainer/analysis/sample").status_code == 403
    assert trainer_browser.get("/trainer/cohorts/new").status_code == 403


def test_an_administrator_creates_a_cohort_with_trainers_modules_and_due_dates(sample_app, trainer, make_user):
    make_user("amal", role="admin")
    admin = Browser(sample_app.test_client())
    admin.login("amal")
    form = admin.get("/trainer/cohorts/new")
    assert 'name="modules-0-module_id" type="hidden" value="sample"' in form.get_data(as_text=True)
    due = (utcnow() + timedelta(days=10)).date()
    response = admin.post("/trainer/cohorts/new", {
        "name": "Aqaba port, June", "country": "JO", "agency": "Border Police", "starts_on": "2026-06-01",
        "ends_on": "2026-05-01", "trainers": [str(trainer.id)], "modules-0-module_id": "sample",
        "modules-0-assigned": "y", "modules-0-due_on": due.isoformat()})
    assert "The end date is before the start date" in html_text(response) and _count(Cohort) == 0
    response = admin.post("/trainer/cohorts/new", {
        "name": "Aqaba port, June", "country": "JO", "agency": "Border Police", "starts_on": "2026-06-01",
        "ends_on": "2026-07-01", "trainers": [str(trainer.id)], "modules-0-module_id": "sample",
        "modules-0-assigned": "y", "modules-0-due_on": due.isoformat()})
    cohort = db.session.scalar(select(Cohort))
    assert response.headers["Location"] == f"/trainer/cohorts/{cohort.id}"
    assert [t.username for t in cohort.trainers] == ["karim"]
    assert [(m.module_id, m.due_on) for m in cohort.modules] == [("sample", due)]
    # The edit form shows each module once, ticked, with its due date; saving it unchanged keeps everything.
    edit = admin.get(f"/trainer/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert len(re.findall(r'name="modules-\d+-module_id"', edit)) == 1
    assert re.search(r'<input [^>]*\bchecked id="modules-0-assigned"', edit)
    assert f'value="{due.isoformat()}"' in edit and 'value="Aqaba port, June"' in edit
    admin.post(f"/trainer/cohorts/{cohort.id}/edit", {
        "name": "Aqaba port, June", "country": "JO", "agency": "Border Police", "starts_on": "2026-06-01",
        "ends_on": "2026-07-01", "trainers": [str(trainer.id)], "modules-0-module_id": "sample",
        "modules-0-assigned": "y", "modules-0-due_on": due.isoformat()})
    db.session.expire_all()
    assert [(m.module_id, m.due_on) for m in cohort.modules] == [("sample", due)]
    # A tampered module id is refused and writes nothing.
    tampered = admin.post(f"/trainer/cohorts/{cohort.id}/edit", {
        "name": "Renamed", "trainers": [str(trainer.id)], "modules-0-module_id": "no-such-module",
        "modules-0-assigned": "y"})
    assert tampered.status_code == 400
    db.session.expire_all()
    assert cohort.name == "Aqaba port, June"
    # A trainer id that is not a trainer (here: a learner) is not a valid choice.
    learner = make_user("omar")
    refused = admin.post(f"/trainer/cohorts/{cohort.id}/edit", {
        "name": "Renamed", "trainers": [str(learner.id)], "modules-0-module_id": "sample"})
    assert "is not a valid choice" in html_text(refused)
    db.session.expire_all()
    assert [t.username for t in cohort.trainers] == ["karim"] and cohort.name == "Aqaba port, June"
    # The trainer now finds it on their home page.
    trainer_browser = Browser(sample_app.test_client())
    assert trainer_browser.login("karim").headers["Location"] == "/trainer/cohorts"
    assert "Aqaba port, June" in html_text(trainer_browser.get("/trainer/cohorts"))
    assert db.session.scalar(select(func.count()).select_from(CohortModule)) == 1


def test_learner_detail_shows_each_attempt_with_questions_answers_and_score(sample_app, trainer, trainer_browser,
                                                                            make_user, make_cohort):
    omar = make_user("omar", full_name="Omar Haddad", full_name_ar="عمر حداد")
    cohort = make_cohort(trainers=[trainer], learners=[omar])
    sample = module(sample_app)
    read_lessons(omar, sample)
    attempt = take_quiz(omar, sample, right=1, when=utcnow() - timedelta(hours=2))
    page = trainer_browser.get(f"/trainer/cohorts/{cohort.id}/learners/{omar.id}")
    text = html_text(page)
    assert "attempt 1" in text and "33.3 %" in text and "Not passed" in text
    assert "1 of 3 questions answered correctly" in text
    assert text.count("Correct") == 1 and text.count("Incorrect") == 2  # badges per question
    chosen = len(attempt.questions[0]["c"]) + 2  # the first question answered right (two options if multiple)
    correct = sum(len(item["c"]) for item in attempt.questions)
    assert text.count("(chosen)") == chosen and text.count("(correct answer)") == correct
    shown = [item["q"] for item in attempt.questions]
    prompts = {"s1": "Single question 1?", "s2": "Single question 2?", "s3": "Single question 3?",
               "m1": "Pick the two right ones.", "tf1": "This statement is true."}
    for qid in shown:
        assert prompts[qid] in text
    arabic = html_text(trainer_browser.get(f"/trainer/cohorts/{cohort.id}/learners/{omar.id}?lang=ar"))
    assert "عمر حداد" in arabic and any(p in arabic for p in ("سؤال فردي", "اختر الإجابتين", "هذه العبارة"))


@pytest.mark.parametrize("lang,direction", [("ar", "rtl"), ("en", "ltr"), ("fr", "ltr")])
def test_every_workspace_page_works_in_each_language_without_javascript(sample_app, trainer, make_user, lang,
                                                                        direction, make_cohort):
    make_user("amal", role="admin", language=lang)
    omar = make_user("omar", full_name="Omar Haddad", full_name_ar="عمر حداد")
    cohort = make_cohort(trainers=[trainer], learners=[omar])
    take_quiz(omar, module(sample_app), right=2)
    browser = Browser(sample_app.test_client())
    browser.login("amal")
    base = f"/trainer/cohorts/{cohort.id}"
    for url in ("/trainer/cohorts", base, f"{base}?module=sample", f"{base}/learners/{omar.id}", f"{base}/import",
                f"{base}/learners/new", f"{base}/analysis/sample", f"{base}/edit", "/trainer/cohorts/new",
                "/trainer/analysis/sample", f"{base}/learners/{omar.id}/remove"):
        page = browser.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, url
        assert f'<html lang="{lang}" dir="{direction}">' in html, url
        assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", ""), url
        assert '<bdi>Omar Haddad</bdi>' in html or "Omar Haddad" not in html, url
