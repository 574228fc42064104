"""Forms of the reports blueprint: search and filter boxes, sent by GET so results can be linked."""

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from ..services import reports


class SearchForm(FlaskForm):
    """Find students whose name or email contains some text."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField("Name or email contains", validators=[Optional(), Length(max=200)])


class MatrixFilterForm(SearchForm):
    """Narrow the cohort matrix to students in a status on one module or any module."""

    status = SelectField(
        "Status",
        choices=[("", "Any status"), *reports.STATUSES.items()],
        validate_choice=False,
    )
    module = SelectField("On module", choices=[("", "Any assigned module")], validate_choice=False)

    def set_modules(self, modules) -> None:
        """Offer the cohort's assigned modules in the module box."""
        self.module.choices = [("", "Any assigned module"), *((m.slug, m.title) for m in modules)]

    def validate_status(self, field) -> None:
        """Refuse a status the matrix does not know, saying which ones it does."""
        if field.data and field.data not in reports.STATUSES:
            raise ValidationError("Choose one of: " + ", ".join(reports.STATUSES.values()) + ".")

    def validate_module(self, field) -> None:
        """Refuse a module the cohort is not assigned."""
        if field.data and field.data not in {value for value, _ in self.module.choices}:
            raise ValidationError("That module is not assigned to this cohort.")
