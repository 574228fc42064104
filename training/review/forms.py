"""Forms of the review blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SubmitField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

from ..forms import Form
from ..params import MAX_ID, InRange


class ReviewForm(Form):
    """A review answer: the item's own inputs are read from the request; this carries the rest."""

    # The card's review count when the page was shown: a post with an older count is a replay.
    reviews = IntegerField(widget=HiddenInput(), validators=[InputRequired(), InRange(0, MAX_ID)])
    check = SubmitField(_l("Check my answer"))
    unsure = SubmitField(_l("I don't know"))
