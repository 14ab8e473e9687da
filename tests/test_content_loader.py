"""The content loader and `content check`: every problem reported as path:line: message, broken modules left
out while the others serve, and the shipped course clean."""
import re
import shutil

import pytest

from trainer.content import load_content
from trainer.content.markdown import render

from .conftest import REPO, sample_tree

TEMPLATES = frozenset({"default"})


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle, occurrence=1):
    """1-based line number of the n-th line containing `needle`."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def problems_of(root):
    return [str(p) for p in load_content(root, certificate_templates=TEMPLATES).problems]


def test_shipped_course_loads_without_any_problem():
    content = load_content(REPO, certificate_templates=TEMPLATES)
    assert [str(p) for p in content.problems] == []
    assert list(content.modules) == ["child-sensitive-borders", "rights-at-borders", "anti-racism",
                                     "identification-referral", "alternatives-to-detention"]


def test_fixture_course_is_clean(tmp_path):
    assert problems_of(sample_tree(tmp_path)) == []


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    root = sample_tree(tmp_path)
    lesson = root / "modules/sample/lessons/second.yaml"
    edit(lesson, "  fr: La deuxième leçon.", "  fr: [La deuxième leçon.")
    problems = problems_of(root)
    assert len(problems) == 1
    assert re.match(r"^.*modules/sample/lessons/second\.yaml:(\d+): invalid YAML", problems[0])
    reported = int(problems[0].split(":")[1])
    assert reported in (line_of(lesson, "fr: [La deuxième"), line_of(lesson, "fr: [La deuxième") + 1)


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    root = sample_tree(tmp_path)
    quiz = root / "quizzes/sample.yaml"
    edit(quiz, "pass_mark: 60", "pass_mark: high")
    edit(quiz, "questions_per_attempt: 3", "questions_per_attempt: 9")
    edit(quiz, "  type: true_false", "  type: essay")
    edit(quiz, "- id: s2", "- id: s1")
    problems = problems_of(root)
    quiz_path = "quizzes/sample.yaml"
    expected = {
        line_of(quiz, "pass_mark:"): "'pass_mark' must be a whole number",
        line_of(quiz, "questions_per_attempt:"): "questions_per_attempt is 9 but the bank has only 5 questions",
        line_of(quiz, "type: essay"): "'questions[4].type' must be one of single, multiple, true_false",
        line_of(quiz, "- id: s1", 2): "duplicate question id 's1'",
    }
    for line, message in expected.items():
        assert any(p.endswith(f"{quiz_path}:{line}: {message}") or (f"{quiz_path}:{line}: {message}" in p)
                   for p in problems), (line, message, problems)


def test_option_rules_per_question_type(tmp_path):
    root = sample_tree(tmp_path)
    quiz = root / "quizzes/sample.yaml"
    text = quiz.read_text(encoding="utf-8")
    # s1: two correct options in a single-choice question; tf1: no correct option at all.
    text = text.replace("      fr: Mauvaise réponse\n    correct: false", "      fr: Mauvaise réponse\n    correct: true", 1)
    text = text.replace("      fr: Vrai\n    correct: true", "      fr: Vrai\n    correct: false", 1)
    quiz.write_text(text, encoding="utf-8")
    problems = "\n".join(problems_of(root))
    assert "question 's1': a 'single' question must have exactly one correct option, not 2" in problems
    assert "question 'tf1': no option is marked correct: at least one must be" in problems


def test_missing_translation_is_a_warning_and_english_is_used(tmp_path):
    root = sample_tree(tmp_path)
    lesson = root / "modules/sample/lessons/second.yaml"
    edit(lesson, "  ar: الدرس الثاني.\n", "")
    content = load_content(root, certificate_templates=TEMPLATES)
    assert [str(p) for p in content.problems] == [
        f"{lesson}:{line_of(lesson, 'body:')}: missing Arabic translation (ar) of 'body'"]
    assert content.problems[0].severity == "warning"
    assert "sample" in content.modules  # still serves
    assert content.module("sample").lesson("second").body_html.get("ar") == "<p>The second lesson.</p>"


def test_broken_references_are_reported(tmp_path):
    root = sample_tree(tmp_path)
    module = root / "modules/sample/module.yaml"
    edit(module, "  - second", "  - third")
    edit(module, "template: default", "template: fancy")
    quiz = root / "quizzes/sample.yaml"
    edit(quiz, "  lesson: second", "  lesson: unknown")
    problems = "\n".join(problems_of(root))
    assert f"module.yaml:{line_of(module, '- third')}: lesson 'third' not found" in problems
    assert f"module.yaml:{line_of(module, 'template: fancy')}: no certificate template 'fancy'" in problems
    assert f"sample.yaml:{line_of(quiz, 'lesson: unknown')}: question 's2' names lesson 'unknown'" in problems
    assert "second.yaml:1: lesson not listed in module.yaml 'lessons'" in problems


def test_missing_quiz_file_and_wrong_id(tmp_path):
    root = sample_tree(tmp_path)
    (root / "quizzes/sample.yaml").rename(root / "quizzes/other.yaml")
    lesson = root / "modules/sample/lessons/first.yaml"
    edit(lesson, "id: first", "id: premier")
    problems = "\n".join(problems_of(root))
    assert "module.yaml:7: quiz 'sample' not found: expected" in problems
    assert "first.yaml:1: lesson id 'premier' must equal its file name 'first'" in problems
    assert "other.yaml:1: quiz not used by any module (warning)" in problems or "other.yaml:1: quiz not used" in problems


def test_raw_html_in_markdown_is_refused(tmp_path):
    root = sample_tree(tmp_path)
    lesson = root / "modules/sample/lessons/first.yaml"
    edit(lesson, "The first lesson, with", "The first <script>alert(1)</script> lesson, with")
    problems = problems_of(root)
    assert f"first.yaml:{line_of(lesson, '<script>')}: 'body.en' contains raw HTML; use Markdown only" in "\n".join(problems)


def test_markdown_is_sanitised():
    html = render("[click](javascript:alert(1)) and ![img](http://x/y.png)\n\n# Title")
    assert "javascript:" not in html
    assert "<img" not in html
    assert "<h2>Title</h2>" in html  # the page title is the only h1


def test_a_broken_module_is_left_out_and_the_others_serve(tmp_path):
    root = sample_tree(tmp_path)
    shutil.copytree(root / "modules/sample", root / "modules/other")
    shutil.copy(root / "quizzes/sample.yaml", root / "quizzes/other.yaml")
    edit(root / "modules/other/module.yaml", "id: sample", "id: other")
    edit(root / "modules/other/module.yaml", "quiz: sample", "quiz: other")
    edit(root / "quizzes/other.yaml", "id: sample\nmodule: sample", "id: other\nmodule: other")
    edit(root / "quizzes/other.yaml", "questions_per_attempt: 3", "questions_per_attempt: 0")
    content = load_content(root, certificate_templates=TEMPLATES)
    assert list(content.modules) == ["sample"]
    assert list(content.broken_modules) == ["other"]
    assert "'questions_per_attempt' must be from 1 up, not 0" in str(content.broken_modules["other"][0])


def test_content_hash_changes_with_the_content(tmp_path):
    root = sample_tree(tmp_path)
    before = load_content(root).module("sample").content_hash
    edit(root / "quizzes/sample.yaml", "EXPLANATION-1", "EXPLANATION-ONE")
    after = load_content(root).module("sample").content_hash
    assert before != after and len(after) == 64


def test_yaml_tags_that_safe_load_refuses_are_refused(tmp_path):
    root = sample_tree(tmp_path)
    edit(root / "modules/sample/module.yaml", "estimated_minutes: 10", "estimated_minutes: !!python/object:os.system 1")
    problems = problems_of(root)
    line = line_of(root / "modules/sample/module.yaml", "estimated_minutes")
    assert any(f"module.yaml:{line}: invalid value" in p for p in problems), problems


@pytest.mark.parametrize("broken", [True, False])
def test_content_check_command(course_app, tmp_path, broken):
    root = sample_tree(tmp_path)
    if broken:
        edit(root / "quizzes/sample.yaml", "pass_mark: 60", "pass_mark: 160")
        edit(root / "modules/sample/lessons/first.yaml", "title: {en: First lesson, ", "title: {")
    result = course_app.test_cli_runner().invoke(args=["content", "check", str(root)])
    if broken:
        assert result.exit_code == 1
        lines = [l for l in result.output.splitlines() if re.match(r"^\S+\.yaml:\d+: ", l)]
        assert len(lines) == 2, result.output
        assert any("sample.yaml:4: 'pass_mark' must be from 0 to 100, not 160" in l for l in lines)
        assert any("first.yaml:2: 'title' has no English (en) text" in l for l in lines)
        assert "Traceback" not in result.output
    else:
        assert result.exit_code == 0, result.output
        assert "no problems" in result.output


def test_content_check_on_the_shipped_course_exits_0(course_app):
    result = course_app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "5 module(s)" in result.output
