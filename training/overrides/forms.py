"""Forms of the overrides blueprint: one student's extra attempts, extra time or own due date on a module."""

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, SubmitField
from wtforms.validators import Optional, StopValidation

from ..forms import reason_field
from ..params import FIRST_DATE, LAST_DATE, InRange
from ..services import overrides


class OverrideForm(FlaskForm):
    """Change one student's override on a module: extra attempts, extra minutes, their own due date, and why."""

    extra_attempts = IntegerField(
        "Extra attempts",
        validators=[Optional(), InRange(0, overrides.MAX_EXTRA_ATTEMPTS)],
        description="Added to the attempts the module allows (a module with no limit stays without one).",
    )
    extra_minutes = IntegerField(
        "Extra minutes",
        validators=[Optional(), InRange(0, overrides.MAX_EXTRA_MINUTES)],
        description="Added to the module's time limit on every attempt (an untimed module stays untimed).",
    )
    due_at = DateTimeLocalField(
        "Due date and time (UTC)",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description="Optional. Replaces the cohort's due date for this student only; UTC, like the cohort due dates.",
    )
    reason = reason_field(
        "Say why this student gets the override.",
        "Kept with the override and in the audit log, e.g. “assessed reading accommodation, 25% extra time”.",
    )
    submit = SubmitField("Save override")

    def validate_due_at(self, field: DateTimeLocalField) -> None:
        """Refuse a time outside the dates people may choose anywhere in the academy."""
        if field.data is not None and not FIRST_DATE <= field.data.date() <= LAST_DATE:
            raise StopValidation(f"Choose a date from {FIRST_DATE:%d %b %Y} to {LAST_DATE:%d %b %Y}.")


class GrantOverrideForm(OverrideForm):
    """Give a student an override on a module they have none on yet (or replace theirs)."""

    module = SelectField("Module", coerce=int, validate_choice=True)
