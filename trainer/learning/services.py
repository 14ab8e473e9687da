"""Where a learner stands in each module: lessons done, quiz state, what is still needed, where to resume."""
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..quiz.services import QuizStatus, quiz_statuses
from ..timeutil import UTCDateTime, utcnow
from .models import LessonProgress


@dataclass
class ModuleStatus:
    """A learner's standing in one module, with the plain-words list of what completion still needs."""

    module: object
    done: set = field(default_factory=set)
    last_viewed: str | None = None
    last_viewed_at: object = None
    started: bool = False
    quiz: QuizStatus | None = None

    @property
    def lessons_total(self):
        return len(self.module.lessons)

    @property
    def lessons_done(self):
        return sum(1 for lesson in self.module.lessons if lesson.id in self.done)

    @property
    def lessons_left(self):
        return self.lessons_total - self.lessons_done

    @property
    def lessons_complete(self):
        return self.module.completion_lessons == "none" or self.lessons_left == 0

    @property
    def quiz_complete(self):
        return self.module.completion_quiz == "none" or bool(self.quiz and self.quiz.passed)

    @property
    def complete(self):
        return self.lessons_complete and self.quiz_complete

    @property
    def state(self):
        if self.complete:
            return "completed"
        if self.started or self.done or (self.quiz and self.quiz.attempts_used):
            return "in_progress"
        return "not_started"

    @property
    def percent(self):
        steps = self.lessons_total + (1 if self.module.completion_quiz == "pass" else 0)
        reached = self.lessons_done + (1 if self.module.completion_quiz == "pass" and self.quiz_complete else 0)
        return round(100 * reached / steps) if steps else 100

    @property
    def resume_lesson(self):
        """The lesson to continue with: the one read last if not done, else the next not done, else the first."""
        lessons = self.module.lessons
        if self.last_viewed and self.last_viewed not in self.done and self.module.lesson(self.last_viewed):
            return self.module.lesson(self.last_viewed)
        start = self.module.lesson_index(self.last_viewed) if self.last_viewed else None
        order = list(lessons[start + 1:] + lessons[:start + 1]) if start is not None else list(lessons)
        return next((lesson for lesson in order if lesson.id not in self.done), lessons[0] if lessons else None)


_PROGRESS = select(LessonProgress.module_id, LessonProgress.lesson_id, LessonProgress.completed_at,
                   LessonProgress.last_viewed_at)
# Read on every lesson page: built once, with parameters.
_PROGRESS_IN_MODULE = _PROGRESS.where(LessonProgress.user_id == bindparam("user_id"),
                                      LessonProgress.module_id == bindparam("module_id"))


def module_statuses(user, modules, with_quiz=True):
    """Status of every module in `modules` for `user`, in two queries whatever the number of modules.

    `with_quiz=False` skips the quiz query (status.quiz stays None): for pages that show lessons only.
    """
    if len(modules) == 1:
        rows = db.session.execute(_PROGRESS_IN_MODULE, {"user_id": user.id, "module_id": modules[0].id}).all()
    else:
        rows = db.session.execute(_PROGRESS.where(LessonProgress.user_id == user.id)).all()
    quizzes = quiz_statuses(user, [m for m in modules if m.quiz]) if with_quiz else {}
    statuses = {}
    for module in modules:
        mine = [r for r in rows if r.module_id == module.id]
        status = ModuleStatus(module=module, started=bool(mine), quiz=quizzes.get(module.id))
        status.done = {r.lesson_id for r in mine if r.completed_at is not None}
        if mine:
            latest = max(mine, key=lambda r: r.last_viewed_at)
            status.last_viewed, status.last_viewed_at = latest.lesson_id, latest.last_viewed_at
        statuses[module.id] = status
    return statuses


def module_status(user, module, with_quiz=True):
    return module_statuses(user, [module], with_quiz)[module.id]


def _upsert(values, update):
    """INSERT ... ON CONFLICT DO UPDATE for lesson progress, on SQLite and PostgreSQL."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(LessonProgress).values(**values)
    statement = statement.on_conflict_do_update(index_elements=["user_id", "module_id", "lesson_id"], set_=update)
    db.session.execute(statement)


# Written on every first view of a lesson, so kept as one prepared statement (SQL shared by SQLite and PostgreSQL).
_RECORD_VIEW = text(
    "INSERT INTO lesson_progress (user_id, module_id, lesson_id, first_viewed_at, last_viewed_at) "
    "VALUES (:user_id, :module_id, :lesson_id, :now, :now) "
    "ON CONFLICT (user_id, module_id, lesson_id) DO UPDATE SET last_viewed_at = excluded.last_viewed_at"
).bindparams(bindparam("now", type_=UTCDateTime()))


def record_view(user, module, lesson, status):
    """Remember the lesson the learner is reading, unless it is already the one recorded last."""
    if status.last_viewed == lesson.id:
        return
    db.session.execute(_RECORD_VIEW, {"user_id": user.id, "module_id": module.id, "lesson_id": lesson.id,
                                      "now": utcnow()})
    db.session.commit()


def mark_done(user, module, lesson, done=True):
    """Mark a lesson as done (or not done); issue the certificate when that completes the module."""
    now = utcnow()
    _upsert({"user_id": user.id, "module_id": module.id, "lesson_id": lesson.id, "first_viewed_at": now,
             "last_viewed_at": now, "completed_at": now if done else None},
            {"completed_at": func.coalesce(LessonProgress.completed_at, now) if done else None,
             "last_viewed_at": now})
    db.session.commit()
    return after_progress(user, module)


def after_progress(user, module):
    """Called after any progress: issues the module's certificate at once when its completion rule is met."""
    status = module_status(user, module)
    if status.complete:
        from ..certificates.services import issue_for_completion

        issue_for_completion(user, module, status)
    return status


def still_needed(status):
    """What completion still needs, as (what, value) pairs the page puts in plain words.

    what: "lessons_left" (a count), "quiz_open" (attempt number in progress), "quiz_not_passed",
    "next_attempt_at" (a time), "no_attempts_left".
    """
    if status.complete:
        return []
    needs = []
    if not status.lessons_complete:
        needs.append(("lessons_left", status.lessons_left))
    if not status.quiz_complete:
        quiz = status.quiz
        if quiz.open_attempt is not None:
            needs.append(("quiz_open", quiz.open_attempt))
        else:
            needs.append(("quiz_not_passed", quiz.attempts_used))
            if quiz.closed_reason == "wait":
                needs.append(("next_attempt_at", quiz.next_attempt_at))
            elif quiz.closed_reason == "no_attempts_left":
                needs.append(("no_attempts_left", quiz.quiz.max_attempts))
    return needs


def resume_point(statuses):
    """The module and lesson the learner was reading last, unless that module is complete."""
    open_ones = [s for s in statuses.values() if s.started and not s.complete and s.last_viewed_at]
    if not open_ones:
        return None
    latest = max(open_ones, key=lambda s: s.last_viewed_at)
    return latest.module, latest.resume_lesson
