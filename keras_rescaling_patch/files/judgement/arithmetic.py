"""What a class does with an argument's value before it computes with it.

A plain float in a config reaches the class as a Python float, which Keras
reads as float32; an array reaches it as the array, in its own dtype. For
float32 (and narrower) data the two compute alike, and the general rule of
``exactness.py`` writes the values as they are. A float64 array is another
matter: a class that computes with it as it is promotes the arithmetic
around it to float64 (stock 3.0.0's ``AUC`` returns a float64 result from
float64 ``label_weights``), so no plain number gives its results, and the
general rule refuses it. What makes a float64 value exact is the class's
own arithmetic, an entry here: an optimizer casts it to float32
variables, or the class only compares float32 inputs with it. And some
classes compute differently with a plain number than with any array
(TensorFlow's graph optimizer rewrites a power with a constant exponent: a
square root for 0.5, a square for 2), however exactly the number carries
the value.

Each entry was measured on stock releases: ``tests/test_differential_verdicts.py``
repairs a case of it and checks outputs, losses, metrics and trained
weights against the model in memory, bit for bit, on releases from 3.0.0 to
the newest, and removes each entry in turn to show a case then goes wrong.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Use(enum.Enum):
    """What the class does with the value first."""

    # Cast to the dtype of the variables it is applied to (a learning rate
    # schedule's values, cast by the optimizer): one rounding from either,
    # as long as those variables are float32 (a plain float is read as one).
    VARIABLE_DTYPE = "is cast to the float32 variables it updates"
    # Only compared with float32 inputs: exact where float32 holds the value
    # (the comparison in float64 then gives the same answer).
    COMPARED = "compares its float32 inputs with it"
    # Computes differently with a plain number than with the array, even
    # one holding the very same value: TensorFlow's graph optimizer rewrites
    # a power with a constant exponent (sqrt for 0.5, square for 2), and a
    # plain number is a constant where the array was not; float arrays
    # also make the arithmetic around them run in their dtype.
    DIFFERENT = "computes differently with a plain number than with the array"


@dataclass(frozen=True)
class Handling:
    """What ``classes`` do with their argument ``argument``."""

    classes: frozenset[str]
    argument: str
    use: Use
    why: str  # for people, after the class's name

    def covers(self, owner: str | None, argument: str | None) -> bool:
        return owner in self.classes and argument == self.argument


FOCAL_LOSSES = frozenset({"BinaryFocalCrossentropy", "CategoricalFocalCrossentropy"})

HANDLINGS: tuple[Handling, ...] = (
    Handling(
        frozenset({"Masking"}),
        "mask_value",
        Use.COMPARED,
        "compares its inputs with mask_value",
    ),
    Handling(
        frozenset({"PiecewiseConstantDecay"}),
        "values",
        Use.VARIABLE_DTYPE,
        "returns one of its values, which the optimizer casts to its float32 variables",
    ),
    Handling(
        frozenset({"Ftrl"}),
        "learning_rate_power",
        Use.DIFFERENT,
        "raises to the power of learning_rate_power, which TensorFlow computes "
        "differently for a plain number",
    ),
    Handling(
        FOCAL_LOSSES,
        "gamma",
        Use.DIFFERENT,
        "raises to the power of gamma, which TensorFlow computes differently "
        "for a plain number",
    ),
    Handling(
        frozenset({"CategoricalFocalCrossentropy"}),
        "alpha",
        Use.DIFFERENT,
        "computes its loss in a different dtype with a plain alpha",
    ),
)


def handling_of(owner: str | None, argument: str | None) -> Handling | None:
    """The entry for a class's argument, if there is one (the same on every
    release checked: a class that computes differently on some release is
    taken to on all of them)."""
    for entry in HANDLINGS:
        if entry.covers(owner, argument):
            return entry
    return None


# Policies whose variables are float32, whatever they compute in.
FLOAT32_VARIABLES = frozenset({"float32", "mixed_float16", "mixed_bfloat16"})


def variable_dtype(policy: Any) -> str | None:
    """The variable dtype a serialized dtype policy gives (``None``: none
    is given, so Keras's default floatx, float32, unless a user changed
    it)."""
    if isinstance(policy, dict) and isinstance(policy.get("config"), dict):
        policy = policy["config"].get("name")
    if not isinstance(policy, str):
        return None if policy is None else repr(policy)
    name = policy.rpartition("_from_")[2]  # quantized: "int8_from_float32"
    return "float32" if name in FLOAT32_VARIABLES else name


def float32_variables(entries: Iterable[dict[str, Any]]) -> bool:
    """Whether every serialized object among ``entries`` that names a dtype
    policy keeps its float variables in float32 (integer, bool and string
    policies, a lookup's or an input's, have none an optimizer updates)."""
    for entry in entries:
        config = entry.get("config")
        if isinstance(config, dict) and "dtype" in config:
            dtype = variable_dtype(config["dtype"])
            if dtype is not None and dtype != "float32" and not _not_float(dtype):
                return False
    return True


def _not_float(dtype: str) -> bool:
    return dtype in ("bool", "string") or dtype.startswith(("int", "uint"))
