"""Forms for authors."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..forms import Form

SLUG = Regexp(
    r"^[a-z0-9][a-z0-9-]{0,79}$", message=_l("Use lower-case letters, digits and dashes, e.g. meso-question-bank.")
)


class ImportQuestionsForm(Form):
    """Upload a GIFT or Aiken file into a module's draft."""

    module = StringField(
        _l("Module"),
        validators=[DataRequired(), SLUG],
        description=_l(
            "The slug of a module you edit, or a new one (it is created as a draft, with you as its editor)."
        ),
    )
    format = SelectField(_l("Format"), choices=[("gift", "Moodle GIFT"), ("aiken", "Aiken")])
    file = FileField(
        _l("Question file"),
        validators=[
            FileRequired(_l("Choose a file to import.")),
            FileSize(1024 * 1024, message=_l("The file is over 1 MB.")),
        ],
        description=_l("Plain text (UTF-8), up to 1 MB."),
    )
    case = StringField(
        _l("Into case (optional)"),
        validators=[Optional(), Length(max=80), SLUG],
        description=_l("Put every question in a new stage of this case instead of one case per question."),
    )
    skip_invalid = BooleanField(_l("Import what can be imported and report the rest (otherwise all or nothing)"))
    submit = SubmitField(_l("Import"))


class CasePhotoForm(Form):
    """A photo for a case, with the words that describe it."""

    photo = FileField(
        _l("Photo"),
        validators=[FileRequired(_l("Choose a photo."))],
        description=_l("JPEG, PNG or WebP, up to 5 MB. Location and camera data are removed."),
    )
    alt = StringField(
        _l("What the photo shows"),
        validators=[DataRequired(_l("Describe the photo for students who cannot see it.")), Length(max=300)],
        description=_l("A few words read out by screen readers, e.g. “Slight swelling along the left jawline, day 2”."),
    )
    submit = SubmitField(_l("Add the photo"))


class AddEditorForm(Form):
    """Choose an instructor or admin who may change the module."""

    user = SelectField(_l("Instructor or admin"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Add as editor"))
