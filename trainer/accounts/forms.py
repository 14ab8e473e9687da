"""Sign-in and password forms (Flask-WTF: every form carries a CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..i18n import language_choices, select_choices
from .services import MIN_PASSWORD


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "dir": "ltr"})
    password = PasswordField(_l("Password or one-time code"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password", "dir": "ltr"})
    next = HiddenField()


class ChoosePasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD, max=256, message=lazy_ngettext(
            "At least %(num)d character.", "At least %(num)d characters.", MIN_PASSWORD))],
        render_kw={"autocomplete": "new-password", "dir": "ltr"})
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password", "dir": "ltr"})


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=language_choices())
    certificate_language = SelectField(_l("Second language of my certificates"),
                                       choices=select_choices([("en", "English"), ("fr", "Français")]))


class RegisterForm(ChoosePasswordForm):
    """Self-registration of a learner (only when SELF_REGISTRATION is on); the password fields are inherited."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "dir": "ltr"})
    full_name = StringField(_l("Full name (Latin script, as on the passport)"),
                            validators=[DataRequired(), Length(max=200)], render_kw={"dir": "ltr"})
    full_name_ar = StringField(_l("Full name in Arabic script (optional)"), validators=[Length(max=200)],
                               render_kw={"dir": "rtl", "lang": "ar"})
    country = SelectField(_l("Country"))
    agency = StringField(_l("Agency"), validators=[Length(max=200)])
    language = SelectField(_l("Language"), choices=language_choices())
