"""The file tools' tree keeps its shape: words, imports, prose.

Import directions are checked by import-linter in ``make lint`` (the
contracts are in pyproject.toml); what it cannot see is checked here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "keras_rescaling_patch"
BELOW_THE_COMMAND_LINE = sorted((PACKAGE / "files").rglob("*.py"))
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]+|-o\b)")
# A whole command a help text quotes is an example, not a message naming the
# caller's flags (SARIF's rules say how to fix a file with the command line).
QUOTED_COMMAND = re.compile(r"`keras-rescaling-patch [^`]*`")


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module but its docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize(
    "module", BELOW_THE_COMMAND_LINE, ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_message_below_the_command_line_names_a_flag(module: Path) -> None:
    """A message points at a setting (files/options.py); each caller
    spells it: the command line as a flag, the API as a parameter."""
    named = [
        (line, text)
        for line, text in _strings(module)
        if FLAG.search(QUOTED_COMMAND.sub("", text))
    ]
    assert named == []


def test_every_module_says_why_it_is_there() -> None:
    for module in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(module.read_text())
        if module.name == "__init__.py" and not tree.body:
            continue
        assert ast.get_docstring(tree), module


def test_module_docstrings_name_only_files_that_exist() -> None:
    """A docstring citing ``files/x.py`` points a reader at that file."""
    cited = re.compile(r"``((?:files|runtime|cli|vendoring)/[\w/]+\.py)``")
    for module in sorted(PACKAGE.rglob("*.py")):
        for name in cited.findall(
            ast.get_docstring(ast.parse(module.read_text())) or ""
        ):
            assert (PACKAGE / name).is_file(), f"{module}: {name}"


def test_matrix_and_benchmarks_use_support_never_tests() -> None:
    for folder in ("matrix", "benchmarks"):
        for module in sorted((ROOT / folder).glob("*.py")):
            tree = ast.parse(module.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert node.module.split(".")[0] != "tests", module
                elif isinstance(node, ast.Import):
                    assert all(a.name.split(".")[0] != "tests" for a in node.names)
