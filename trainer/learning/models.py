"""Lesson progress: which lessons a learner has opened and marked as done."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_viewed_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    last_viewed_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime())
