"""Certificate rules, callable without a request (views, the command line, demo seeding): issuing at completion,
re-issuing, revoking, the lifecycle status, who may see which certificate, and the authority portal's query.

Issuing renders and signs the PDF once and stores it; the partial unique index uq_certificates_one_valid keeps
at most one valid certificate per learner and module whatever the number of processes: the request that loses
the race gets an IntegrityError and returns the winner's certificate.
"""
import datetime
import getpass
import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import pytz
from flask import current_app
from sqlalchemy import false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager

from .. import audit
from ..accounts.models import User
from ..app import course
from ..extensions import db
from ..learning.models import LessonProgress
from ..quiz.models import Attempt
from ..timeutil import utcnow
from . import signing
from .models import Certificate, CertificateFile
from .record import CertificateRecord
from .render import render_pdf
from .serial import is_valid_serial, new_serial, normalise_serial
from .template import check_template

log = logging.getLogger("trainer.certificates")

STATUSES = ("valid", "expired", "revoked", "superseded")  # as shown; "expired" is a valid one past its date
REASON_MAX = 500
_SERIAL_ATTEMPTS = 3  # a fresh serial colliding once is astronomically unlikely; three times means a bug


class CertificateError(Exception):
    """A certificate action that cannot be done; the message says why in plain words (English, for logs and CLI)."""


class NotComplete(CertificateError):
    """The learner has not met the module's completion rule."""


class CannotIssue(CertificateError):
    """The certificate cannot be made now (broken template, keys or learner details); an administrator must act."""


# --- what a certificate is made from: template, keys, completion facts ---

_templates_lock = threading.Lock()
_templates = {}  # template path -> (file stamp, Template or None, problems)


def template_path(name):
    return Path(current_app.config["CERTIFICATE_TEMPLATES"]) / f"{name}.yaml"


def _checked_template(path):
    """(Template or None, problems) for `path`, loaded once per process until the file changes."""
    try:
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size)
    except FileNotFoundError:
        return None, [f"{path}: certificate template not found"]
    cached = _templates.get(str(path))
    if cached and cached[0] == stamp:
        return cached[1], cached[2]
    with _templates_lock:
        template, problems = check_template(path)
        problems = [str(p) for p in problems]
        _templates[str(path)] = (stamp, template, problems)
    return template, problems


def template_for(module):
    """The module's certificate template; CannotIssue listing the template's problems when it is broken."""
    template, problems = _checked_template(template_path(module.certificate_template))
    if template is None:
        raise CannotIssue("certificate template is broken: " + "; ".join(problems))
    return template


def template_problems(modules):
    """Problems of the certificate templates that `modules` use, as `path:line: message` texts."""
    problems = []
    for name in sorted({m.certificate_template for m in modules if m.certificate_template}):
        problems += _checked_template(template_path(name))[1]
    return problems


def certificate_problems(modules):
    """What keeps certificates of `modules` from being issued: template problems, then unusable keys."""
    problems = template_problems(modules)
    try:
        deployment_keys()
    except (signing.KeysError, OSError, ValueError) as exc:
        problems.append(f"certificate keys: {exc}")
    return problems


def deployment_keys():
    """This deployment's signing keys (made on first use in CERTIFICATE_KEYS_DIR)."""
    config = current_app.config
    return signing.load_keys(config["CERTIFICATE_KEYS_DIR"], config.get("ISSUING_ORGANISATION"))


@dataclass(frozen=True)
class Completion:
    """When a learner met a module's completion rule, and their best passing score."""

    completed_at: datetime.datetime
    score: float | None


def completion(user, module, status=None):
    """The learner's Completion of `module`, or None while its completion rule is not met.

    The moment is the later of the last lesson marked done and the first passing attempt (the rule is met then);
    the score is the best passing score.
    """
    if status is None:
        from ..learning.services import module_status

        status = module_status(user, module)
    if not status.complete:
        return None
    moments = []
    if module.completion_lessons == "all" and module.lessons:
        moments.append(db.session.scalar(select(func.max(LessonProgress.completed_at)).where(
            LessonProgress.user_id == user.id, LessonProgress.module_id == module.id,
            LessonProgress.lesson_id.in_([lesson.id for lesson in module.lessons]))))
    score = None
    if module.quiz is not None:
        passes = db.session.execute(
            select(Attempt.submitted_at, Attempt.score)
            .where(Attempt.user_id == user.id, Attempt.quiz_id == module.quiz.id, Attempt.status == "graded",
                   Attempt.passed.is_(True))
            .order_by(Attempt.submitted_at)).all()
        if passes:
            score = max(p.score for p in passes if p.score is not None)
            if module.completion_quiz == "pass":
                moments.append(passes[0].submitted_at)
    moments = [m for m in moments if m is not None]
    return Completion(completed_at=max(moments) if moments else utcnow(), score=score)


def local_day(moment, country):
    """The calendar day of `moment` in `country` (its first time zone; UTC when unknown)."""
    zones = pytz.country_timezones.get(country or "", [])
    zone = pytz.timezone(zones[0]) if zones else pytz.utc
    return moment.astimezone(zone).date()


def add_months(day, months):
    """`day` plus `months` calendar months; the 31st becomes the month's last day when it has fewer."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return datetime.date(year, month, min(day.day, (following - datetime.timedelta(days=1)).day))


def build_record(user, module, facts, issued_at, serial=None):
    """The CertificateRecord `user` would get for `module` now (names normalised as they will be printed)."""
    completed_on = local_day(facts.completed_at, user.country)
    try:
        return CertificateRecord(
            serial=serial or new_serial(),
            full_name=user.full_name,
            full_name_ar=user.full_name_ar,
            module_id=module.id,
            module_version=module.version,
            module_title=module.title.as_dict(),
            second_language=user.second_language,
            completed_on=completed_on,
            issued_on=max(local_day(issued_at, user.country), completed_on),
            expires_on=add_months(completed_on, module.certificate_valid_months),
            score=facts.score,
            organisation=current_app.config.get("ISSUING_ORGANISATION"),
        )
    except ValueError as exc:
        raise CannotIssue(f"the learner's details cannot be printed: {exc}") from None


def record_of(certificate):
    """The record a stored certificate was issued with (what its QR signature covers)."""
    return CertificateRecord(
        serial=certificate.serial, full_name=certificate.full_name, full_name_ar=certificate.full_name_ar,
        module_id=certificate.module_id, module_version=certificate.module_version,
        module_title=certificate.module_title, second_language=certificate.second_language,
        completed_on=certificate.completed_on, issued_on=certificate.issued_on,
        expires_on=certificate.expires_on, score=certificate.score,
    )


def stale_fields(certificate, record):
    """Which printed facts of `certificate` differ from `record` (the details it would get today)."""
    return [name for name in ("full_name", "full_name_ar", "module_version", "second_language")
            if getattr(certificate, name) != getattr(record, name)]


# --- reading certificates ---

def by_serial(serial):
    """The certificate with this serial (as typed: lower case, spaces or O for 0 are fine), or None."""
    serial = normalise_serial(serial)
    if serial is None or not is_valid_serial(serial):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.serial == serial))


def valid_certificate(user_id, module_id):
    return db.session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.module_id == module_id, Certificate.status == "valid"))


def latest_certificate(user_id, module_id):
    """The learner's most recent certificate for the module, whatever its status."""
    return db.session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.module_id == module_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1))


def certificates_of(user):
    """All of a learner's certificates, newest first."""
    return db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                              .order_by(Certificate.issued_at.desc(), Certificate.id.desc())).all()


def pdf_of(certificate):
    """The stored PDF bytes, exactly as issued."""
    return db.session.scalar(select(CertificateFile.pdf).where(CertificateFile.certificate_id == certificate.id))


def today():
    return utcnow().date()


def status_of(certificate, on=None):
    """valid | expired | revoked | superseded: a valid certificate past its expiry date shows as expired."""
    if certificate.status == "valid" and certificate.expires_on < (on or today()):
        return "expired"
    return certificate.status


def successor_of(certificate):
    if certificate.superseded_by_id is None:
        return None
    return db.session.get(Certificate, certificate.superseded_by_id)


def history(certificate):
    """The audit events about a certificate, oldest first, with the actor's user row (or None)."""
    rows = db.session.execute(
        select(audit.AuditEvent, User).outerjoin(User, User.id == audit.AuditEvent.actor_id)
        .where(audit.AuditEvent.target == target(certificate)).order_by(audit.AuditEvent.at, audit.AuditEvent.id))
    return rows.all()


def target(certificate):
    """The audit log's name for a certificate."""
    return f"certificate:{certificate.serial}"


# --- issuing ---

def issue_for_completion(user, module, status):
    """The after-progress hook: issue the module's certificate the moment its completion rule is met.

    Never raises: a certificate that cannot be made (broken template, keys) is logged for administrators and
    the learner's progress stands; `certificates issue` or the learner's next visit to /certificates makes it.
    A revoked certificate is not replaced automatically: the revocation stands until an administrator issues
    again.
    """
    try:
        latest = latest_certificate(user.id, module.id)
        if latest is not None:
            return latest if latest.status == "valid" else None
        return issue(user, module, status=status, actor=user, via="completion")
    except CertificateError as exc:
        log.error("certificate for %s in module %s not issued: %s", user.username, module.id, exc)
    except Exception:  # noqa: BLE001 - the learner's completion must never fail because of its certificate
        log.exception("certificate for %s in module %s not issued", user.username, module.id)
    db.session.rollback()
    return None


def issue_missing(user, statuses):
    """Issue the certificates of completed modules that have none yet (a learner's visit retries failures).

    `statuses`: {module id: ModuleStatus}. Returns the ids of completed modules still without a certificate.
    """
    have = set(db.session.scalars(select(Certificate.module_id).where(Certificate.user_id == user.id).distinct()))
    waiting = []
    for module_id, status in statuses.items():
        if status.complete and module_id not in have:
            if issue_for_completion(user, status.module, status) is None:
                waiting.append(module_id)
    return waiting


def issue(user, module, status=None, actor=None, via="completion", supersede=None, reason=None, now=None):
    """Render, sign and store the learner's certificate for `module`; return it.

    Idempotent: when the learner already holds a valid certificate for the module (also one stored a moment
    ago by a parallel request), that one is returned. With `supersede`, that valid certificate is marked
    superseded by the new one in the same transaction. Raises NotComplete or CannotIssue.
    """
    facts = completion(user, module, status)
    if facts is None:
        raise NotComplete(f"{user.username} has not completed module {module.id}")
    if supersede is None:
        existing = valid_certificate(user.id, module.id)
        if existing is not None:
            return existing
    template = template_for(module)
    try:
        keys = deployment_keys()
    except (OSError, ValueError, signing.KeysError) as exc:
        raise CannotIssue(f"certificate keys cannot be used: {exc}") from None
    base_url = current_app.config["BASE_URL"]
    for _ in range(_SERIAL_ATTEMPTS):
        issued_at = now or utcnow()
        record = build_record(user, module, facts, issued_at)
        pdf = signing.sign_pdf(render_pdf(record, template, signing.qr_url(record, base_url, keys)), keys)
        certificate = _certificate(user, module, record, pdf, issued_at)
        try:
            if supersede is not None:
                _mark_superseded(supersede, issued_at)
            db.session.add(certificate)
            db.session.flush()
            details = {"module": module.id, "module_version": module.version, "learner": user.username,
                       "via": via, **_command_line_actor(actor, via)}
            if supersede is not None:
                db.session.execute(update(Certificate).where(Certificate.id == supersede.id)
                                   .values(superseded_by_id=certificate.id)
                                   .execution_options(synchronize_session=False))
                details["supersedes"] = supersede.serial
                audit.record("certificate_superseded", target(supersede), actor, by=certificate.serial,
                             reason=reason, **_command_line_actor(actor, via))
            if reason:
                details["reason"] = reason
            audit.record("certificate_issued", target(certificate), actor, **details)
            db.session.commit()
        except _Superseded:
            db.session.rollback()
            raise CertificateError(f"certificate {supersede.serial} is no longer valid") from None
        except IntegrityError:
            db.session.rollback()
            existing = valid_certificate(user.id, module.id)
            if existing is not None:  # a parallel request issued it first
                return existing
            continue  # the serial was taken: draw another one
        log.info("certificate %s issued to %s for module %s", certificate.serial, user.username, module.id)
        return certificate
    raise CannotIssue("no free serial after several attempts")


class _Superseded(Exception):
    """The certificate to supersede was revoked or superseded meanwhile."""


def _mark_superseded(certificate, when):
    result = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.status == "valid")
        .values(status="superseded", superseded_at=when).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise _Superseded()


def _certificate(user, module, record, pdf, issued_at):
    certificate = Certificate(
        serial=record.serial, user_id=user.id, module_id=module.id, module_version=module.version,
        module_title=dict(record.module_title), content_hash=module.content_hash, full_name=record.full_name,
        full_name_ar=record.full_name_ar, country=user.country, second_language=record.second_language,
        score=record.score, completed_on=record.completed_on, issued_at=issued_at, issued_on=record.issued_on,
        expires_on=record.expires_on, status="valid", pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf_size=len(pdf))
    certificate.file = CertificateFile(pdf=pdf)
    return certificate


def _command_line_actor(actor, via):
    """Who ran a command: the system account, since the command line has no signed-in user."""
    if actor is None and via == "command line":
        try:
            return {"system_user": getpass.getuser()}
        except (KeyError, OSError):
            return {}
    return {}


def reissue(certificate, actor=None, reason=None, via="web"):
    """A new certificate with the learner's current details and the module's current version, superseding
    `certificate` (which must be valid). Returns the new certificate."""
    if certificate.status != "valid":
        raise CertificateError(f"certificate {certificate.serial} is {certificate.status}, not valid")
    module = course().module(certificate.module_id)
    if module is None:
        raise CannotIssue(f"module {certificate.module_id} is not in the course any more")
    user = db.session.get(User, certificate.user_id)
    return issue(user, module, actor=actor, via=via, supersede=certificate, reason=reason)


def issue_current(user, module, actor=None, via="command line"):
    """Make sure the learner holds a valid certificate with today's details: (certificate, what was done).

    What was done: "issued" (there was none), "reissued" (names, module version or language had changed:
    the old one is superseded) or "unchanged".
    """
    existing = valid_certificate(user.id, module.id)
    if existing is None:
        return issue(user, module, actor=actor, via=via), "issued"
    facts = completion(user, module)
    if facts is None:
        raise NotComplete(f"{user.username} has not completed module {module.id}")
    if not stale_fields(existing, build_record(user, module, facts, utcnow())):
        return existing, "unchanged"
    return issue(user, module, actor=actor, via=via, supersede=existing,
                 reason="details changed"), "reissued"


# --- revoking ---

def clean_reason(reason):
    return " ".join((reason or "").split())[:REASON_MAX]


def revoke(certificate, actor=None, reason="", via="web"):
    """Revoke a valid (or expired) certificate with a reason; the verification page says so at once."""
    reason = clean_reason(reason)
    if not reason:
        raise CertificateError("a reason is required to revoke a certificate")
    now = utcnow()
    result = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.status == "valid")
        .values(status="revoked", revoked_at=now, revoked_by_id=getattr(actor, "id", None), revoke_reason=reason)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(certificate)
        raise CertificateError(f"certificate {certificate.serial} is {certificate.status}, not valid")
    audit.record("certificate_revoked", target(certificate), actor, reason=reason, via=via,
                 **_command_line_actor(actor, via))
    db.session.commit()
    db.session.refresh(certificate)
    log.info("certificate %s revoked: %s", certificate.serial, reason)
    return certificate


# --- who sees what ---

@dataclass(frozen=True)
class Viewer:
    """Who is looking, as plain values: safe to carry into a streamed response after the request's commit."""

    id: int
    role: str
    country: str | None

    @classmethod
    def of(cls, user):
        return cls(id=user.id, role=user.role, country=user.country)


def scope_condition(viewer):
    """The SQL condition on the learner (User) for the certificates `viewer` may see in the authority portal.

    An administrator sees every country; a national authority the learners whose country is theirs; nobody
    else (and an authority without a country) sees none.
    """
    if viewer.role == "admin":
        return true()
    if viewer.role == "authority" and viewer.country:
        return User.country == viewer.country
    return false()


def may_download(viewer, certificate):
    """The learner themself, their country's authority, an administrator."""
    if viewer.role == "admin" or certificate.user_id == viewer.id:
        return True
    if viewer.role == "authority" and viewer.country:
        return db.session.scalar(select(User.country).where(User.id == certificate.user_id)) == viewer.country
    return False


def visible_certificate(viewer, serial):
    """The certificate with `serial` if it is in `viewer`'s portal scope, else None (the page is then a 404)."""
    serial = normalise_serial(serial)
    if serial is None:
        return None
    return db.session.scalar(select(Certificate).join(User, User.id == Certificate.user_id)
                             .where(Certificate.serial == serial, scope_condition(viewer)))


@dataclass(frozen=True)
class CertificateFilter:
    """The authority list's filters (also the ZIP's and the register's): every field optional."""

    module: str | None = None
    cohort: int | None = None
    issued_from: datetime.date | None = None
    issued_to: datetime.date | None = None
    status: str | None = None  # one of STATUSES
    country: str | None = None  # administrators only
    q: str | None = None  # a serial or part of a name

    def as_details(self):
        """The filters set, for the audit log."""
        return {k: (v.isoformat() if isinstance(v, datetime.date) else v)
                for k, v in self.__dict__.items() if v not in (None, "")}


def filtered(statement, viewer, filters, on=None):
    """`statement` (over Certificate joined to its learner as User) restricted to `viewer`'s scope and `filters`."""
    on = on or today()
    statement = statement.where(scope_condition(viewer))
    if filters.country and viewer.role == "admin":
        statement = statement.where(User.country == filters.country)
    if filters.module:
        statement = statement.where(Certificate.module_id == filters.module)
    if filters.cohort:
        from ..cohorts.models import CohortLearner

        statement = statement.where(Certificate.user_id.in_(
            select(CohortLearner.user_id).where(CohortLearner.cohort_id == filters.cohort)))
    if filters.issued_from:
        statement = statement.where(Certificate.issued_on >= filters.issued_from)
    if filters.issued_to:
        statement = statement.where(Certificate.issued_on <= filters.issued_to)
    if filters.status == "valid":
        statement = statement.where(Certificate.status == "valid", Certificate.expires_on >= on)
    elif filters.status == "expired":
        statement = statement.where(Certificate.status == "valid", Certificate.expires_on < on)
    elif filters.status in ("revoked", "superseded"):
        statement = statement.where(Certificate.status == filters.status)
    if filters.q:
        text = filters.q.strip()
        serial = normalise_serial(text)
        if serial is not None:
            statement = statement.where(Certificate.serial == serial)
        else:
            like = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            statement = statement.where(or_(func.lower(Certificate.full_name).like(like, escape="\\"),
                                            Certificate.full_name_ar.like("%" + text + "%"),
                                            func.lower(User.username) == text.lower()))
    return statement


def portal_query(viewer, filters, on=None):
    """Certificates for the authority list, newest first."""
    statement = (select(Certificate).join(User, User.id == Certificate.user_id)
                 .options(contains_eager(Certificate.user)))  # the learner's country, without a query per row
    return filtered(statement, viewer, filters, on).order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def portal_count(viewer, filters, on=None):
    statement = select(func.count(Certificate.id)).select_from(Certificate).join(User, User.id == Certificate.user_id)
    return db.session.scalar(filtered(statement, viewer, filters, on))


# Columns the register and the ZIP manifest are made of (never the PDF itself).
REGISTER_COLUMNS = (Certificate.id, Certificate.serial, Certificate.full_name, Certificate.full_name_ar,
                    User.country, User.agency, Certificate.module_id, Certificate.module_version,
                    Certificate.module_title, Certificate.completed_on, Certificate.issued_on,
                    Certificate.expires_on, Certificate.status, Certificate.revoked_at, Certificate.revoke_reason,
                    Certificate.superseded_at, Certificate.score, Certificate.pdf_sha256, Certificate.pdf_size)


def register_rows(viewer, filters, batch=200, on=None):
    """The filtered certificates as plain rows (never their PDFs), oldest first, streamed from the database
    `batch` at a time: memory stays flat for any number. The query runs when the first row is asked for."""
    for rows in _register_batches(viewer, filters, batch, on):
        yield from rows


def register_rows_with_pdfs(viewer, filters, batch=50, on=None):
    """(row, PDF bytes) for the filtered certificates, in register order, `batch` PDFs in memory at a time.

    The PDFs are fetched by primary key for each batch of rows, so the database never sorts or buffers them.
    """
    for rows in _register_batches(viewer, filters, batch, on):
        ids = [row.id for row in rows]
        pdfs = dict(db.session.execute(select(CertificateFile.certificate_id, CertificateFile.pdf)
                                       .where(CertificateFile.certificate_id.in_(ids))).all())
        for row in rows:
            yield row, pdfs.pop(row.id)


def _register_batches(viewer, filters, batch, on):
    successor = aliased(Certificate)
    statement = (select(*REGISTER_COLUMNS, successor.serial.label("superseded_by")).select_from(Certificate)
                 .join(User, User.id == Certificate.user_id)
                 .outerjoin(successor, successor.id == Certificate.superseded_by_id))
    statement = filtered(statement, viewer, filters, on).order_by(Certificate.issued_at, Certificate.id)
    yield from db.session.execute(statement.execution_options(yield_per=batch)).partitions()


def cohort_choices(viewer):
    """(id, name) of the cohorts the cohort filter offers: all for administrators, else those with at least
    one learner of the authority's country."""
    from ..cohorts.models import Cohort, CohortLearner

    statement = select(Cohort.id, Cohort.name).order_by(Cohort.name)
    if viewer.role != "admin":
        statement = statement.where(Cohort.id.in_(
            select(CohortLearner.cohort_id).join(User, User.id == CohortLearner.user_id)
            .where(scope_condition(viewer))))
    return db.session.execute(statement).all()


def module_choices(viewer):
    """(module id, title dict) for the module filter: the course's modules, then any module that only
    certificates still name."""
    modules = {m.id: m.title.as_dict() for m in course().modules.values()}
    issued = db.session.execute(
        select(Certificate.module_id, func.max(Certificate.id)).join(User, User.id == Certificate.user_id)
        .where(scope_condition(viewer)).group_by(Certificate.module_id)).all()
    extra = {}
    for module_id, newest in issued:
        if module_id not in modules:
            extra[module_id] = db.session.get(Certificate, newest).module_title
    return list(modules.items()) + sorted(extra.items())


def revoked_by(certificate):
    return db.session.get(User, certificate.revoked_by_id) if certificate.revoked_by_id else None

