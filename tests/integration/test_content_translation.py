"""Content translations end to end: a Vietnamese student takes the translated module, graded by key."""

from __future__ import annotations

import shutil

from training.extensions import db
from training.models import Attempt

from .conftest import module_doc, start_attempt
from .helpers import key_values
from .test_packs import run
from .test_taking import finish

SLUG = "clinic-emergencies-and-rare-complications"
VI_PROMPT = "Nguyên nhân nhiều khả năng nhất gây ra các nốt sần của Trang là gì?"
EN_PROMPT = "What is the most likely cause of Trang"


def _score(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return attempt.score, attempt.max_score, attempt.passed


def test_vietnamese_student_takes_the_translation_and_is_graded_by_key(app, starter, student_client, other_client):
    student_client.post("/language", data={"language": "vi"})
    page = student_client.get(f"/modules/{SLUG}").get_data(as_text=True)
    assert "Cấp cứu và biến chứng hiếm gặp tại cơ sở" in page
    assert 'id="language-notice"' in page  # partly translated: the rest is shown in English, said plainly
    vi_attempt = start_attempt(student_client, SLUG)
    take = student_client.get(f"/attempts/{vi_attempt}").get_data(as_text=True)
    assert VI_PROMPT in take
    assert "Tuần thứ 6: các nốt sần đỏ, một nốt đang rỉ dịch" in take

    doc = module_doc(app, SLUG)  # the original: answers are keys and ids, the same in both languages
    finish(student_client, doc, vi_attempt, key_values)

    en_attempt = start_attempt(other_client, SLUG)
    take = other_client.get(f"/attempts/{en_attempt}").get_data(as_text=True)
    assert EN_PROMPT in take and VI_PROMPT not in take
    assert 'id="language-notice"' not in other_client.get(f"/modules/{SLUG}").get_data(as_text=True)
    finish(other_client, doc, en_attempt, key_values)

    assert _score(app, vi_attempt) == _score(app, en_attempt)
    assert _score(app, vi_attempt)[0] == _score(app, vi_attempt)[1]


def test_module_without_translation_says_so(app, starter, student_client):
    student_client.post("/language", data={"language": "vi"})
    page = student_client.get("/modules/thread-lift-nerve-pain").get_data(as_text=True)
    assert 'id="language-notice"' in page


def test_validate_reports_an_outdated_translation_with_file_and_line(app, tmp_path):
    source = "quizzes/packs"
    pack = tmp_path / "pack"
    shutil.copytree(source, pack)
    module = pack / SLUG / "module.yaml"
    text = module.read_text(encoding="utf-8")
    old = "What is the most likely cause of Trang's lumps?"
    assert old in text
    module.write_text(text.replace(old, "What most likely causes Trang's lumps?"), encoding="utf-8")
    translation = pack / SLUG / "translations" / "vi.yaml"
    line = next(
        n
        for n, row in enumerate(translation.read_text(encoding="utf-8").splitlines(), start=1)
        if row.strip() == "items.ce-trang-cause.prompt:"
    )
    code, output = run(app, "validate", str(pack))
    assert code == 0, output
    assert f"{translation}:{line}: texts.items.ce-trang-cause.prompt: outdated" in output


def test_summary_reports_translation_coverage(app):
    import json

    code, output = run(app, "summary", "quizzes/packs", "--json")
    assert code == 0, output
    rows = {r["slug"]: r for r in json.loads(output[output.index("{") :])["modules"]}
    vi = rows[SLUG]["translations"]["vi"]
    assert 0 < vi["coverage"] < 1 and vi["missing"] > 0 and vi["outdated"] == 0
