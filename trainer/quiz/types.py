"""Question types: a registry `{type name: class}`; each class checks its options and grades an answer.

Adding a type (matching, ordering) means adding a class here: the loader, the quiz page and grading look types up
in QUESTION_TYPES and never test the name themselves.
"""
from abc import ABC, abstractmethod


class QuestionType(ABC):
    """Interface of a question type. `answer` is the set of option ids the learner chose."""

    name = ""
    input_type = "radio"  # how the quiz page asks for the answer

    def check(self, options):
        """Problems with a question's options (list of (option_id, correct)), as messages."""
        problems = []
        if len(options) < 2:
            problems.append("a question needs at least two options")
        if not any(correct for _, correct in options):
            problems.append("no option is marked correct: at least one must be")
        return problems

    @abstractmethod
    def grade(self, correct_ids, answer):
        """Score in [0, 1] for `answer` given the set of correct option ids."""


class SingleChoice(QuestionType):
    """One option is right; the learner picks one."""

    name = "single"

    def check(self, options):
        problems = super().check(options)
        n_correct = sum(1 for _, correct in options if correct)
        if n_correct > 1:
            problems.append(f"a '{self.name}' question must have exactly one correct option, not {n_correct}")
        return problems

    def grade(self, correct_ids, answer):
        return 1.0 if len(answer) == 1 and set(answer) == set(correct_ids) else 0.0


class TrueFalse(SingleChoice):
    """A statement that is true or false: exactly two options, one correct."""

    name = "true_false"

    def check(self, options):
        problems = super().check(options)
        if len(options) != 2:
            problems.append(f"a 'true_false' question must have exactly two options, not {len(options)}")
        return problems


class MultipleChoice(QuestionType):
    """Several options may be right; the answer counts only when the selection is exactly the correct set."""

    name = "multiple"
    input_type = "checkbox"

    def grade(self, correct_ids, answer):
        return 1.0 if answer and set(answer) == set(correct_ids) else 0.0


QUESTION_TYPES = {cls.name: cls() for cls in (SingleChoice, MultipleChoice, TrueFalse)}
