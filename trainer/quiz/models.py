"""Quiz attempts: the questions drawn (a snapshot), the answers, the grade.

An attempt stores, per question shown, the option order and the correct option ids, plus the hash of a
QuestionSnapshot row holding the full texts: later edits of the bank never change a past attempt. Responses and
their chosen options are rows of their own, so the question analysis is plain SQL aggregation.
"""
from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class QuestionSnapshot(db.Model):
    """The texts of one question as it was when drawn, stored once per distinct content."""

    __tablename__ = "question_snapshots"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    quiz_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (
        # Attempt numbers are unique per learner and quiz: two parallel starts cannot both take the last one.
        UniqueConstraint("user_id", "quiz_id", "number"),
        Index("ix_attempts_quiz_status", "quiz_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int]
    module_version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | graded
    # [{"q": question id, "h": snapshot hash, "t": type, "o": [option ids in the order shown], "c": [correct ids]}]
    questions: Mapped[list] = mapped_column(JSON)
    started_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime())
    points: Mapped[float | None]  # sum of question scores
    score: Mapped[float | None]  # percent, 0-100
    passed: Mapped[bool | None]
    pass_mark: Mapped[int]

    responses: Mapped[list["Response"]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="Response.position"
    )


class Response(db.Model):
    """The answer to one question of a graded attempt."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_quiz_question", "quiz_id", "question_id"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    quiz_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    score: Mapped[float]  # 0..1

    attempt: Mapped[Attempt] = relationship(back_populates="responses")


class ResponseChoice(db.Model):
    """One option a learner selected in a response."""

    __tablename__ = "response_choices"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    option_id: Mapped[str] = mapped_column(String(64), primary_key=True)
