"""Forms for administrators: a user's fields."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.models import ROLE_LABELS, ROLES
from ..accounts.services import validate_user_fields
from ..i18n import language_choices, select_choices



class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)], render_kw={"dir": "ltr"})
    full_name = StringField(_l("Full name (Latin script, as on the passport)"),
                            validators=[DataRequired(), Length(max=200)], render_kw={"dir": "ltr"})
    full_name_ar = StringField(_l("Full name in Arabic script (optional)"), validators=[Optional(), Length(max=200)],
                               render_kw={"dir": "rtl", "lang": "ar"})
    country = SelectField(_l("Country"), validators=[Optional()])
    agency = StringField(_l("Agency"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail (optional)"), validators=[Optional(), Length(max=254)],
                        render_kw={"dir": "ltr"})
    language = SelectField(_l("Language"), choices=language_choices())
    role = SelectField(_l("Role"), choices=select_choices((r, ROLE_LABELS[r]) for r in ROLES))
    active = BooleanField(_l("Active (may sign in)"), default=True)

    def validate(self, extra_validators=None):
        """Field checks, then the same account rules the command line applies."""
        if not super().validate(extra_validators):
            return False
        problems = validate_user_fields(
            username=self.username.data.strip().lower(), role=self.role.data, full_name=self.full_name.data,
            full_name_ar=self.full_name_ar.data or None, country=self.country.data or None,
            language=self.language.data, email=self.email.data or None)
        if self.role.data == "authority" and not self.country.data:
            problems.append(("country", _l("a national authority needs the country it represents")))
        for field, message in problems:
            getattr(self, field).errors.append(message)
        return not problems
