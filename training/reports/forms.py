"""Forms of the reports blueprint: search and filter boxes, sent by GET so results can be linked."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from ..forms import Form
from ..services import reports


class SearchForm(Form):
    """Find students whose name or email contains some text."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Name or email contains"), validators=[Optional(), Length(max=200)])


class MatrixFilterForm(SearchForm):
    """Narrow the cohort matrix to students in a status on one module or any module."""

    status = SelectField(
        _l("Status"),
        choices=[("", _l("Any status")), *reports.STATUSES.items()],
        validate_choice=False,
    )
    module = SelectField(_l("On module"), choices=[("", _l("Any assigned module"))], validate_choice=False)

    def set_modules(self, modules) -> None:
        """Offer the cohort's assigned modules in the module box."""
        self.module.choices = [("", _("Any assigned module")), *((m.slug, m.title) for m in modules)]

    def validate_status(self, field) -> None:
        """Refuse a status the matrix does not know, saying which ones it does."""
        if field.data and field.data not in reports.STATUSES:
            known = ", ".join(str(label) for label in reports.STATUSES.values())
            raise ValidationError(_("Choose one of: %(statuses)s.", statuses=known))

    def validate_module(self, field) -> None:
        """Refuse a module the cohort is not assigned."""
        if field.data and field.data not in {value for value, _label in self.module.choices}:
            raise ValidationError(_("That module is not assigned to this cohort."))
