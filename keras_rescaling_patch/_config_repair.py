"""Rewrite array-valued ``Rescaling`` arguments as plain JSON numbers.

Stock Keras 3.0-3.4 cannot rebuild a ``scale`` or ``offset`` saved as a
``__numpy__`` / ``__tensor__`` marker, but it runs the same layer happily
when the argument is a plain list: that survives its serialization. So
``repair`` swaps each marker for a list of the same shape.

The list must give the very numbers the array gave. The layer casts its
arguments to its compute dtype on every call, and backends take different
routes there (TensorFlow converts a Python list to float32 first; JAX and
``ml_dtypes`` go through float32; NumPy rounds directly). Each value is
therefore written already rounded to the compute dtype, and only if every
route from the saved array and from the written number agrees on the
result; otherwise the layer is refused rather than changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keras_rescaling_patch._config_scan import ARGUMENTS, is_rescaling, shape_of, walk
from keras_rescaling_patch._float_rounding import (
    FLOAT32,
    FLOAT_FORMATS,
    FloatFormat,
    round_to,
)
from keras_rescaling_patch._restore import is_data_marker

# Mixed policies keep float32 variables but compute in the narrow type.
MIXED_POLICIES = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
INTEGER_DTYPES = frozenset(
    {"bool"} | {f"{kind}{bits}" for kind in ("int", "uint") for bits in (8, 16, 32, 64)}
)
LARGEST_EXACT_INTEGER = 2**53


class NotExactlyRepairable(Exception):
    """A layer whose values cannot be written as plain numbers exactly."""


@dataclass(frozen=True)
class Repair:
    """One argument rewritten from a marker to a plain list."""

    path: str  # the layer, through nested models
    argument: str  # "scale" or "offset"
    marker: str  # "__numpy__" or "__tensor__"
    stored_dtype: str
    compute_dtype: str
    shape: tuple[int, ...]


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
    raise NotExactlyRepairable(f"holds a value that is not a float: {number!r}")


def _routes(value: float, fmt: FloatFormat | None) -> set[float]:
    """Every value a conversion to ``fmt`` can give: directly or via float32."""
    if fmt is None:  # integer data: converted exactly above
        return {value}
    if fmt.precision >= FLOAT32.precision:
        # A wide target keeps a Python float, or gets it through float32.
        return {round_to(value, fmt), round_to(value, FLOAT32)}
    return {round_to(value, fmt), round_to(round_to(value, FLOAT32), fmt)}


def _exact_value(number: object, stored: FloatFormat | None, target: str) -> float:
    """The number to write so that every backend computes the same value."""
    value = _as_float(number)
    outcomes = {
        result
        for loaded in _routes(value, stored)
        for result in _routes(loaded, FLOAT_FORMATS[target])
    }
    # float.hex tells -0.0 from 0.0 and folds every NaN into one.
    if len({result.hex() for result in outcomes}) == 1:
        return outcomes.pop()
    if FLOAT_FORMATS[target].precision > FLOAT32.precision:
        raise NotExactlyRepairable(
            f"holds {number!r}, which a plain list cannot carry to {target}: "
            "TensorFlow reads a list as float32"
        )
    raise NotExactlyRepairable(
        f"holds {number!r}, which backends round to {target} differently"
    )


def _map_numbers(value: Any, convert: Callable[[object], float]) -> Any:
    if isinstance(value, list):
        return [_map_numbers(item, convert) for item in value]
    if isinstance(value, (int, float)):
        return convert(value)
    raise NotExactlyRepairable(f"holds {type(value).__name__} data")


def _plain_value(marker: dict[str, Any], target: str) -> Any:
    inner = marker["config"]
    stored_dtype = inner.get("dtype")
    stored = FLOAT_FORMATS.get(stored_dtype) if isinstance(stored_dtype, str) else None
    if stored is None and stored_dtype not in INTEGER_DTYPES:
        raise NotExactlyRepairable(f"holds {stored_dtype} data")
    if "value" not in inner:
        raise NotExactlyRepairable("holds an array marker without a value")
    return _map_numbers(
        inner["value"], lambda number: _exact_value(number, stored, target)
    )


def repair_config(config: dict[str, Any]) -> tuple[dict[str, Any], tuple[Repair, ...]]:
    """A copy of ``config`` with every array-valued Rescaling argument plain.

    Raises ``NotExactlyRepairable`` (naming the layer) when any value cannot
    be written so that every backend computes exactly what the array gave;
    then nothing is changed.
    """
    repaired = copy.deepcopy(config)
    repairs: list[Repair] = []
    layers = [(path, node) for path, _, node in walk(repaired) if is_rescaling(node)]
    for path, layer in layers:
        layer_config = layer["config"]
        for argument in ARGUMENTS:
            marker = layer_config.get(argument)
            if not is_data_marker(marker):
                continue
            try:
                target = compute_dtype(layer_config)
                plain = _plain_value(marker, target)
            except NotExactlyRepairable as error:
                raise NotExactlyRepairable(f"{path} {argument}: {error}") from None
            layer_config[argument] = plain
            repairs.append(
                Repair(
                    path=path,
                    argument=argument,
                    marker=marker["class_name"],
                    stored_dtype=str(marker["config"].get("dtype")),
                    compute_dtype=target,
                    shape=shape_of(plain),
                )
            )
    return repaired, tuple(repairs)
