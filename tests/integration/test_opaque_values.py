"""The page gives nothing away (DESIGN invariant 7): no authored part id reaches a student's browser.

The bank is imported from GIFT, which numbers choices ``a, b, c`` in the written order and
pairs matching prompt ``pN`` with option ``oN``; here every right answer is written first,
as GIFT files usually do, and the ordering item's steps are written in their right order.
Read as a browser reads it, the take page must not tell the right value from the others,
and answers picked by their label must still save (autosave and the plain form), resume,
grade and show on the result page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from quizzes.content import Module
from quizzes.formats.gift import parse_gift
from quizzes.formats.imported import to_item
from training.database import writing
from training.extensions import db
from training.models import Attempt
from training.services import attempts, content

from .conftest import module_doc, start_attempt
from .helpers import page_ref
from .test_taking import stored

SLUG = "gift-bank"
STARTER = "thread-lift-nerve-pain"
GIFT = """
::nerve:: Which nerve is most at risk from a thread placed too deep at the cheek?
{
=The buccal branch of the facial nerve
~The supraorbital nerve#No: it lies above the brow.
~The great auricular nerve#No: it runs behind the ear.
}

::thread:: Which thread material dissolves fastest?
{
=Polydioxanone (PDO)
~Polylactic acid (PLA)#No: it lasts longer.
~Polycaprolactone (PCL)#No: it lasts longest.
~None of them dissolve#No: all three do.
}

::first-step:: She reports shooting pain on day 4. What comes first?
{
=Examine her and ask about the pain
~Remove every thread#No: not before you have examined her.
~Tell her it is normal#No: shooting pain needs assessing.
}

::compress:: What helps swelling on day 1?
{
=A cold compress
~A hot compress#No: heat increases swelling.
~Massage#No: it moves the threads.
}

::referral:: Who should see a numb patch that is still there at week 14?
{
=A specialist, by referral
~Nobody: it always resolves#No: it may not.
~The receptionist#No.
}

::volume:: Which is the safest approach when unsure of the depth?
{
=Stop and reassess the plane
~Inject faster#No: speed adds risk.
~Inject more product#No: volume adds risk.
~Carry on as planned#No.
}

::aftercare:: What should she avoid in the first week?
{
=Wide mouth opening and chewing hard food
~Drinking water#No: she should drink.
~Gentle walking#No: that is fine.
}

::flags:: Which are red flags after a thread lift?
{
~%50%Spreading numbness
~%50%A drooping smile
~%-100%Mild swelling on day 1#Expected after the procedure.
}

::materials:: Match each thread with what it is made of.
{
=PDO -> Polydioxanone
=PLA -> Polylactic acid
=PCL -> Polycaprolactone
}
"""
ORDERING = {
    "key": "steps",
    "type": "ordering",
    "prompt": "Put the steps of the review in order.",
    "explanation": "Assess before you act.",
    "steps": [
        {"id": "s1", "text": "Ask about the pain"},
        {"id": "s2", "text": "Examine the entry points"},
        {"id": "s3", "text": "Decide on removal"},
        {"id": "s4", "text": "Book a follow-up"},
    ],
}


def publish_bank(app, **settings) -> Module:
    """Publish the GIFT bank as a two-stage module (tutor mode unless told) and return its document."""
    imported = parse_gift(GIFT)
    assert not imported.problems
    starter = module_doc(app, STARTER).model_dump(mode="json")
    lesson = starter["cases"][0]["stages"][0]["items"][0]["lesson"]
    items = [to_item(q, f"q{n}-{q.data['type']}", "anatomy", lesson) for n, q in enumerate(imported.questions, 1)]
    items.append(dict(ORDERING, topic="placement", lesson=lesson))
    case = starter["cases"][0]
    case["stages"] = [
        dict(case["stages"][0], items=items[:5]),
        dict(case["stages"][1], items=items[5:]),
    ]
    data = dict(starter, slug=SLUG, title="An imported bank", cases=[case])
    data["settings"] = {"feedback": "after-each-stage", "show_answers": "after-submit"} | settings
    with app.app_context(), writing():
        content.publish(Module.model_validate(data), None)
        db.session.commit()
    doc = module_doc(app, SLUG)
    assert all(item.choices[0].correct for item in doc.items() if item.type in ("single", "multiple"))
    return doc


class Form(HTMLParser):
    """The inputs of a take page as a browser sees them, per item (``fieldset data-item``)."""

    def __init__(self, page: str):
        super().__init__()
        self.refs: dict[str, str] = getattr(page, "refs", {})  # item ref -> item key
        self.items: dict[str, dict] = {}
        self.labels: dict[str, str] = {}  # element id -> label text
        self.attributes: list[tuple[str, str, str]] = []  # (item key, attribute, value) inside each item
        self._item = self._label = self._option = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset" and "data-item" in attrs:
            self._key = self.refs[attrs["data-item"]]  # a page names items by ref, never by key
            self._item = self.items.setdefault(self._key, {"inputs": [], "selects": []})
        if self._item is None:
            return
        self.attributes += [(self._key, name, value or "") for name, value in attrs.items()]
        if tag == "input":
            self._item["inputs"].append(attrs)
        elif tag == "select":
            self._item["selects"].append({"id": attrs["id"], "options": []})
        elif tag == "option":
            self._option = {"value": attrs.get("value", ""), "selected": "selected" in attrs, "text": ""}
            self._item["selects"][-1]["options"].append(self._option)
        elif tag == "label":
            self._label = [attrs.get("for"), ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._label is not None:
            self._label[1] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "label" and self._label is not None:
            self.labels[self._label[0]] = self._label[1].strip()
            self._label = None
        elif tag == "fieldset":
            self._item = None

    def choices(self, key: str) -> list[tuple[str, str, bool]]:
        """(value, label text, checked) of an item's radio buttons or boxes, in page order."""
        return [
            (i["value"], self.labels[i["id"]], "checked" in i)
            for i in self.items[key]["inputs"]
            if i.get("type") in ("radio", "checkbox")
        ]

    def select_lists(self, key: str) -> list[tuple[str, list[dict]]]:
        """(label text, options) of an item's drop-down lists, in page order."""
        return [(self.labels[s["id"]], s["options"]) for s in self.items[key]["selects"]]


def right_values(form: Form, item) -> list[str]:
    """The page's values of the item's right answer, found as a student finds it: by the words shown."""
    if item.type in ("single", "multiple"):
        right = {c.text for c in item.choices if c.correct}
        return [value for value, label, _ in form.choices(item.key) if label in right]
    if item.type == "matching":
        options = {o.id: o.text for o in item.options}
        wanted = {p.text: options[p.match] for p in item.prompts}
        return [
            next(o["value"] for o in opts if o["text"].strip() == wanted[label])
            for label, opts in form.select_lists(item.key)
        ]
    assert item.type == "ordering"
    return [
        next(o["value"] for o in opts if o["text"].strip() == step.text)
        for step, (_, opts) in zip(item.steps, form.select_lists(item.key), strict=True)
    ]


def authored_ids(item) -> set[str]:
    ids = {c.id for c in getattr(item, "choices", [])} | {s.id for s in getattr(item, "steps", [])}
    return ids | {p.id for p in getattr(item, "prompts", [])} | {o.id for o in getattr(item, "options", [])}


class Page(str):
    """A take page's HTML, knowing which item each of its refs (``data-item``, ``item-<ref>``) stands for."""

    refs: dict[str, str]


def page(client, attempt_id) -> Page:
    response = client.get(f"/attempts/{attempt_id}")
    assert response.status_code == 200
    text = Page(response.get_data(as_text=True))
    with client.application.app_context():
        tokens = attempts.attempt_tokens(attempt_id)
        keys = db.session.get(Attempt, attempt_id).version.content.item_map()
        text.refs = {tokens.item_ref(key): key for key in keys}
    return text


def assert_no_authored_id(text: str, doc) -> None:
    """No value, id, label target, name or data attribute of any item holds one of its authored ids."""
    form = Form(text)
    assert form.items, "the page shows no questions"
    for key, name, value in form.attributes:
        ids = authored_ids(doc.item_map()[key])
        ref = next(r for r, k in form.refs.items() if k == key)
        assert key not in value, f"{name}={value!r} shows the item's authored key"
        parts = set(value.split("=")) | {value.removeprefix(f"item-{ref}-")}
        assert not parts & ids, f"{key}: {name}={value!r} shows an authored id"


def take_right(client, doc, attempt_id) -> None:
    """Answer every stage rightly from what each page shows, checking each page, and submit."""
    stages = doc.stages()
    for ref in stages:
        text = page(client, attempt_id)
        assert_no_authored_id(text, doc)
        form = Form(text)
        data = {"stage": str(ref.index), "action": "submit" if ref.index == len(stages) - 1 else "next"}
        for item in ref.stage.items:
            data[f"item-{page_ref(client.application, attempt_id, item.key)}"] = right_values(form, item)
        assert client.post(f"/attempts/{attempt_id}", data=data).status_code == 302


def test_no_authored_id_reaches_the_take_page_in_any_stage_or_locked_feedback(app, student_client, starter):
    doc = publish_bank(app)
    attempt_id = start_attempt(student_client, SLUG)
    take_right(student_client, doc, attempt_id)
    result = student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "100%" in result


def test_the_right_value_cannot_be_told_apart_across_items_or_attempts(app, student_client, starter):
    doc = publish_bank(app, feedback="after-submit")
    singles = [item for item in doc.items() if item.type == "single"]
    assert len(singles) >= 6
    seen = []
    for _ in range(2):
        attempt_id = start_attempt(student_client, SLUG)
        values, positions, ranks, right = {}, set(), set(), set()
        for ref in doc.stages():
            form = Form(page(student_client, attempt_id))
            for item in ref.stage.items:
                if item.type != "single":
                    continue
                shown = [value for value, _, _ in form.choices(item.key)]
                [value] = right_values(form, item)
                values[item.key] = set(shown)
                positions.add(shown.index(value))
                ranks.add(sorted(shown).index(value))
                right.add(value)
            if ref.index < len(doc.stages()) - 1:
                data = {"stage": str(ref.index), "action": "next", "confirm": "next"}
                assert student_client.post(f"/attempts/{attempt_id}", data=data).status_code == 302
        # Not always first on the page, not always the smallest value, never the same value twice.
        assert len(positions) > 1 and len(ranks) > 1 and len(right) == len(singles)
        seen.append(values)
        last = len(doc.stages()) - 1
        data = {"stage": str(last), "action": "submit", "confirm": "submit"}
        assert student_client.post(f"/attempts/{attempt_id}", data=data).status_code == 302
    first, second = seen
    assert all(not first[key] & second[key] for key in first), "a new attempt must get new values"


def test_answers_picked_by_label_autosave_post_resume_grade_and_show(app, student_client, starter):
    doc = publish_bank(app)
    attempt_id = start_attempt(student_client, SLUG)
    stages = doc.stages()
    for seq, ref in enumerate(stages, 1):
        form = Form(page(student_client, attempt_id))
        answers = {item.key: right_values(form, item) for item in ref.stage.items}
        # The first item by autosave (JavaScript), then the plain form's "Save answers".
        first = ref.stage.items[0]
        saved = student_client.post(
            f"/attempts/{attempt_id}/autosave",
            json={
                "stage": ref.index,
                "item": page_ref(app, attempt_id, first.key),
                "values": answers[first.key],
                "seq": seq,
            },
        )
        assert saved.status_code == 200, saved.json
        assert stored(app, attempt_id)[first.key] == first.key_answer()
        # The form posts every input of the stage, the autosaved one included (it stays ticked).
        data = {"stage": str(ref.index), "action": "save"}
        data |= {f"item-{page_ref(app, attempt_id, i.key)}": answers[i.key] for i in ref.stage.items}
        assert student_client.post(f"/attempts/{attempt_id}", data=data).status_code == 302
        assert {k: v for k, v in stored(app, attempt_id).items() if k in answers} == {
            i.key: i.key_answer() for i in ref.stage.items
        }
        # Resuming (start again) shows every saved answer ticked or selected again.
        assert start_attempt(student_client, SLUG) == attempt_id
        resumed = page(student_client, attempt_id)
        assert_no_authored_id(resumed, doc)  # the saved answer is shown by its token too
        again = Form(resumed)
        for item in ref.stage.items:
            if item.type in ("single", "multiple"):
                ticked = {value for value, _, checked in again.choices(item.key) if checked}
            else:
                ticked = [o["value"] for _, opts in again.select_lists(item.key) for o in opts if o["selected"]]
                ticked = set(ticked)
            assert ticked == set(answers[item.key]), item.key
        last = ref.index == len(stages) - 1
        data["action"] = "submit" if last else "next"
        moved = student_client.post(f"/attempts/{attempt_id}", data=data)
        assert moved.status_code == 302
    result = student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "100%" in result
    assert result.count("Correct ·") == len(list(doc.items()))
    assert "Polydioxanone (PDO)" in result and "Examine the entry points" in result


@pytest.mark.parametrize("how", ["autosave", "form"])
def test_an_authored_id_or_another_attempts_value_is_refused_and_nothing_saved(app, student_client, starter, how):
    doc = publish_bank(app, feedback="after-submit")
    item = doc.stages()[0].stage.items[0]
    first = start_attempt(student_client, SLUG)
    old_right = right_values(Form(page(student_client, first)), item)
    last = len(doc.stages()) - 1
    for index in range(last + 1):
        action = "submit" if index == last else "next"
        data = {"stage": str(index), "action": action, "confirm": action}
        assert student_client.post(f"/attempts/{first}", data=data).status_code == 302
    attempt_id = start_attempt(student_client, SLUG)
    for values in (item.form_values(item.key_answer()), old_right):
        if how == "autosave":
            payload = {"stage": 0, "item": page_ref(app, attempt_id, item.key), "values": values, "seq": 1}
            response = student_client.post(f"/attempts/{attempt_id}/autosave", json=payload)
            message = response.json["error"]
        else:
            response = student_client.post(
                f"/attempts/{attempt_id}",
                data={"stage": "0", "action": "save", f"item-{page_ref(app, attempt_id, item.key)}": values},
            )
            message = response.get_data(as_text=True)
        assert response.status_code == 400
        assert re.search(r"That choice is not part of this question", message)
        assert stored(app, attempt_id) == {}
