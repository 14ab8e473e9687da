"""Helpers shared by the tests of the trainer workspace: cohorts, progress through the real services, reading
the dashboard table as a user sees it, parsing exports."""
import csv
import io
import re
from datetime import timedelta
from html.parser import HTMLParser

from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy.engine import Engine

from trainer.cohorts import services
from trainer.extensions import db
from trainer.learning import services as learning
from trainer.quiz import services as quizzes
from trainer.timeutil import utcnow


def make_cohort(name="Amman spring", trainers=(), modules=("sample",), due=None, country="JO", learners=(), app=None):
    """A committed cohort; `app` is the app whose course holds `modules` (default: the current app)."""
    content = app.extensions["trainer.content"] if app is not None else None
    cohort = services.create_cohort(name, country=country, trainers=list(trainers),
                                    modules=[(m, (due or {}).get(m)) for m in modules], content=content)
    for user in learners:
        services.enrol(cohort, user)
    db.session.commit()
    return cohort


def module(app, module_id="sample"):
    return app.extensions["trainer.content"].module(module_id)


def read_lessons(user, mod, count=None):
    for lesson in mod.lessons[:count]:
        learning.mark_done(user, mod, lesson)


def take_quiz(user, mod, right, when=None):
    """One attempt with the first `right` questions answered correctly and the others wrong."""
    attempt = quizzes.start_attempt(user, mod, now=when)
    answers = {}
    for i, item in enumerate(attempt.questions):
        wrong = [o for o in item["o"] if o not in item["c"]]
        answers[item["q"]] = list(item["c"]) if i < right else [wrong[0]]
    quizzes.submit_attempt(attempt, answers, now=(when + timedelta(minutes=5)) if when else None)
    learning.after_progress(user, mod)
    return attempt


def hours_ago(hours):
    return utcnow() - timedelta(hours=hours)


class TableReader(HTMLParser):
    """The rows of the table with id `table_id`, as lists of cell texts (whitespace collapsed)."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.depth = 1
        elif self.depth and tag == "table":
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif self.depth and tag == "table":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and self.cell is not None:
            self.cell.append(data)


def page_table(response, table_id="learners-table"):
    reader = TableReader(table_id)
    reader.feed(response.get_data(as_text=True))
    return reader.rows


def csv_rows(response):
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(response, sheet=0):
    book = load_workbook(io.BytesIO(response.data))
    worksheet = book.worksheets[sheet]
    return [[cell for cell in row] for row in worksheet.iter_rows()]


class QueryCounter:
    """Counts the SQL statements sent while in the block, on every engine (each test app has its own)."""

    def __init__(self):
        self.count = 0

    def _count(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(Engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(Engine, "before_cursor_execute", self._count)
