"""Cohort rules and writes, callable without a request: who may see a cohort, creating and editing cohorts,
enrolling and removing learners, one-time codes, and the CSV import (a plan first; then an all-or-nothing apply).

The import is planned from the file and the database as they are now, and planned again when the trainer
confirms: what is written is what the trainer saw, or nothing.
"""
import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

from flask_babel import format_decimal
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..accounts.models import ROLE_LABELS, User
from ..accounts.services import (AccountError, create_user, issue_login_code, normalise_username,
                                 validate_user_fields)
from ..app import course
from ..countries import is_country
from ..extensions import db
from ..timeutil import utcnow
from .models import Cohort, CohortLearner, CohortModule, cohort_trainers

COLUMNS = ("username", "full_name", "full_name_ar", "country", "agency", "language", "email")
REQUIRED_COLUMNS = ("username", "full_name")
MAX_IMPORT_ROWS = 5000
DEFAULT_LANGUAGE = "ar"
# One-time codes are random (about 49 bits), work once and expire in 30 days, so a salted PBKDF2 of 10,000 rounds
# (2 ms) protects them well enough; the default scrypt (75 ms) would make a class of 5,000 take six minutes.
BULK_CODE_METHOD = "pbkdf2:sha256:10000"


class CohortError(ValueError):
    """A cohort change that cannot be made; the message says why, in words for the user."""


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, size); nothing in it was looked at row by row."""


# --- Scope -----------------------------------------------------------------------------------------------------

def is_trainer_of(user, cohort):
    return any(trainer.id == user.id for trainer in cohort.trainers)


def can_manage(user, cohort):
    """Administrators manage every cohort; a trainer only the cohorts they are assigned to."""
    return user.role == "admin" or (user.role == "trainer" and is_trainer_of(user, cohort))


def visible_cohorts(user):
    """A SELECT of the cohorts `user` may open, newest first."""
    query = select(Cohort)
    if user.role != "admin":
        query = query.join(cohort_trainers, cohort_trainers.c.cohort_id == Cohort.id).where(
            cohort_trainers.c.user_id == user.id)
    return query.order_by(Cohort.starts_on.desc().nulls_last(), Cohort.name)


def is_member(cohort, user_id):
    return db.session.scalar(select(func.count()).select_from(CohortLearner).where(
        CohortLearner.cohort_id == cohort.id, CohortLearner.user_id == user_id)) > 0


def find_cohort(name):
    return db.session.scalar(select(Cohort).where(func.lower(Cohort.name) == (name or "").strip().lower()))


# --- Cohorts ---------------------------------------------------------------------------------------------------

def validate_cohort_fields(name, country=None, starts_on=None, ends_on=None, cohort=None):
    """Problems with a cohort's fields, as (field, message) pairs."""
    problems = []
    name = (name or "").strip()
    if not name or len(name) > 120:
        problems.append(("name", _l("required, at most 120 characters")))
    else:
        other = find_cohort(name)
        if other is not None and (cohort is None or other.id != cohort.id):
            problems.append(("name", _l("another cohort already has this name")))
    if country and not is_country(country):
        problems.append(("country", _l("'%(code)s' is not an ISO 3166 two-letter country code", code=country)))
    if starts_on and ends_on and ends_on < starts_on:
        problems.append(("ends_on", _l("the end date is before the start date")))
    return problems


def _check_trainers(trainers):
    for user in trainers:
        if user.role != "trainer":
            raise CohortError(_l("%(name)s is not a trainer account", name=user.username))


def set_modules(cohort, assignments, content=None):
    """Assign modules [(module_id, due_on or None)] in this order; other modules are unassigned.

    `content` is the course (default: the current app's).
    """
    content = content or course()
    wanted = []
    for module_id, due_on in assignments:
        if content.module(module_id) is None:
            raise CohortError(_l("there is no module %(id)s", id=module_id))
        if module_id not in [m for m, _ in wanted]:
            wanted.append((module_id, due_on))
    current = {m.module_id: m for m in cohort.modules}
    kept = []
    for position, (module_id, due_on) in enumerate(wanted):
        assigned = current.pop(module_id, None) or CohortModule(module_id=module_id)
        assigned.position, assigned.due_on = position, due_on
        kept.append(assigned)
    cohort.modules = kept


def create_cohort(name, country=None, agency=None, starts_on=None, ends_on=None, trainers=(), modules=(),
                  actor=None, content=None):
    """Add a cohort to the session (not committed); raise CohortError when a field is wrong."""
    country = country.strip().upper() if country else None
    problems = validate_cohort_fields(name, country, starts_on, ends_on)
    if problems:
        raise CohortError(gettext("; ").join(gettext("%(field)s: %(problem)s", field=f, problem=m)
                                             for f, m in problems))
    _check_trainers(trainers)
    cohort = Cohort(name=name.strip(), country=country, agency=(agency or "").strip() or None, starts_on=starts_on,
                    ends_on=ends_on, created_by_id=getattr(actor, "id", None))
    cohort.trainers = list(trainers)
    set_modules(cohort, modules, content)
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort_created", target=f"cohort:{cohort.id}", actor=actor, name=cohort.name)
    return cohort


def update_cohort(cohort, name, country=None, agency=None, starts_on=None, ends_on=None, trainers=(), modules=(),
                  actor=None, content=None):
    country = country.strip().upper() if country else None
    problems = validate_cohort_fields(name, country, starts_on, ends_on, cohort=cohort)
    if problems:
        raise CohortError(gettext("; ").join(gettext("%(field)s: %(problem)s", field=f, problem=m)
                                             for f, m in problems))
    _check_trainers(trainers)
    cohort.name, cohort.country, cohort.agency = name.strip(), country, (agency or "").strip() or None
    cohort.starts_on, cohort.ends_on = starts_on, ends_on
    cohort.trainers = list(trainers)
    set_modules(cohort, modules, content)
    audit.record("cohort_updated", target=f"cohort:{cohort.id}", actor=actor)
    return cohort


def add_trainer(cohort, user):
    _check_trainers([user])
    if not is_trainer_of(user, cohort):
        cohort.trainers.append(user)


def delete_cohort(cohort, actor=None):
    """Delete a cohort and its memberships; learners, their progress, attempts and certificates stay."""
    audit.record("cohort_deleted", target=f"cohort:{cohort.id}", actor=actor, name=cohort.name)
    db.session.delete(cohort)


# --- Learners --------------------------------------------------------------------------------------------------

def enrol(cohort, user, actor=None):
    """Make `user` (a learner) a member of `cohort`; False if they already were."""
    if user.role != "learner":
        raise CohortError(_l("only learner accounts can be enrolled"))
    if is_member(cohort, user.id):
        return False
    db.session.add(CohortLearner(cohort_id=cohort.id, user_id=user.id, enrolled_by_id=getattr(actor, "id", None)))
    audit.record("cohort_enrolled", target=f"cohort:{cohort.id}", actor=actor, user=user.id)
    return True


def remove_learner(cohort, user, actor=None):
    """End `user`'s membership of `cohort`; their progress, attempts and certificates stay."""
    result = db.session.execute(delete(CohortLearner).where(
        CohortLearner.cohort_id == cohort.id, CohortLearner.user_id == user.id))
    if result.rowcount:
        audit.record("cohort_removed", target=f"cohort:{cohort.id}", actor=actor, user=user.id)
    return bool(result.rowcount)


def issue_code(cohort, user, actor=None):
    """A new one-time sign-in code for a learner of `cohort` (an earlier code stops working)."""
    code = issue_login_code(user)
    audit.record("login_code_issued", target=f"user:{user.id}", actor=actor, cohort=cohort.id)
    return code


# --- CSV import: reading ---------------------------------------------------------------------------------------

@dataclass
class ImportRecord:
    """One data row of the file: its line number, its values by column, and problems found while reading it."""

    line: int
    values: dict
    problems: list = field(default_factory=list)


def _column_name(cell):
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _delimiter(header_line):
    """Comma, or the semicolon or tab that Excel uses in French and Arabic settings: whichever finds most columns."""
    best, found = ",", -1
    for candidate in (",", ";", "\t"):
        cells = next(csv.reader([header_line], delimiter=candidate), [])
        known = sum(1 for cell in cells if _column_name(cell) in COLUMNS)
        if known > found:
            best, found = candidate, known
    return best


def read_csv(data):
    """Read an uploaded CSV (bytes) into ImportRecords; raise ImportFileError when the file cannot be used."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportFileError(_l("The file is saved as UTF-16 (“Unicode text”). Save it as “CSV UTF-8” and "
                                 "upload it again."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFileError(_l("The file is not UTF-8 text (first unreadable character on line %(line)d). In "
                                 "Excel choose Save As › “CSV UTF-8 (comma delimited)” and upload it again.",
                                 line=line)) from None
    if "\x00" in text:
        raise ImportFileError(_l("This is not a CSV text file."))
    first_line = next((line for line in text.splitlines() if line.strip()), None)
    if first_line is None:
        raise ImportFileError(_l("The file is empty."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header, header_line = None, 0
        while header is None:
            cells = next(reader)
            if any(cell.strip() for cell in cells):
                header, header_line = [_column_name(cell) for cell in cells], reader.line_num
        _check_header(header)
        records = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(records) == MAX_IMPORT_ROWS:
                    raise ImportFileError(lazy_ngettext(
                        "The file has more than %(max)s learner row. Split it into files of at most %(max)s row.",
                        "The file has more than %(max)s learner rows. Split it into files of at most %(max)s rows.",
                        MAX_IMPORT_ROWS, max=format_decimal(MAX_IMPORT_ROWS)))
                records.append(_record(line, header, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(_l("The file is not valid CSV near line %(line)d (%(error)s).",
                                 line=reader.line_num, error=str(exc))) from None
    except StopIteration:
        raise ImportFileError(_l("The file is empty.")) from None
    if not records:
        raise ImportFileError(_l("The file has a header line (line %(line)d) but no learner rows.",
                                 line=header_line))
    return records


def _check_header(header):
    expected = ", ".join(COLUMNS)
    unknown = [c for c in header if c and c not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    doubled = sorted({c for c in header if c and header.count(c) > 1})
    if missing and not any(c in COLUMNS for c in header):
        raise ImportFileError(_l("The first line must name the columns: %(columns)s (username and full_name are "
                                 "required). Download the template to start from.", columns=expected))
    if missing:
        raise ImportFileError(_l("Required column missing from the first line: %(missing)s. The columns are: "
                                 "%(columns)s.", missing=", ".join(missing), columns=expected))
    if unknown:
        raise ImportFileError(_l("Unknown column in the first line: %(unknown)s. The columns are: %(columns)s.",
                                 unknown=", ".join(unknown), columns=expected))
    if doubled:
        raise ImportFileError(_l("Column named twice in the first line: %(doubled)s.", doubled=", ".join(doubled)))


def _record(line, header, cells):
    problems = []
    extra = [cell for cell in cells[len(header):] if cell.strip()]
    if extra:
        problems.append(("row", lazy_ngettext(
            "%(num)d value, but the first line names %(expected)d columns (a comma inside a value needs quotes)",
            "%(num)d values, but the first line names %(expected)d columns (a comma inside a value needs quotes)",
            len(cells), expected=len(header))))
    values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
    return ImportRecord(line=line, values={c: values.get(c, "") for c in COLUMNS}, problems=problems)


# --- CSV import: planning --------------------------------------------------------------------------------------

@dataclass
class PlannedRow:
    """What the import will do with one row; `problems` non-empty means it is a bad row."""

    line: int
    values: dict
    username: str
    problems: list = field(default_factory=list)  # [(field, message)]
    user: User | None = None  # the existing account
    create: bool = False
    new_fields: dict = field(default_factory=dict)  # for a new account
    changes: dict = field(default_factory=dict)  # field -> (old, new) for an existing learner
    kept: list = field(default_factory=list)  # fields that differ but this trainer may not change
    enrol: bool = False

    @property
    def ok(self):
        return not self.problems

    @property
    def action(self):
        """One of: error, create, update_enrol, update, enrol, unchanged."""
        if self.problems:
            return "error"
        if self.create:
            return "create"
        if self.changes:
            return "update_enrol" if self.enrol else "update"
        return "enrol" if self.enrol else "unchanged"

    @property
    def display_name(self):
        if self.user is not None:
            return self.changes.get("full_name", (None, self.user.full_name))[1]
        return self.values.get("full_name") or ""

    @property
    def display_name_ar(self):
        if self.user is not None:
            return self.changes.get("full_name_ar", (None, self.user.full_name_ar))[1]
        return self.values.get("full_name_ar") or None


@dataclass
class ImportPlan:
    rows: list

    @property
    def ok(self):
        return all(row.ok for row in self.rows)

    @property
    def bad_rows(self):
        return [row for row in self.rows if not row.ok]

    @property
    def counts(self):
        counts = {"create": 0, "update": 0, "enrol": 0, "unchanged": 0, "bad": 0}
        for row in self.rows:
            if not row.ok:
                counts["bad"] += 1
                continue
            counts["create"] += row.create
            counts["update"] += bool(row.changes)
            counts["enrol"] += row.enrol
            counts["unchanged"] += row.action == "unchanged"
        return counts

    def fingerprint(self):
        """A digest of every decision, to tell whether a confirmation still matches the preview."""
        decisions = [(r.line, r.username, r.action, sorted(r.changes), sorted(r.new_fields.items()))
                     for r in self.rows]
        return hashlib.sha256(json.dumps(decisions, default=str).encode()).hexdigest()


def _in_chunks(values, size=500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def plan_import(cohort, records, actor=None, default_country=None, default_language=DEFAULT_LANGUAGE):
    """Decide, row by row, what importing `records` into `cohort` would do; writes nothing.

    `cohort` may be None (the command line creating it). `actor` None means an administrator at the console.
    A trainer may change the details of existing learners only when they already train them in a cohort.
    """
    usernames = {normalise_username(r.values.get("username")) for r in records} - {""}
    existing = {}
    for chunk in _in_chunks(usernames):
        for user in db.session.scalars(select(User).where(func.lower(User.username).in_(chunk))):
            existing[normalise_username(user.username)] = user
    members = set()
    if cohort is not None and cohort.id is not None:
        members = set(db.session.scalars(select(CohortLearner.user_id).where(CohortLearner.cohort_id == cohort.id)))
    may_update = None  # everyone
    if actor is not None and actor.role != "admin":
        may_update = set(db.session.scalars(
            select(CohortLearner.user_id).join(cohort_trainers, cohort_trainers.c.cohort_id == CohortLearner.cohort_id)
            .where(cohort_trainers.c.user_id == actor.id)))
    default_country = default_country.strip().upper() if default_country else None
    first_line = {}
    rows = []
    for record in records:
        values = record.values
        username = normalise_username(values.get("username"))
        row = PlannedRow(line=record.line, values=values, username=username, problems=list(record.problems))
        rows.append(row)
        if not username:
            row.problems.append(("username", _l("required")))
            continue
        if username in first_line:
            row.problems.append(("username", _l("%(name)s is also on line %(line)d", name=username,
                                                line=first_line[username])))
            continue
        first_line[username] = record.line
        given = {
            "full_name": values.get("full_name") or None,
            "full_name_ar": values.get("full_name_ar") or None,
            "country": (values.get("country") or "").upper() or None,
            "agency": values.get("agency") or None,
            "language": (values.get("language") or "").lower() or None,
            "email": values.get("email") or None,
        }
        if given["agency"] and len(given["agency"]) > 200:
            row.problems.append(("agency", _l("at most 200 characters")))
        user = existing.get(username)
        if user is None:
            _plan_new(row, given, default_country, default_language)
        else:
            _plan_existing(row, user, given, members, may_update)
    return ImportPlan(rows=rows)


def _plan_new(row, given, default_country, default_language):
    fields = dict(given, country=given["country"] or default_country, language=given["language"] or default_language)
    row.problems += validate_user_fields(username=row.username, role="learner", full_name=fields["full_name"] or "",
                                         full_name_ar=fields["full_name_ar"], country=fields["country"],
                                         language=fields["language"], email=fields["email"])
    row.create = row.enrol = True
    row.new_fields = {k: v for k, v in fields.items() if v is not None}


def _plan_existing(row, user, given, members, may_update):
    row.user = user
    if user.role != "learner":
        row.problems.append(("username", _l("%(name)s has the role “%(role)s”, not learner: it cannot be enrolled",
                                            name=user.username, role=ROLE_LABELS.get(user.role, user.role))))
        return
    if not user.active:
        row.problems.append(("username", _l("the account %(name)s is deactivated: an administrator must reactivate "
                                            "it first", name=user.username)))
        return
    present = {k: v for k, v in given.items() if v is not None}
    row.problems += validate_user_fields(**{k: v for k, v in present.items() if k != "agency"})
    changes = {k: (getattr(user, k), v) for k, v in present.items() if getattr(user, k) != v}
    if changes and (may_update is None or user.id in may_update):
        row.changes = changes
    else:
        row.kept = sorted(changes)
    row.enrol = user.id not in members


# --- CSV import: applying --------------------------------------------------------------------------------------

@dataclass
class IssuedCode:
    user: User
    code: str


def apply_import(cohort, plan, actor=None, now=None):
    """Carry out a plan without bad rows, in one transaction; return the new learners' one-time codes.

    Raises CohortError, having written nothing, if the plan has bad rows or the database refuses a row (for
    example an account created by someone else since the plan was made).
    """
    if not plan.ok:
        raise CohortError(_l("The file has bad rows; nothing was written."))
    now = now or utcnow()
    issued = []
    try:
        with db.session.no_autoflush:  # the plan already checked the file's usernames against each other
            for row in plan.rows:
                if row.create:
                    user = create_user(row.username, role="learner", **row.new_fields)
                    issued.append(IssuedCode(user, issue_login_code(user, now=now, method=BULK_CODE_METHOD)))
                    row.user = user
                for name, (_, new) in row.changes.items():
                    setattr(row.user, name, new)
        db.session.flush()
        actor_id = getattr(actor, "id", None)
        enrolled = [row.user.id for row in plan.rows if row.enrol]
        db.session.add_all(CohortLearner(cohort_id=cohort.id, user_id=user_id, enrolled_at=now,
                                         enrolled_by_id=actor_id) for user_id in enrolled)
        counts = plan.counts
        audit.record("cohort_import", target=f"cohort:{cohort.id}", actor=actor, created=counts["create"],
                     updated=counts["update"], enrolled=counts["enrol"])
        db.session.commit()
    except (IntegrityError, AccountError) as exc:
        db.session.rollback()
        reason = str(exc) if isinstance(exc, AccountError) else _l("an account or membership changed meanwhile")
        raise CohortError(_l("The import could not be saved (%(reason)s). Nothing was written; check the file and "
                             "import it again.", reason=reason)) from None
    return issued
