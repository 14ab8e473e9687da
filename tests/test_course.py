"""The shipped course: the five modules of the workstream, their counts, and every text in three languages
(Arabic in Arabic script, French not a copy of the English)."""
import re

import pytest

from trainer.content import load_content
from trainer.content.model import Text

from .conftest import REPO

MODULES = ["child-sensitive-borders", "rights-at-borders", "anti-racism", "identification-referral",
           "alternatives-to-detention"]
ARABIC = re.compile(r"[\u0600-\u06FF]")
LATIN_LETTER = re.compile(r"[A-Za-z]")
TAGS = re.compile(r"<[^>]+>")

COURSE = load_content(REPO, certificate_templates=frozenset({"default"}))


def words(html):
    return len(TAGS.sub(" ", html).split())


def texts_of(module):
    """Every Text of a module, with a label saying where it is."""
    yield "title", module.title
    yield "summary", module.summary
    for lesson in module.lessons:
        for name in ("title", "objectives", "body_html", "key_points"):
            yield f"{lesson.id}.{name}", getattr(lesson, name)
        for i, case in enumerate(lesson.cases):
            yield f"{lesson.id}.cases[{i}].title", case.title
            yield f"{lesson.id}.cases[{i}].body", case.body_html
        for i, source in enumerate(lesson.sources):
            yield f"{lesson.id}.sources[{i}].document", source.document
    for question in module.quiz.questions:
        yield f"{question.id}.prompt", question.prompt
        yield f"{question.id}.explanation", question.explanation
        if question.scenario_html.values:
            yield f"{question.id}.scenario", question.scenario_html
        for option in question.options:
            yield f"{question.id}.{option.id}.text", option.text
            yield f"{question.id}.{option.id}.feedback", option.feedback


def flat(value):
    return " ".join(value) if isinstance(value, list) else value


def test_the_five_modules_load_with_their_ids_and_no_problem():
    assert list(COURSE.modules) == MODULES
    assert [str(p) for p in COURSE.problems] == []


@pytest.mark.parametrize("module_id", MODULES)
def test_module_counts(module_id):
    module = COURSE.module(module_id)
    assert 5 <= len(module.lessons) <= 7
    for lesson in module.lessons:
        assert lesson.sources, lesson.id
        assert lesson.cases, f"{lesson.id} has no worked case"
        assert 3 <= len(lesson.objectives.get("en")) <= 4, lesson.id
        for lang in ("en", "ar", "fr"):
            assert 400 <= lesson.word_counts[lang] <= 900, (lesson.id, lang, lesson.word_counts[lang])
    quiz = module.quiz
    assert (quiz.pass_mark, quiz.questions_per_attempt) == (80, 10)
    assert len(quiz.questions) >= 18
    assert sum(1 for q in quiz.questions if q.scenario_html.values) >= 6
    lessons = {lesson.id for lesson in module.lessons}
    assert {q.lesson for q in quiz.questions} == lessons  # every lesson is tested, and only lessons of the module
    for question in quiz.questions:
        assert all(o.feedback.get("en") for o in question.options)


@pytest.mark.parametrize("module_id", MODULES)
def test_every_text_is_in_three_languages_arabic_in_arabic_script_french_not_english(module_id):
    for label, text in texts_of(COURSE.module(module_id)):
        assert isinstance(text, Text)
        assert set(text.values) == {"en", "ar", "fr"}, label
        en, ar, fr = (flat(text.values[lang]) for lang in ("en", "ar", "fr"))
        if label.endswith(".document") and en == ar == fr:
            continue  # a UN document symbol such as A/RES/73/195 is the same in every language
        plain_ar = TAGS.sub(" ", ar)
        arabic_letters = len(ARABIC.findall(plain_ar))
        assert arabic_letters > len(LATIN_LETTER.findall(plain_ar)), f"{label}: Arabic text not in Arabic script"
        if len(en.split()) >= 4:
            assert fr != en, f"{label}: the French is a copy of the English"


def test_a_glossary_of_key_terms_in_three_languages_is_linked_from_every_lesson(browser, learner):
    terms = {term.id: term for term in COURSE.glossary}
    for key in ("non-refoulement", "best-interests-of-the-child", "unaccompanied-child", "separated-child",
                "racial-profiling", "trafficking-in-persons", "smuggling-of-migrants", "alternatives-to-detention"):
        assert key in terms, key
    assert terms["non-refoulement"].term.get("ar") == "عدم الإعادة القسرية"
    for term in COURSE.glossary:
        assert set(term.term.values) == set(term.definition.values) == {"en", "ar", "fr"}, term.id
    browser.login("learner")
    for module_id in MODULES:
        for lesson in COURSE.module(module_id).lessons:
            html = browser.get(f"/modules/{module_id}/lessons/{lesson.id}").get_data(as_text=True)
            assert 'href="/glossary"' in html, lesson.id


def test_no_un_emblem_or_endorsement_claim():
    for path in list((REPO / "modules").rglob("*.yaml")) + list((REPO / "quizzes").glob("*.yaml")):
        text = path.read_text(encoding="utf-8").lower()
        for claim in ("endorsed by", "approved by the united nations", "official un course", "emblem"):
            assert claim not in text, (path, claim)
