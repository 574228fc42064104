"""Forms of the draft editor.

They only parse what was typed (text, numbers, ticks); whether the result is a valid
module is decided by the engine's validator in ``services.authoring``, whose messages
``attach_errors`` puts next to the fields they belong to. An item's form is built from
the fields its type declares (``item_form``), so no form here is about one type.
"""

from __future__ import annotations

import functools

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from quizzes.content import Procedure, Settings, ShowAnswers
from quizzes.items import Item, Topic
from quizzes.items.editor import Editor, Rows, form_value
from quizzes.items.editor import Field as EditorField

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
    # Posted by every settings page that shows the boxes below: a page opened before they
    # existed (or a script posting the old fields) must not turn the safety gate off by
    # leaving its box out, so without this marker those settings are left as they are.
    safety_fields = HiddenField(render_kw={"value": "1"})
    retry_wait_hours = IntegerField(
        "Wait after a failed attempt (hours)",
        validators=[Optional()],
        render_kw=_settings_limits("retry_wait_hours"),
        description="Leave empty to let a student try again at once. With a wait, the next attempt after a fail "
        "may start only this many hours later (e.g. 24), on top of the attempts allowed.",
    )
    show_answers = SelectField(
        "When students see the correct answers",
        choices=[(choice.value, choice.label) for choice in ShowAnswers],
        description="Marks are always shown after submitting; this decides when the answers and explanations are. "
        "The safe choice for a graded module is once a student has passed or used every attempt, so a retry is not "
        "a second look at the key. Tutor mode needs 'After each submitted attempt'.",
    )
    safety_gate = BooleanField(
        "Safety gate",
        description="A harmful choice or a missed safety-critical question fails the attempt, whatever its score, "
        "and no certificate comes from it. Turn off only for practice modules.",
    )
    certainty_marking = BooleanField(
        "Certainty-based marking",
        description="With each answer the student says how sure they are (low, medium, high); the result shows "
        "accuracy and the certainty bonus separately.",
    )
    pass_with_bonus = BooleanField(
        "Pass on accuracy plus the certainty bonus",
        description="Needs certainty-based marking. Otherwise the pass decision stays on accuracy "
        "(and the safety gate).",
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


class ItemForm(FlaskForm):
    """What every item type has."""

    key = StringField("Key", description="Unique in the module; statistics group by it, so keep it once published.")
    prompt = TextAreaField("Prompt", description=MARKDOWN, render_kw={"rows": 3})
    # No range here: the module validator refuses anything but more than 0 and up to 100.
    points = FloatField("Points", validators=[Optional()])
    topic = SelectField("Topic", choices=TOPICS)
    lesson = SelectField("Lesson section", validate_choice=False)
    explanation = TextAreaField("Explanation", description=MARKDOWN, render_kw={"rows": 3})
    safety_critical = BooleanField(
        "Safety-critical",
        description="A practitioner must get this right to be safe: an answer that is not fully right fails the "
        "attempt whatever its score (unless the module's safety gate is off).",
    )
    # The stage's first items are offered when the form is prepared.
    variant_of = SelectField(
        "Variant of",
        validate_choice=False,
        description="A variant asks the same thing as a question of this stage in other words or numbers; each "
        "attempt draws one question per slot. It shares the question's topic, lesson section, points and "
        "safety-critical mark. Leave blank for a question of its own.",
    )

    editor = Editor()
    row_lists: tuple[str, ...] = ()
    row_labels: dict[str, str] = {}  # read only: each type's form gets its own (``item_form``)

    def prepare(self, lessons: list[tuple[str, str]], variants: list[tuple[str, str]] | None = None) -> None:
        """Fill the choices of the selects that depend on the database and on the other rows.

        :param variants: the slots this item may be a variant of, as (key, words): the first
            items of its stage other than itself.
        """
        self.lesson.choices = [("", "Not set"), *lessons]
        current = (self.variant_of.data or "").strip()
        offered = list(variants or [])
        if current and current not in {key for key, _ in offered}:
            offered.insert(0, (current, f"{current} (not a first question of this stage)"))
        self.variant_of.choices = [("", "None: a question of its own"), *offered]
        self.group_errors: dict[str, list[str]] = {}
        self.alerts: list[str] = []
        for rows in self.editor.rows():
            for field in rows.fields:
                if field.kind in ("pick", "picks"):
                    # Every id typed so far in the rows it picks from (as the page was opened).
                    source = [entry.form for entry in self[field.pick_from]]
                    texts = {(r.id.data or "").strip(): r.text.data for r in source}
                    choices = [("", field.placeholder or "Choose")] if field.kind == "pick" else []
                    choices += [(i, f"{i}: {texts[i] or '(blank)'}") for i in texts if i]
                    for entry in self[rows.name]:
                        entry.form[field.name].choices = choices


def _row_form(rows: Rows) -> type[Form]:
    """The form of one row of ``rows``: its id, its order number, then its fields."""
    attrs: dict = {"__doc__": f"One row of {rows.label.lower()}; a row whose texts are blank is ignored."}
    if rows.ids is not None:
        attrs["id"] = StringField("Id")
    if rows.ordered:
        attrs["order"] = IntegerField("Order", validators=[Optional(), InRange(1, ORDER_LIMIT)])
    for field in rows.fields:
        attrs[field.name] = _field(field, in_row=True)
    return type(f"{rows.row_label}Row", (Form,), attrs)


def _field(field: EditorField, in_row: bool = False):
    """The WTForms field of one declared field (Markdown outside a row says how to write it)."""
    if field.kind == "markdown":
        description = field.description or ("" if in_row else MARKDOWN)
        return TextAreaField(field.label, description=description, render_kw={"rows": 2})
    if field.kind == "number":
        low, high = field.bounds or (-NUMERIC_LIMIT, NUMERIC_LIMIT)
        return FloatField(field.label, validators=[Optional(), InRange(low, high)], description=field.description)
    if field.kind == "check":
        return BooleanField(field.label, description=field.description)
    if field.kind == "choice":
        choices = [(form_value(value), label) for value, label in field.options]
        # Not posted at all (a form from before the field existed): the field's default.
        return SelectField(
            field.label, choices=choices, description=field.description, default=form_value(field.default)
        )
    if field.kind == "pick":
        # Offered when the form is prepared: the ids typed in the other rows.
        return SelectField(field.label, validate_choice=False, description=field.description)
    if field.kind == "picks":
        return SelectMultipleField(
            field.label, validate_choice=False, description=field.description, render_kw={"size": 3}
        )
    return StringField(field.label, description=field.description)


@functools.cache
def item_form(item_type: type[Item]) -> type[ItemForm]:
    """The editor's form of an item type: the common fields, then those its ``editor`` declares."""
    editor = item_type.editor
    attrs: dict = {"__doc__": f"A {item_type.label.lower()} item.", "editor": editor}
    for field in editor.fields():
        attrs[field.name] = _field(field)
    for rows in editor.rows():
        attrs[rows.name] = FieldList(FormField(_row_form(rows)), label=rows.label)
    attrs["row_lists"] = tuple(rows.name for rows in editor.rows())
    attrs["row_labels"] = {rows.name: rows.row_label for rows in editor.rows()}
    return type(f"{item_type.__name__}Form", (ItemForm,), attrs)


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
        elif parts and parts[0] in getattr(form, "row_labels", {}):
            label = form.row_labels[parts[0]]
            where = f"{label} {int(parts[1]) + 1}: " if len(parts) > 1 and parts[1].isdigit() else ""
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
