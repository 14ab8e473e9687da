"""Spreadsheet-safe exports: CSV that Excel opens with Arabic intact (UTF-8 with BOM) and cells that can never
run as formulas, whatever a name or agency contains. Used by every CSV/XLSX export (registers, dashboards)."""
import csv
import io

BOM = "\ufeff"
# A cell starting with one of these is read as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def inert(value):
    """`value` made safe for a spreadsheet cell: text that could start a formula gets a leading apostrophe.

    Numbers, dates and None pass unchanged so they stay numbers in the sheet (a negative number is not text).
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header, rows):
    """A whole CSV document (with BOM) as text; every cell passed through `inert`."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([inert(h) for h in header])
    for row in rows:
        writer.writerow(["" if cell is None else inert(cell) for cell in row])
    return buffer.getvalue()


def csv_lines(header, rows):
    """The same CSV, yielded line by line (for streamed responses of any size)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([inert(h) for h in header])
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if cell is None else inert(cell) for cell in row])
        yield buffer.getvalue()
