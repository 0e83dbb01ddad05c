"""What ``repair`` may write in place of a serialized array, or must refuse.

Stock Keras hands a ``__numpy__`` / ``__tensor__`` / ``__bytes__`` marker to
a constructor unrestored (``restoration.py``), but the same class works
with a plain list, number or string: those survive its serialization. So
``repair`` swaps each such marker for the plain value of the same shape,
which must give the very numbers the array gave. This module decides that
value, or refuses; the format puts it in place (``files/model/``).

A Rescaling casts its arguments to its compute dtype on every call, and
backends take different routes there (TensorFlow converts a Python list to
float32 first; JAX and ``ml_dtypes`` go through float32; NumPy rounds
directly). Each of its values is therefore written already rounded to the
compute dtype, and only if every route from the saved array and from the
written number agrees on the result. Any other class gets the values as
they are: integers and bools exactly, floats only where float32 holds them
(Keras reads a plain float as float32, where the array may have been
float64), a string tensor's items as text. Integer and bool arrays must hold
values their dtype holds exactly (NumPy would otherwise truncate or wrap
them). Anything else is refused rather than changed, and then nothing is
changed at all, unless the caller allows rounding (``allow_rounding``):
then a float is written as the nearest value the class computes with, and
the repair says by how much each value moved.

Some classes do their own arithmetic on the value first
(``arithmetic.py``): one that converts it to its own dtype, or whose
optimizer casts it to float32 variables, computes exactly with the plain
value even where float32 cannot hold the array's; one that computes
differently with a plain number than with any array is refused, or, with
rounding allowed, written with a note saying so.

The work is bounded: an argument may hold at most ``max_elements``
values (a setting raises it), and nothing here recurses.
"""

from __future__ import annotations

import enum
import math
from array import array
from dataclasses import dataclass
from typing import Any

from keras_rescaling_patch.files.judgement.arithmetic import Handling, Use, handling_of
from keras_rescaling_patch.files.judgement.findings import Finding
from keras_rescaling_patch.files.judgement.float_formats import (
    FLOAT32,
    FLOAT_FORMATS,
    FloatFormat,
    round_to,
)
from keras_rescaling_patch.files.judgement.rules import RESCALING
from keras_rescaling_patch.files.judgement.verdicts import Judged
from keras_rescaling_patch.files.model.marker_values import (
    MalformedMarker,
    TooLarge,
    array_values,
    bytes_text,
    marker_config,
    nest,
)
from keras_rescaling_patch.files.options import (
    ALLOW_ROUNDING,
    DEFAULT_MAX_ARRAY_ELEMENTS,
    MAX_ARRAY_ELEMENTS,
)
from keras_rescaling_patch.files.problems import FileProblem, Message, message

# Mixed policies keep float32 variables but compute in the narrow type.
MIXED_POLICIES = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
BITS = (8, 16, 32, 64)
INTEGER_RANGES = {
    "bool": (0, 1),
    **{f"int{bits}": (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for bits in BITS},
    **{f"uint{bits}": (0, 2**bits - 1) for bits in BITS},
}
LARGEST_EXACT_INTEGER = 2**53


class NotExactlyRepairable(FileProblem):
    """Values that no plain number carries exactly; the message says which,
    ``instead`` what would load the file as it is (for people).
    ``roundable``: what allowing rounding would do instead, if it would
    write anything (for people, after the option's name)."""

    def __init__(
        self,
        what: Message | str,
        instead: str | None = None,
        roundable: str | None = None,
    ) -> None:
        super().__init__(what)
        self.instead = instead
        self.roundable = roundable


class NotCarried(NotExactlyRepairable):
    """A value no plain number carries at all, rounding or not."""


def instead_of_repair(finding: Finding) -> str:
    """What loads a file holding ``finding`` without a repair, if anything."""
    if finding.rule == RESCALING.code:
        return (
            "load this file with the shim (import keras_rescaling_patch) or "
            f"Keras >= {finding.since} instead"
        )
    if finding.since is not None:
        return f"load it with Keras >= {finding.since} instead"
    return (
        "no Keras release restores it: build the model with a list or a "
        "number there instead of an array, and save it again"
    )


@dataclass(frozen=True)
class Rounding:
    """How far rounding moved an argument's values (``allow_rounding``):
    ``written`` is the plain value now in the file; the largest absolute
    and relative differences from the saved values; how many moved."""

    written: Any
    largest_absolute: float
    largest_relative: float
    moved: int


@dataclass(frozen=True)
class Repair:
    """One serialized array rewritten as a plain value."""

    path: str  # the layer, through nested models
    argument: str  # where in it, for people: "scale", "kernel_constraint.axis"
    marker: str  # "__numpy__", "__tensor__" or "__bytes__"
    stored_dtype: str
    # What the class computes in, where repair rounded for it (Rescaling);
    # None: the values are written as they are.
    compute_dtype: str | None
    shape: tuple[int, ...]
    # Some value is infinite or NaN (1e300 in a float32 Rescaling, say), so
    # the value holds JSON's non-standard Infinity or NaN: Keras and Python
    # read them, strict JSON parsers refuse them.
    non_finite: bool = False
    owner: str | None = None  # the class that receives it
    # Why a plain value is exact though float32 cannot hold the array's
    # (the class's own arithmetic), for people; None: by the general rule.
    exact_because: str | None = None
    rounding: Rounding | None = None  # what allow_rounding changed
    # Written with allow_rounding although the class computes differently
    # with a plain value than with the array: why, for people.
    computes_differently: str | None = None


def compute_dtype(layer_config: dict[str, Any]) -> str:
    """The dtype a serialized layer computes in, from its dtype policy."""
    policy = layer_config.get("dtype")
    if policy is None:
        return "float32"  # Keras's default floatx
    if isinstance(policy, dict) and isinstance(policy.get("config"), dict):
        policy = policy["config"].get("name")
    if not isinstance(policy, str):
        raise NotExactlyRepairable(f"has a dtype policy repair cannot read: {policy!r}")
    # Quantized policies are named "<mode>_from_<source policy>".
    name = policy.rpartition("_from_")[2]
    name = MIXED_POLICIES.get(name, name)
    if name not in FLOAT_FORMATS:
        raise NotExactlyRepairable(f"computes in {name}, not a float type")
    return name


def _as_float(number: object) -> float:
    if isinstance(number, float):
        return number
    if isinstance(number, int) and abs(number) <= LARGEST_EXACT_INTEGER:
        return float(number)
    if isinstance(number, int):
        raise NotExactlyRepairable(f"holds {number!r}, beyond exact floats")
    raise MalformedMarker(f"holds {type(number).__name__} data, not numbers")


def _exact_integer(number: object, dtype: str) -> float:
    """A value of an integer or bool array, if that dtype holds it exactly."""
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    low, high = INTEGER_RANGES[dtype]
    if not isinstance(number, int) or not low <= number <= high:
        raise NotExactlyRepairable(
            f"holds {number!r}, which {dtype} cannot hold exactly (NumPy would "
            "change it on loading)"
        )
    return _as_float(number)


class _Rounder:
    """Rounds a value where the caller allowed it, and keeps what moved."""

    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed
        self.moved: list[tuple[float, float]] = []

    def nearest(self, value: float, fmt: FloatFormat, why: str) -> float:
        """``value`` rounded to ``fmt``, if allowed; ``why``: what the
        refusal says otherwise."""
        written = round_to(value, fmt)
        if math.isinf(written) and math.isfinite(value):
            raise NotCarried(f"holds {value!r}, beyond {fmt.name}'s range")
        if not self.allowed:
            raise NotExactlyRepairable(
                why, roundable=f" writes the nearest {fmt.name} value instead"
            )
        self.moved.append((value, written))
        return written

    @property
    def moved_any(self) -> bool:
        """Whether rounding changed some value."""
        return any(old != new for old, new in self.moved)

    def outcome(self, written: Any) -> Rounding | None:
        if not self.moved_any:
            return None
        absolute = [abs(new - old) for old, new in self.moved]
        relative = [
            difference / abs(old) if old else 0.0
            for (old, _), difference in zip(self.moved, absolute, strict=True)
        ]
        return Rounding(
            written,
            max(absolute),
            max(relative),
            sum(1 for old, new in self.moved if old != new),
        )


def _routes(value: float, fmt: FloatFormat | None) -> set[float]:
    """Every value a conversion to ``fmt`` can give: directly or via float32."""
    if fmt is None:  # integer data: converted exactly above
        return {value}
    if fmt.precision >= FLOAT32.precision:
        # A wide target keeps a Python float, or gets it through float32.
        return {round_to(value, fmt), round_to(value, FLOAT32)}
    return {round_to(value, fmt), round_to(round_to(value, FLOAT32), fmt)}


def _exact_value(
    value: float, stored: FloatFormat | None, target: str, rounder: _Rounder
) -> float:
    """The number to write so that every backend computes the same value
    (or, rounding allowed, the nearest one every backend agrees on)."""
    outcomes = {
        result
        for loaded in _routes(value, stored)
        for result in _routes(loaded, FLOAT_FORMATS[target])
    }
    # float.hex tells -0.0 from 0.0 and folds every NaN into one.
    if len({result.hex() for result in outcomes}) == 1:
        return outcomes.pop()
    if FLOAT_FORMATS[target].precision > FLOAT32.precision:
        return rounder.nearest(
            value,
            FLOAT32,
            f"holds {value!r}, which a plain list cannot carry to {target}: "
            "TensorFlow reads a list as float32",
        )
    # Every backend reads a value of the target format as it is.
    return rounder.nearest(
        value,
        FLOAT_FORMATS[target],
        f"holds {value!r}, which backends round to {target} differently",
    )


def _convert(
    values: list[Any], stored_dtype: object, target: str, rounder: _Rounder
) -> list[float]:
    """Each saved value as the number to write for the ``target`` dtype."""
    if stored_dtype in INTEGER_RANGES:
        stored = None
        numbers = [_exact_integer(value, str(stored_dtype)) for value in values]
    elif isinstance(stored_dtype, str) and stored_dtype in FLOAT_FORMATS:
        stored = FLOAT_FORMATS[stored_dtype]
        numbers = [_as_float(value) for value in values]
    else:
        raise NotCarried(f"holds {stored_dtype} data")
    if target == "float32" and (stored is None or stored.precision >= 24):
        # Every route ends in one rounding to float32 (see _exact_value), so
        # C's conversion, round to nearest even, gives the answer directly.
        return array("f", numbers).tolist()
    return [_exact_value(number, stored, target, rounder) for number in numbers]


def _rescaling_value(
    marker: dict[str, Any], target: str, max_elements: int, rounder: _Rounder
) -> tuple[Any, bool]:
    """The plain list (or number) a Rescaling computes with exactly, and
    whether it holds a value that is not finite."""
    inner = marker_config(marker)
    values, shape = array_values(inner, max_elements)
    numbers = _convert(values, inner.get("dtype"), target, rounder)
    finite = all(map(math.isfinite, numbers))
    return nest(numbers, shape), not finite


def _float32_exact(number: float) -> bool:
    return not math.isfinite(number) or round_to(number, FLOAT32) == number


def _plain(number: object, dtype: str, exact_float: bool, rounder: _Rounder) -> Any:
    """One value of an array, as the plain number that carries it exactly
    (``exact_float``: any float is, by the class's own arithmetic)."""
    if dtype == "bool":
        if isinstance(number, bool) or number in (0, 1):
            return bool(number)
        raise NotCarried(f"holds {number!r} in a bool array")
    if dtype in INTEGER_RANGES:
        return int(_exact_integer(number, dtype))
    value = _as_float(number)
    if dtype == "float64" and not exact_float and not _float32_exact(value):
        return rounder.nearest(
            value,
            FLOAT32,
            f"holds {value!r}, which float32 cannot hold: Keras reads a plain "
            "number as float32, where the array was float64",
        )
    return value


class _Kind(enum.Enum):
    """How a class takes a float64 array, as far as exactness goes."""

    CONVERTS = "converts"  # to float32 variables: any value
    COMPARES = "compares"  # with float32 inputs: values float32 holds
    AS_GIVEN = "as given"  # computes in float64 with it: no plain number


def _generic_value(
    marker: dict[str, Any], max_elements: int, rounder: _Rounder, kind: _Kind
) -> tuple[Any, bool]:
    """The plain value a class gets the same numbers from: exact integers
    and bools, floats of float32 or narrower as they are, float64 values as
    ``kind`` allows; a ``__bytes__`` marker's text as a string."""
    inner = marker_config(marker)
    if marker["class_name"] == "__bytes__":
        return bytes_text(inner), False
    dtype = inner.get("dtype")
    if not (
        isinstance(dtype, str) and (dtype in INTEGER_RANGES or dtype in FLOAT_FORMATS)
    ):
        raise NotCarried(f"holds {dtype} data")
    values, shape = array_values(inner, max_elements)
    plain = [_plain(value, dtype, kind is _Kind.CONVERTS, rounder) for value in values]
    finite = all(math.isfinite(v) for v in plain if isinstance(v, float))
    return nest(plain, shape), not finite


@dataclass(frozen=True)
class _Planned:
    plain: Any
    non_finite: bool
    compute_dtype: str | None = None
    exact_because: str | None = None
    computes_differently: str | None = None


AS_GIVEN = (
    "computes with a float64 array as it is, in float64 (no entry of this "
    "package says it converts it), and with a plain number in float32"
)


def _value_for(
    judged: Judged,
    max_elements: int,
    rounder: _Rounder,
    float32_variables: bool,
) -> _Planned:
    finding, placement = judged.finding, judged.placement
    if finding.rule == RESCALING.code:
        assert placement.owner_config is not None
        target = compute_dtype(placement.owner_config)
        plain, non_finite = _rescaling_value(
            placement.marker, target, max_elements, rounder
        )
        return _Planned(plain, non_finite, compute_dtype=target)
    entry = handling_of(finding.owner, finding.argument)
    kind = _kind(entry, float32_variables)
    differently = None
    if entry is not None and entry.use is Use.DIFFERENT:
        differently = _said(entry)
    elif finding.dtype == "float64" and kind is _Kind.AS_GIVEN:
        differently = f"{finding.owner} {AS_GIVEN}"
        if entry is not None:  # converts to variables that are not float32
            differently = (
                f"{_said(entry)}; this model's variables are not all float32, "
                "and a plain number is"
            )
    if differently is not None and not rounder.allowed:
        raise NotExactlyRepairable(
            differently, roundable=" writes it as a plain value anyway, saying so"
        )
    plain, non_finite = _generic_value(
        placement.marker,
        max_elements,
        rounder,
        _Kind.COMPARES if differently is not None else kind,
    )
    because = None
    rounded_compared = rounder.moved_any and kind is _Kind.COMPARES
    if rounded_compared and differently is None and entry is not None:
        # An input equal to the rounded value now compares equal to it, where
        # it did not to the saved one: the results change, not only the value.
        differently = (
            f"{_said(entry)}: an input equal to the rounded value now matches "
            "it, where it did not match the saved one"
        )
    elif differently is None and entry is not None and finding.dtype == "float64":
        because = _said(entry)
    return _Planned(
        plain, non_finite, exact_because=because, computes_differently=differently
    )


def _kind(entry: Handling | None, float32_variables: bool) -> _Kind:
    if entry is None:
        return _Kind.AS_GIVEN
    if entry.use is Use.VARIABLE_DTYPE and float32_variables:
        return _Kind.CONVERTS
    if entry.use is Use.COMPARED:
        return _Kind.COMPARES
    return _Kind.AS_GIVEN


def _said(entry: Handling) -> str:
    return f"{'/'.join(sorted(entry.classes))} {entry.why}"


def plan_repairs(
    affected: tuple[Judged, ...],
    max_elements: int = DEFAULT_MAX_ARRAY_ELEMENTS,
    allow_rounding: bool = False,
    float32_variables: bool = True,
) -> list[tuple[Judged, Any, Repair]]:
    """The plain value for every affected array, or an exception naming it.

    Raises ``NotExactlyRepairable`` when any value cannot be written so that
    the class computes with exactly what the array gave (with
    ``allow_rounding``, only for a value no plain number carries at all),
    ``TooLarge`` past ``max_elements``, ``MalformedMarker`` for what no
    Keras writes; nothing is changed either way. ``float32_variables``:
    whether the model's float variables are all float32 (an optimizer's
    learning rate is cast to them).
    """
    planned = []
    for judged in affected:
        finding = judged.finding
        where = f"{finding.path} {finding.place}"
        rounder = _Rounder(allow_rounding)
        try:
            value = _value_for(judged, max_elements, rounder, float32_variables)
        except TooLarge as error:
            raise TooLarge(
                message(f"{where}: ")
                + error.message
                + message(" (raise the limit with ", MAX_ARRAY_ELEMENTS, ")"),
                error.limit,
                MAX_ARRAY_ELEMENTS,
            ) from None
        except NotExactlyRepairable as error:
            said = message(f"{where}: ") + error.message
            if error.roundable is not None:
                said += message(" (", ALLOW_ROUNDING, error.roundable + ")")
            raise NotExactlyRepairable(
                said, instead_of_repair(finding), error.roundable
            ) from None
        except MalformedMarker as error:
            raise MalformedMarker(message(f"{where}: ") + error.message) from None
        repair = Repair(
            path=finding.path,
            argument=finding.place,
            marker=finding.marker,
            stored_dtype=str(finding.dtype),
            compute_dtype=value.compute_dtype,
            shape=finding.shape or (),
            non_finite=value.non_finite,
            owner=finding.owner,
            exact_because=value.exact_because,
            rounding=rounder.outcome(value.plain),
            computes_differently=value.computes_differently,
        )
        planned.append((judged, value.plain, repair))
    return planned
