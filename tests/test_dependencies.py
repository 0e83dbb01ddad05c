"""The package imports only the standard library, and the user's Keras.

Keras and NumPy are the user's (the shim patches the Keras it finds; the
file tools import neither), and nothing else may be imported: Keras 3.0-3.3
do not bring ``packaging`` (3.4+ do), and nothing the package would need
is installed with it (it has no dependency). ``make lint`` runs deptry too,
against the declared extras.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from packaging.version import Version as ReferenceVersion

from keras_rescaling_patch._keras_releases import InvalidVersion, Version

PACKAGE = Path(__file__).resolve().parent.parent / "keras_rescaling_patch"
ALLOWED = set(sys.stdlib_module_names) | {"keras", "numpy", "keras_rescaling_patch"}


def imported_top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


# The `check` child loads the model the way users write it: through tf.keras
# where TensorFlow is installed (it asks importlib first). URLs of object
# stores need fsspec, the [remote] extra, imported only for such a URL.
OPTIONAL = {"selfcheck_child.py": {"tensorflow"}, "fsspec_store.py": {"fsspec"}}


@pytest.mark.parametrize(
    "module", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_module_imports_only_what_every_affected_keras_brings(module: Path) -> None:
    allowed = ALLOWED | OPTIONAL.get(module.name, set())
    assert imported_top_level_names(module) <= allowed


VERSIONS = [
    "2.15.0", "3", "3.0.0rc1", "3.0.0", "3.4", "3.4.1", "3.5.0.dev2024080103",
    "3.5.0a1", "3.5.0rc2", "3.5.0", "3.5.0+local", "3.10.0", "3.15.1", "4.0.0",
]  # fmt: skip


@pytest.mark.parametrize("text", VERSIONS)
def test_version_order_agrees_with_pep_440_where_the_gate_looks(text: str) -> None:
    for threshold in ("3.0.0", "3.3.0", "3.5.0"):
        ours = Version.parse(text) < Version.parse(threshold)
        assert ours == (ReferenceVersion(text) < ReferenceVersion(threshold)), threshold
    assert Version.parse(text).major == ReferenceVersion(text).major


@pytest.mark.parametrize("text", ["", "keras", "3.x", "3.4.1-garbage!", "v"])
def test_unparseable_versions_are_rejected(text: str) -> None:
    with pytest.raises(InvalidVersion):
        Version.parse(text)
