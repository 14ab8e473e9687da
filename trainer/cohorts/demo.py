"""Demo cohorts: a Jordanian class run by "trainer" and a Tunisian one run by "trainer2", so the dashboard and the
question analysis are alive on first run.

Progress and quiz attempts go through the real services (learning.mark_done, quiz start/submit, after_progress),
so certificates appear exactly when the certificate feature issues them. Answers follow a simple ability model
(able learners and easy questions more often right, one misleading question per quiz the other way round), which
gives the question analysis realistic spread. Timestamps are then moved back along each learner's own timeline,
so "last activity" and "overdue" look like a class a few weeks in.
"""
import math
import random
from datetime import timedelta

from sqlalchemy import update

from ..accounts.services import create_user
from ..app import course
from ..extensions import db
from ..learning import services as learning
from ..learning.models import LessonProgress
from ..quiz import services as quizzes
from ..quiz.models import Attempt
from ..timeutil import utcnow
from . import services

# username, full name (Latin), full name (Arabic) or None, agency, language
JO_LEARNERS = [
    ("ahmad.khatib", "Ahmad Al-Khatib", "أحمد الخطيب", "Border Police", "ar"),
    ("rana.haddad", "Rana Haddad", "رنا حداد", "Border Police", "ar"),
    ("mohammad.zoubi", "Mohammad Al-Zoubi", "محمد الزعبي", "Border Police", "ar"),
    ("hala.masri", "Hala Masri", "هالة المصري", "Airport Police", "en"),
    ("khaled.obeidat", "Khaled Obeidat", "خالد عبيدات", "Border Police", "ar"),
    ("noor.tamimi", "Noor Al-Tamimi", "نور التميمي", "Public Security Directorate", "ar"),
    ("faisal.rawashdeh", "Faisal Rawashdeh", "فيصل الرواشدة", "Border Police", "ar"),
    ("dana.qasem", "Dana Qasem", None, "Airport Police", "en"),
    ("tareq.nsour", "Tareq Al-Nsour", "طارق النسور", "Border Police", "ar"),
    ("samar.abbadi", "Samar Abbadi", "سمر العبادي", "Public Security Directorate", "en"),
    ("yazan.momani", "Yazan Momani", "يزن المومني", "Border Police", "ar"),
    ("lina.shdeifat", "Lina Shdeifat", "لينا الشديفات", "Airport Police", "ar"),
    ("omar.hijazi", "Omar Hijazi", None, "Border Police", "en"),
    ("reem.bataineh", "Reem Bataineh", "ريم البطاينة", "Border Police", "ar"),
]
TN_LEARNERS = [
    ("amine.jaziri", "Amine Jaziri", "أمين الجزيري", "Garde nationale", "fr"),
    ("salma.bouazizi", "Salma Bouazizi", "سلمى البوعزيزي", "Police des frontières", "fr"),
    ("karim.mejri", "Karim Mejri", None, "Garde nationale", "fr"),
    ("leila.ben.amor", "Leila Ben Amor", "ليلى بن عمر", "Police des frontières", "ar"),
    ("nizar.hammami", "Nizar Hammami", None, "Garde nationale", "fr"),
    ("sarra.chaabane", "Sarra Chaabane", "سارة شعبان", "Douane tunisienne", "fr"),
    ("walid.trabelsi", "Walid Trabelsi", "وليد الطرابلسي", "Garde nationale", "ar"),
    ("mariem.khelifi", "Mariem Khelifi", None, "Police des frontières", "fr"),
    ("hichem.dridi", "Hichem Dridi", "هشام الدريدي", "Garde nationale", "fr"),
    ("emna.saidi", "Emna Saidi", "آمنة السعيدي", "Police des frontières", "fr"),
    ("yassine.gharbi", "Yassine Gharbi", None, "Garde nationale", "en"),
    ("rim.ayari", "Rim Ayari", "ريم العياري", "Douane tunisienne", "ar"),
    ("mehdi.jlassi", "Mehdi Jlassi", None, "Garde nationale", "fr"),
    ("olfa.mansouri", "Olfa Mansouri", "ألفة المنصوري", "Police des frontières", "fr"),
]
COHORTS = [
    {"name": "Amman · Border Police, spring intake", "country": "JO", "agency": "Border Police Training Centre",
     "trainer": "trainer", "learners": JO_LEARNERS, "existing": ("omar", "layla", "yousef"), "started_days": 40},
    {"name": "Tunis · Garde nationale, promotion 2", "country": "TN", "agency": "Académie de police",
     "trainer": "trainer2", "learners": TN_LEARNERS, "existing": ("sami", "ines"), "started_days": 30},
]
DUE_IN_DAYS = (-12, 3, 14, 28, None)  # per module in catalogue order, relative to today


def seed_cohorts(users, rng):
    """Create the two demo cohorts with their learners and progress; `users` are the base demo accounts."""
    modules = list(course().modules.values())
    if not modules or "trainer" not in users:
        return
    now = utcnow()
    today = now.date()
    password_hash = users["omar"].password_hash  # the demo password, hashed once already
    for spec in COHORTS:
        due = [(m.id, today + timedelta(days=d) if d is not None else None) for m, d in zip(modules, DUE_IN_DAYS)]
        due += [(m.id, None) for m in modules[len(DUE_IN_DAYS):]]
        start = now - timedelta(days=spec["started_days"])
        cohort = services.create_cohort(spec["name"], country=spec["country"], agency=spec["agency"],
                                        starts_on=start.date(), ends_on=(now + timedelta(days=45)).date(),
                                        trainers=[users[spec["trainer"]]], modules=due)
        members = [users[name] for name in spec["existing"] if name in users]
        for username, full_name, full_name_ar, agency, language in spec["learners"]:
            user = create_user(username, role="learner", full_name=full_name, full_name_ar=full_name_ar,
                               country=spec["country"], agency=agency, language=language)
            user.password_hash = password_hash
            members.append(user)
        db.session.flush()
        for user in members:
            services.enrol(cohort, user)
        db.session.commit()
        for user in members[len(spec["existing"]):]:
            _learner_progress(user, modules, start, now, rng)


def _ability_model(quiz):
    """Difficulty per question (stable per quiz), one question misleading: good learners get it wrong more."""
    local = random.Random(quiz.id)
    ids = [q.id for q in quiz.questions]
    difficulty = {qid: local.uniform(-2.0, 1.8) for qid in ids}
    easy, misleading = local.sample(ids, 2)
    difficulty[easy] = -3.5
    return difficulty, misleading


def _answers(attempt, quiz, ability, rng):
    difficulty, misleading = _ability_model(quiz)
    answers = {}
    for item in attempt.questions:
        if item["q"] == misleading:
            p_right = 1 / (1 + math.exp(1.4 * ability + 0.2))
        else:
            p_right = 1 / (1 + math.exp(-1.7 * (ability - difficulty[item["q"]])))
        wrong = [o for o in item["o"] if o not in item["c"]]
        if rng.random() < p_right or not wrong:
            answers[item["q"]] = list(item["c"])
        elif item["t"] == "multiple" and len(item["c"]) > 1 and rng.random() < 0.5:
            answers[item["q"]] = list(item["c"][:-1])  # part of the right answer only: counts as wrong
        else:
            # One distractor is the tempting one (the bank's first wrong option), as in real classes.
            tempting = sorted(wrong)[0]
            answers[item["q"]] = [tempting if rng.random() < 0.55 else rng.choice(wrong)]
    return answers


def _learner_progress(user, modules, start, now, rng):
    """Walk one learner through the modules along a timeline that stops where they are today."""
    ability = rng.gauss(0.35, 0.9)
    pace = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4, 5])  # modules worked through, for a class a few weeks in
    if pace == 0 and rng.random() < 0.5:
        return  # has not started
    moment = start + timedelta(days=rng.uniform(0, 6), hours=rng.uniform(8, 12))
    last = None
    for index, module in enumerate(modules[:max(pace, 1)]):
        lessons = module.lessons if index < pace else module.lessons[:rng.randint(1, max(1, len(module.lessons) - 1))]
        for lesson in lessons:
            if moment >= now:
                break
            learning.mark_done(user, module, lesson)
            _move_back(user, module, lesson, moment)
            last = moment
            moment += timedelta(minutes=rng.uniform(15, 70))
        if index >= pace or module.quiz is None:
            break
        for attempt_number in range(1, 4):
            if moment >= now:
                break
            attempt = quizzes.start_attempt(user, module, now=moment, rng=rng)
            submitted = moment + timedelta(minutes=rng.uniform(8, 20))
            quizzes.submit_attempt(attempt, _answers(attempt, module.quiz, ability + 0.45 * (attempt_number - 1),
                                                     rng), now=submitted)
            learning.after_progress(user, module)
            last = submitted
            moment = submitted + timedelta(days=rng.uniform(0.5, 2))
            if db.session.get(Attempt, attempt.id).passed:
                break
        moment += timedelta(days=rng.uniform(1, 5))
    if last is not None:
        user.last_login_at = last
        db.session.commit()


def _move_back(user, module, lesson, moment):
    db.session.execute(update(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.module_id == module.id,
        LessonProgress.lesson_id == lesson.id).values(first_viewed_at=moment, last_viewed_at=moment,
                                                       completed_at=moment))
    db.session.commit()
