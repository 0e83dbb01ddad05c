"""docs/serialized-arrays.md, written from the table the code judges with.

``python scripts/restoration_report.py --update`` writes the page;
``--check`` (in ``make lint``) fails when the page and the table disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _pages import page_command  # noqa: E402

from keras_rescaling_patch._keras_releases import KERAS_3, LATEST_CHECKED  # noqa: E402
from keras_rescaling_patch.files.judgement.restoration import (  # noqa: E402
    RESTORERS,
)
from keras_rescaling_patch.files.judgement.rules import ARRAY_RULES  # noqa: E402

PAGE = ROOT / "docs" / "serialized-arrays.md"

HEAD = """# Serialized arrays: which ones Keras restores

<!-- Written by scripts/restoration_report.py from
keras_rescaling_patch/files/judgement/restoration.py; `make lint` checks it. -->

Keras 3 writes a NumPy array (of one dimension or more) or a backend tensor
(any, a 0-d one too) given to a constructor into the model config as a
marker, `{{"class_name": "__numpy__" | "__tensor__", "config": {{"value": [...],
"dtype": ...}}}}` (each item of a string tensor as a `__bytes__` one). When it
loads the file, the default `from_config` calls `cls(**config)`: the marker
reaches `__init__` as a dict, and the loaded object fails (at loading, at its
first call, in `evaluate` or `fit`, with `training=True` only) or keeps the
dict silently, unless the class restores it itself.

That is the rule `scan` judges by, for every Keras class, wherever Keras
passes the marker to a constructor: a layer's config, the objects nested in
it (initializers, regularizers, constraints), and the compile config's
losses, metrics and optimizer. Where Keras deserializes a value itself (the
compile config's own entries, the arguments a layer was called with), every
marker is restored. A class that is not Keras's own (a registered custom
class, a `keras_hub` layer) is suspect: its own code may restore its arrays.
Checked against the {count} Keras 3 releases {first} to {latest}; a release
after {latest} is judged by the same rule.

NumPy scalars and 0-d arrays are written as plain numbers, without a
marker, and come back as Python numbers: a float64 one comes back as a
Python float, which Keras computes with in float32 where the object in
memory kept float64. Most classes cast it first and give the same result;
some do not: on stock 3.4.1, a model with
`MelSpectrogram(min_power=np.array(1e-10))` predicted 1.9e-06 away from
itself after reloading, and one compiled with
`Ftrl(learning_rate_power=np.array(-0.5))` trained one step 3.0e-08 away
(on the inputs tried). `scan` cannot tell such a file from
one built with a Python float: it holds the same plain number. Build with a
Python float (or a float32 value) to have the model in memory be the model
in the file.

## The rules

| code | name | level | what it finds |
|---|---|---|---|
"""

MIDDLE = """
## The classes that restore their arrays

Every other Keras class and argument: no release restores it ({first} to
{latest} checked).

| class | arguments | restored by stock Keras | evidence |
|---|---|---|---|
"""

TAIL = """
`repair` rewrites each array some release leaves unrestored as a plain list,
number or string that the class computes with exactly as with the array
([the file tools](file-tools.md)); the differential tests
(`tests/test_differential_verdicts.py`, `make test-verdicts`) save models on
stock Keras releases around each boundary, check that `scan`'s verdict for
the release is what the release does, and that the repaired file loads,
predicts, evaluates and trains there.
"""


def page() -> str:
    facts = {"count": len(KERAS_3), "first": KERAS_3[0], "latest": LATEST_CHECKED}
    lines = [HEAD.format(**facts)]
    for rule in ARRAY_RULES:
        lines.append(f"| {rule.code} | {rule.name} | {rule.level} | {rule.summary} |\n")
    lines.append(MIDDLE.format(**facts))
    for restorer in RESTORERS:
        classes = ", ".join(f"`{name}`" for name in sorted(restorer.classes))
        arguments = (
            "any"
            if restorer.arguments is None
            else ", ".join(f"`{name}`" for name in sorted(restorer.arguments))
        )
        if restorer.since:
            before = KERAS_3[KERAS_3.index(restorer.since) - 1]
            since = f"{restorer.since} and later (not {KERAS_3[0]}-{before})"
        else:
            since = "every release"
        lines.append(f"| {classes} | {arguments} | {since} | {restorer.evidence} |\n")
    lines.append(TAIL)
    return "".join(lines)


def main() -> int:
    return page_command(__doc__ or "", PAGE, page)


if __name__ == "__main__":
    sys.exit(main())
