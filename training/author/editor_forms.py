"""Forms of the draft editor.

They only parse what was typed (text, numbers, ticks); whether the result is a valid
module is decided by the engine's validator in ``services.authoring``, whose messages
``attach_errors`` puts next to the fields they belong to.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from quizzes.content import Procedure, Settings, ShowAnswers
from quizzes.items import Topic

from ..params import InRange

PROCEDURES = [(p.value, p.label) for p in Procedure]
TOPICS = [("", "Not set"), *((t.value, t.label) for t in Topic)]
# No dose, count or measurement a case asks for is beyond a billion; the module validator
# refuses infinity but would keep 1e300.
NUMERIC_LIMIT = 1e9
# Order numbers only sort the rows (at most a dozen), so 1 to 1000 leaves room to number in tens.
ORDER_LIMIT = 1000


def _settings_limits(name: str) -> dict[str, int]:
    """A setting's bounds in the module validator, as its input's ``min`` and ``max``.

    The validator stays the one check (it reports every bad field at once, where a form-level
    range would hide the rest); the browser only learns the same bounds, from the same place.
    """
    limits = {}
    for rule in Settings.model_fields[name].metadata:
        if getattr(rule, "ge", None) is not None:
            limits["min"] = rule.ge
        if getattr(rule, "le", None) is not None:
            limits["max"] = rule.le
    return limits


MARKDOWN = "Markdown: **bold**, *italic*, lists, > quotes, [links](https://example.org). HTML tags are removed."


class ModuleForm(FlaskForm):
    """A module's title, summary, procedure and pass mark."""

    title = StringField("Title")
    procedure = SelectField("Procedure", choices=PROCEDURES)
    summary = TextAreaField("Summary", description=MARKDOWN, render_kw={"rows": 4})
    pass_mark = IntegerField(
        "Pass mark (%)",
        validators=[Optional()],
        description="From 0 to 100.",
        render_kw=_settings_limits("pass_mark"),
    )


class SettingsForm(ModuleForm):
    """All of a module's settings: the basics and its attempt policy."""

    attempts_allowed = IntegerField(
        "Attempts allowed",
        validators=[Optional()],
        description="Leave empty for as many as a student likes.",
        render_kw=_settings_limits("attempts_allowed"),
    )
    time_limit_minutes = IntegerField(
        "Time limit (minutes)",
        validators=[Optional()],
        render_kw=_settings_limits("time_limit_minutes"),
        description="Leave empty for none. When time is up the attempt is submitted with the answers saved.",
    )
    feedback = SelectField(
        "Feedback",
        choices=[
            ("after-submit", "After submitting (exam mode)"),
            ("after-each-stage", "After each stage locks (tutor mode)"),
        ],
    )
    show_answers = SelectField(
        "When students see the correct answers",
        choices=[(choice.value, choice.label) for choice in ShowAnswers],
        description="Marks are always shown after submitting; this decides when the answers and explanations are. "
        "Tutor mode needs 'After each submitted attempt'.",
    )


class NewModuleForm(ModuleForm):
    """A new module: its settings and its first case (a placeholder stage and item are added)."""

    slug = StringField(
        "Slug",
        description="Its address and stable name: lower-case letters, digits and dashes, e.g. meso-hair-loss.",
    )
    case_title = StringField("First case: title")
    client = StringField("First case: client", description="Who the client is, in a line: age, area treated.")


class CaseForm(FlaskForm):
    """A case's key, title and client."""

    key = StringField("Key", description="Stable name inside the module: lower-case letters, digits and dashes.")
    title = StringField("Title")
    client = StringField("Client", description="Who the client is, in a line: age, area treated.")


class StageForm(FlaskForm):
    """A stage's title and narrative."""

    title = StringField("Title")
    narrative = TextAreaField("Narrative", description=MARKDOWN, render_kw={"rows": 6})


class _Row(Form):
    """One repeated part of an item; a row whose texts are blank is ignored."""

    id = StringField("Id")
    text = StringField("Text")


class ChoiceRow(_Row):
    """A choice of a single-best-answer or multiple-response item."""

    correct = BooleanField("Correct")
    feedback = TextAreaField("Feedback", render_kw={"rows": 2})
    order = IntegerField("Order", validators=[Optional(), InRange(1, ORDER_LIMIT)])


class StepRow(_Row):
    """A step of an ordering item."""

    order = IntegerField("Order", validators=[Optional(), InRange(1, ORDER_LIMIT)])


class PromptRow(_Row):
    """A prompt of a matching item, with the option that matches it."""

    match = SelectField("Matches option", validate_choice=False)
    feedback = TextAreaField("Feedback when matched wrongly", render_kw={"rows": 2})


class OptionRow(_Row):
    """An option of a matching item."""


class ItemForm(FlaskForm):
    """What every item type has."""

    key = StringField("Key", description="Unique in the module; statistics group by it, so keep it once published.")
    prompt = TextAreaField("Prompt", description=MARKDOWN, render_kw={"rows": 3})
    # No range here: the module validator refuses anything but more than 0 and up to 100.
    points = FloatField("Points", validators=[Optional()])
    topic = SelectField("Topic", choices=TOPICS)
    lesson = SelectField("Lesson section", validate_choice=False)
    explanation = TextAreaField("Explanation", description=MARKDOWN, render_kw={"rows": 3})

    row_lists: tuple[str, ...] = ()

    def prepare(self, lessons: list[tuple[str, str]]) -> None:
        """Fill the choices of the selects that depend on the database and on the other rows."""
        self.lesson.choices = [("", "Not set"), *lessons]
        self.group_errors: dict[str, list[str]] = {}
        self.alerts: list[str] = []


class ChoiceItemForm(ItemForm):
    """Single best answer and multiple response."""

    shuffle = BooleanField("Shuffle the choices when shown (untick to keep this order, e.g. 'none of these' last)")
    choices = FieldList(FormField(ChoiceRow), label="Choices")
    row_lists = ("choices",)


class TrueFalseForm(ItemForm):
    """True or false."""

    correct = SelectField("The statement is", choices=[("true", "True"), ("false", "False")])
    feedback_true = TextAreaField("Feedback for 'true'", description=MARKDOWN, render_kw={"rows": 2})
    feedback_false = TextAreaField("Feedback for 'false'", description=MARKDOWN, render_kw={"rows": 2})


class NumericForm(ItemForm):
    """A number inside a range."""

    min = FloatField("Lowest accepted value", validators=[Optional(), InRange(-NUMERIC_LIMIT, NUMERIC_LIMIT)])
    max = FloatField("Highest accepted value", validators=[Optional(), InRange(-NUMERIC_LIMIT, NUMERIC_LIMIT)])
    units = StringField("Units", description="Shown beside the answer box, e.g. ml.")
    feedback_low = TextAreaField("Feedback when too low", description=MARKDOWN, render_kw={"rows": 2})
    feedback_high = TextAreaField("Feedback when too high", description=MARKDOWN, render_kw={"rows": 2})


class OrderingForm(ItemForm):
    """Steps to put in order."""

    steps = FieldList(FormField(StepRow), label="Steps")
    row_lists = ("steps",)


class MatchingForm(ItemForm):
    """Prompts to match with options."""

    prompts = FieldList(FormField(PromptRow), label="Prompts")
    options = FieldList(FormField(OptionRow), label="Options")
    row_lists = ("prompts", "options")

    def prepare(self, lessons: list[tuple[str, str]]) -> None:
        """Also offer every option id typed so far in each prompt's "matches" list."""
        super().prepare(lessons)
        ids = [(o.form.id.data or "").strip() for o in self.options]
        texts = {(o.form.id.data or "").strip(): o.form.text.data for o in self.options}
        choices = [("", "Choose an option"), *((i, f"{i}: {texts[i] or '(blank)'}") for i in ids if i)]
        for prompt in self.prompts:
            prompt.form.match.choices = choices


ITEM_FORMS: dict[str, type[ItemForm]] = {
    "single": ChoiceItemForm,
    "multiple": ChoiceItemForm,
    "true-false": TrueFalseForm,
    "numeric": NumericForm,
    "ordering": OrderingForm,
    "matching": MatchingForm,
}
ROW_NAMES = {"choices": "Choice", "steps": "Step", "prompts": "Prompt", "options": "Option"}


def attach_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Put validator messages next to their fields: "key", "choices.1.text", "choices" (the list), "" (the form).

    Anything that names no field on this form becomes an alert at the top, with where it was.
    """
    form.group_errors = getattr(form, "group_errors", {})
    form.alerts = getattr(form, "alerts", [])
    form.refused = True
    for path, messages in errors.items():
        parts = path.split(".") if path else []
        field = _field_at(form, parts)
        if field is not None:
            field.errors = [*field.errors, *messages]
        elif parts and parts[0] in ROW_NAMES and hasattr(form, parts[0]):
            where = f"{ROW_NAMES[parts[0]]} {int(parts[1]) + 1}: " if len(parts) > 1 and parts[1].isdigit() else ""
            form.group_errors.setdefault(parts[0], []).extend(where + m for m in messages)
        else:
            form.alerts.extend(f"{path}: {m}" if path else m for m in messages)


def _field_at(form, parts: list[str]):
    """The field at a dotted path, or None."""
    if not parts:
        return None
    field = form._fields.get(parts[0])
    if field is None:
        return None
    if isinstance(field, FieldList):
        if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) >= len(field.entries):
            return None
        return field.entries[int(parts[1])].form._fields.get(parts[2])
    return field if len(parts) == 1 else None
