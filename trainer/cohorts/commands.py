"""`flask --app run cohorts ...`: import a class of learners from a CSV file, list the cohorts."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..accounts.services import find_user
from ..countries import is_country
from ..extensions import db
from . import exports, reports, services
from .models import Cohort

cohorts_cli = AppGroup("cohorts", help="Manage cohorts and import their learners.")

ACTIONS = {"create": "create and enrol", "update_enrol": "update and enrol", "update": "update", "enrol": "enrol",
           "unchanged": "no change (already enrolled)", "error": "BAD ROW"}


def row_report(row):
    """One line of the per-row report, as the preview page shows it."""
    text = f"line {row.line}: {ACTIONS[row.action]:<17} {row.username or '-'}"
    if row.problems:
        return text + ": " + "; ".join(f"{field}: {message}" for field, message in row.problems)
    if row.create:
        return text + f" ({row.new_fields.get('full_name', '')})"
    if row.changes:
        text += " (" + ", ".join(f"{name}: {old or '-'} -> {new}" for name, (old, new) in row.changes.items()) + ")"
    if row.kept:
        text += f" (details differ and are kept: {', '.join(row.kept)})"
    return text


def counts_report(plan):
    c = plan.counts
    return (f"{len(plan.rows)} row(s): {c['create']} to create, {c['update']} to update, {c['enrol']} to enrol, "
            f"{c['unchanged']} unchanged, {c['bad']} bad.")


@cohorts_cli.command("import")
@click.argument("cohort_name")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--trainer", "trainer_username", help="Assign this trainer to the cohort.")
@click.option("--country", help="ISO country code for rows without one (and for a new cohort).")
@click.option("--language", default=services.DEFAULT_LANGUAGE, show_default=True,
              type=click.Choice(["ar", "en", "fr"]), help="Language of new learners whose row has none.")
@click.option("--dry-run", is_flag=True, help="Print what would be done; write nothing.")
@click.option("--codes", "codes_file", type=click.Path(dir_okay=False),
              help="Also write the new learners' one-time codes to this CSV file.")
def import_command(cohort_name, csv_file, trainer_username, country, language, dry_run, codes_file):
    """Import learners from CSV_FILE into the cohort COHORT_NAME (created if there is none by that name).

    Columns: username, full_name, full_name_ar, country, agency, language, email. Prints what each row does, or
    why it is bad; if any row is bad, exits 1 and writes nothing. New learners' one-time codes are printed once.
    """
    if country and not is_country(country):
        _fail(f"--country: '{country}' is not an ISO 3166 two-letter country code")
    trainer = None
    if trainer_username:
        trainer = find_user(trainer_username)
        if trainer is None or trainer.role != "trainer":
            _fail(f"--trainer: {trainer_username} is not a trainer account")
    try:
        records = services.read_csv(Path(csv_file).read_bytes())
    except services.ImportFileError as exc:
        _fail(f"{csv_file}: {exc}")
    cohort = services.find_cohort(cohort_name)
    plan = services.plan_import(cohort, records, default_country=country, default_language=language)
    for row in plan.rows:
        click.echo(row_report(row))
    click.echo(counts_report(plan))
    if not plan.ok:
        _fail("Nothing was written: fix the bad rows and run the import again.")
    if dry_run:
        click.echo("Dry run: nothing was written." + (f" The cohort '{cohort_name}' would be created."
                                                      if cohort is None else ""))
        return
    try:
        if cohort is None:
            cohort = services.create_cohort(cohort_name, country=country, trainers=[trainer] if trainer else [])
            click.echo(f"created cohort {cohort.name} (no module assigned yet: assign them on its edit page)")
        elif trainer is not None:
            services.add_trainer(cohort, trainer)
        issued = services.apply_import(cohort, plan)
    except services.CohortError as exc:
        db.session.rollback()
        _fail(str(exc))
    click.echo(f"imported into cohort {cohort.name} (id {cohort.id}).")
    if issued:
        width = max(len(i.user.username) for i in issued)
        click.echo("One-time sign-in codes (shown once; each works once, for 30 days):")
        for i in issued:
            click.echo(f"  {i.user.username.ljust(width)}  {i.code}")
        if codes_file:
            table = exports.Table(title="", headers=["username", "full_name", "full_name_ar", "code"],
                                  rows=[[i.user.username, i.user.full_name, i.user.full_name_ar, i.code]
                                        for i in issued])
            Path(codes_file).write_bytes(exports.to_csv(table))
            click.echo(f"codes written to {codes_file}")


@cohorts_cli.command("list")
def list_command():
    """List the cohorts: id, name, country, learners, trainers."""
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.name)).all()
    counts = reports.cohort_counts([c.id for c in cohorts])
    for cohort in cohorts:
        trainers = ", ".join(t.username for t in cohort.trainers) or "-"
        click.echo(f"{cohort.id:>4}  {cohort.name}  {cohort.country or '--'}  {counts.get(cohort.id, 0)} learner(s)  "
                   f"trainers: {trainers}")
    if not cohorts:
        click.echo("No cohort yet.")


def _fail(message):
    click.echo(f"error: {message}", err=True)
    sys.exit(1)
