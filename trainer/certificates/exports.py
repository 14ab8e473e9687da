"""The authority portal's downloads: the register (CSV) and the ZIP of PDFs with its manifest.

One row model feeds both, so the manifest in a ZIP and the register downloaded with the same filters agree
column for column. Both are streamed: rows come from the database in batches and leave as they are written.
CSV cells are spreadsheet-safe (trainer.spreadsheets: UTF-8 with BOM, formulas neutralised).
"""
import hashlib
import logging

from ..spreadsheets import csv_lines, csv_text
from . import services
from .zipstream import zip_chunks

log = logging.getLogger("trainer.certificates")

# Stable column names (machine-read by registries and scripts, so not translated).
REGISTER_HEADER = ("serial", "full_name", "full_name_ar", "country", "agency", "module_id", "module_version",
                   "module_title", "completed_on", "issued_on", "expires_on", "status", "revoked_on",
                   "revoke_reason", "superseded_on", "superseded_by", "score", "sha256")
MANIFEST_HEADER = ("file",) + REGISTER_HEADER


def pdf_name(serial):
    return f"{serial}.pdf"


def register_row(row, lang, on=None):
    """One certificate as register cells; `row` from services.register_rows."""
    status = "expired" if row.status == "valid" and row.expires_on < (on or services.today()) else row.status
    title = row.module_title or {}
    return [
        row.serial, row.full_name, row.full_name_ar, row.country, row.agency, row.module_id, row.module_version,
        title.get(lang) or title.get("en"), row.completed_on.isoformat(), row.issued_on.isoformat(),
        row.expires_on.isoformat(), status, row.revoked_at.date().isoformat() if row.revoked_at else None,
        row.revoke_reason, row.superseded_at.date().isoformat() if row.superseded_at else None, row.superseded_by,
        row.score, row.pdf_sha256,
    ]


def register_csv(viewer, filters, lang):
    """The register as CSV lines (first line with the BOM), for a streamed response."""
    on = services.today()
    rows = (register_row(row, lang, on) for row in services.register_rows(viewer, filters, on=on))
    return csv_lines(REGISTER_HEADER, rows)


def certificates_zip(viewer, filters, lang, batch=50):
    """The ZIP of the filtered certificates' PDFs (named SERIAL.pdf) and manifest.csv, as byte chunks.

    The manifest comes last because it lists the SHA-256 of each PDF as written into this archive; a PDF whose
    bytes no longer match the hash stored at issuance is logged (storage damage) and listed with its real hash.
    Its rows are kept while the PDFs stream (a few hundred bytes per certificate).
    """
    on = services.today()
    manifest = []

    def members():
        for row, pdf in services.register_rows_with_pdfs(viewer, filters, batch=batch, on=on):
            digest = hashlib.sha256(pdf).hexdigest()
            if digest != row.pdf_sha256:
                log.error("certificate %s: stored PDF does not match its SHA-256 at issuance", row.serial)
            cells = register_row(row, lang, on)
            cells[-1] = digest
            manifest.append([pdf_name(row.serial)] + cells)
            yield pdf_name(row.serial), pdf, row.issued_on
        yield "manifest.csv", csv_text(MANIFEST_HEADER, manifest).encode("utf-8"), on

    return zip_chunks(members())


