"""Immutable objects the loader builds from YAML: modules, lessons, quizzes, questions, glossary terms."""
from dataclasses import dataclass, field

LANGUAGES = ("en", "ar", "fr")  # content languages; English is the fallback


@dataclass(frozen=True)
class Text:
    """One text in several languages; `get` falls back to English when a language is missing."""

    values: dict

    def get(self, lang):
        return self.values.get(lang) or self.values.get("en") or next(iter(self.values.values()), "")

    def has(self, lang):
        return bool(self.values.get(lang))

    def as_dict(self):
        return dict(self.values)


EMPTY = Text({})


@dataclass(frozen=True)
class Source:
    document: Text
    ref: Text
    url: str | None = None


@dataclass(frozen=True)
class Case:
    title: Text
    body_html: Text


@dataclass(frozen=True)
class Lesson:
    id: str
    title: Text
    objectives: Text  # language -> list of strings
    body_html: Text  # language -> sanitised HTML
    cases: tuple
    key_points: Text  # language -> list of strings
    sources: tuple
    word_counts: dict  # language -> words in the body source


@dataclass(frozen=True)
class Option:
    id: str
    text: Text
    correct: bool
    feedback: Text


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    lesson: str
    prompt: Text
    scenario_html: Text  # EMPTY when the question has no scenario
    options: tuple
    explanation: Text

    @property
    def correct_ids(self):
        return [o.id for o in self.options if o.correct]

    def snapshot(self):
        """Everything a learner was shown and graded on, as plain JSON-able data."""
        return {
            "id": self.id,
            "type": self.type,
            "lesson": self.lesson,
            "prompt": self.prompt.as_dict(),
            "scenario_html": self.scenario_html.as_dict(),
            "options": [
                {"id": o.id, "text": o.text.as_dict(), "correct": o.correct, "feedback": o.feedback.as_dict()}
                for o in self.options
            ],
            "explanation": self.explanation.as_dict(),
        }


@dataclass(frozen=True)
class Quiz:
    id: str
    module: str
    pass_mark: int
    questions_per_attempt: int
    max_attempts: int
    retry_after_minutes: int
    questions: tuple

    def question(self, question_id):
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Module:
    id: str
    version: int
    title: Text
    summary: Text
    estimated_minutes: int
    lessons: tuple
    quiz: Quiz | None
    completion_lessons: str  # "all" | "none"
    completion_quiz: str  # "pass" | "none"
    certificate_template: str
    certificate_valid_months: int
    content_hash: str
    position: int = 0

    def lesson(self, lesson_id):
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def lesson_index(self, lesson_id):
        return next((i for i, lesson in enumerate(self.lessons) if lesson.id == lesson_id), None)


@dataclass(frozen=True)
class GlossaryTerm:
    id: str
    term: Text
    definition: Text
    source: Source | None


@dataclass
class Problem:
    """One thing wrong with the content, reported as `path:line: message`."""

    path: str
    line: int
    message: str
    module: str | None = None
    severity: str = "error"  # "error" leaves the module out; "warning" (a missing translation) does not

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ContentSet:
    """What the loader found: the modules that serve, the glossary, and every problem."""

    root: str
    modules: dict = field(default_factory=dict)  # id -> Module, in catalogue order
    glossary: tuple = ()
    problems: list = field(default_factory=list)
    broken_modules: dict = field(default_factory=dict)  # id -> [Problem] for modules left out

    def module(self, module_id):
        return self.modules.get(module_id)

    @property
    def errors(self):
        return [p for p in self.problems if p.severity == "error"]
