"""Benchmark of the trainer reports: the cohort dashboard and the question analysis for a cohort of 2,000 learners
across the five modules of the real course, on a throwaway SQLite database.

Measures, through the app's own request handling (the page as a trainer gets it), the median time of each page
and the number of SQL queries at 200 and at 2,000 learners: the count must not grow with the cohort.

    .venv/bin/python bench/bench_reports.py      (from the repository root; progress on stderr)

The last line on stdout is a JSON list of result rows.
"""
import json
import math
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String, event, insert  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from trainer import create_app  # noqa: E402
from trainer.accounts.models import User  # noqa: E402
from trainer.certificates.models import Certificate  # noqa: E402
from trainer.cohorts.models import Cohort, CohortLearner, CohortModule, cohort_trainers  # noqa: E402
from trainer.extensions import db  # noqa: E402
from trainer.learning.models import LessonProgress  # noqa: E402
from trainer.quiz.models import Attempt, Response, ResponseChoice  # noqa: E402

SIZES = (200, 2000)
RUNS = 7
AIM_MS = 500
PASSWORD = "bench-password"


def progress(message):
    print(message, file=sys.stderr, flush=True)


class QueryCount:
    def __init__(self):
        self.count = 0

    def __call__(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(Engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        event.remove(Engine, "before_cursor_execute", self)


def _filler(column, now):
    """A value for a NOT NULL certificate column this benchmark does not know (the table keeps growing)."""
    kind = column.type
    if isinstance(kind, DateTime):
        return now
    if isinstance(kind, Date):
        return now.date()
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, (Integer, Float)):
        return 0
    if isinstance(kind, String):
        return "x"
    return b""


def build(app, rng):
    """Two cohorts (200 and 2,000 learners) with lessons read, graded attempts, responses and certificates."""
    content = app.extensions["trainer.content"]
    modules = list(content.modules.values())
    now = datetime.now(timezone.utc)
    db.create_all()
    trainer_id = db.session.execute(insert(User).returning(User.id), [{
        "username": "bench-trainer", "full_name": "Bench Trainer", "role": "trainer", "language": "en",
        "active": True, "password_hash": generate_password_hash(PASSWORD), "created_at": now}]).scalar_one()
    cohort_ids = {}
    serial = 0
    for size in SIZES:
        started = time.perf_counter()
        cohort_id = db.session.execute(insert(Cohort).returning(Cohort.id), [{
            "name": f"Bench cohort of {size}", "country": "JO", "created_at": now}]).scalar_one()
        cohort_ids[size] = cohort_id
        db.session.execute(insert(cohort_trainers), [{"cohort_id": cohort_id, "user_id": trainer_id}])
        db.session.execute(insert(CohortModule), [
            {"cohort_id": cohort_id, "module_id": m.id, "position": i,
             "due_on": (now + timedelta(days=14 * i - 10)).date()} for i, m in enumerate(modules)])
        user_ids = db.session.execute(insert(User).returning(User.id), [{
            "username": f"c{size}-learner{i:05d}", "full_name": f"Learner {i} of {size}",
            "full_name_ar": "متعلم تجريبي" if i % 3 == 0 else None, "country": "JO", "role": "learner",
            "language": "ar", "active": True, "created_at": now,
            "last_login_at": now - timedelta(days=rng.uniform(0, 30))} for i in range(size)]).scalars().all()
        db.session.execute(insert(CohortLearner), [{"cohort_id": cohort_id, "user_id": uid, "enrolled_at": now}
                                                   for uid in user_ids])
        lessons, attempts, certificates = [], [], []
        responses, choices = [], []
        attempt_id = db.session.execute(db.select(db.func.coalesce(db.func.max(Attempt.id), 0))).scalar_one()
        for uid in user_ids:
            ability = rng.gauss(0.3, 1.0)
            pace = rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 5])
            for index, module in enumerate(modules[:pace + 1]):
                finished = index < pace
                read = module.lessons if finished else module.lessons[:rng.randint(0, len(module.lessons))]
                for lesson in read:
                    moment = now - timedelta(days=rng.uniform(1, 40))
                    lessons.append({"user_id": uid, "module_id": module.id, "lesson_id": lesson.id,
                                    "first_viewed_at": moment, "last_viewed_at": moment, "completed_at": moment})
                if not finished or module.quiz is None:
                    continue
                quiz = module.quiz
                passed = False
                for number in range(1, rng.choice([1, 1, 2, 3]) + 1):
                    attempt_id += 1
                    drawn = rng.sample(list(quiz.questions), quiz.questions_per_attempt)
                    marks = {}
                    for question in drawn:
                        right = rng.random() < 1 / (1 + math.exp(-(ability + 0.4 * number - 0.1 * len(question.id))))
                        marks[question.id] = 1.0 if right else 0.0
                        wrong = [o.id for o in question.options if not o.correct]
                        picked = question.correct_ids if right or not wrong else [rng.choice(wrong)]
                        choices += [{"attempt_id": attempt_id, "question_id": question.id, "option_id": o}
                                    for o in picked]
                    points = sum(marks.values())
                    score = round(100 * points / len(drawn), 2)
                    passed = score >= quiz.pass_mark
                    moment = now - timedelta(days=rng.uniform(0, 20))
                    attempts.append({
                        "id": attempt_id, "user_id": uid, "module_id": module.id, "quiz_id": quiz.id,
                        "number": number, "module_version": module.version, "content_hash": module.content_hash,
                        "status": "graded", "started_at": moment, "submitted_at": moment, "points": points,
                        "score": score, "passed": passed, "pass_mark": quiz.pass_mark,
                        "questions": [{"q": q.id, "h": "0" * 64, "t": q.type, "o": [o.id for o in q.options],
                                       "c": q.correct_ids} for q in drawn]})
                    responses += [{"attempt_id": attempt_id, "question_id": qid, "quiz_id": quiz.id,
                                   "position": p, "score": s} for p, (qid, s) in enumerate(marks.items())]
                    if passed:
                        break
                if passed:
                    serial += 1
                    known = {"serial": f"BNCH-{serial:04X}-{size:04d}-0000", "user_id": uid, "module_id": module.id,
                             "module_version": module.version, "content_hash": module.content_hash,
                             "full_name": "Learner", "second_language": "en", "status": "valid", "score": score,
                             "completed_on": now.date(), "issued_at": now,
                             "expires_on": (now + timedelta(days=1000)).date(), "pdf_sha256": "0" * 64,
                             "pdf_size": 0}
                    for column in Certificate.__table__.columns:
                        if column.name not in known and not column.nullable and not column.primary_key \
                                and column.default is None and column.server_default is None:
                            known[column.name] = _filler(column, now)
                    certificates.append(known)
        for model, rows in ((LessonProgress, lessons), (Attempt, attempts), (Response, responses),
                            (ResponseChoice, choices), (Certificate, certificates)):
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[start:start + 5000])
        db.session.commit()
        progress(f"  cohort of {size}: {len(lessons)} lessons done, {len(attempts)} attempts, {len(responses)} "
                 f"responses, {len(certificates)} certificates ({time.perf_counter() - started:.1f} s)")
    return cohort_ids, modules


def measure(client, url, runs):
    """(median ms, SQL queries of one request)."""
    with QueryCount() as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return round(statistics.median(times), 1), counter.count


def main():
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="trainer-bench-") as tmp:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "INSTANCE_DIR": tmp,
                                     "WTF_CSRF_ENABLED": False})
        with app.app_context():
            progress("building the data (bulk inserts)...")
            cohort_ids, modules = build(app, rng)
        # Requests run outside that context, so each one gets its own app context and database session, as in
        # production (a shared session would answer some lookups from its identity map and hide queries).
        if True:
            client = app.test_client()
            login = client.post("/login", data={"username": "bench-trainer", "password": PASSWORD})
            assert login.status_code == 302, login.status_code
            analysed = modules[0].id  # every learner who got going took this quiz: the most responses
            pages = [
                ("cohort dashboard", lambda c: f"/trainer/cohorts/{c}", RUNS, AIM_MS),
                ("question analysis", lambda c: f"/trainer/cohorts/{c}/analysis/{analysed}", RUNS, AIM_MS),
                ("dashboard CSV export", lambda c: f"/trainer/cohorts/{c}/export.csv", 3, 2000),
                ("dashboard XLSX export", lambda c: f"/trainer/cohorts/{c}/export.xlsx", 3, 2000),
            ]
            results = []
            for name, url, runs, aim in pages:
                found = {}
                for size in SIZES:
                    progress(f"measuring {name} at {size:,} learners...")
                    found[size] = measure(client, url(cohort_ids[size]), runs)
                median = found[SIZES[-1]][0]
                queries = [found[size][1] for size in SIZES]
                results.append({"benchmark": f"{name} ({SIZES[-1]:,} learners)", "metric": "median",
                                "value": median, "unit": "ms", "aim": f"< {aim}", "met": median < aim})
                results.append({"benchmark": name, "metric": f"SQL queries at {SIZES[0]:,} / {SIZES[-1]:,} learners",
                                "value": " / ".join(str(q) for q in queries), "unit": "", "aim": "constant",
                                "met": len(set(queries)) == 1})
        with app.app_context():
            db.engine.dispose()
    for row in results:
        progress(f"  {row['benchmark']}: {row['metric']} = {row['value']} {row['unit']} (aim {row['aim']}): "
                 f"{'met' if row['met'] else 'NOT MET'}")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
