"""People: learners, trainers, national authorities and administrators."""
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

ROLES = ("learner", "trainer", "authority", "admin")
ROLE_LABELS = {"learner": _l("Learner"), "trainer": _l("Trainer"), "authority": _l("National authority"),
               "admin": _l("Administrator")}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('learner', 'trainer', 'authority', 'admin')", name="role"),
        CheckConstraint("language IN ('ar', 'en', 'fr')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))  # Latin script, as on the passport
    full_name_ar: Mapped[str | None] = mapped_column(String(200))  # Arabic script, when known
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    agency: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="en")
    # Certificates print Arabic beside English or French; None means: French for French speakers, else English.
    certificate_language: Mapped[str | None] = mapped_column(String(2))
    role: Mapped[str] = mapped_column(String(16), default="learner")
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # A one-time sign-in code (stored hashed) lets a new learner in once, to choose a password.
    login_code_hash: Mapped[str | None] = mapped_column(String(256))
    login_code_expires_at: Mapped[object | None] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[object | None] = mapped_column(UTCDateTime())

    @property
    def is_active(self):
        return self.active

    @property
    def second_language(self):
        """The language printed beside Arabic on this person's certificates."""
        return self.certificate_language or ("fr" if self.language == "fr" else "en")

    @property
    def display_name(self):
        return self.full_name or self.username

    def __repr__(self):
        return f"<User {self.username} ({self.role})>"
