"""Quiz rules: drawing an attempt, attempt limits and waiting times, grading on the server, double submissions.

Every rule holds across processes and machines: limits rest on a unique (learner, quiz, attempt number) and a
submission is graded by the one request whose conditional UPDATE moves the attempt from open to graded.
"""
import hashlib
import json
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..timeutil import utcnow
from .models import Attempt, QuestionSnapshot, Response, ResponseChoice
from .types import QUESTION_TYPES


class QuizClosed(Exception):
    """No new attempt may start now; `reason` is one of the QuizStatus reasons, or "busy" (other requests kept
    starting attempts at the same moment)."""

    def __init__(self, reason, next_attempt_at=None):
        super().__init__(reason)
        self.reason = reason
        self.next_attempt_at = next_attempt_at


@dataclass
class QuizStatus:
    quiz: object
    attempts_used: int = 0
    best_score: float | None = None
    passed: bool = False
    open_attempt: int | None = None  # number of the attempt in progress
    last_attempt: int | None = None  # number of the last graded attempt
    last_submitted_at: object = None
    last_passed: bool | None = None
    now: object = None

    @property
    def attempts_left(self):
        """None when unlimited."""
        if self.quiz.max_attempts == 0:
            return None
        return max(0, self.quiz.max_attempts - self.attempts_used)

    @property
    def next_attempt_at(self):
        """When a failed learner may try again, if they must wait."""
        if self.passed or self.last_passed is not False or not self.quiz.retry_after_minutes:
            return None
        at = self.last_submitted_at + timedelta(minutes=self.quiz.retry_after_minutes)
        return at if at > (self.now or utcnow()) else None

    @property
    def closed_reason(self):
        """Why no attempt can start now: 'passed', 'no_attempts_left', 'wait'; None when one can."""
        if self.open_attempt is not None:
            return None
        if self.passed:
            return "passed"
        if self.attempts_left == 0:
            return "no_attempts_left"
        if self.next_attempt_at is not None:
            return "wait"
        return None


def quiz_statuses(user, modules, now=None):
    """QuizStatus per module id for `user`, in one query."""
    quiz_ids = {m.quiz.id: m for m in modules if m.quiz}
    if not quiz_ids:
        return {}
    rows = db.session.execute(
        select(Attempt.quiz_id, Attempt.number, Attempt.status, Attempt.score, Attempt.passed, Attempt.submitted_at)
        .where(Attempt.user_id == user.id, Attempt.quiz_id.in_(quiz_ids))
        .order_by(Attempt.number)
    ).all()
    statuses = {m.id: QuizStatus(quiz=m.quiz, now=now) for m in quiz_ids.values()}
    for row in rows:
        status = statuses[quiz_ids[row.quiz_id].id]
        status.attempts_used += 1
        if row.status == "open":
            status.open_attempt = row.number
            continue
        status.last_attempt = row.number
        status.last_submitted_at = row.submitted_at
        status.last_passed = row.passed
        status.passed = status.passed or bool(row.passed)
        if row.score is not None and (status.best_score is None or row.score > status.best_score):
            status.best_score = row.score
    return statuses


def quiz_status(user, module, now=None):
    return quiz_statuses(user, [module], now)[module.id]


def _store_snapshots(quiz, questions):
    """Make sure a QuestionSnapshot row exists for each question; return {question id: hash}."""
    hashes = {}
    rows = []
    for question in questions:
        data = question.snapshot()
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        hashes[question.id] = digest
        rows.append({"hash": digest, "quiz_id": quiz.id, "question_id": question.id, "data": data})
    if rows:
        # Always in hash order: two attempts starting at once then lock shared rows in the same order (no deadlock).
        rows.sort(key=lambda row: row["hash"])
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(QuestionSnapshot).values(rows).on_conflict_do_nothing(index_elements=["hash"]))
    return hashes


def draw(quiz, rng=None):
    """Pick `questions_per_attempt` questions at random and shuffle each one's options."""
    rng = rng or random.SystemRandom()
    chosen = rng.sample(list(quiz.questions), quiz.questions_per_attempt)
    drawn = []
    for question in chosen:
        order = [o.id for o in question.options]
        rng.shuffle(order)
        drawn.append((question, order))
    return drawn


def start_attempt(user, module, now=None, rng=None):
    """Return the learner's open attempt, or start a new one; raise QuizClosed when none may start."""
    quiz = module.quiz
    now = now or utcnow()
    for _ in range(5):  # another request may be starting or submitting at this very moment: look again
        status = quiz_status(user, module, now)
        if status.open_attempt is not None:
            attempt = open_attempt(user, quiz)
            if attempt is not None:
                return attempt
            continue  # it was submitted in between
        if status.closed_reason:
            raise QuizClosed(status.closed_reason, status.next_attempt_at)
        drawn = draw(quiz, rng)
        hashes = _store_snapshots(quiz, [q for q, _ in drawn])
        attempt = Attempt(
            user_id=user.id, module_id=module.id, quiz_id=quiz.id, number=status.attempts_used + 1,
            module_version=module.version, content_hash=module.content_hash, status="open", started_at=now,
            pass_mark=quiz.pass_mark,
            questions=[{"q": q.id, "h": hashes[q.id], "t": q.type, "o": order, "c": q.correct_ids}
                       for q, order in drawn],
        )
        db.session.add(attempt)
        try:
            db.session.commit()
            return attempt
        except IntegrityError:
            db.session.rollback()  # another request took this attempt number first
    raise QuizClosed("busy")


def open_attempt(user, quiz):
    return db.session.scalar(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.status == "open"))


def get_attempt(user, quiz, number):
    return db.session.scalar(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.number == number))


def grade(questions, answers):
    """Pure grading. `questions`: the attempt's question list; `answers`: {question id: [option ids]}.

    Returns (scores per question id, points, percent). Unknown option ids count as wrong answers.
    """
    scores = {}
    for item in questions:
        chosen = [o for o in answers.get(item["q"], []) if o in item["o"]]
        if len(chosen) != len(answers.get(item["q"], [])):
            scores[item["q"]] = 0.0
            continue
        scores[item["q"]] = QUESTION_TYPES[item["t"]].grade(item["c"], chosen)
    points = sum(scores.values())
    percent = round(100.0 * points / len(questions), 2) if questions else 0.0
    return scores, points, percent


def submit_attempt(attempt, answers, now=None):
    """Grade `attempt` with `answers`; return True if this call graded it, False if it was already graded.

    The conditional UPDATE (status open -> graded) lets exactly one of several simultaneous submissions win.
    """
    now = now or utcnow()
    answers = {qid: list(dict.fromkeys(str(o) for o in opts)) for qid, opts in answers.items()}
    scores, points, percent = grade(attempt.questions, answers)
    passed = percent >= attempt.pass_mark
    attempt_id = attempt.id
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == "open")
        .values(status="graded", submitted_at=now, points=points, score=percent, passed=passed)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    responses, choices = [], []
    for position, item in enumerate(attempt.questions):
        qid = item["q"]
        responses.append({"attempt_id": attempt_id, "question_id": qid, "quiz_id": attempt.quiz_id,
                          "position": position, "score": scores[qid]})
        choices += [{"attempt_id": attempt_id, "question_id": qid, "option_id": option_id}
                    for option_id in answers.get(qid, []) if option_id in item["o"]]
    db.session.execute(insert(Response), responses)
    if choices:
        db.session.execute(insert(ResponseChoice), choices)
    db.session.commit()
    # The in-memory attempt now says what the database says, without reading it back.
    for name, value in (("status", "graded"), ("submitted_at", now), ("points", points), ("score", percent),
                        ("passed", passed)):
        set_committed_value(attempt, name, value)
    return True


def answers_from_form(attempt, form):
    """Read the answers of `attempt` from a submitted form.

    Fields are named q-<question id> and their values are positions in the option order drawn for this attempt,
    never the authored option ids: those could give the key away (a bank whose right answer is always "a").
    A value that is not a position counts as a wrong answer.
    """
    answers = {}
    for item in attempt.questions:
        chosen = []
        for value in form.getlist(f"q-{item['q']}"):
            position = int(value) if value.isdigit() else -1
            chosen.append(item["o"][position] if 0 <= position < len(item["o"]) else "\0invalid")
        answers[item["q"]] = chosen
    return answers


def snapshots_for(attempt):
    """{hash: snapshot data} for the questions of an attempt."""
    hashes = [item["h"] for item in attempt.questions]
    rows = db.session.execute(select(QuestionSnapshot.hash, QuestionSnapshot.data)
                              .where(QuestionSnapshot.hash.in_(hashes))).all()
    return {row.hash: row.data for row in rows}


def graded_attempts(user, quiz):
    return db.session.scalars(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.status == "graded")
        .order_by(Attempt.number.desc())).all()


def review(attempt):
    """A graded attempt, question by question: what was shown, what was chosen, feedback and explanation."""
    snapshots = snapshots_for(attempt)
    scores = {r.question_id: r.score for r in attempt.responses}
    chosen = {}
    for choice in db.session.scalars(select(ResponseChoice).where(ResponseChoice.attempt_id == attempt.id)):
        chosen.setdefault(choice.question_id, set()).add(choice.option_id)
    items = []
    for item in attempt.questions:
        data = snapshots[item["h"]]
        by_id = {o["id"]: o for o in data["options"]}
        picked = chosen.get(item["q"], set())
        items.append({
            "id": item["q"], "type": item["t"], "lesson": data["lesson"], "prompt": data["prompt"],
            "scenario_html": data["scenario_html"], "explanation": data["explanation"],
            "score": scores.get(item["q"], 0.0),
            "options": [{"id": oid, "text": by_id[oid]["text"], "correct": by_id[oid]["correct"],
                         "feedback": by_id[oid]["feedback"], "chosen": oid in picked} for oid in item["o"]],
        })
    return items
