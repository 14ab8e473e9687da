"""The content loader: YAML files under a root -> a validated ContentSet, with every problem and its line.

Pure: no Flask, no database. The format is documented in docs/content-format.md; the rules checked here are the
contract. A module with an error is left out of `ContentSet.modules` (the others still serve); a missing
translation is a warning: the module serves and English is shown instead.
"""
import hashlib
import os
import re
from pathlib import Path

from ..quiz.types import QUESTION_TYPES
from . import markdown
from .model import (
    EMPTY, LANGUAGES, Case, ContentSet, GlossaryTerm, Lesson, Module, Option, Problem, Question, Quiz, Source, Text,
)
from .yamlsource import YamlError, read_yaml

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANGUAGE_NAMES = {"en": "English", "ar": "Arabic", "fr": "French"}
COMPLETION_LESSONS = ("all", "none")
COMPLETION_QUIZ = ("pass", "none")

_MISSING = object()


def load_content(root, certificate_templates=None):
    """Load and check every module, quiz and the glossary under `root`.

    `certificate_templates`: names of the available certificate templates, or None to skip that check.
    """
    root = Path(root)
    content = ContentSet(root=str(root))
    modules_dir, quizzes_dir = root / "modules", root / "quizzes"
    if not modules_dir.is_dir():
        content.problems.append(Problem(_display(modules_dir), 1, "no modules/ folder under the content root"))
        return content
    used_quizzes = set()
    found = []
    for folder in sorted(p for p in modules_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        problems = []
        module = _load_module(folder, quizzes_dir, certificate_templates, problems, used_quizzes)
        for problem in problems:
            problem.module = folder.name
        content.problems.extend(problems)
        errors = [p for p in problems if p.severity == "error"]
        if module is None or errors:
            content.broken_modules[folder.name] = errors or problems
        else:
            found.append(module)
    for stray in sorted(modules_dir.glob("*.y*ml")):
        if stray.name != "glossary.yaml":
            content.problems.append(Problem(_display(stray), 1, "unexpected file: modules/ holds one folder per "
                                            "module and glossary.yaml", severity="warning"))
    if quizzes_dir.is_dir():
        for quiz_file in sorted(quizzes_dir.glob("*.y*ml")):
            if quiz_file.stem not in used_quizzes:
                content.problems.append(Problem(_display(quiz_file), 1, "quiz not used by any module",
                                                severity="warning"))
    found.sort(key=lambda m: (m.position, m.id))
    content.modules = {m.id: m for m in found}
    glossary = modules_dir / "glossary.yaml"
    if glossary.exists():
        content.glossary = _load_glossary(glossary, content.problems)
    return content


def _display(path):
    """The path as a user would type it: relative to the working directory when inside it."""
    path = Path(path)
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


class _File:
    """Checks on one YAML file; every problem carries the line of the node it is about."""

    def __init__(self, path, problems):
        self.path = path
        self.problems = problems
        self.yaml = None

    def open(self):
        try:
            self.yaml = read_yaml(self.path)
        except YamlError as exc:
            self.add((), exc.message, line=exc.line)
            return None
        if not isinstance(self.yaml.data, dict):
            self.add((), "the file must hold a mapping of fields (key: value)")
            return None
        return self.yaml.data

    def add(self, keys, message, severity="error", line=None):
        if line is None:
            line = self.yaml.line(*keys) if self.yaml else 1
        self.problems.append(Problem(_display(self.path), line, message, severity=severity))

    # --- typed getters: each returns a value, or None after reporting what is wrong ---

    def value(self, data, keys, required=True):
        node = data.get(keys[-1], _MISSING) if isinstance(data, dict) else _MISSING
        if node is _MISSING or node is None:
            if required:
                self.add(keys[:-1], f"missing required field '{_name(keys)}'")
            return None
        return node

    def string(self, data, keys, pattern=None, required=True):
        node = self.value(data, keys, required)
        if node is None:
            return None
        if not isinstance(node, str) or not node.strip():
            self.add(keys, f"'{_name(keys)}' must be a non-empty text, not {_kind(node)}")
            return None
        if pattern is not None and not pattern.match(node):
            self.add(keys, f"'{_name(keys)}' must use lowercase letters, digits and hyphens: {node!r}")
            return None
        return node

    def integer(self, data, keys, minimum=None, maximum=None, required=True):
        node = self.value(data, keys, required)
        if node is None:
            return None
        if isinstance(node, bool) or not isinstance(node, int):
            self.add(keys, f"'{_name(keys)}' must be a whole number, not {_kind(node)}")
            return None
        if (minimum is not None and node < minimum) or (maximum is not None and node > maximum):
            bounds = f"from {minimum}" + (f" to {maximum}" if maximum is not None else " up")
            self.add(keys, f"'{_name(keys)}' must be {bounds}, not {node}")
            return None
        return node

    def choice(self, data, keys, choices):
        node = self.value(data, keys)
        if node is None:
            return None
        if node not in choices:
            self.add(keys, f"'{_name(keys)}' must be one of {', '.join(choices)}, not {node!r}")
            return None
        return node

    def text(self, data, keys, required=True, is_markdown=False, allow_plain=False, is_list=False):
        """A {en, ar, fr} mapping (or a plain string where `allow_plain`); Markdown is rendered to safe HTML."""
        node = self.value(data, keys, required)
        if node is None:
            return None
        if allow_plain and isinstance(node, (str, int, float)) and not isinstance(node, bool):
            node = {lang: str(node) for lang in LANGUAGES}
        if not isinstance(node, dict):
            self.add(keys, f"'{_name(keys)}' must be a mapping of languages (en, ar, fr), not {_kind(node)}")
            return None
        values, refused = {}, set()
        for lang, item in node.items():
            if lang not in LANGUAGES:
                self.add(keys + (lang,), f"unknown language '{lang}' in '{_name(keys)}' (use en, ar, fr)")
                continue
            if item is None or item == "" or item == []:
                continue
            if is_list:
                if not isinstance(item, list) or not all(isinstance(x, str) and x.strip() for x in item):
                    self.add(keys + (lang,), f"'{_name(keys)}.{lang}' must be a list of texts")
                    continue
                values[lang] = [x.strip() for x in item]
            else:
                if not isinstance(item, str):
                    self.add(keys + (lang,), f"'{_name(keys)}.{lang}' must be a text, not {_kind(item)}")
                    continue
                if is_markdown and markdown.has_raw_html(item):
                    offset = markdown.raw_html_line(item)
                    self.add(keys + (lang,), f"'{_name(keys)}.{lang}' contains raw HTML; use Markdown only",
                             line=self.yaml.line_in_text(keys + (lang,), offset))
                    refused.add(lang)
                    continue
                values[lang] = markdown.render(item) if is_markdown else item.strip()
        if "en" not in values:
            if "en" not in refused:
                self.add(keys, f"'{_name(keys)}' has no English (en) text")
            return None
        for lang in LANGUAGES:
            if lang not in values and lang not in node:
                self.add(keys, f"missing {LANGUAGE_NAMES[lang]} translation ({lang}) of '{_name(keys)}'",
                         severity="warning")
            elif lang not in values and node.get(lang) in (None, "", []):
                self.add(keys + (lang,), f"empty {LANGUAGE_NAMES[lang]} translation ({lang}) of '{_name(keys)}'",
                         severity="warning")
        return Text(values)

    def items(self, data, keys, required=True):
        node = self.value(data, keys, required)
        if node is None:
            return []
        if not isinstance(node, list):
            self.add(keys, f"'{_name(keys)}' must be a list, not {_kind(node)}")
            return []
        return node


def _name(keys):
    return ".".join(str(k) if not isinstance(k, int) else f"[{k}]" for k in keys).replace(".[", "[")


def _kind(value):
    if isinstance(value, bool):
        return f"a true/false value ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _load_module(folder, quizzes_dir, certificate_templates, problems, used_quizzes):
    path = folder / "module.yaml"
    if not path.exists():
        problems.append(Problem(_display(path), 1, f"module folder '{folder.name}' has no module.yaml"))
        return None
    f = _File(path, problems)
    data = f.open()
    if data is None:
        return None
    module_id = f.string(data, ("id",), ID_PATTERN)
    if module_id is not None and module_id != folder.name:
        f.add(("id",), f"module id '{module_id}' must equal its folder name '{folder.name}'")
    version = f.integer(data, ("version",), minimum=1)
    title = f.text(data, ("title",))
    summary = f.text(data, ("summary",))
    minutes = f.integer(data, ("estimated_minutes",), minimum=1)
    position = f.integer(data, ("order",), minimum=0, required=False)
    completion = f.value(data, ("completion",))
    completion_lessons = completion_quiz = None
    if completion is not None:
        if isinstance(completion, dict):
            completion_lessons = f.choice(completion, ("completion", "lessons"), COMPLETION_LESSONS)
            completion_quiz = f.choice(completion, ("completion", "quiz"), COMPLETION_QUIZ)
        else:
            f.add(("completion",), "'completion' must be a mapping like {lessons: all, quiz: pass}")
    certificate = f.value(data, ("certificate",))
    template = valid_months = None
    if certificate is not None:
        if isinstance(certificate, dict):
            template = f.string(certificate, ("certificate", "template"))
            valid_months = f.integer(certificate, ("certificate", "valid_months"), minimum=1, maximum=600)
            if template and certificate_templates is not None and template not in certificate_templates:
                f.add(("certificate", "template"), f"no certificate template '{template}' "
                      f"(expected certificates/{template}.yaml)")
        else:
            f.add(("certificate",), "'certificate' must be a mapping like {template: default, valid_months: 36}")

    lessons, lesson_files = [], []
    seen = set()
    for i, lesson_id in enumerate(f.items(data, ("lessons",))):
        keys = ("lessons", i)
        if not isinstance(lesson_id, str) or not ID_PATTERN.match(lesson_id):
            f.add(keys, f"lesson id must use lowercase letters, digits and hyphens, not {lesson_id!r}")
            continue
        if lesson_id in seen:
            f.add(keys, f"lesson '{lesson_id}' is listed twice")
            continue
        seen.add(lesson_id)
        lesson_path = folder / "lessons" / f"{lesson_id}.yaml"
        if not lesson_path.exists():
            f.add(keys, f"lesson '{lesson_id}' not found: expected {_display(lesson_path)}")
            continue
        lesson_files.append(lesson_path)
        lesson = _load_lesson(lesson_path, lesson_id, problems)
        if lesson is not None:
            lessons.append(lesson)
    if "lessons" in data and not seen:
        f.add(("lessons",), "a module needs at least one lesson")
    lessons_dir = folder / "lessons"
    if lessons_dir.is_dir():
        for stray in sorted(lessons_dir.glob("*.y*ml")):
            if stray.stem not in seen:
                problems.append(Problem(_display(stray), 1, "lesson not listed in module.yaml 'lessons': "
                                        "learners never see it", severity="warning"))

    quiz = None
    quiz_id = f.string(data, ("quiz",), ID_PATTERN, required=completion_quiz == "pass")
    quiz_path = None
    if quiz_id is not None:
        used_quizzes.add(quiz_id)
        quiz_path = quizzes_dir / f"{quiz_id}.yaml"
        if not quiz_path.exists():
            f.add(("quiz",), f"quiz '{quiz_id}' not found: expected {_display(quiz_path)}")
            quiz_path = None
        else:
            quiz = _load_quiz(quiz_path, quiz_id, module_id, seen, problems)

    if any(p.severity == "error" for p in problems) or None in (
        module_id, version, title, summary, minutes, completion_lessons, completion_quiz, template, valid_months
    ):
        return None
    if completion_quiz == "pass" and quiz is None:
        return None
    digest = hashlib.sha256()
    for file in [path, *lesson_files, *([quiz_path] if quiz_path else [])]:
        digest.update(file.relative_to(folder.parent.parent).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return Module(
        id=module_id, version=version, title=title, summary=summary, estimated_minutes=minutes,
        lessons=tuple(lessons), quiz=quiz, completion_lessons=completion_lessons, completion_quiz=completion_quiz,
        certificate_template=template, certificate_valid_months=valid_months, content_hash=digest.hexdigest(),
        position=100 if position is None else position,
    )


def _load_lesson(path, lesson_id, problems):
    f = _File(path, problems)
    data = f.open()
    if data is None:
        return None
    file_id = f.string(data, ("id",), ID_PATTERN)
    if file_id is not None and file_id != lesson_id:
        f.add(("id",), f"lesson id '{file_id}' must equal its file name '{lesson_id}'")
    title = f.text(data, ("title",))
    objectives = f.text(data, ("objectives",), is_list=True)
    body = f.text(data, ("body",), is_markdown=True)
    key_points = f.text(data, ("key_points",), is_list=True, required=False) or EMPTY
    cases = []
    for i, case in enumerate(f.items(data, ("cases",), required=False)):
        keys = ("cases", i)
        if not isinstance(case, dict):
            f.add(keys, "each case must be a mapping with 'title' and 'body'")
            continue
        case_title = f.text(case, keys + ("title",))
        case_body = f.text(case, keys + ("body",), is_markdown=True)
        if case_title and case_body:
            cases.append(Case(case_title, case_body))
    sources = []
    for i, source in enumerate(f.items(data, ("sources",))):
        parsed = _source(f, source, ("sources", i))
        if parsed:
            sources.append(parsed)
    if "sources" in data and not f.items(data, ("sources",), required=False):
        f.add(("sources",), "a lesson must list at least one source")
    if None in (title, objectives, body):
        return None
    raw_body = data["body"] if isinstance(data.get("body"), dict) else {}
    counts = {lang: markdown.word_count(raw_body[lang]) for lang in LANGUAGES if isinstance(raw_body.get(lang), str)}
    return Lesson(id=lesson_id, title=title, objectives=objectives, body_html=body, cases=tuple(cases),
                  key_points=key_points, sources=tuple(sources), word_counts=counts)


def _source(f, source, keys):
    if isinstance(source, str):
        return Source(Text({lang: source for lang in LANGUAGES}), EMPTY)
    if not isinstance(source, dict):
        f.add(keys, "a source must be a mapping with 'document' and 'ref' (article or paragraph)")
        return None
    document = f.text(source, keys + ("document",), allow_plain=True)
    ref = f.text(source, keys + ("ref",), allow_plain=True)
    url = f.string(source, keys + ("url",), required=False)
    if url is not None and not url.startswith(("https://", "http://")):
        f.add(keys + ("url",), "'url' must start with https:// or http://")
        url = None
    if document is None or ref is None:
        return None
    return Source(document, ref, url)


def _load_quiz(path, quiz_id, module_id, lesson_ids, problems):
    f = _File(path, problems)
    data = f.open()
    if data is None:
        return None
    file_id = f.string(data, ("id",), ID_PATTERN)
    if file_id is not None and file_id != quiz_id:
        f.add(("id",), f"quiz id '{file_id}' must equal its file name '{quiz_id}'")
    owner = f.string(data, ("module",), ID_PATTERN)
    if owner is not None and module_id is not None and owner != module_id:
        f.add(("module",), f"quiz belongs to module '{owner}' but module '{module_id}' uses it")
    pass_mark = f.integer(data, ("pass_mark",), minimum=0, maximum=100)
    per_attempt = f.integer(data, ("questions_per_attempt",), minimum=1)
    max_attempts = f.integer(data, ("max_attempts",), minimum=0)
    retry = f.integer(data, ("retry_after_minutes",), minimum=0)
    questions, seen = [], set()
    raw_questions = f.items(data, ("questions",))
    for i, raw in enumerate(raw_questions):
        keys = ("questions", i)
        if not isinstance(raw, dict):
            f.add(keys, "each question must be a mapping of fields")
            continue
        question_id = f.string(raw, keys + ("id",), ID_PATTERN)
        if question_id is not None:
            if question_id in seen:
                f.add(keys + ("id",), f"duplicate question id '{question_id}'")
            seen.add(question_id)
        question = _question(f, raw, keys, question_id, lesson_ids)
        if question is not None and question_id not in {q.id for q in questions}:
            questions.append(question)
    if "questions" in data and not raw_questions:
        f.add(("questions",), "a quiz needs at least one question")
    if per_attempt is not None and raw_questions and per_attempt > len(raw_questions):
        f.add(("questions_per_attempt",), f"questions_per_attempt is {per_attempt} but the bank has only "
              f"{len(raw_questions)} questions")
    if None in (file_id, owner, pass_mark, per_attempt, max_attempts, retry) or len(questions) != len(raw_questions):
        return None
    return Quiz(id=quiz_id, module=owner, pass_mark=pass_mark, questions_per_attempt=per_attempt,
                max_attempts=max_attempts, retry_after_minutes=retry, questions=tuple(questions))


def _question(f, raw, keys, question_id, lesson_ids):
    qtype = f.choice(raw, keys + ("type",), tuple(QUESTION_TYPES))
    lesson = f.string(raw, keys + ("lesson",), ID_PATTERN)
    if lesson is not None and lesson_ids and lesson not in lesson_ids:
        f.add(keys + ("lesson",), f"question '{question_id}' names lesson '{lesson}', which is not in the module")
        lesson = None
    prompt = f.text(raw, keys + ("prompt",))
    scenario = f.text(raw, keys + ("scenario",), required=False, is_markdown=True)
    explanation = f.text(raw, keys + ("explanation",))
    options, option_ids, ok = [], set(), True
    raw_options = f.items(raw, keys + ("options",))
    for j, raw_option in enumerate(raw_options):
        okeys = keys + ("options", j)
        if not isinstance(raw_option, dict):
            f.add(okeys, "each option must be a mapping with id, text, correct and feedback")
            ok = False
            continue
        option_id = raw_option.get("id")
        if isinstance(option_id, bool) or not isinstance(option_id, (str, int)) or str(option_id).strip() == "":
            f.add(okeys + ("id",), f"option id must be a quoted text (e.g. \"a\", \"t\"), not {_kind(option_id)}")
            ok = False
            continue
        option_id = str(option_id)
        if option_id in option_ids:
            f.add(okeys + ("id",), f"duplicate option id '{option_id}' in question '{question_id}'")
            ok = False
        option_ids.add(option_id)
        correct = raw_option.get("correct", _MISSING)
        if not isinstance(correct, bool):
            f.add(okeys + ("correct",) if correct is not _MISSING else okeys,
                  "'correct' must be true or false" if correct is not _MISSING else "missing required field 'correct'")
            ok = False
            continue
        text = f.text(raw_option, okeys + ("text",))
        feedback = f.text(raw_option, okeys + ("feedback",))
        if text is None or feedback is None:
            ok = False
            continue
        options.append(Option(option_id, text, correct, feedback))
    if qtype is not None and ok and raw_options:
        for message in QUESTION_TYPES[qtype].check([(o.id, o.correct) for o in options]):
            f.add(keys + ("options",), f"question '{question_id}': {message}")
            ok = False
    if not ok or None in (question_id, qtype, lesson, prompt, explanation) or not options:
        return None
    return Question(id=question_id, type=qtype, lesson=lesson, prompt=prompt, scenario_html=scenario or EMPTY,
                    options=tuple(options), explanation=explanation)


def _load_glossary(path, problems):
    f = _File(path, problems)
    data = f.open()
    if data is None:
        return ()
    terms, seen = [], set()
    for i, raw in enumerate(f.items(data, ("terms",))):
        keys = ("terms", i)
        if not isinstance(raw, dict):
            f.add(keys, "each glossary term must be a mapping with id, term and definition")
            continue
        term_id = f.string(raw, keys + ("id",), ID_PATTERN)
        if term_id in seen:
            f.add(keys + ("id",), f"duplicate glossary id '{term_id}'")
            continue
        seen.add(term_id)
        term = f.text(raw, keys + ("term",))
        definition = f.text(raw, keys + ("definition",))
        source = _source(f, raw["source"], keys + ("source",)) if raw.get("source") is not None else None
        if None not in (term_id, term, definition):
            terms.append(GlossaryTerm(term_id, term, definition, source))
    return tuple(terms)
