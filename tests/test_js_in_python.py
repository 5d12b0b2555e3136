"""Browser code lives in geo/static/zonewatch/, never in Python: no string in the
project's Python files holds more than 20 lines of JavaScript or CSS (issue 16)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

MAX_LINES = 20
#: Blocks of browser code inside HTML.
BLOCK = re.compile(r"<(script|style)\b[^>]*>(.*?)(?:</\1>|$)", re.S | re.I)
#: What marks text as JavaScript or CSS when it is not inside such a block.
CODE = re.compile(
    r"function\s*\w*\s*\(|=>\s*[{(]|\bvar\s+\w+\s*=|\bL\.\w+\(|document\.\w+"
    r"|[\w.#\]-]\s*\{[^{}\n]*:[^{}\n]*;[^{}\n]*\}",
)
SKIP = {".venv", ".git", "static", "node_modules", "__pycache__"}


def code_lines(text: str) -> int:
    """How many lines of JavaScript or CSS a string holds: the lines of its <script> and
    <style> blocks, plus all its lines when the rest of it reads as JavaScript or CSS."""
    lines = sum(len([x for x in body.splitlines() if x.strip()]) for _, body in BLOCK.findall(text))
    rest = BLOCK.sub("", text)
    if CODE.search(rest):
        lines += len([x for x in rest.splitlines() if x.strip()])
    return lines


def _strings(tree: ast.AST):
    """Every string of a module with its line: constants, and f-strings as a whole."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values]
            inside.update(id(v) for v in node.values)
            yield node.lineno, "".join(str(p) for p in parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in inside:
                yield node.lineno, node.value


def offenders(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if SKIP & set(path.relative_to(root).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, text in _strings(tree):
            n = code_lines(text)
            if n > MAX_LINES:
                found.append(f"{path.relative_to(root)}:{line}: {n} lines of JavaScript/CSS")
    return found


def test_no_python_string_holds_more_than_20_lines_of_browser_code():
    assert offenders(ROOT) == []


def test_the_check_sees_browser_code():
    js = "(function () {\n" + "  var x = 1;\n" * 25 + "})();"
    css = "<style>\n" + ".a{color:red}\n" * 21 + "</style>"
    assert code_lines(js) == 27 and code_lines(css) == 21
    html_with_small_style = "<p>x</p>\n" * 40 + "<style>\nbody{margin:0}\n</style>"
    assert code_lines(html_with_small_style) == 1
    prose = "A docstring that says what a function does.\n" * 30
    assert code_lines(prose) == 0
