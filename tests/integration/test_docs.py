"""The README's two commands stay true: CI runs the test command exactly as documented."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)
    return blocks[:2]


def test_readme_opens_with_a_run_command_and_a_test_command():
    run, test = readme_commands()
    assert "pip install -r requirements.txt" in run and "flask --app app run" in run
    assert "pip install -r requirements-dev.txt" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_then_postgres_then_browser():
    ci = (ROOT / ".ci" / "run").read_text()
    _, test = readme_commands()
    sqlite_at = ci.index(test)
    postgres_at = ci.index('TEST_DATABASE_URL="$PG_URL"')
    browser_at = ci.index("pytest tests/browser")
    assert sqlite_at < postgres_at < browser_at


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r")):
                assert "==" in line, f"{name}: {line} is not pinned"
