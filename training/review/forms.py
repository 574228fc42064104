"""Forms of the review blueprint."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SubmitField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

from ..params import MAX_ID, InRange


class ReviewForm(FlaskForm):
    """A review answer: the item's own inputs are read from the request; this carries the rest."""

    # The card's review count when the page was shown: a post with an older count is a replay.
    reviews = IntegerField(widget=HiddenInput(), validators=[InputRequired(), InRange(0, MAX_ID)])
    check = SubmitField("Check my answer")
    unsure = SubmitField("I don't know")
