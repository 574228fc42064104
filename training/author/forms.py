"""Forms for authors."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

SLUG = Regexp(
    r"^[a-z0-9][a-z0-9-]{0,79}$", message="Use lower-case letters, digits and dashes, e.g. meso-question-bank."
)


class ImportQuestionsForm(FlaskForm):
    """Upload a GIFT or Aiken file into a module's draft."""

    module = StringField(
        "Module",
        validators=[DataRequired(), SLUG],
        description="The slug of a module you edit, or a new one (it is created as a draft, with you as its editor).",
    )
    format = SelectField("Format", choices=[("gift", "Moodle GIFT"), ("aiken", "Aiken")])
    file = FileField(
        "Question file",
        validators=[FileRequired("Choose a file to import."), FileSize(1024 * 1024, message="The file is over 1 MB.")],
        description="Plain text (UTF-8), up to 1 MB.",
    )
    case = StringField(
        "Into case (optional)",
        validators=[Optional(), Length(max=80), SLUG],
        description="Put every question in a new stage of this case instead of one case per question.",
    )
    skip_invalid = BooleanField("Import what can be imported and report the rest (otherwise all or nothing)")
    submit = SubmitField("Import")


class CasePhotoForm(FlaskForm):
    """A photo for a case, with the words that describe it."""

    photo = FileField(
        "Photo",
        validators=[FileRequired("Choose a photo.")],
        description="JPEG, PNG or WebP, up to 5 MB. Location and camera data are removed.",
    )
    alt = StringField(
        "What the photo shows",
        validators=[DataRequired("Describe the photo for students who cannot see it."), Length(max=300)],
        description="A few words read out by screen readers, e.g. “Slight swelling along the left jawline, day 2”.",
    )
    submit = SubmitField("Add the photo")


class AddEditorForm(FlaskForm):
    """Choose an instructor or admin who may change the module."""

    user = SelectField("Instructor or admin", coerce=int, validate_choice=True)
    submit = SubmitField("Add as editor")
