"""Every database model, imported in one place (for Alembic and for the app)."""
from .accounts.models import User  # noqa: F401
from .audit import AuditEvent  # noqa: F401
from .certificates.models import Certificate, CertificateFile  # noqa: F401
from .cohorts.models import Cohort, CohortLearner, CohortModule, cohort_trainers  # noqa: F401
from .learning.models import LessonProgress  # noqa: F401
from .quiz.models import Attempt, QuestionSnapshot, Response, ResponseChoice  # noqa: F401
