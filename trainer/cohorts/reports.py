"""The report model behind the trainer's pages and their exports: the cohort dashboard (a row per learner, summary
figures, chart data), a learner's attempts, and the question analysis.

Pages and exports read the same objects, so they cannot disagree. Every figure comes from a fixed number of SQL
queries that aggregate in the database, whatever the size of the cohort. A learner's standing in a module is the
learning feature's own ModuleStatus (fed with aggregated counts), so the trainer sees what the learner sees.
"""
import gc
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from decimal import ROUND_HALF_UP, Decimal
from html import unescape

from sqlalchemy import and_, case, distinct, func, select, type_coerce

from ..accounts.models import User
from ..certificates.models import Certificate
from ..content.model import Text
from ..extensions import db
from ..learning.models import LessonProgress
from ..learning.services import ModuleStatus
from ..quiz.models import Attempt, QuestionSnapshot, Response, ResponseChoice
from ..quiz.services import QuizStatus
from ..timeutil import UTCDateTime
from .models import Cohort, CohortLearner

STATES = ("not_started", "in_progress", "failed", "completed")
FILTERS = ("all", "not_started", "in_progress", "failed", "completed", "overdue")
SORTS = ("name", "username", "status", "progress", "score", "attempts", "activity")
QUESTION_SORTS = ("order", "facility", "discrimination", "responses")
ATTEMPT_SCOPES = ("all", "first")
TOO_EASY, TOO_HARD = 90, 30  # facility thresholds, in percent


def round1(value):
    """Round half up to one decimal, once, so the page and the exports show the same number."""
    if value is None:
        return None
    return float(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def plain(text, lang):
    """A content text (Text, or a snapshot's dict) as a plain string in `lang`, English as the fallback."""
    if isinstance(text, Text):
        return text.get(lang)
    if isinstance(text, dict):
        return text.get(lang) or text.get("en") or next(iter(text.values()), "")
    return text or ""


def plain_html(text, lang):
    """Sanitised HTML (a scenario) as plain text."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", plain(text, lang)))).strip()


# --- Dashboard -------------------------------------------------------------------------------------------------

@dataclass
class AssignedModule:
    module: object
    due_on: object = None

    @property
    def id(self):
        return self.module.id


@dataclass
class CohortModuleStatus(ModuleStatus):
    """ModuleStatus with the number of lessons done counted by the database instead of a set of lesson ids."""

    done_count: int = 0

    @property
    def lessons_done(self):
        return self.done_count


@dataclass
class CertificateInfo:
    serial: str
    status: str  # valid | revoked | expired
    expires_on: object = None


@dataclass
class ModuleCell:
    """One learner in one module. A report is read-only once built, so derived values are computed once."""

    assigned: AssignedModule
    status: CohortModuleStatus
    graded: int = 0  # graded attempts
    certificate: CertificateInfo | None = None
    last_activity: object = None
    today: object = None

    @property
    def module(self):
        return self.assigned.module

    @property
    def lessons_done(self):
        return self.status.lessons_done

    @property
    def lessons_total(self):
        return self.status.lessons_total

    @property
    def has_quiz(self):
        return self.status.quiz is not None

    @property
    def attempts_used(self):
        return self.status.quiz.attempts_used if self.status.quiz else 0

    @property
    def attempts_left(self):
        """None when unlimited or no quiz."""
        return self.status.quiz.attempts_left if self.status.quiz else None

    @cached_property
    def best_score(self):
        return round1(self.status.quiz.best_score) if self.status.quiz else None

    @cached_property
    def passed(self):
        """True / False once the quiz was taken; None before, or without a quiz."""
        if not self.status.quiz or not (self.graded or self.status.quiz.passed):
            return None
        return self.status.quiz.passed

    @cached_property
    def complete(self):
        return self.status.complete

    @cached_property
    def state(self):
        if self.status.complete:
            return "completed"
        if self.graded and self.status.quiz and not self.status.quiz.passed:
            return "failed"
        return self.status.state

    @cached_property
    def percent(self):
        return self.status.percent

    @property
    def due_on(self):
        return self.assigned.due_on

    @cached_property
    def overdue(self):
        return bool(self.due_on and self.today and self.today > self.due_on and not self.complete)


@dataclass
class LearnerRow:
    user_id: int
    username: str
    full_name: str
    full_name_ar: str | None
    country: str | None
    agency: str | None
    enrolled_at: object
    last_login_at: object
    cells: list = field(default_factory=list)

    def cell(self, module_id):
        return next((c for c in self.cells if c.module.id == module_id), None)

    @cached_property
    def state(self):
        states = {c.state for c in self.cells}
        if self.cells and states == {"completed"}:
            return "completed"
        if "failed" in states:
            return "failed"
        if states - {"not_started"}:
            return "in_progress"
        return "not_started"

    @cached_property
    def overdue(self):
        return any(c.overdue for c in self.cells)

    @cached_property
    def last_activity(self):
        return max((c.last_activity for c in self.cells if c.last_activity), default=None)

    @cached_property
    def percent(self):
        return round(sum(c.percent for c in self.cells) / len(self.cells)) if self.cells else 0

    @cached_property
    def mean_best_score(self):
        scores = [c.best_score for c in self.cells if c.best_score is not None]
        return round1(sum(scores) / len(scores)) if scores else None

    @cached_property
    def attempts_used(self):
        return sum(c.attempts_used for c in self.cells)

    @cached_property
    def modules_completed(self):
        return sum(1 for c in self.cells if c.complete)


class LearnerView:
    """A row seen through the dashboard's focus: the whole cohort's modules, or a single module."""

    def __init__(self, row, focus=None):
        self.row = row
        self.cell = row.cell(focus) if focus else None

    def __getattr__(self, name):
        return getattr(self.row, name)

    @property
    def state(self):
        return self.cell.state if self.cell else self.row.state

    @property
    def overdue(self):
        return self.cell.overdue if self.cell else self.row.overdue

    @property
    def last_activity(self):
        return self.cell.last_activity if self.cell else self.row.last_activity

    @property
    def percent(self):
        return self.cell.percent if self.cell else self.row.percent

    @property
    def score(self):
        return self.cell.best_score if self.cell else self.row.mean_best_score

    @property
    def attempts_used(self):
        return self.cell.attempts_used if self.cell else self.row.attempts_used


@dataclass
class Summary:
    enrolled: int = 0
    started: int = 0
    completed: int = 0
    overdue: int = 0
    attempted: int = 0  # learners (or learner-module pairs) with a graded attempt
    passed: int = 0
    mean_best_score: float | None = None

    @property
    def pass_rate(self):
        return round1(100 * self.passed / self.attempted) if self.attempted else None


@dataclass
class ModuleSummary:
    assigned: AssignedModule
    summary: Summary


@dataclass
class DashboardReport:
    cohort: Cohort
    modules: list  # AssignedModule, in the cohort's order
    missing_modules: list  # assigned module ids that the content no longer serves
    today: object
    focus: AssignedModule | None
    rows: list  # LearnerView after filter and sort
    state: str = "all"
    q: str = ""
    sort: str = "name"
    direction: str = "asc"
    summary: Summary = None
    module_summaries: list = field(default_factory=list)
    score_bins: list = field(default_factory=list)  # [(low, high, count)]
    funnel: list = field(default_factory=list)  # [(step, count)]
    pass_mark: int | None = None


def assigned_modules(cohort, content):
    """The cohort's modules the content serves, and the ids of those it no longer does."""
    modules, missing = [], []
    for item in cohort.modules:
        module = content.module(item.module_id)
        if module is None:
            missing.append(item.module_id)
        else:
            modules.append(AssignedModule(module, item.due_on))
    return modules, missing


def learner_rows(cohort, modules, today, user_id=None):
    """A LearnerRow for every learner of `cohort` (or only `user_id`), in four queries."""
    member_ids = select(CohortLearner.user_id).where(CohortLearner.cohort_id == cohort.id)
    query = (select(User.id, User.username, User.full_name, User.full_name_ar, User.country, User.agency,
                    User.last_login_at, CohortLearner.enrolled_at)
             .join(CohortLearner, CohortLearner.user_id == User.id).where(CohortLearner.cohort_id == cohort.id))
    if user_id is not None:
        member_ids = member_ids.where(CohortLearner.user_id == user_id)
        query = query.where(User.id == user_id)
    members = db.session.execute(query).all()
    progress, attempts, certificates = {}, {}, {}
    module_ids = [m.id for m in modules]
    quizzes = {m.module.quiz.id: m.id for m in modules if m.module.quiz}
    if members and modules:
        progress = _lesson_progress(member_ids, modules)
        attempts = _attempt_totals(member_ids, quizzes)
        certificates = _certificates(member_ids, module_ids, today)
    rows = []
    for member in members:
        row = LearnerRow(user_id=member.id, username=member.username, full_name=member.full_name,
                         full_name_ar=member.full_name_ar, country=member.country, agency=member.agency,
                         enrolled_at=member.enrolled_at, last_login_at=member.last_login_at)
        for assigned in modules:
            module = assigned.module
            lessons = progress.get((member.id, module.id))
            tried = attempts.get((member.id, module.quiz.id)) if module.quiz else None
            quiz = None
            if module.quiz:
                quiz = QuizStatus(quiz=module.quiz)
                if tried:
                    quiz.attempts_used, quiz.open_attempt = tried.used, tried.open_number
                    quiz.best_score, quiz.passed = tried.best, bool(tried.passed)
            status = CohortModuleStatus(module=module, started=bool(lessons), quiz=quiz,
                                        done_count=int(lessons.done or 0) if lessons else 0)
            times = [t for t in (lessons.last if lessons else None, tried.last if tried else None) if t]
            row.cells.append(ModuleCell(assigned=assigned, status=status, graded=int(tried.graded or 0) if tried else 0,
                                        certificate=certificates.get((member.id, module.id)),
                                        last_activity=max(times) if times else None, today=today))
        rows.append(row)
    return rows


def _lesson_progress(member_ids, modules):
    lp = LessonProgress
    # Only lessons the module still has count as done, as on the learner's own pages.
    done = case(*[(and_(lp.module_id == m.id, lp.lesson_id.in_([lesson.id for lesson in m.module.lessons])), 1)
                  for m in modules if m.module.lessons], else_=0)
    query = (select(lp.user_id, lp.module_id, func.count().label("rows"),
                    func.sum(case((lp.completed_at.is_not(None), done), else_=0)).label("done"),
                    type_coerce(func.max(lp.last_viewed_at), UTCDateTime()).label("last"))
             .where(lp.user_id.in_(member_ids), lp.module_id.in_([m.id for m in modules]))
             .group_by(lp.user_id, lp.module_id))
    return {(r.user_id, r.module_id): r for r in db.session.execute(query)}


def _attempt_totals(member_ids, quizzes):
    if not quizzes:
        return {}
    graded = Attempt.status == "graded"
    query = (select(Attempt.user_id, Attempt.quiz_id, func.count().label("used"),
                    func.sum(case((graded, 1), else_=0)).label("graded"),
                    func.max(case((Attempt.status == "open", Attempt.number))).label("open_number"),
                    func.max(case((graded, Attempt.score))).label("best"),
                    func.max(case((and_(graded, Attempt.passed.is_(True)), 1), else_=0)).label("passed"),
                    type_coerce(func.max(func.coalesce(Attempt.submitted_at, Attempt.started_at)),
                                UTCDateTime()).label("last"))
             .where(Attempt.user_id.in_(member_ids), Attempt.quiz_id.in_(list(quizzes)))
             .group_by(Attempt.user_id, Attempt.quiz_id))
    return {(r.user_id, r.quiz_id): r for r in db.session.execute(query)}


def _certificates(member_ids, module_ids, today):
    """The valid certificate per learner and module, else the latest revoked one."""
    query = (select(Certificate.user_id, Certificate.module_id, Certificate.serial, Certificate.status,
                    Certificate.expires_on)
             .where(Certificate.user_id.in_(member_ids), Certificate.module_id.in_(module_ids),
                    Certificate.status.in_(("valid", "revoked")))
             .order_by(Certificate.issued_at, Certificate.id))
    found, valid = {}, set()
    for r in db.session.execute(query):
        key = (r.user_id, r.module_id)
        if key in valid:
            continue
        if r.status == "valid":
            valid.add(key)
        expired = r.status == "valid" and r.expires_on is not None and r.expires_on < today
        found[key] = CertificateInfo(serial=r.serial, status="expired" if expired else r.status,
                                     expires_on=r.expires_on)
    return found


def summarise(views):
    """Summary figures over LearnerViews (all of the same focus)."""
    return _summary((view.state, view.overdue, [view.cell] if view.cell else view.row.cells) for view in views)


def _summary(items):
    """Summary figures over (state, overdue, cells) of each learner."""
    summary = Summary()
    scores = []
    for state, overdue, cells in items:
        summary.enrolled += 1
        summary.started += state != "not_started"
        summary.completed += state == "completed"
        summary.overdue += bool(overdue)
        for cell in cells:
            if cell.graded:
                summary.attempted += 1
                summary.passed += bool(cell.passed)
                scores.append(cell.best_score)
    summary.mean_best_score = round1(sum(scores) / len(scores)) if scores else None
    return summary


def _score_bins(views):
    bins = [[low, low + 9 if low < 90 else 100, 0] for low in range(0, 100, 10)]
    for view in views:
        for cell in ([view.cell] if view.cell else view.row.cells):
            if cell.graded and cell.best_score is not None:
                bins[min(int(cell.best_score // 10), 9)][2] += 1
    return [tuple(b) for b in bins]


def _funnel(views, focus):
    if focus is None:
        return [("enrolled", len(views)),
                ("started", sum(1 for v in views if v.state != "not_started")),
                ("one_module", sum(1 for v in views if v.row.modules_completed)),
                ("all_modules", sum(1 for v in views if v.state == "completed"))]
    steps = [("enrolled", len(views)), ("started", sum(1 for v in views if v.cell.state != "not_started")),
             ("lessons_done", sum(1 for v in views if v.cell.status.lessons_complete and v.cell.lessons_total))]
    if focus.module.quiz:
        steps.append(("quiz_taken", sum(1 for v in views if v.cell.graded)))
    steps.append(("completed", sum(1 for v in views if v.cell.complete)))
    return steps


def _matches(view, q):
    q = q.casefold()
    return any(q in (value or "").casefold() for value in (view.username, view.full_name, view.full_name_ar))


def _sort(views, sort, direction):
    by_name = sorted(views, key=lambda v: ((v.full_name or "").casefold(), v.username))
    if sort == "name":
        return by_name[::-1] if direction == "desc" else by_name
    keys = {
        "username": lambda v: v.username,
        "status": lambda v: STATES.index(v.state),
        "progress": lambda v: v.percent,
        "score": lambda v: v.score,
        "attempts": lambda v: v.attempts_used,
        "activity": lambda v: v.last_activity,
    }
    key = keys[sort]
    known = [v for v in by_name if key(v) is not None]
    unknown = [v for v in by_name if key(v) is None]  # no score, no activity: always last
    return sorted(known, key=key, reverse=direction == "desc") + unknown


@contextmanager
def _collector_paused():
    """Building a report allocates tens of thousands of small objects without reference cycles, which reference
    counting frees; pausing the cyclic garbage collector meanwhile spares its repeated scans of the whole heap
    (about 40 % of the time for a cohort of 2,000)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cohort_dashboard(cohort, content, today, focus=None, state="all", q="", sort="name", direction="asc"):
    """The dashboard of `cohort` as the page and the exports show it. `today` is the viewer's local date."""
    with _collector_paused():
        return _cohort_dashboard(cohort, content, today, focus, state, q, sort, direction)


def _cohort_dashboard(cohort, content, today, focus, state, q, sort, direction):
    modules, missing = assigned_modules(cohort, content)
    focused = next((m for m in modules if m.id == focus), None)
    state = state if state in FILTERS else "all"
    sort = sort if sort in SORTS else "name"
    direction = "desc" if direction == "desc" else "asc"
    q = (q or "").strip()
    rows = learner_rows(cohort, modules, today)
    views = [LearnerView(row, focused.id if focused else None) for row in rows]
    shown = [v for v in views if (state == "all" or (state == "overdue" and v.overdue) or v.state == state)
             and (not q or _matches(v, q))]
    report = DashboardReport(cohort=cohort, modules=modules, missing_modules=missing, today=today, focus=focused,
                             rows=_sort(shown, sort, direction), state=state, q=q, sort=sort,
                             direction=direction, summary=summarise(views))
    if focused is None:
        report.module_summaries = [
            ModuleSummary(m, _summary((cell.state, cell.overdue, [cell]) for cell in (row.cells[i] for row in rows)))
            for i, m in enumerate(modules)]
    report.score_bins = _score_bins(views)
    report.funnel = _funnel(views, focused)
    marks = {m.module.quiz.pass_mark for m in ([focused] if focused else modules) if m.module.quiz}
    report.pass_mark = marks.pop() if len(marks) == 1 else None
    return report


def cohort_counts(cohort_ids):
    """{cohort id: number of learners}, in one query."""
    if not cohort_ids:
        return {}
    return dict(db.session.execute(select(CohortLearner.cohort_id, func.count()).where(
        CohortLearner.cohort_id.in_(cohort_ids)).group_by(CohortLearner.cohort_id)).all())


# --- A learner's attempts ----------------------------------------------------------------------------------------

@dataclass
class AttemptReview:
    attempt: Attempt
    module: object
    items: list  # per question shown: id, type, prompt, scenario_html, score, options [{label, text, correct, chosen}]


def attempt_reviews(user_id, modules):
    """Every attempt of a learner at the quizzes of `modules`, newest first, with the questions as shown, the
    options chosen and the score per question, in four queries."""
    by_quiz = {m.module.quiz.id: m.module for m in modules if m.module.quiz}
    if not by_quiz:
        return []
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id.in_(by_quiz))
                                  .order_by(Attempt.started_at.desc(), Attempt.id.desc())).all()
    graded = [a.id for a in attempts if a.status == "graded"]
    scores, chosen, snapshots = {}, {}, {}
    if graded:
        for r in db.session.execute(select(Response.attempt_id, Response.question_id, Response.score)
                                    .where(Response.attempt_id.in_(graded))):
            scores[(r.attempt_id, r.question_id)] = r.score
        for c in db.session.execute(select(ResponseChoice.attempt_id, ResponseChoice.question_id,
                                           ResponseChoice.option_id).where(ResponseChoice.attempt_id.in_(graded))):
            chosen.setdefault((c.attempt_id, c.question_id), set()).add(c.option_id)
        hashes = {item["h"] for a in attempts if a.status == "graded" for item in a.questions}
        snapshots = dict(db.session.execute(select(QuestionSnapshot.hash, QuestionSnapshot.data)
                                            .where(QuestionSnapshot.hash.in_(hashes))).all())
    reviews = []
    for attempt in attempts:
        items = []
        if attempt.status == "graded":
            for item in attempt.questions:
                data = snapshots.get(item["h"], {})
                by_id = {o["id"]: o for o in data.get("options", [])}
                picked = chosen.get((attempt.id, item["q"]), set())
                items.append({
                    "id": item["q"], "type": item["t"], "prompt": data.get("prompt", {}),
                    "scenario_html": data.get("scenario_html", {}), "score": scores.get((attempt.id, item["q"]), 0.0),
                    "options": [{"text": by_id.get(oid, {}).get("text", {}), "correct": oid in item["c"],
                                 "chosen": oid in picked} for oid in item["o"]],
                })
        reviews.append(AttemptReview(attempt=attempt, module=by_quiz[attempt.quiz_id], items=items))
    return reviews


# --- Question analysis -------------------------------------------------------------------------------------------

@dataclass
class OptionStat:
    label: str  # A, B, C... in the bank's order
    id: str
    text: object  # Text, or a snapshot's dict
    correct: bool
    chosen: int = 0
    percent: float | None = None  # of the question's responses (several options can be chosen at once)


@dataclass
class QuestionStat:
    number: int  # position in the bank, 1-based
    id: str
    type: str
    prompt: object
    scenario_html: object
    in_bank: bool = True
    responses: int = 0
    facility: float | None = None  # percent
    discrimination: float | None = None  # 100 x Pearson r
    options: list = field(default_factory=list)

    @property
    def has_scenario(self):
        text = self.scenario_html
        return any((text.values if isinstance(text, Text) else text or {}).values())

    @property
    def flags(self):
        flags = []
        if self.facility is not None and self.facility > TOO_EASY:
            flags.append("too_easy")
        if self.facility is not None and self.facility < TOO_HARD:
            flags.append("too_hard")
        if self.discrimination is not None and self.discrimination < 0:
            flags.append("negative_discrimination")
        return flags


@dataclass
class QuestionAnalysis:
    module: object
    cohort: Cohort | None  # None: every learner
    scope: str  # all | first
    attempts: int
    learners: int
    questions: list
    sort: str = "order"


def pearson(n, sx, sy, sxx, syy, sxy):
    """Pearson's r from sums; None when undefined (fewer than two responses, or no spread in x or y)."""
    if n < 2:
        return None
    vx, vy = n * sxx - sx * sx, n * syy - sy * sy
    if vx <= 1e-12 * (n * sxx + 1) or vy <= 1e-12 * (n * syy + 1):
        return None
    return max(-1.0, min(1.0, (n * sxy - sx * sy) / math.sqrt(vx * vy)))


def question_analysis(module, cohort=None, scope="all", sort="order"):
    """Per question of the module's quiz: responses, facility, discrimination and option counts, from SQL sums.

    x = the response's score (0..1), y = the rest of the attempt (attempt points - x): facility = 100 * mean(x),
    discrimination = 100 * r(x, y). Counts graded attempts of the cohort's learners (all learners when `cohort`
    is None); `scope` "first" keeps each learner's first attempt only.
    """
    quiz = module.quiz
    scope = scope if scope in ATTEMPT_SCOPES else "all"
    where = [Attempt.quiz_id == quiz.id, Attempt.status == "graded"]
    if cohort is not None:
        where.append(Attempt.user_id.in_(select(CohortLearner.user_id).where(CohortLearner.cohort_id == cohort.id)))
    if scope == "first":
        where.append(Attempt.number == 1)
    x = Response.score
    y = Attempt.points - Response.score
    sums = db.session.execute(
        select(Response.question_id, func.count().label("n"), func.sum(x).label("sx"), func.sum(y).label("sy"),
               func.sum(x * x).label("sxx"), func.sum(y * y).label("syy"), func.sum(x * y).label("sxy"))
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Response.quiz_id == quiz.id, *where).group_by(Response.question_id)).all()
    picks = db.session.execute(
        select(ResponseChoice.question_id, ResponseChoice.option_id, func.count().label("n"))
        .join(Attempt, Attempt.id == ResponseChoice.attempt_id)
        .where(*where).group_by(ResponseChoice.question_id, ResponseChoice.option_id)).all()
    totals = db.session.execute(select(func.count(), func.count(distinct(Attempt.user_id))).where(*where)).one()

    chosen = {}
    for p in picks:
        chosen.setdefault(p.question_id, {})[p.option_id] = p.n
    by_id = {}
    for number, question in enumerate(quiz.questions, start=1):
        stat = QuestionStat(number=number, id=question.id, type=question.type, prompt=question.prompt,
                            scenario_html=question.scenario_html)
        stat.options = [OptionStat(label=_label(i), id=o.id, text=o.text, correct=o.correct)
                        for i, o in enumerate(question.options)]
        by_id[question.id] = stat
    _add_retired(quiz, by_id, {s.question_id for s in sums} | set(chosen), chosen)
    for s in sums:
        stat = by_id[s.question_id]
        stat.responses = int(s.n)
        stat.facility = round1(100 * float(s.sx) / s.n) if s.n else None
        r = pearson(int(s.n), float(s.sx), float(s.sy), float(s.sxx), float(s.syy), float(s.sxy))
        stat.discrimination = round1(100 * r) if r is not None else None
    for stat in by_id.values():
        for option in stat.options:
            option.chosen = chosen.get(stat.id, {}).get(option.id, 0)
            option.percent = round1(100 * option.chosen / stat.responses) if stat.responses else None
    questions = list(by_id.values())
    sort = sort if sort in QUESTION_SORTS else "order"
    if sort != "order":
        value = {"facility": lambda q: q.facility, "discrimination": lambda q: q.discrimination,
                 "responses": lambda q: -q.responses}[sort]
        questions = sorted([q for q in questions if value(q) is not None], key=value) + \
            [q for q in questions if value(q) is None]
    return QuestionAnalysis(module=module, cohort=cohort, scope=scope, attempts=int(totals[0]),
                            learners=int(totals[1]), questions=questions, sort=sort)


def _label(index):
    return chr(ord("A") + index) if index < 26 else str(index + 1)


def _add_retired(quiz, by_id, answered, chosen):
    """Questions and options answered in past attempts but no longer in the bank: texts from the snapshots."""
    missing = {qid for qid in answered if qid not in by_id}
    missing_options = {qid for qid, options in chosen.items()
                       if qid in by_id and set(options) - {o.id for o in by_id[qid].options}}
    if not missing and not missing_options:
        return
    snapshots = db.session.execute(select(QuestionSnapshot.question_id, QuestionSnapshot.data).where(
        QuestionSnapshot.quiz_id == quiz.id, QuestionSnapshot.question_id.in_(missing | missing_options))).all()
    for question_id, data in snapshots:
        stat = by_id.get(question_id)
        if stat is None:
            stat = QuestionStat(number=len(by_id) + 1, id=question_id, type=data.get("type", ""),
                                prompt=data.get("prompt", {}), scenario_html=data.get("scenario_html", {}),
                                in_bank=False)
            by_id[question_id] = stat
        known = {o.id for o in stat.options}
        for option in data.get("options", []):
            if option["id"] not in known:
                stat.options.append(OptionStat(label=_label(len(stat.options)), id=option["id"], text=option["text"],
                                               correct=option.get("correct", False)))
                known.add(option["id"])
