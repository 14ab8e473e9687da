"""CSV and XLSX exports of the dashboard and of the question analysis, built from the report model the pages show.

A table is a title, column headers and rows of plain Python values (str, int, float, bool, date, datetime, None),
so both formats carry the same cells and numbers stay numbers. Text a spreadsheet could take for a formula is made
inert: in CSV a leading = + - @ tab, carriage return or line feed gets an apostrophe in front (the usual OWASP
advice); in XLSX such a cell is stored as text with Excel's quote prefix, so it keeps its exact text and is never
evaluated. CSV files start with a byte-order mark so that Excel reads them as UTF-8 (Arabic names intact).
"""
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..spreadsheets import FORMULA_START, csv_text
from .reports import plain, plain_html

STATE_LABELS = {"not_started": _l("Not started"), "in_progress": _l("In progress"), "failed": _l("Quiz not passed"),
                "completed": _l("Completed")}
CERTIFICATE_LABELS = {"valid": _l("Valid"), "expired": _l("Expired"), "revoked": _l("Revoked")}
FLAG_LABELS = {"too_easy": _l("Too easy"), "too_hard": _l("Too hard"),
               "negative_discrimination": _l("Negative discrimination")}
TYPE_LABELS = {"single": _l("Single choice"), "multiple": _l("Multiple choice"), "true_false": _l("True or false")}


@dataclass
class Table:
    title: str
    headers: list
    rows: list


def _local(moment, tz):
    """An aware UTC datetime as a naive datetime in `tz` (spreadsheets have no time zones)."""
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0) if moment else None


# --- Tables from the report model ----------------------------------------------------------------------------------

def dashboard_table(report, lang, tz):
    """The dashboard as a table: one row per learner shown (every page, same filter and order as the page)."""
    tz_name = getattr(tz, "zone", str(tz))
    headers = [_("Username"), _("Full name"), _("Full name (Arabic)"), _("Country"), _("Agency"), _("Enrolled on"),
               _("Last sign-in (%(tz)s)", tz=tz_name), _("Status"), _("Overdue"),
               _("Last activity (%(tz)s)", tz=tz_name), _("Progress (%)"), _("Best score (%)"), _("Attempts")]
    modules = [report.focus] if report.focus else report.modules
    for assigned in modules:
        title = plain(assigned.module.title, lang)
        headers += [_("%(module)s: %(column)s", module=title, column=label) for label in (
            _("status"), _("lessons done"), _("lessons in module"), _("best score (%)"), _("attempts"),
            _("passed"), _("certificate"), _("certificate status"), _("due on"), _("overdue"))]
    rows = []
    for view in report.rows:
        enrolled = _local(view.enrolled_at, tz)
        row = [view.username, view.full_name, view.full_name_ar, view.country, view.agency,
               enrolled.date() if enrolled else None, _local(view.last_login_at, tz), str(STATE_LABELS[view.state]),
               view.overdue, _local(view.last_activity, tz), view.percent, view.score, view.attempts_used]
        for assigned in modules:
            cell = view.row.cell(assigned.id)
            certificate = cell.certificate
            row += [str(STATE_LABELS[cell.state]), cell.lessons_done, cell.lessons_total, cell.best_score,
                    cell.attempts_used if cell.has_quiz else None, cell.passed,
                    certificate.serial if certificate else None,
                    str(CERTIFICATE_LABELS[certificate.status]) if certificate else None, cell.due_on, cell.overdue]
        rows.append(row)
    return Table(title=_("Dashboard"), headers=headers, rows=rows)


def analysis_tables(analysis, lang):
    """The question analysis as two tables: one row per question, and one row per option of each question."""
    questions = Table(title=_("Questions"), headers=[
        _("No."), _("Question id"), _("Type"), _("Question"), _("Scenario"), _("In the bank"), _("Responses"),
        _("Facility (%)"), _("Discrimination"), _("Flags")], rows=[])
    options = Table(title=_("Options"), headers=[
        _("No."), _("Question id"), _("Option"), _("Option text"), _("Correct"), _("Times chosen"),
        _("Share of responses (%)")], rows=[])
    for q in analysis.questions:
        questions.rows.append([q.number, q.id, str(TYPE_LABELS.get(q.type, q.type)), plain(q.prompt, lang),
                               plain_html(q.scenario_html, lang) or None, q.in_bank, q.responses, q.facility,
                               q.discrimination, _("; ").join(str(FLAG_LABELS[f]) for f in q.flags) or None])
        for option in q.options:
            options.rows.append([q.number, q.id, option.label, plain(option.text, lang), option.correct,
                                 option.chosen, option.percent])
    return [questions, options]


# --- Formats -------------------------------------------------------------------------------------------------------

def _csv_value(value):
    """A cell as CSV writes it: numbers stay numbers; text is made inert by csv_text."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(table):
    """UTF-8 with a byte-order mark, comma-separated, CRLF line ends (what Excel expects)."""
    rows = ([_csv_value(v) for v in row] for row in table.rows)
    return csv_text([str(h) for h in table.headers], rows).encode("utf-8")


def _sheet_title(title, used):
    title = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    while title in used:
        title = (title[:28] + f" {len(used)}")[:31]
    used.add(title)
    return title


def _xlsx_cell(sheet, value):
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if value.startswith(FORMULA_START):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl would store it as a formula
            cell.quotePrefix = True
            return cell
    return value


def to_xlsx(tables, rtl=False):
    """One sheet per table, header row bold and frozen, sheets right to left for Arabic readers."""
    workbook = Workbook(write_only=True)
    used = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.sheet_view.rightToLeft = rtl
        sheet.freeze_panes = "A2"
        for index, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(max(len(str(header)) + 2, 10), 40)
        header_cells = []
        for header in table.headers:
            cell = _xlsx_cell(sheet, str(header))
            if not isinstance(cell, Cell):
                cell = WriteOnlyCell(sheet, value=cell)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
