"""Which serialized arrays stock Keras restores, and on which releases: the
one table ``scan``, ``repair`` and the documentation read.

Keras 3 writes a NumPy array or a backend tensor given to a constructor as a
``__numpy__`` / ``__tensor__`` marker (and each item of a string tensor as a
``__bytes__`` one), and rebuilds an object with ``cls(**config)``: a marker
in an object's config reaches ``__init__`` as a dict, unrestored, unless the
class restores it itself. That is the rule, and it holds for every class of
Keras on every 3.x release but for the exceptions below, each found in
Keras's source across the 3.x tags and shown by the differential tests
(``tests/test_differential_verdicts.py``). A class this table does not know
(a user's registered class, a ``keras_hub`` layer) is suspect: its own code
may restore its arrays, or not.

Where Keras itself deserializes a value (the compile config's own entries,
the arguments a layer was called with), every marker is restored; only
what reaches a constructor is judged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Restorer:
    """Classes that restore a serialized array given as these arguments
    (``None``: any of theirs), from release ``since`` on (``None``: on every
    Keras 3 release), as ``evidence`` shows."""

    classes: frozenset[str]
    arguments: frozenset[str] | None
    since: str | None
    evidence: str


RESTORERS = (
    Restorer(
        frozenset({"Rescaling"}),
        frozenset({"scale", "offset"}),
        "3.5.0",
        "Rescaling.from_config deserializes both (keras-team/keras#20079)",
    ),
    Restorer(
        frozenset({"Masking"}),
        frozenset({"mask_value"}),
        "3.9.0",
        "Masking.__init__ deserializes a serialized mask_value "
        "(keras-team/keras#20791)",
    ),
    Restorer(
        frozenset({"Constant"}),
        frozenset({"value"}),
        None,
        "Constant.from_config deserializes its value",
    ),
    Restorer(
        frozenset({"Lambda"}),
        frozenset({"arguments"}),
        None,
        "Lambda.from_config deserializes its arguments",
    ),
    Restorer(
        frozenset({"LossFunctionWrapper", "MeanMetricWrapper"}),
        None,
        None,
        "their from_config deserializes the whole config when it names a function (fn)",
    ),
)


def restored_since(owner: str, argument: str) -> tuple[bool, str | None]:
    """Whether a Keras class ever restores a marker given as ``argument``,
    and from which release (``None``: every Keras 3 release)."""
    for restorer in RESTORERS:
        if owner in restorer.classes and (
            restorer.arguments is None or argument in restorer.arguments
        ):
            return True, restorer.since
    return False, None
