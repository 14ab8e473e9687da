"""Demo data for a first look: one account per role, learners in two countries, some progress.

`flask --app run demo` (and `make run` on first start) calls seed(); it does nothing when the demo admin exists.
"""
import random


from .accounts.services import create_user, find_user
from .app import course
from .cohorts.demo import seed_cohorts
from .extensions import db
from .learning import services as learning
from .quiz import services as quizzes

DEMO_PASSWORD = "demo-2026"

DEMO_USERS = [
    {"username": "admin", "role": "admin", "full_name": "Amal Haddad", "full_name_ar": "أمل حداد", "language": "en"},
    {"username": "trainer", "role": "trainer", "full_name": "Karim Mansour", "full_name_ar": "كريم منصور",
     "country": "JO", "agency": "Border Police Training Centre", "language": "en"},
    {"username": "trainer2", "role": "trainer", "full_name": "Sophie Laurent", "country": "TN",
     "agency": "Police Academy", "language": "fr"},
    {"username": "authority", "role": "authority", "full_name": "Rania Khalil", "full_name_ar": "رانيا خليل",
     "country": "JO", "agency": "Ministry of Interior", "language": "ar"},
    {"username": "authority-tn", "role": "authority", "full_name": "Mehdi Ben Salah", "full_name_ar": "مهدي بن صالح",
     "country": "TN", "agency": "Ministère de l'Intérieur", "language": "fr"},
    {"username": "omar", "role": "learner", "full_name": "Omar Al-Masri", "full_name_ar": "عمر المصري",
     "country": "JO", "agency": "Border Police", "language": "ar"},
    {"username": "layla", "role": "learner", "full_name": "Layla Abu Zeid", "full_name_ar": "ليلى أبو زيد",
     "country": "JO", "agency": "Border Police", "language": "en"},
    {"username": "yousef", "role": "learner", "full_name": "Yousef Naser", "full_name_ar": "يوسف ناصر",
     "country": "JO", "agency": "Airport Police", "language": "ar"},
    {"username": "sami", "role": "learner", "full_name": "Sami Trabelsi", "full_name_ar": "سامي الطرابلسي",
     "country": "TN", "agency": "Garde nationale", "language": "fr"},
    {"username": "ines", "role": "learner", "full_name": "Ines Gharbi", "country": "TN",
     "agency": "Police des frontières", "language": "fr"},
]


def seed(rng=None):
    """Create the demo accounts and their progress; return False if they already exist."""
    if find_user("admin") is not None:
        return False
    rng = rng or random.Random(2023)
    users = {}
    for spec in DEMO_USERS:
        users[spec["username"]] = create_user(password=DEMO_PASSWORD, **spec)
    db.session.commit()
    modules = list(course().modules.values())
    if modules:
        _progress(users, modules, rng)
    seed_cohorts(users, rng)
    return True


def _progress(users, modules, rng):
    """Omar finished the first module; Layla is half-way; Sami failed a quiz once; the others start fresh."""
    first = modules[0]
    for lesson in first.lessons:
        learning.mark_done(users["omar"], first, lesson)
    _take_quiz(users["omar"], first, rng, right=first.quiz.questions_per_attempt if first.quiz else 0)
    for lesson in first.lessons[: len(first.lessons) // 2]:
        learning.mark_done(users["layla"], first, lesson)
    second = modules[1] if len(modules) > 1 else first
    for lesson in second.lessons:
        learning.mark_done(users["sami"], second, lesson)
    _take_quiz(users["sami"], second, rng, right=(second.quiz.questions_per_attempt // 2) if second.quiz else 0)
    learning.record_view(users["yousef"], first, first.lessons[0], learning.module_status(users["yousef"], first))


def _take_quiz(user, module, rng, right):
    """Start and submit an attempt with `right` correct answers (the rest wrong)."""
    if module.quiz is None:
        return
    attempt = quizzes.start_attempt(user, module, rng=rng)
    answers = {}
    for i, item in enumerate(attempt.questions):
        wrong = [o for o in item["o"] if o not in item["c"]]
        answers[item["q"]] = list(item["c"]) if i < right or not wrong else [wrong[0]]
    quizzes.submit_attempt(attempt, answers)
    learning.after_progress(user, module)
