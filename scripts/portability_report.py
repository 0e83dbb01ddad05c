"""docs/keras-releases.md, written from the knowledge the judgement uses.

``python scripts/portability_report.py --update`` writes the page from the
generated data (``scripts/keras_knowledge.py``) and the hand-written table
(``keras_rescaling_patch/files/judgement/changes.py``); ``--check`` (in
``make lint``) fails when the page and the knowledge disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _pages import page_command  # noqa: E402

from keras_rescaling_patch.files.judgement import changes  # noqa: E402
from keras_rescaling_patch.files.judgement.knowledge import (  # noqa: E402
    REQUIRED,
    Knowledge,
    knowledge,
)
from keras_rescaling_patch.files.judgement.rules import RELEASE_RULES  # noqa: E402

PAGE = ROOT / "docs" / "keras-releases.md"
# The public modules a saved file names classes by, in the page's order.
MODULES = (
    "keras.layers", "keras.initializers", "keras.regularizers",
    "keras.constraints", "keras.optimizers", "keras.optimizers.schedules",
    "keras.losses", "keras.metrics", "keras",
)  # fmt: skip

HEAD = """# What each Keras 3 release reads

<!-- Written by scripts/portability_report.py from the data
scripts/keras_knowledge.py generates from Keras's wheels, and the table in
keras_rescaling_patch/files/judgement/changes.py; `make lint` checks it. -->

A model file names each object by its module and class name and gives its
constructor arguments; a release loads it only if it finds every class
under the name written and its class takes every argument. Newer releases
write names and arguments older ones do not have, so a file saved by a
newer Keras 3 often does not load on an older one (Keras does not promise
that it does; identical weights are what a port keeps, and predictions may
differ in the last bits across releases, as kernels change).
`scan --target-keras` judges a file by this knowledge and
`repair --target-keras` ports it down ([the file tools](file-tools.md)).

Read from the {count} Keras 3 releases {first} to {latest}, each wheel's
source read with `ast` (never imported) by `scripts/keras_knowledge.py`;
`python scripts/keras_knowledge.py --update` adds a new release. Only what
changed between releases is listed here.
"""

RULES = """
## The rules

| code | name | level | what it finds |
|---|---|---|---|
"""

NAMES = """
## Names some releases do not find

A name is looked up in the module the file names, or (for an object given as
another's argument: an initializer, a regularizer, a constraint, a schedule)
in its family's table of names. A port writes another name the target finds
for the same class, where there is one.

| module | name | found by | not found by |
|---|---|---|---|
"""

ARGUMENTS = """
## Arguments some releases do not take

Arguments of a class that not every release having the class takes. A port
drops one only where the file holds the default of the release that saved
it (shown); any other value cannot be carried to a release without the
argument.

| class | argument | default | taken by | refused by |
|---|---|---|---|---|
"""

STRUCTURES = """
## What no signature shows

| what | read by | evidence |
|---|---|---|
"""


def runs(known: Knowledge, mask: int) -> str:
    """Releases of a mask as runs: ``3.0.0-3.3.3, 3.5.0``."""
    return ", ".join(known.runs(mask)) or "none"


def _names(known: Knowledge) -> list[str]:
    rows = []
    for module in MODULES:
        family = module if module in portability_families() else None
        for name in sorted(known.public_names(module, family)):
            lookup = (module, name, family)
            found = known.finds(lookup)
            if found != known.every and not name.islower():
                missing = known.every & ~found
                rows.append(
                    f"| `{module}` | `{name}` | {runs(known, found)} | "
                    f"{runs(known, missing)} |\n"
                )
    return rows


def portability_families() -> frozenset[str]:
    from keras_rescaling_patch.files.judgement.knowledge import FAMILIES

    return FAMILIES


def _arguments(known: Knowledge) -> list[str]:
    rows = []
    seen: set[str] = set()
    newest = len(known.releases) - 1
    for module in MODULES:
        family = module if module in portability_families() else None
        for name in known.public_names(module, family):
            lookup = (module, name, family)
            number = known.found(lookup, newest)
            if not name[:1].isupper() or number is None:
                continue
            signature = known.signature(number, newest)
            if signature is None or known.class_key(number) in seen:
                continue
            seen.add(known.class_key(number))
            finds = known.finds(lookup)
            for argument in sorted(signature.arguments):
                takes = known.takes(lookup, argument)
                if takes & finds == finds:
                    continue
                default = signature.arguments[argument]
                if default == REQUIRED:
                    shown = "required"
                elif isinstance(default, list):
                    shown = f"`{json.dumps(default[0])}`"
                else:
                    shown = "(computed)"
                rows.append(
                    f"| `{name}` | `{argument}` | {shown} | {runs(known, takes)} | "
                    f"{runs(known, finds & ~takes)} |\n"
                )
    return rows


def _structures() -> list[str]:
    rows = []
    for structure in changes.STRUCTURES:
        reads = f"{structure.read_from} and later"
        rows.append(f"| {structure.what} | {reads} | {structure.evidence} |\n")
    for layout in changes.LAYOUTS:
        written = (
            f" (as written from {layout.written_from})" if layout.written_from else ""
        )
        rows.append(
            f"| `{layout.class_name}`: {layout.what}{written} | "
            f"{layout.read_from} and later | {layout.evidence} |\n"
        )
    for (name, argument), values in changes.SAME_AS_ABSENT.items():
        shown = ", ".join(f"`{json.dumps(v)}`" for v in values)
        rows.append(
            f"| `{name}` `{argument}` = {shown}: what releases without the "
            f"argument do | every release (a port drops it) | "
            f"{changes.SAME_AS_ABSENT_EVIDENCE} |\n"
        )
    rows.append(
        "| a layer's dtype policy object (`DTypePolicy`), which some releases "
        "do not find | where the name is found | every release's layers take a "
        "policy's name, which says all a plain policy holds: a port writes the "
        "name. |\n"
    )
    return rows


def page() -> str:
    known = knowledge()
    facts = {
        "count": len(known.releases),
        "first": known.releases[0],
        "latest": known.releases[-1],
    }
    rules = [
        f"| {r.code} | {r.name} | {r.level} | {r.summary} |\n" for r in RELEASE_RULES
    ]
    parts = [HEAD.format(**facts), RULES, *rules, NAMES, *_names(known), ARGUMENTS]
    parts += _arguments(known)
    parts += [STRUCTURES, *_structures()]
    return "".join(parts)


def main() -> int:
    return page_command(__doc__ or "", PAGE, page)


if __name__ == "__main__":
    sys.exit(main())
