"""Bulk enrolment from CSV without HTTP: reading files the way Excel writes them, planning row by row, applying all
or nothing, and the `flask cohorts import` command for administrators."""
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from trainer.accounts.models import User
from trainer.accounts.services import authenticate
from trainer.cohorts import services
from trainer.cohorts.models import Cohort, CohortLearner
from trainer.extensions import db

from .cohort_helpers import make_cohort

HEADER = "username,full_name,full_name_ar,country,agency,language,email\n"


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_reads_excel_files_semicolons_bom_quotes_and_line_numbers(app):
    text = ("\ufeffUsername;Full name;full_name_ar;Country\r\n"
            "salma;Salma Aziz;سلمى عزيز;jo\r\n"
            "\r\n"
            '"karim";"Karim ""K"" Mansour";;JO\r\n')
    records = services.read_csv(text.encode("utf-8"))
    assert [r.line for r in records] == [2, 4]  # the blank line 3 is skipped but counted
    assert records[0].values == {"username": "salma", "full_name": "Salma Aziz", "full_name_ar": "سلمى عزيز",
                                 "country": "jo", "agency": "", "language": "", "email": ""}
    assert records[1].values["full_name"] == 'Karim "K" Mansour'


def test_a_row_with_too_many_values_is_bad_and_names_its_line(app):
    # An unquoted comma in a name shifts the values to the right.
    records = services.read_csv((HEADER + "salma,Aziz, Salma,,JO,Border Police,ar,,s@example.org\n"
                                 "nour,Nour Tamimi,,JO,,ar,,\n").encode())  # empty extra cells are harmless
    plan = services.plan_import(None, records)
    assert not plan.rows[0].ok and plan.rows[1].ok
    assert plan.rows[0].line == 2
    assert plan.rows[0].problems[0] == ("row", "9 values, but the first line names 7 columns (a comma inside a "
                                                "value needs quotes)")


def test_plan_reports_each_rows_action_and_reasons(app, make_user):
    make_user("omar", full_name="Omar Haddad", country="JO")
    make_user("karim", role="trainer")
    make_user("old", full_name="Old Account").active = False
    db.session.commit()
    records = services.read_csv((
        HEADER
        + "salma,Salma Aziz,سلمى عزيز,,Border Police,,\n"  # 2: new, country and language from the defaults
        + "omar,Omar Al-Haddad,,,,,\n"  # 3: existing learner, name changes
        + "karim,,,,,,\n"  # 4: a trainer account
        + "salma,Salma Again,,,,,\n"  # 5: twice in the file
        + "nour,نور,,,,,\n"  # 6: Arabic in the Latin-script column
        + "lina,Lina Saleh,,XX,,de,lina@\n"  # 7: three bad fields
        + ",No Username,,,,,\n"  # 8
        + "old,Old Account,,,,,\n"  # 9: deactivated
        + "rami,,,,,,\n"  # 10: new without a name
    ).encode())
    plan = services.plan_import(None, records, default_country="jo", default_language="fr")
    by_line = {row.line: row for row in plan.rows}
    assert by_line[2].action == "create" and by_line[2].new_fields["country"] == "JO"
    assert by_line[2].new_fields["language"] == "fr"
    assert by_line[3].action == "update_enrol" and by_line[3].changes == {"full_name": ("Omar Haddad",
                                                                                        "Omar Al-Haddad")}
    reasons = {line: "; ".join(f"{f}: {m}" for f, m in row.problems) for line, row in by_line.items()}
    assert "karim has the role “Trainer”, not learner" in reasons[4]
    assert "salma is also on line 2" in reasons[5]
    assert "must be in Latin script" in reasons[6]
    assert all(word in reasons[7] for word in ("'XX' is not an ISO 3166", "must be ar, en or fr",
                                               "'lina@' is not an e-mail address"))
    assert reasons[8] == "username: required"
    assert "deactivated" in reasons[9]
    assert "full_name: required" in reasons[10]
    assert plan.counts == {"create": 1, "update": 1, "enrol": 2, "unchanged": 0, "bad": 7}


def test_apply_is_all_or_nothing_when_the_database_refuses_a_row(app, make_user, monkeypatch):
    trainer = make_user("karim", role="trainer")
    cohort = make_cohort(trainers=[trainer], modules=())
    plan = services.plan_import(cohort, services.read_csv(
        (HEADER + "salma,Salma Aziz,,JO,,ar,\nnour,Nour Tamimi,,JO,,ar,\n").encode()), actor=trainer)
    assert plan.ok
    # Someone takes the second username after the plan was made: the whole import must be refused.
    make_user("nour", full_name="Another Nour")
    with pytest.raises(services.CohortError) as refused:
        services.apply_import(cohort, plan, actor=trainer)
    assert "Nothing was written" in str(refused.value)
    assert db.session.scalar(select(User).where(User.username == "salma")) is None
    assert _count(CohortLearner) == 0

    # And a failure while writing memberships (after the accounts were added) rolls the accounts back too.
    plan = services.plan_import(cohort, services.read_csv((HEADER + "salma,Salma Aziz,,JO,,ar,\n").encode()),
                                actor=trainer)

    def failing_flush(*args, **kwargs):
        raise IntegrityError("INSERT", {}, Exception("simulated"))

    monkeypatch.setattr(db.session, "flush", failing_flush)
    with pytest.raises(services.CohortError):
        services.apply_import(cohort, plan, actor=trainer)
    monkeypatch.undo()
    assert db.session.scalar(select(User).where(User.username == "salma")) is None


def test_new_learners_codes_work_once_and_existing_passwords_are_kept(app, make_user):
    omar = make_user("omar", full_name="Omar Haddad")
    cohort = make_cohort(modules=())
    plan = services.plan_import(cohort, services.read_csv((HEADER + "salma,Salma Aziz,,JO,,ar,\nomar,,,,,,\n")
                                                          .encode()))
    issued = services.apply_import(cohort, plan)
    assert [i.user.username for i in issued] == ["salma"]  # an existing learner gets no new code
    user, how = authenticate("salma", issued[0].code)
    assert user is not None and how == "code"
    db.session.commit()
    assert authenticate("salma", issued[0].code) == (None, None)
    assert omar.password_hash is not None and services.is_member(cohort, omar.id)


def _write(tmp_path, text, name="class.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def test_cli_dry_run_prints_the_plan_and_writes_nothing(app, make_user, tmp_path):
    make_user("karim", role="trainer")
    path = _write(tmp_path, HEADER + "salma,Salma Aziz,سلمى عزيز,,,,\nnour,Nour Tamimi,,,,en,\n")
    result = app.test_cli_runner().invoke(args=["cohorts", "import", "Amman June", path, "--trainer", "karim",
                                                "--country", "JO", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert re.search(r"line 2: create and enrol +salma \(Salma Aziz\)", result.output)
    assert re.search(r"line 3: create and enrol +nour \(Nour Tamimi\)", result.output)
    assert "2 to create" in result.output and "Dry run: nothing was written" in result.output
    assert "would be created" in result.output
    assert _count(Cohort) == 0 and db.session.scalar(select(User).where(User.username == "salma")) is None


def test_cli_a_bad_row_exits_1_and_writes_nothing(app, make_user, tmp_path):
    trainer = make_user("karim", role="trainer")
    make_cohort("Amman June", trainers=[trainer], modules=())
    path = _write(tmp_path, HEADER + "salma,Salma Aziz,,JO,,,\nkarim,,,,,,\nbad name,X,,JO,,,\n")
    result = app.test_cli_runner().invoke(args=["cohorts", "import", "Amman June", path])
    assert result.exit_code == 1
    assert re.search(r"line 2: create and enrol +salma", result.output)
    assert re.search(r"line 3: BAD ROW +karim: username: karim has the role “Trainer”", result.output)
    assert re.search(r"line 4: BAD ROW +bad name: username: 2 to 64 characters", result.output)
    assert "Nothing was written" in result.output and "Traceback" not in result.output
    assert db.session.scalar(select(User).where(User.username == "salma")) is None
    assert _count(CohortLearner) == 0


def test_cli_imports_into_a_new_cohort_and_prints_the_codes_once(app, make_user, tmp_path):
    make_user("karim", role="trainer")
    path = _write(tmp_path, HEADER + "salma,Salma Aziz,سلمى عزيز,,,,\n")
    codes = tmp_path / "codes.csv"
    result = app.test_cli_runner().invoke(args=["cohorts", "import", "Amman June", path, "--trainer", "karim",
                                                "--country", "jo", "--codes", str(codes)])
    assert result.exit_code == 0, result.output
    cohort = services.find_cohort("amman june")
    assert [t.username for t in cohort.trainers] == ["karim"] and cohort.country == "JO"
    salma = db.session.scalar(select(User).where(User.username == "salma"))
    assert salma.country == "JO" and services.is_member(cohort, salma.id)
    code = result.output.split("salma")[-1].split()[0]
    assert authenticate("salma", code)[1] == "code"
    assert codes.read_bytes().startswith(b"\xef\xbb\xbf") and "سلمى عزيز" in codes.read_text("utf-8-sig")
    listing = app.test_cli_runner().invoke(args=["cohorts", "list"])
    assert "Amman June" in listing.output and "1 learner(s)" in listing.output


def test_cli_refuses_unknown_trainer_country_and_unreadable_files(app, make_user, tmp_path):
    make_user("omar")
    runner = app.test_cli_runner()
    good = _write(tmp_path, HEADER + "salma,Salma Aziz,,,,,\n")
    for args, message in ((["--trainer", "omar"], "omar is not a trainer account"),
                          (["--country", "XX"], "not an ISO 3166")):
        result = runner.invoke(args=["cohorts", "import", "Amman", good, *args])
        assert result.exit_code == 1 and message in result.output
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(HEADER.encode() + "salma,Salm\xe9,,,,,\n".encode("latin-1"))
    result = runner.invoke(args=["cohorts", "import", "Amman", str(latin1)])
    assert result.exit_code == 1 and "not UTF-8 text (first unreadable character on line 2)" in result.output
    assert _count(Cohort) == 0
