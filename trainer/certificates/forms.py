"""Forms of the certificate pages: checking a serial or a PDF, revoking, and the authority list's filters."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..i18n import select_choices
from .services import REASON_MAX


class SerialForm(FlaskForm):
    """Look a serial up (GET, so the result page has an address one can share)."""

    class Meta:
        csrf = False

    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=64)],
                         render_kw={"dir": "ltr", "autocapitalize": "characters", "autocomplete": "off",
                                    "spellcheck": "false", "placeholder": "7K3M-Q9XD-2HTF-8WRC"})


class UploadForm(FlaskForm):
    pdf = FileField(_l("Certificate file (PDF)"), validators=[FileRequired(_l("Choose the PDF file to check."))],
                    render_kw={"accept": "application/pdf,.pdf"})


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[
        DataRequired(_l("Give the reason: it is shown on the verification page.")), Length(max=REASON_MAX)],
        render_kw={"rows": 3, "dir": "auto"})


class ReissueForm(FlaskForm):
    reason = StringField(_l("Why it is re-issued (optional)"), validators=[Optional(), Length(max=REASON_MAX)],
                         render_kw={"dir": "auto"})


class FilterForm(FlaskForm):
    """The authority list's filters, read from the query string (the ZIP and CSV links carry the same)."""

    class Meta:
        csrf = False

    q = StringField(_l("Serial or name"), validators=[Optional(), Length(max=200)], render_kw={"dir": "auto"})
    module = SelectField(_l("Module"), validators=[Optional()], validate_choice=False)
    cohort = SelectField(_l("Cohort"), validators=[Optional()], validate_choice=False)
    status = SelectField(_l("Status"), validators=[Optional()], choices=select_choices([
        ("", _l("Any status")), ("valid", _l("Valid")), ("expired", _l("Expired")), ("revoked", _l("Revoked")),
        ("superseded", _l("Superseded"))]))
    issued_from = DateField(_l("Issued from"), validators=[Optional()])
    issued_to = DateField(_l("Issued until"), validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()], validate_choice=False)

    def validate_issued_to(self, field):
        if field.data and self.issued_from.data and field.data < self.issued_from.data:
            raise ValidationError(_l("The end date is before the start date."))
