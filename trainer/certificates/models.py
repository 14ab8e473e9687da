"""Issued certificates and their stored PDFs.

A certificate's facts are copied from the learner and the module when it is issued, so a later change of name
or content never alters a certificate already given. At most one certificate per learner and module is valid:
a partial unique index enforces it in the database, whatever the number of app processes.
"""
from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

STATUSES = ("valid", "revoked", "superseded")  # "expired" is derived from expires_on


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        Index("uq_certificates_one_valid", "user_id", "module_id", unique=True,
              sqlite_where=text("status = 'valid'"), postgresql_where=text("status = 'valid'")),
        Index("ix_certificates_module_status", "module_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(24), unique=True)  # grouped form, e.g. 7K3M-Q9XD-2HTF-8WRC
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    module_id: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[int]
    module_title: Mapped[dict] = mapped_column(JSON)  # {"ar": ..., "en": ..., "fr": ...} as printed
    content_hash: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(200))
    full_name_ar: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # the learner's, when issued
    second_language: Mapped[str] = mapped_column(String(2))  # printed beside Arabic: en | fr
    score: Mapped[float | None]
    completed_on: Mapped[object] = mapped_column(Date)
    issued_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The dates as printed and signed: calendar days in the learner's country, not UTC.
    issued_on: Mapped[object] = mapped_column(Date, index=True)
    expires_on: Mapped[object] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="valid")
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[object | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int]

    user = relationship("User", foreign_keys=[user_id])
    file = relationship("CertificateFile", uselist=False, lazy="raise", cascade="all, delete-orphan")


class CertificateFile(db.Model):
    """The signed PDF, rendered once at issuance; kept apart so lists never load it."""

    __tablename__ = "certificate_files"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
