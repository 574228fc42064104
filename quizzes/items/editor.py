"""What the browser editor shows of an item type, as plain data.

A type declares ``editor = Editor(...)``: its own fields (those every item has, such as the
key, prompt and explanation, are the editor's), side by side or one under another, its
repeated rows (choices, steps...), and which validation messages belong next to which
field. Generic code in ``training/author`` turns this into a form, reads the form back into
the item's document and puts the validator's messages where they belong; nothing here
knows about WTForms or Flask.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

Kind = Literal["line", "markdown", "number", "check", "choice", "pick", "picks"]
"""How a field is typed in: one line of text; Markdown (sanitised when saved); a number; a
tick box; one of ``options``; one of the ids typed in the rows named by ``pick_from``; any
number of those ids (a list in the document, e.g. a matching prompt's harmful options)."""


@dataclass(frozen=True)
class Field:
    """One field of the item's document as a form field."""

    block: ClassVar[str] = "field"
    name: str
    label: str
    kind: Kind = "line"
    description: str = ""
    default: Any = None  # shown on a new item's form; also what a blank number in a row saves
    options: tuple[tuple[Any, str], ...] = ()  # choice: (document value, label)
    pick_from: str = ""  # pick, picks: the rows whose ids are offered
    placeholder: str = ""  # pick: the words of the empty option
    bounds: tuple[float, float] | None = None  # number: the form refuses values outside these


@dataclass(frozen=True)
class Group:
    """Fields shown side by side on a wide screen (e.g. a range's two ends and its units)."""

    block: ClassVar[str] = "group"
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Rows:
    """A list of parts edited as rows (choices, steps, accepted answers...).

    A row whose text fields are all blank and whose boxes are unticked is left out (a row
    with no text field, such as a pair of picks, counts as blank when nothing is picked).

    With ``pairs`` a row is stored as the list of its fields' values in order, not as a
    mapping (e.g. an ordering's ``harmful_if_before: [[s3, s1]]``); such rows have no id.
    """

    block: ClassVar[str] = "rows"
    name: str  # the document field holding the list
    label: str  # the list, e.g. "Choices"
    row_label: str  # one row, numbered: "Choice 2"
    help: str
    fields: tuple[Field, ...]  # besides the id and the order number
    ids: str | None = ""  # None: parts have no id; "": a, b, c...; a prefix: s1, s2...
    ordered: bool = False  # an order number per row sorts the list when saved
    limit: int = 12  # the most parts the type allows
    shown: int = 4  # rows on the form at least (blank ones to fill in)
    pairs: bool = False  # each row is stored as [value of field 1, value of field 2, ...]


Block = Field | Group | Rows


@dataclass(frozen=True)
class Editor:
    """An item type's editor: its blocks in the order shown, and where its validation messages go."""

    blocks: tuple[Block, ...] = ()
    # (words in a message about the whole item, the field or rows it belongs next to)
    errors: tuple[tuple[str, str], ...] = ()
    # (words in a message about one row, the row's field it belongs next to)
    row_errors: tuple[tuple[str, str], ...] = ()

    def fields(self) -> Iterator[Field]:
        """The type's own fields outside rows, in the order shown."""
        for block in self.blocks:
            if isinstance(block, Field):
                yield block
            elif isinstance(block, Group):
                yield from block.fields

    def rows(self) -> Iterator[Rows]:
        """The type's row lists, in the order shown."""
        yield from (block for block in self.blocks if isinstance(block, Rows))

    def field_for(self, message: str, row: bool = False) -> str | None:
        """The field a validation message belongs next to, found from its words (None: no hint)."""
        message = message.lower()  # messages reach authors capitalised
        return next(
            (field for words, field in (self.row_errors if row else self.errors) if words.lower() in message), None
        )


def form_value(value: Any) -> str:
    """A document value as a select's option value (``True`` is ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def document_value(field: Field, posted: Any) -> Any:
    """A select's posted value as the document value of the option it names (unknown: as posted)."""
    return next((value for value, _ in field.options if form_value(value) == posted), posted)
