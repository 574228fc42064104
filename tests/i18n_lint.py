"""Finds words people read that are not inside the translation functions.

Templates: text between tags and the visible attributes (``title``, ``alt``, ``placeholder``,
``aria-label``...) must come from ``_()``/``ngettext()``/``{% trans %}``. Python: literal text
given to ``flash``, ``abort``, a raised error, a form field's label/description, a
validator's message or a field's choices must be wrapped in ``_``/``_l``/``gettext``;
an f-string inside a translation function is refused (translators would see the values).

Run on files: ``python -m tests.i18n_lint templates/learn/take.html training/learn/views.py``.
``tests/unit/test_translations.py`` runs it on the whole project.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[1]
LETTERS = re.compile(r"[^\W\d_]{2,}")
# Names that read the same in every language.
SAME_IN_EVERY_LANGUAGE = {"PDF", "CSV", "XLSX", "GIFT", "Aiken", "Moodle", "XML", "JSON", "YAML", "ZIP", "PNG", "JPEG"}
VISIBLE_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription")
ATTRIBUTE = re.compile(r"""\b(%s)\s*=\s*("[^"]*"|'[^']*')""" % "|".join(VISIBLE_ATTRIBUTES))  # noqa: UP031
TRANSLATORS = {"_", "_l", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext", "pgettext", "N_"}
ERROR_NAME = re.compile(r"(Error|Conflict|Exception|Refused|Invalid|NotYet|Closed|Denied)$")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def _words(text: str) -> list[str]:
    return [w for w in LETTERS.findall(text) if w not in SAME_IN_EVERY_LANGUAGE]


# ------------------------------------------------------------------------------- templates

_ENV = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # only lexed, never rendered


def _template_text(source: str) -> str:
    """The template's literal text, with every Jinja tag, expression and comment (and
    ``{% trans %}`` blocks) blanked out, keeping line breaks where they were."""
    out: list[str] = []
    in_trans = 0
    expect_name = False
    for _line, kind, value in _ENV.lex(source):
        if kind == "block_begin":
            expect_name = True
        elif kind == "name" and expect_name:
            in_trans += {"trans": 1, "endtrans": -1}.get(value, 0)
            expect_name = False
        elif kind != "whitespace":
            expect_name = False
        if kind == "data" and not in_trans:
            out.append(value)
        else:
            # An expression stands for a value: keep a placeholder with no letters, and its line breaks.
            out.append("\x00" + "\n" * value.count("\n") if kind in ("data", "raw_begin") or "\n" in value else "\x00")
    return "".join(out)


def _blank(match: re.Match) -> str:
    return "\n" * match.group(0).count("\n")


def check_template(path: Path, source: str) -> list[Finding]:
    text = _template_text(source)
    text = re.sub(r"<!--.*?-->", _blank, text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", _blank, text, flags=re.S | re.I)
    text = re.sub(r"&[#\w]+;", " ", text)
    findings: list[Finding] = []

    def line_of(position: int) -> int:
        return text.count("\n", 0, position) + 1

    for tag in re.finditer(r"<[^>]*>", text, flags=re.S):
        for attr in ATTRIBUTE.finditer(tag.group(0)):
            value = attr.group(2)[1:-1]
            if _words(value):
                findings.append(Finding(str(path), line_of(tag.start() + attr.start()), f'{attr.group(1)}="{value}"'))
    bare = re.sub(r"<[^>]*>", _blank, text, flags=re.S)
    for match in re.finditer(r"[^\x00<>\n]+", bare):
        if _words(match.group(0)):
            findings.append(Finding(str(path), bare.count("\n", 0, match.start()) + 1, match.group(0).strip()))
    return findings


# ------------------------------------------------------------------------------- Python


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _literal_words(node: ast.AST | None) -> str | None:
    """The text of a plain string or f-string that holds words; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _words(node.value):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if _words(text):
            return text
    if isinstance(node, ast.BinOp):  # "..." % x or "..." + "..."
        return _literal_words(node.left) or _literal_words(node.right)
    return None


class _PythonChecker(ast.NodeVisitor):
    def __init__(self, path: str):
        self.path = path
        self.findings: list[Finding] = []

    def _report(self, node: ast.AST, text: str) -> None:
        self.findings.append(Finding(self.path, node.lineno, text))

    def _check(self, node: ast.AST | None) -> None:
        if node is not None and (text := _literal_words(node)) is not None:
            self._report(node, text)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        if name in TRANSLATORS:
            for arg in node.args[:2]:
                if isinstance(arg, ast.JoinedStr):
                    self._report(arg, "an f-string inside a translation function: use named %(values)s")
        elif name == "flash" and node.args:  # flash(message, category): the category is a CSS class
            self._check(node.args[0])
        elif name == "abort":  # abort(status, message)
            for arg in node.args[1:]:
                self._check(arg)
        elif name.endswith("Field") and name[:1].isupper():
            if node.args:
                self._check(node.args[0])
            for kw in node.keywords:
                if kw.arg in ("label", "description"):
                    self._check(kw.value)
                elif kw.arg == "choices" and isinstance(kw.value, (ast.List, ast.Tuple)):
                    for choice in kw.value.elts:
                        if isinstance(choice, ast.Tuple) and len(choice.elts) == 2:
                            self._check(choice.elts[1])
        elif name == "EqualTo":  # EqualTo(other_field_name, message=...)
            for kw in node.keywords:
                if kw.arg == "message":
                    self._check(kw.value)
        elif name in (
            "DataRequired",
            "InputRequired",
            "Length",
            "NumberRange",
            "Email",
            "Regexp",
            "Optional",
            "AnyOf",
            "NoneOf",
            "ValidationError",
            "StopValidation",
        ):
            for arg in node.args:
                self._check(arg)
            for kw in node.keywords:
                if kw.arg == "message":
                    self._check(kw.value)
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc
        if (
            isinstance(exc, ast.Call)
            and ERROR_NAME.search(_name(exc.func))
            and _name(exc.func)
            not in (
                "ValueError",
                "TypeError",
                "KeyError",
                "RuntimeError",
                "AssertionError",
                "NotImplementedError",
                "LookupError",
                "IndexError",
                "AttributeError",
            )
        ):
            for arg in exc.args[:1]:
                self._check(arg)
        self.generic_visit(node)


def check_python(path: Path, source: str) -> list[Finding]:
    checker = _PythonChecker(str(path))
    checker.visit(ast.parse(source, str(path)))
    return checker.findings


def check(path: Path) -> list[Finding]:
    source = path.read_text(encoding="utf-8")
    shown = path.relative_to(ROOT) if path.is_absolute() and path.is_relative_to(ROOT) else path
    if path.suffix == ".html":
        return check_template(shown, source)
    if path.suffix == ".py":
        return check_python(shown, source)
    if path.suffix == ".js":
        return [
            Finding(str(shown), n, line.strip())
            for n, line in enumerate(source.splitlines(), 1)
            if re.search(r"""(["'`])[^"'`]*\b[A-Z][a-z]+ [a-z]+[^"'`]*\1""", line) and "//" not in line[:4]
        ]
    return []


def main(paths: list[str]) -> int:
    findings = [f for p in paths for f in check(Path(p).resolve())]
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
