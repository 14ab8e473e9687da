"""Command-line tools: `flask --app run content check`, `users create`, `demo` (and the features' own groups)."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .certificates.commands import certificates_cli
from .cohorts.commands import cohorts_cli
from .extensions import db

content_cli = AppGroup("content", help="Check the YAML course content.")
users_cli = AppGroup("users", help="Manage user accounts.")


@content_cli.command("check")
@click.argument("root", required=False, type=click.Path(file_okay=False))
def content_check(root):
    """Check every module, lesson, quiz and the glossary under ROOT (default: the app's CONTENT_ROOT).

    Prints each problem as path:line: message; exits 1 if there is any, 0 if none.
    """
    from .app import course_templates
    from .content import load_content

    root = Path(root or current_app.config["CONTENT_ROOT"])
    if not root.is_dir():
        click.echo(f"{root}: no such folder", err=True)
        sys.exit(1)
    content = load_content(root, certificate_templates=course_templates(current_app))
    for problem in content.problems:
        click.echo(str(problem) + ("" if problem.severity == "error" else " (warning)"))
    modules = len(content.modules)
    if content.problems:
        click.echo(f"{len(content.problems)} problem(s); {modules} module(s) load, "
                   f"{len(content.broken_modules)} left out.", err=True)
        sys.exit(1)
    click.echo(f"OK: {modules} module(s), "
               f"{sum(len(m.lessons) for m in content.modules.values())} lessons, "
               f"{sum(len(m.quiz.questions) for m in content.modules.values() if m.quiz)} questions, "
               f"{len(content.glossary)} glossary terms; no problems.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["learner", "trainer", "authority", "admin"]))
@click.option("--full-name", help="Full name in Latin script (default: the username).")
@click.option("--full-name-ar", help="Full name in Arabic script.")
@click.option("--country", help="ISO 3166 two-letter country code.")
@click.option("--agency")
@click.option("--email")
@click.option("--language", default="en", type=click.Choice(["ar", "en", "fr"]), show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username, role, full_name, full_name_ar, country, agency, email, language, password_stdin):
    """Create a user. Without --password-stdin a one-time sign-in code is printed instead."""
    from .accounts.services import AccountError, create_user, issue_login_code

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(username, role=role, full_name=full_name, full_name_ar=full_name_ar, country=country,
                           agency=agency, email=email, language=language, password=password)
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    code = None if password else issue_login_code(user)
    db.session.commit()
    click.echo(f"created {user.role} {user.username}")
    if code:
        click.echo(f"one-time sign-in code (shown once): {code}")


@click.command("demo")
def demo_command():
    """Seed demo accounts and progress (once); print the demo sign-ins."""
    from .demo import DEMO_PASSWORD, seed

    created = seed()
    click.echo("Demo data " + ("created." if created else "already present."))
    click.echo(demo_logins_table(DEMO_PASSWORD))


def demo_logins_table(password):
    from .demo import DEMO_USERS

    rows = [(u["username"], u["role"], u.get("country") or "", u["full_name"]) for u in DEMO_USERS]
    width = max(len(r[0]) for r in rows)
    lines = [f"Demo sign-ins (password for all: {password}):"]
    lines += [f"  {name.ljust(width)}  {role:<9}  {country:<2}  {full}" for name, role, country, full in rows]
    from sqlalchemy import func, select

    from .accounts.models import User

    others = db.session.scalar(select(func.count()).select_from(User).where(
        User.role == "learner", User.username.not_in([u["username"] for u in DEMO_USERS])))
    if others:
        lines.append(f"  ... and {others} more learners in the demo cohorts (same password; see /trainer/cohorts)")
    return "\n".join(lines)


def register_cli(app):
    app.cli.add_command(content_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(cohorts_cli)
    app.cli.add_command(certificates_cli)
