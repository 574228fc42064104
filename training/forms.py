"""Forms more than one blueprint uses."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


class ConfirmForm(FlaskForm):
    """A button that posts (with its CSRF token) to confirm an action."""

    submit = SubmitField("Confirm")
