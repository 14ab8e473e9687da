"""The learner journey: catalogue, module page in plain words, lessons with previous/next and "mark as done",
resuming where the learner left off."""
from sqlalchemy import select

from trainer.extensions import db
from trainer.learning.models import LessonProgress

from .conftest import Browser, html_text


def test_pages_need_signing_in(browser):
    response = browser.get("/modules/child-sensitive-borders")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_catalogue_lists_the_course_with_status(browser, learner):
    browser.login("learner")
    text = html_text(browser.get("/modules"))
    for title in ("Child-sensitive practices at borders", "Anti-racism"):
        assert title in text
    assert text.count("Not started") == 5


def test_a_learner_reads_every_lesson_and_sees_the_module_status_change(sample_app, make_user):
    make_user("guard")
    browser = Browser(sample_app.test_client())
    browser.login("guard")
    page = html_text(browser.get("/modules/sample"))
    assert "2 lessons left" in page and "quiz not taken yet" in page
    lesson = browser.get("/modules/sample/lessons/first")
    html = lesson.get_data(as_text=True)
    assert "<h3>Heading</h3>" in html and 'rel="noopener noreferrer"' in html
    assert "Mark as done and continue" in html and "/glossary" in html
    response = browser.post("/modules/sample/lessons/first/done")
    assert response.headers["Location"].endswith("/modules/sample/lessons/second")
    second = browser.get("/modules/sample/lessons/second")
    assert 'rel="prev"' in second.get_data(as_text=True)
    browser.post("/modules/sample/lessons/second/done")
    page = html_text(browser.get("/modules/sample"))
    assert "lessons left" not in page and "quiz not taken yet" in page
    assert "2 of 2 lessons done" in page


def test_the_learner_resumes_where_they_left_off(sample_app, make_user):
    make_user("guard")
    browser = Browser(sample_app.test_client())
    browser.login("guard")
    browser.get("/modules/sample/lessons/second")
    catalogue = browser.get("/modules").get_data(as_text=True)
    assert "Continue where you left off" in catalogue
    assert 'href="/modules/sample/lessons/second"' in catalogue


def test_marking_done_twice_keeps_one_row_and_the_first_date(sample_app, make_user):
    user = make_user("guard")
    browser = Browser(sample_app.test_client())
    browser.login("guard")
    browser.post("/modules/sample/lessons/first/done")
    first = db.session.scalar(select(LessonProgress.completed_at))
    browser.post("/modules/sample/lessons/first/done")
    rows = db.session.scalars(select(LessonProgress).where(LessonProgress.user_id == user.id)).all()
    assert len(rows) == 1 and rows[0].completed_at == first


def test_unknown_module_and_lesson_are_404_pages(browser, learner):
    browser.login("learner")
    for url in ("/modules/nope", "/modules/child-sensitive-borders/lessons/nope", "/modules/nope/lessons/x"):
        response = browser.get(url)
        assert response.status_code == 404
        assert "Page not found" in html_text(response)


def test_glossary_is_in_three_languages(browser, learner):
    browser.login("learner")
    html = browser.get("/glossary").get_data(as_text=True)
    assert 'id="non-refoulement"' in html
    assert "عدم الإعادة القسرية" in html
