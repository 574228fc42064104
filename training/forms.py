"""Forms more than one blueprint uses."""

from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from .services.audit import MAX_REASON


class ConfirmForm(FlaskForm):
    """A button that posts (with its CSRF token) to confirm an action."""

    submit = SubmitField("Confirm")


def reason_field(ask: str, description: str) -> TextAreaField:
    """The reason a staff member gives for a change that is audited (an override, a revocation): required,
    at most ``MAX_REASON`` characters; ``ask`` is what the form says when it is left empty."""
    return TextAreaField(
        "Reason",
        validators=[DataRequired(ask), Length(max=MAX_REASON, message=f"Keep the reason to {MAX_REASON} characters.")],
        description=description,
    )
