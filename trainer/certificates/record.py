"""The certificate record: what a certificate states, and the canonical bytes its QR signature covers.

Canonical form, version 1 (stable: a printed certificate is checked against it for years). UTF-8 of nine fields
joined by a line feed (U+000A), no trailing line feed:

    TC1                  format tag and version
    SERIAL               16 symbols, no hyphens (e.g. 7K3MQ9XD2HTF8WRC)
    full name            Latin script, NFC, inner whitespace collapsed to single spaces
    Arabic name          same rules; empty when unknown
    module id            e.g. rights-at-borders
    module version       decimal, e.g. 3
    completed on         YYYYMMDD
    issued on            YYYYMMDD
    expires on           YYYYMMDD

The module title, the score and the organisation are printed but not signed in the QR: the PDF signature covers
them, and leaving them out keeps the QR small.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from .serial import compact_serial, is_valid_serial, normalise_serial

FORMAT_TAG = "TC1"
SECOND_LANGUAGES = ("en", "fr")
MODULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
# Invisible direction marks and embeddings: they could make a printed name read differently from the record.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FIELDS = ("serial", "full_name", "full_name_ar", "module_id", "module_version", "completed_on", "issued_on",
           "expires_on")


@dataclass(frozen=True)
class CertificateRecord:
    """One issued certificate. Names are stored NFC-normalised, without direction marks, whitespace collapsed."""

    serial: str
    full_name: str
    full_name_ar: str | None
    module_id: str
    module_version: int
    module_title: dict  # {"en": ..., "ar": ..., "fr": ...}; a missing language falls back to English
    second_language: str  # "en" or "fr": printed beside Arabic
    completed_on: datetime.date
    issued_on: datetime.date
    expires_on: datetime.date
    score: float | None = None  # percent
    organisation: str | None = field(default=None)  # overrides the template's organisation

    def __post_init__(self):
        serial = normalise_serial(self.serial)
        if serial is None or not is_valid_serial(serial):
            raise ValueError(f"not a valid serial: {self.serial!r}")
        object.__setattr__(self, "serial", serial)
        object.__setattr__(self, "full_name", _name(self.full_name, "full_name", required=True))
        object.__setattr__(self, "full_name_ar", _name(self.full_name_ar, "full_name_ar", required=False))
        if not isinstance(self.module_id, str) or not MODULE_ID.match(self.module_id):
            raise ValueError(f"module_id must use lowercase letters, digits and hyphens: {self.module_id!r}")
        if isinstance(self.module_version, bool) or not isinstance(self.module_version, int) or self.module_version < 1:
            raise ValueError(f"module_version must be a whole number from 1 up: {self.module_version!r}")
        if not isinstance(self.module_title, dict) or not str(self.module_title.get("en") or "").strip():
            raise ValueError("module_title must be a mapping with at least an English (en) title")
        if self.second_language not in SECOND_LANGUAGES:
            raise ValueError(f"second_language must be 'en' or 'fr', not {self.second_language!r}")
        for name in ("completed_on", "issued_on", "expires_on"):
            value = getattr(self, name)
            # a datetime is a date too, but its time would make the record depend on the clock
            if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
                raise ValueError(f"{name} must be a datetime.date, not {type(value).__name__}")
        if self.expires_on < self.completed_on:
            raise ValueError("expires_on is before completed_on")
        if self.score is not None:
            if isinstance(self.score, bool) or not isinstance(self.score, (int, float)) or not 0 <= self.score <= 100:
                raise ValueError(f"score must be a percentage from 0 to 100, or None: {self.score!r}")
        if self.organisation is not None:
            object.__setattr__(self, "organisation", _name(self.organisation, "organisation", required=False))

    def title(self, lang):
        """The module title in `lang`, or in English when that translation is missing."""
        return str(self.module_title.get(lang) or self.module_title["en"]).strip()

    def canonical_bytes(self):
        """The bytes the QR's Ed25519 signature covers (format in the module docstring)."""
        return "\n".join([
            FORMAT_TAG,
            compact_serial(self.serial),
            self.full_name,
            self.full_name_ar or "",
            self.module_id,
            str(self.module_version),
            _day(self.completed_on),
            _day(self.issued_on),
            _day(self.expires_on),
        ]).encode("utf-8")

    def signed_fields(self):
        """The fields the QR signature covers, as plain values (what verify_qr returns)."""
        return {name: getattr(self, name) for name in _FIELDS}


def parse_canonical(data):
    """The signed fields from canonical bytes; ValueError when they are not a version-1 record."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("record is not UTF-8") from None
    parts = text.split("\n")
    if len(parts) != 9 or parts[0] != FORMAT_TAG:
        raise ValueError("not a version-1 certificate record")
    _, serial, full_name, full_name_ar, module_id, version, completed, issued, expires = parts
    if not is_valid_serial(serial):
        raise ValueError("record has an invalid serial")
    if not version.isdigit():
        raise ValueError("record has an invalid module version")
    return {
        "serial": normalise_serial(serial),
        "full_name": full_name,
        "full_name_ar": full_name_ar or None,
        "module_id": module_id,
        "module_version": int(version),
        "completed_on": _parse_day(completed),
        "issued_on": _parse_day(issued),
        "expires_on": _parse_day(expires),
    }


def _name(value, label, required):
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise ValueError(f"{label} is required")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{label} must be a text, not {type(value).__name__}")
    text = _SPACES.sub(" ", _BIDI_CONTROLS.sub("", unicodedata.normalize("NFC", value))).strip()
    if not text:
        raise ValueError(f"{label} is empty")
    if _CONTROL.search(text):
        raise ValueError(f"{label} contains a control character")
    return text


def _day(value):
    return value.strftime("%Y%m%d")


def _parse_day(text):
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"record has an invalid date: {text!r}")
    try:
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"record has an invalid date: {text!r}") from None
