"""Cohorts: a class of learners run by one or more trainers through assigned modules, each with an optional due date.

A learner may belong to several cohorts; leaving a cohort removes the membership only, never progress or attempts.
Due dates are calendar dates (no time zone); "overdue" is judged against the viewer's today.
"""
from sqlalchemy import Column, Date, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

cohort_trainers = Table(
    "cohort_trainers",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Cohort(db.Model):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # the command line finds a cohort by its name
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    agency: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[object | None] = mapped_column(Date)
    ends_on: Mapped[object | None] = mapped_column(Date)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainers, order_by=User.full_name, lazy="selectin")
    modules: Mapped[list["CohortModule"]] = relationship(
        order_by="CohortModule.position", cascade="all, delete-orphan", lazy="selectin")

    def __repr__(self):
        return f"<Cohort {self.id} {self.name!r}>"


class CohortLearner(db.Model):
    """A learner's membership of a cohort."""

    __tablename__ = "cohort_learners"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    enrolled_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CohortModule(db.Model):
    """A module assigned to a cohort, in the order the trainer wants it taken, with an optional due date."""

    __tablename__ = "cohort_modules"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    due_on: Mapped[object | None] = mapped_column(Date)
