"""The values a serialized array holds, read within what they may cost.

A marker's ``config.value`` is a nested list (or one number) that should be
rectangular; it is read here, flat, with its shape, level by level and
without recursion, refusing more than a limit of values before doing the
work (:class:`TooLarge`, which a setting raises). A marker no Keras could
have written (a string for an array, a ragged list, bytes without their
text) is bad input, :class:`MalformedMarker`: the file is not a model this
tool can read, not a value to round.
"""

from __future__ import annotations

from typing import Any

from keras_rescaling_patch.files.model.source import UnreadableModel
from keras_rescaling_patch.files.options import MAX_ARRAY_ELEMENTS
from keras_rescaling_patch.files.problems import LimitReached, message

MAX_DIMENSIONS = 32  # NumPy's limit


class MalformedMarker(UnreadableModel):
    """A serialized array no Keras could have written (a string, a ragged
    list): the file is bad input, not a value to round."""


class TooLarge(LimitReached):
    """An argument holds more values than the limit allows."""


def flatten(value: Any, limit: int) -> tuple[list[Any], tuple[int, ...]]:
    """The items of a rectangular nested list, in order, and its shape.

    Refuses ragged lists, more than NumPy's dimensions, and (``TooLarge``)
    more than ``limit`` items, level by level, before doing the work.
    """
    level, shape = [value], []
    while level and isinstance(level[0], list):
        width = len(level[0])
        if any(not isinstance(item, list) or len(item) != width for item in level):
            raise MalformedMarker("holds a ragged list, not an array")
        shape.append(width)
        if len(shape) > MAX_DIMENSIONS:
            raise MalformedMarker(f"has more than {MAX_DIMENSIONS} dimensions")
        if len(level) * width > limit:
            raise TooLarge(
                message(f"holds over {limit} values"), limit, MAX_ARRAY_ELEMENTS
            )
        level = [item for row in level for item in row]
    if not level:  # an empty array: its shape is all there is
        return [], tuple(shape)
    if any(isinstance(item, list) for item in level):
        raise MalformedMarker("holds a ragged list, not an array")
    return level, tuple(shape)


def nest(flat: list[Any], shape: tuple[int, ...]) -> Any:
    """The inverse of :func:`flatten`."""
    if not shape:
        return flat[0]
    rows: list[Any] = flat
    for width in reversed(shape[1:]):
        rows = [rows[start : start + width] for start in range(0, len(rows), width)]
    return rows


def marker_config(marker: dict[str, Any]) -> dict[str, Any]:
    """A marker's own config (``value``, ``dtype``), or ``MalformedMarker``."""
    inner = marker.get("config")
    if not isinstance(inner, dict):
        raise MalformedMarker(
            f"holds an array marker whose config is a {type(inner).__name__}, "
            "not an object"
        )
    dtype = inner.get("dtype")
    if dtype is not None and not isinstance(dtype, str):
        raise MalformedMarker(
            f"holds a marker whose dtype is a {type(dtype).__name__}, not a name"
        )
    return inner


def array_values(
    inner: dict[str, Any], max_elements: int
) -> tuple[list[Any], tuple[int, ...]]:
    """An array marker's values, flat, and their shape; ``inner``: its config."""
    if "value" not in inner:
        raise MalformedMarker("holds an array marker without a value")
    value = inner["value"]
    if not isinstance(value, (list, int, float)):
        raise MalformedMarker(
            f"holds a {type(value).__name__} where an array's values belong"
        )
    return flatten(value, max_elements)


def bytes_text(inner: dict[str, Any]) -> str:
    """A ``__bytes__`` marker's text, or ``MalformedMarker``."""
    if not isinstance(inner.get("value"), str):
        raise MalformedMarker("holds bytes without their text")
    return str(inner["value"])
