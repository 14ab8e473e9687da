"""The quiz pages: start or resume an attempt, submit it, see its result.

The attempt page shows only what the learner must see to answer: question texts and options in the drawn order.
Correct answers, feedback and explanations are read from the stored snapshot only after grading.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..i18n import format_when
from ..learning import services as learning
from ..learning.views import load_module
from . import services
from .types import QUESTION_TYPES

bp = Blueprint("quiz", __name__)


def load_quiz_module(module_id):
    module = load_module(module_id)
    if module.quiz is None:
        abort(404)
    return module


@bp.route("/modules/<module_id>/quiz")
@login_required
def quiz(module_id):
    """The open attempt if there is one (a reload shows the same draw), else the quiz's standing."""
    module = load_quiz_module(module_id)
    attempt = services.open_attempt(current_user, module.quiz)
    if attempt is not None:
        return render_template("quiz/attempt.html", module=module, attempt=attempt,
                               questions=attempt_questions(attempt), form=FlaskForm(), types=QUESTION_TYPES)
    status = learning.module_status(current_user, module)
    attempts = services.graded_attempts(current_user, module.quiz)
    return render_template("quiz/overview.html", module=module, status=status, quiz_status=status.quiz,
                           attempts=attempts, form=FlaskForm(), needs=learning.still_needed(status))


@bp.route("/modules/<module_id>/quiz/start", methods=["POST"])
@login_required
def start(module_id):
    module = load_quiz_module(module_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        services.start_attempt(current_user, module)
    except services.QuizClosed as closed:
        flash(closed_message(closed), "warning")
    return redirect(url_for("quiz.quiz", module_id=module.id))


@bp.route("/modules/<module_id>/quiz/attempts/<int:number>", methods=["POST"])
@login_required
def submit(module_id, number):
    module = load_quiz_module(module_id)
    attempt = services.get_attempt(current_user, module.quiz, number)
    if attempt is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if attempt.status == "open" and services.submit_attempt(attempt, services.answers_from_form(attempt, request.form)):
        if attempt.passed:  # only a pass can complete the module (and issue its certificate)
            learning.after_progress(current_user, module)
    else:
        flash(_("This attempt had already been submitted. Here is its result."), "info")
    return redirect(url_for("quiz.result", module_id=module.id, number=number))


@bp.route("/modules/<module_id>/quiz/attempts/<int:number>")
@login_required
def result(module_id, number):
    module = load_quiz_module(module_id)
    attempt = services.get_attempt(current_user, module.quiz, number)
    if attempt is None:
        abort(404)
    if attempt.status == "open":
        return redirect(url_for("quiz.quiz", module_id=module.id))
    status = learning.module_status(current_user, module)
    return render_template("quiz/result.html", module=module, attempt=attempt, status=status,
                           review=services.review(attempt), needs=learning.still_needed(status), form=FlaskForm())


def attempt_questions(attempt):
    """The questions of an open attempt as the learner sees them: texts and options only, in the drawn order."""
    snapshots = services.snapshots_for(attempt)
    shown = []
    for item in attempt.questions:
        data = snapshots[item["h"]]
        options = {o["id"]: o["text"] for o in data["options"]}
        shown.append({"id": item["q"], "type": item["t"], "prompt": data["prompt"],
                      "scenario_html": data["scenario_html"],
                      "options": [{"text": options[option_id]} for option_id in item["o"]]})
    return shown


def closed_message(closed):
    if closed.reason == "passed":
        return _("You have already passed this quiz.")
    if closed.reason == "busy":
        return _("The quiz could not start because of other requests at the same moment. Please try again.")
    if closed.reason == "no_attempts_left":
        return _("You have used all your attempts for this quiz. Ask your trainer if you need another.")
    return _("You can try again at %(time)s.", time=format_when(closed.next_attempt_at))
