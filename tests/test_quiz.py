"""The quiz engine: server-side draw and grading, no answer keys in the page, attempt limits, waiting times,
double and parallel submissions."""
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from trainer.extensions import db
from trainer.quiz import services
from trainer.quiz.models import Attempt, Response
from trainer.quiz.types import QUESTION_TYPES

from .conftest import Browser, html_text


def test_grading_per_type():
    single, multiple, true_false = (QUESTION_TYPES[t] for t in ("single", "multiple", "true_false"))
    assert single.grade(["a"], ["a"]) == 1.0
    assert single.grade(["a"], ["b"]) == 0.0
    assert single.grade(["a"], ["a", "b"]) == 0.0  # a tampered form sending two answers
    assert multiple.grade(["a", "b"], ["b", "a"]) == 1.0
    assert multiple.grade(["a", "b"], ["a"]) == 0.0
    assert multiple.grade(["a", "b"], ["a", "b", "c"]) == 0.0
    assert multiple.grade(["a", "b"], []) == 0.0
    assert true_false.grade(["f"], ["f"]) == 1.0
    assert true_false.grade(["f"], ["t"]) == 0.0


def test_grade_counts_unknown_options_as_wrong():
    questions = [{"q": "s1", "t": "single", "o": ["a", "b"], "c": ["a"]},
                 {"q": "m1", "t": "multiple", "o": ["a", "b", "c"], "c": ["a", "b"]}]
    scores, points, percent = services.grade(questions, {"s1": ["zzz"], "m1": ["a", "b"]})
    assert scores == {"s1": 0.0, "m1": 1.0} and points == 1.0 and percent == 50.0


def _open_quiz(browser, module_id="sample"):
    page = browser.get(f"/modules/{module_id}/quiz")
    if b"/quiz/start" in page.data:
        browser.post(f"/modules/{module_id}/quiz/start")
        page = browser.get(f"/modules/{module_id}/quiz")
    return page


def _shown(page):
    """[(question id, [option values in the order shown])] and the form's action."""
    html = page.get_data(as_text=True)
    order = []
    for qid, value in re.findall(r'name="q-([^"]+)" value="([^"]+)"', html):
        if not order or order[-1][0] != qid:
            order.append((qid, []))
        order[-1][1].append(value)
    action = re.search(r'action="([^"]*/quiz/attempts/\d+)"', html).group(1)
    return order, action


def _answers(right=True):
    """Form answers for the open (or latest) attempt: all right, or all wrong."""
    attempt = db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))
    answers = {}
    for item in attempt.questions:
        wanted = item["c"] if right else [next(o for o in item["o"] if o not in item["c"])]
        answers[f"q-{item['q']}"] = [str(item["o"].index(o)) for o in wanted]
    return answers


@pytest.fixture
def sample_browser(sample_app, make_user):
    make_user("guard", full_name="Guard One", country="JO")
    browser = Browser(sample_app.test_client())
    browser.login("guard")
    return browser


def test_the_draw_is_stored_and_a_reload_shows_the_same_attempt(sample_browser):
    first = _open_quiz(sample_browser)
    again = sample_browser.get("/modules/sample/quiz")
    assert _shown(first) == _shown(again)
    order, _ = _shown(first)
    assert len(order) == 3  # questions_per_attempt
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_draws_and_option_orders_vary_between_attempts(sample_app, make_user):
    attempts = []
    for i in range(12):
        user = make_user(f"g{i}")
        attempts.append(services.start_attempt(user, sample_app.extensions["trainer.content"].module("sample")))
    draws = {tuple(item["q"] for item in a.questions) for a in attempts}
    orders = {tuple(item["o"]) for a in attempts for item in a.questions if item["q"] == "s1"}
    assert len(draws) > 1 and len(orders) > 1


def test_quiz_page_holds_no_answer_key_feedback_or_explanation(sample_browser):
    html = _open_quiz(sample_browser).get_data(as_text=True)
    assert "Single question" in html or "Pick the two" in html or "This statement" in html
    for secret in ("FEEDBACK", "EXPLANATION", "Right answer\" data"):
        assert secret not in html, secret
    assert not re.search(r"<[^>]*correct[^>]*>", html)  # no attribute, class or id mentions correctness
    hidden = re.findall(r'<input[^>]*type="hidden"[^>]*>', html)
    assert hidden and all('name="csrf_token"' in tag for tag in hidden)  # no hidden field but the CSRF token
    # Option values are positions in the shuffled order, never the authored ids (the bank's right one is "a").
    order, _ = _shown(_open_quiz(sample_browser))
    assert all(values == [str(i) for i in range(len(values))] for _, values in order)


def test_a_tampered_answer_value_counts_as_wrong_not_as_an_error(sample_browser):
    order, action = _shown(_open_quiz(sample_browser))
    answers = _answers(right=True)
    answers[f"q-{order[0][0]}"] = ["a"]  # an authored id instead of a position
    answers[f"q-{order[1][0]}"] = ["99"]
    response = sample_browser.post(action, answers, follow_redirects=True)
    assert response.status_code == 200
    attempt = db.session.scalar(select(Attempt))
    assert attempt.points == 1.0


def test_submitting_shows_score_feedback_explanation_and_lesson_link(sample_browser):
    order, action = _shown(_open_quiz(sample_browser))
    response = sample_browser.post(action, _answers(right=True), follow_redirects=True)
    text = html_text(response)
    assert "100 %" in text and "Passed" in text
    assert "FEEDBACK-" in text and "EXPLANATION-" in text
    assert "/modules/sample/lessons/" in response.get_data(as_text=True)
    attempt = db.session.scalar(select(Attempt))
    assert attempt.status == "graded" and attempt.passed and attempt.score == 100.0
    assert attempt.module_version == 3 and len(attempt.content_hash) == 64


def test_a_failed_attempt_says_why_and_when_to_retry(sample_browser):
    order, action = _shown(_open_quiz(sample_browser))
    response = sample_browser.post(action, _answers(right=False), follow_redirects=True)
    text = html_text(response)
    assert "0 %" in text and "Not passed" in text
    assert "next attempt possible at" in text
    assert "2 lessons left" in text


def test_double_submission_grades_once(sample_browser):
    order, action = _shown(_open_quiz(sample_browser))
    first = sample_browser.post(action, _answers(right=False))
    second = sample_browser.post(action, _answers(right=True), follow_redirects=True)
    assert first.status_code == 302
    assert "already been submitted" in html_text(second)
    attempts = db.session.scalars(select(Attempt)).all()
    assert len(attempts) == 1 and attempts[0].score == 0.0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 3


def test_retry_waiting_time_and_attempt_limit_are_enforced(sample_app, make_user):
    module = sample_app.extensions["trainer.content"].module("sample")
    user = make_user("tester")
    now = services.utcnow()
    attempt = services.start_attempt(user, module, now=now)
    services.submit_attempt(attempt, {}, now=now)
    with pytest.raises(services.QuizClosed) as closed:
        services.start_attempt(user, module, now=now + timedelta(minutes=29))
    assert closed.value.reason == "wait"
    assert closed.value.next_attempt_at == now + timedelta(minutes=30)
    second = services.start_attempt(user, module, now=now + timedelta(minutes=31))
    services.submit_attempt(second, {}, now=now + timedelta(minutes=32))
    with pytest.raises(services.QuizClosed) as closed:
        services.start_attempt(user, module, now=now + timedelta(days=1))
    assert closed.value.reason == "no_attempts_left"


def test_starting_past_the_limit_over_http_is_refused(sample_browser):
    for _ in range(2):
        order, action = _shown(_open_quiz(sample_browser))
        sample_browser.post(action, _answers(right=False))
        # Skip the waiting time: move the last submission back an hour.
        attempt = db.session.scalar(select(Attempt).order_by(Attempt.number.desc()))
        attempt.submitted_at = attempt.submitted_at - timedelta(hours=1)
        db.session.commit()
    overview = sample_browser.get("/modules/sample/quiz")
    assert "/quiz/start" not in overview.get_data(as_text=True)
    assert "no quiz attempts left" in html_text(overview)
    refused = sample_browser.post("/modules/sample/quiz/start", follow_redirects=True)
    assert "used all your attempts" in html_text(refused)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 2


def test_parallel_starts_and_submissions_never_exceed_max_attempts(sample_app, make_user):
    """Eight threads, each its own connection, race to start and submit attempts: at most two ever exist."""
    module = sample_app.extensions["trainer.content"].module("sample")
    user_id = make_user("racer").id
    db.session.remove()
    barrier = threading.Barrier(8)
    errors = []

    def race():
        with sample_app.app_context():
            try:
                from trainer.accounts.models import User

                user = db.session.get(User, user_id)
                barrier.wait()
                for _ in range(3):
                    try:
                        attempt = services.start_attempt(user, module, now=services.utcnow() + timedelta(hours=5))
                    except services.QuizClosed:
                        continue
                    services.submit_attempt(attempt, {}, now=services.utcnow() - timedelta(hours=5))
            except Exception as exc:  # reported below: the test must see any failure in a thread
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = db.session.scalars(select(Attempt.number).where(Attempt.user_id == user_id)).all()
    assert sorted(numbers) == [1, 2]
    graded = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.status == "graded"))
    assert graded == 2


def test_parallel_submissions_of_one_attempt_grade_it_once(sample_app, make_user):
    module = sample_app.extensions["trainer.content"].module("sample")
    user = make_user("twin")
    attempt_id = services.start_attempt(user, module).id
    db.session.remove()
    barrier = threading.Barrier(6)
    results = []

    def submit():
        with sample_app.app_context():
            try:
                attempt = db.session.get(Attempt, attempt_id)
                barrier.wait()
                results.append(services.submit_attempt(attempt, {}))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1 and results.count(False) == 5
    assert db.session.scalar(select(func.count()).select_from(Response)) == 3


def test_another_learners_attempt_is_not_found(sample_browser, make_user, sample_app):
    other = make_user("other")
    attempt = services.start_attempt(other, sample_app.extensions["trainer.content"].module("sample"))
    services.submit_attempt(attempt, {})
    # The URL names an attempt number; numbers are per learner, so "1" is the visitor's own (absent) attempt.
    assert sample_browser.get("/modules/sample/quiz/attempts/1").status_code == 404
    assert sample_browser.get("/modules/nope/quiz").status_code == 404
