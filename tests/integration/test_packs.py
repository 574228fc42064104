"""Content packs through the command line: validate, import (idempotent, all or nothing), export."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml
from sqlalchemy import func, select

from quizzes.formats.packs import parse_document, read_pack
from training.extensions import db
from training.models import AuditEvent, LessonRow, ModuleRow, ModuleVersion
from training.services.content import STARTER_PACKS, catalogue

MODULE_FILE = STARTER_PACKS / "thread-lift-nerve-pain" / "module.yaml"


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["packs", *args])
    return result.exit_code, result.output


def shipped():
    """(modules, versions, lessons) the shipped packs make on an empty database."""
    pack = read_pack(STARTER_PACKS)
    return len(pack.modules), len(pack.modules), len(pack.lessons)


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count(m.id))) for m in (ModuleRow, ModuleVersion, LessonRow))


def test_validate_accepts_the_shipped_packs(app):
    code, output = run(app, "validate", str(STARTER_PACKS))
    assert code == 0, output
    assert "module thread-lift-nerve-pain" in output and "lesson " in output


def test_validate_reports_file_line_and_key_path(app, tmp_path):
    data = yaml.safe_load(MODULE_FILE.read_text())
    data["cases"][0]["stages"][0]["items"][0]["topic"] = "astrology"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    code, output = run(app, "validate", str(bad))
    assert code == 1
    assert f"{bad}:" in output and "cases[0].stages[0].items[0].topic" in output
    line = int(output.split(f"{bad}:")[1].split(":")[0])
    assert "astrology" in bad.read_text().splitlines()[line - 1]


def test_import_twice_changes_nothing(app, academy):
    code, output = run(app, "import", str(STARTER_PACKS))
    assert code == 0 and "published version 1" in output
    assert counts(app) == shipped()
    code, output = run(app, "import", str(STARTER_PACKS))
    assert code == 0 and "0 changed" in output
    assert counts(app) == shipped()


def test_a_changed_pack_publishes_a_new_version_and_keeps_the_old(app, academy, tmp_path):
    run(app, "import", str(STARTER_PACKS))
    changed = tmp_path / "module.yaml"
    changed.write_text(MODULE_FILE.read_text().replace("pass_mark: 70", "pass_mark: 75"))
    code, output = run(app, "import", str(changed))
    assert code == 0 and "published version 2" in output, output
    with app.app_context():
        marks = db.session.scalars(
            select(ModuleVersion)
            .join(ModuleRow)
            .where(ModuleRow.slug == "thread-lift-nerve-pain")
            .order_by(ModuleVersion.number)
        )
        assert [v.content.settings.pass_mark for v in marks] == [70, 75]
        # Every published version is in the audit log, the command line as its actor.
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "module.publish", AuditEvent.target_id == "thread-lift-nerve-pain")
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.actor_email, e.after["settings"]["pass_mark"]) for e in events] == [
            ("(command line)", 70),
            ("(command line)", 75),
        ]
        assert events[1].before["settings"]["pass_mark"] == 70


def test_export_then_import_is_lossless(app, academy, tmp_path):
    run(app, "import", str(STARTER_PACKS))
    out = tmp_path / "export" / "module.yaml"
    code, output = run(app, "export", "thread-lift-nerve-pain", "-o", str(out))
    assert code == 0, output
    exported, problems = parse_document(out.read_text(), str(out))
    original, _ = parse_document(MODULE_FILE.read_text())
    assert problems == [] and exported == original
    code, output = run(app, "import", str(out))
    assert code == 0 and "unchanged" in output
    assert counts(app) == shipped()


def test_export_of_an_unknown_module_fails_clearly(app, tmp_path):
    code, output = run(app, "export", "nope", "-o", str(tmp_path / "x.yaml"))
    assert code != 0 and "no module 'nope'" in output


def test_a_pack_with_one_mistake_imports_nothing(app, academy, tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(STARTER_PACKS, pack)
    module = pack / "thread-lift-nerve-pain" / "module.yaml"
    # Every item's lesson, so a question and its variants still share one.
    module.write_text(re.sub(r"lesson: [a-z0-9-]+#", "lesson: missing-lesson#", module.read_text()))
    code, output = run(app, "import", str(pack))
    assert code == 1 and "missing-lesson#" in output and "not a section of any known lesson" in output
    assert counts(app) == (0, 0, 0)


def test_a_module_may_link_to_lessons_already_imported(app, academy):
    run(app, "import", str(STARTER_PACKS / "lessons"))
    code, output = run(app, "import", str(MODULE_FILE))
    assert code == 0, output
    assert counts(app) == (1, 1, shipped()[2])


def test_missing_path_and_broken_yaml_are_reported(app, tmp_path):
    code, output = run(app, "import", str(tmp_path / "nothing-here"))
    assert code == 1 and "no such file or folder" in output
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: module\nslug: [unclosed\n")
    code, output = run(app, "validate", str(broken))
    assert code == 1 and "not valid YAML" in output and f"{broken}:" in output


def test_first_start_loads_the_starter_content_once(app, academy):
    from training.services.content import load_starter_content

    with app.app_context():
        assert load_starter_content() is not None
        db.session.commit()
        assert load_starter_content() is None
    assert counts(app) == shipped()


def test_every_shipped_pack_file_parses(app):
    for path in Path(STARTER_PACKS).rglob("*.yaml"):
        doc, problems = parse_document(path.read_text(), str(path))
        assert doc is not None and problems == [], problems


def test_summary_prints_a_table_and_json_of_what_is_published(app, academy):
    run(app, "import", str(STARTER_PACKS))
    code, table = run(app, "summary")
    assert code == 0 and "thread-lift-nerve-pain" in table and "TOTAL" in table
    code, output = run(app, "summary", "--json")
    data = json.loads(output)
    row = next(m for m in data["modules"] if m["slug"] == "thread-lift-nerve-pain")
    assert set(row) >= {"slug", "procedure", "cases", "stages", "items", "items_by_type", "items_by_topic"}
    assert sum(row["items_by_type"].values()) == row["items"] == sum(row["items_by_topic"].values())
    assert data["totals"]["items"] == sum(m["items"] for m in data["modules"])
    topics = {"anatomy", "placement", "injection-volume", "aftercare", "red-flags"}
    assert set(data["totals"]["items_by_topic"]) == topics


def test_summary_of_a_pack_path_reads_the_files(app, academy):
    run(app, "import", str(STARTER_PACKS / "lessons"))
    code, output = run(app, "summary", str(MODULE_FILE.parent), "--json")
    assert code == 0, output
    assert [m["slug"] for m in json.loads(output)["modules"]] == ["thread-lift-nerve-pain"]


def test_curriculum_page_is_for_instructors_and_admins(app, starter, student_client):
    from .conftest import PASSWORD, login, make_user

    assert student_client.get("/author/curriculum").status_code == 403
    make_user(app, "ina@example.com", "instructor")
    client = app.test_client()
    login(client, "ina@example.com", PASSWORD)
    page = client.get("/author/curriculum")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Curriculum coverage" in html and "Thread lift" in html and "built-in method" not in html
    with app.app_context():
        total = sum(entry.version.item_count for entry in catalogue())
    assert f"{total} questions" in html
