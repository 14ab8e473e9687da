"""The learner's pages: catalogue, module, lesson (with "mark as done"), glossary."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from .. import fragments
from ..app import course
from ..i18n import current_language

from . import services

bp = Blueprint("learning", __name__)


def load_module(module_id):
    module = course().module(module_id)
    if module is None:
        abort(404)
    return module


@bp.route("/modules")
@login_required
def catalogue():
    modules = list(course().modules.values())
    statuses = services.module_statuses(current_user, modules)
    resume = services.resume_point(statuses)
    return render_template("learning/catalogue.html", modules=modules, statuses=statuses, resume=resume)


@bp.route("/modules/<module_id>")
@login_required
def module(module_id):
    module = load_module(module_id)
    status = services.module_status(current_user, module)
    return render_template("learning/module.html", module=module, status=status,
                           needs=services.still_needed(status))


@bp.route("/modules/<module_id>/lessons/<lesson_id>")
@login_required
def lesson(module_id, lesson_id):
    module = load_module(module_id)
    lesson = module.lesson(lesson_id)
    if lesson is None:
        abort(404)
    status = services.module_status(current_user, module, with_quiz=False)
    services.record_view(current_user, module, lesson, status)
    done = lesson.id in status.done
    index = module.lesson_index(lesson_id)
    key = ("lesson", module.id, lesson.id, current_language(), done)
    content = fragments.cached(
        key, "learning/_lesson.html", module=module, lesson=lesson, done=done, index=index,
        previous=module.lessons[index - 1] if index > 0 else None,
        following=module.lessons[index + 1] if index + 1 < len(module.lessons) else None)
    return render_template("learning/lesson.html", lesson=lesson, content=fragments.with_token(content))


@bp.route("/modules/<module_id>/lessons/<lesson_id>/done", methods=["POST"])
@login_required
def mark_done(module_id, lesson_id):
    module = load_module(module_id)
    lesson = module.lesson(lesson_id)
    if lesson is None:
        abort(404)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    status = services.mark_done(current_user, module, lesson)
    if status.complete:
        flash(_("You have completed this module."), "success")
        return redirect(url_for("learning.module", module_id=module.id))
    index = module.lesson_index(lesson_id)
    if index + 1 < len(module.lessons):
        return redirect(url_for("learning.lesson", module_id=module.id, lesson_id=module.lessons[index + 1].id))
    return redirect(url_for("learning.module", module_id=module.id))


@bp.route("/glossary")
@login_required
def glossary():
    return render_template("learning/glossary.html", terms=course().glossary)
