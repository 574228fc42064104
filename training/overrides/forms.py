"""Forms of the overrides blueprint: one student's extra attempts, extra time or own due date on a module."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, SelectField, SubmitField
from wtforms.validators import Optional, StopValidation

from ..forms import Form, reason_field
from ..params import FIRST_DATE, LAST_DATE, InRange
from ..services import overrides
from ..services.times import day


class OverrideForm(Form):
    """Change one student's override on a module: extra attempts, extra minutes, their own due date, and why.

    The due date is typed as the academy's clock reads it (``views._in_utc`` stores it in UTC).
    """

    extra_attempts = IntegerField(
        _l("Extra attempts"),
        validators=[Optional(), InRange(0, overrides.MAX_EXTRA_ATTEMPTS)],
        description=_l("Added to the attempts the module allows (a module with no limit stays without one)."),
    )
    extra_minutes = IntegerField(
        _l("Extra minutes"),
        validators=[Optional(), InRange(0, overrides.MAX_EXTRA_MINUTES)],
        description=_l("Added to the module's time limit on every attempt (an untimed module stays untimed)."),
    )
    due_at = DateTimeLocalField(
        _l("Due date and time"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Optional. Replaces the cohort's due date for this student only."),
    )
    reason = reason_field(
        _l("Say why this student gets the override."),
        _l(
            "Kept with the override and in the audit log, e.g. “assessed reading accommodation, %(share)s extra time”.",
            share="25%",
        ),
    )
    submit = SubmitField(_l("Save override"))

    def validate_due_at(self, field: DateTimeLocalField) -> None:
        """Refuse a time outside the dates people may choose anywhere in the academy."""
        if field.data is not None and not FIRST_DATE <= field.data.date() <= LAST_DATE:
            raise StopValidation(
                _("Choose a date from %(first)s to %(last)s.", first=day(FIRST_DATE), last=day(LAST_DATE))
            )


class GrantOverrideForm(OverrideForm):
    """Give a student an override on a module they have none on yet (or replace theirs)."""

    module = SelectField(_l("Module"), coerce=int, validate_choice=True)
