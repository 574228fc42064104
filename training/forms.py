"""The base of every form, and forms more than one blueprint uses."""

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from .services.audit import MAX_REASON


class _Catalogue:
    """WTForms' own messages ("This field is required.") from our catalogue: WTForms ships no
    Vietnamese, so ``training/form_messages.py`` lists them for translators."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class Form(FlaskForm):
    """Every form of the app: WTForms' messages come in the reader's language."""

    class Meta:
        def get_translations(self, form):
            return _Catalogue()


class ConfirmForm(Form):
    """A button that posts (with its CSRF token) to confirm an action."""

    submit = SubmitField(_l("Confirm"))


def reason_field(ask: str, description: str) -> TextAreaField:
    """The reason a staff member gives for a change that is audited (an override, a revocation): required,
    at most ``MAX_REASON`` characters; ``ask`` is what the form says when it is left empty."""
    return TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(ask),
            Length(max=MAX_REASON, message=_l("Keep the reason to %(max)d characters.", max=MAX_REASON)),
        ],
        description=description,
    )
