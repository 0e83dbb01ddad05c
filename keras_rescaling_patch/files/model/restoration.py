"""Which serialized arrays stock Keras restores, and on which releases: the
one table ``scan``, ``repair``, SARIF and the documentation read.

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

from keras_rescaling_patch._keras_releases import KERAS_3, LATEST_CHECKED
from keras_rescaling_patch._markers import DATA_MARKERS as ARRAY_MARKERS

# The arrays and tensors the shim restores too, and a string tensor's items.
DATA_MARKERS = ARRAY_MARKERS | {"__bytes__"}


@dataclass(frozen=True)
class Rule:
    """A kind of finding: a stable code, its name, and what to say of it."""

    code: str
    name: str
    summary: str
    help: str
    level: str  # SARIF's: "error" or "warning"


RESCALING = Rule(
    "KRP001",
    "ArrayValuedRescalingArgument",
    "A Rescaling layer's scale or offset is a serialized array.",
    "Stock Keras 3.0.0 to 3.4.1 hand the serialized array to "
    "keras.layers.Rescaling unrestored, and the model fails at its first call "
    "after loading (keras-team/keras#20072, fixed in 3.5.0). Load it with "
    "`import keras_rescaling_patch` first or with Keras 3.5 or later, or rewrite "
    "the file once with `keras-rescaling-patch repair IN -o OUT`.",
    "error",
)
UNKNOWN_CLASS = Rule(
    "KRP002",
    "ArrayInAClassNotKnown",
    "A class this package does not know holds a serialized array.",
    "A class that is not part of Keras (a registered custom class, a keras_hub "
    "layer) receives a serialized array as a constructor argument; stock Keras "
    "hands it the marker unrestored, so the model works only if that class's "
    "own code restores it. `repair` does not rewrite it: it cannot know what "
    "the class does with a plain value.",
    "warning",
)
NOT_RESTORED = Rule(
    "KRP003",
    "UnrestoredArrayArgument",
    "A Keras class receives a serialized array that it does not restore.",
    "Keras writes an array or tensor given to a constructor as a serialized "
    "marker, and the default from_config hands it back to the class as a "
    "dict; the loaded object fails (at loading, at its first call, in "
    "evaluate or fit) or silently keeps the dict. The finding names the "
    "releases that do not restore it. Rewrite the file once with "
    "`keras-rescaling-patch repair IN -o OUT`: the value becomes a plain list "
    "or number, which every Keras 3 release loads.",
    "error",
)
RULES = (RESCALING, UNKNOWN_CLASS, NOT_RESTORED)
RULE_CODES = frozenset(rule.code for rule in RULES)


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


def checked_releases() -> str:
    """``3.0.0-3.15.1``: what the verdicts were checked against."""
    return f"{KERAS_3[0]}-{LATEST_CHECKED}"
