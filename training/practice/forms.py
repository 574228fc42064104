"""Forms of the practice blueprint."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput


class PracticeForm(FlaskForm):
    """A practice answer: the item's own inputs are read from the request; this carries the rest."""

    # The card's review count when the page was shown: a post with an older count is a replay.
    reviews = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0)])
    check = SubmitField("Check my answer")
    unsure = SubmitField("I don't know")
