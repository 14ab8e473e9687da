"""Forms of the trainer workspace (Flask-WTF: every form carries a CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, FieldList, Form, FormField, HiddenField, SelectField, \
    SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import LANGUAGE_LABELS, language_choices, select_choices

SCOPE_LABELS = {"all": _l("All graded attempts"), "first": _l("First attempts only")}


class ModuleAssignmentForm(Form):
    """One module of the course: assigned to the cohort or not, with an optional due date."""

    module_id = HiddenField()
    assigned = BooleanField(_l("Assigned"))
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    country = SelectField(_l("Country"), validators=[Optional()])
    agency = StringField(_l("Agency"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    ends_on = DateField(_l("End date"), validators=[Optional()])
    trainers = SelectMultipleField(_l("Trainers"), coerce=int, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    modules = FieldList(FormField(ModuleAssignmentForm))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("The end date is before the start date."))


class DeleteCohortForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete this cohort (learners, their progress and certificates stay)"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"})
    default_country = SelectField(_l("Country for rows without one"), validators=[Optional()])
    default_language = SelectField(_l("Language for new learners without one"), choices=language_choices(),
                                   default="ar")


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class LearnerForm(FlaskForm):
    """One learner added by hand: a new account, or an existing learner's username."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"dir": "ltr", "autocapitalize": "none", "autocomplete": "off"})
    full_name = StringField(_l("Full name (Latin script, as on the passport)"), validators=[Length(max=200)],
                            render_kw={"dir": "ltr"})
    full_name_ar = StringField(_l("Full name in Arabic script (optional)"), validators=[Length(max=200)],
                               render_kw={"dir": "rtl", "lang": "ar"})
    country = SelectField(_l("Country"), validators=[Optional()])
    agency = StringField(_l("Agency"), validators=[Length(max=200)])
    language = SelectField(_l("Language"), choices=select_choices([("", "—")] + list(LANGUAGE_LABELS.items())),
                           validators=[Optional()])
    email = StringField(_l("E-mail (optional)"), validators=[Length(max=254)], render_kw={"dir": "ltr"})
