"""The serialized-array marker Keras writes, recognised without Keras.

Keras writes an array-valued layer argument into a model config as a small
dict: ``{"class_name": "__numpy__", "config": {"value": [...], "dtype":
"float32"}}`` for NumPy arrays, ``"__tensor__"`` for backend tensors. Both
the shim (which restores them) and the file tools (which find and rewrite
them) need to recognise exactly these two, and nothing else, so the test
lives here, among the package's shared modules, importing nothing of either.
"""

from __future__ import annotations

from collections.abc import Mapping

DATA_MARKERS = frozenset({"__numpy__", "__tensor__"})


def is_data_marker(value: object) -> bool:
    """Whether ``value`` is a serialized NumPy array or backend tensor."""
    if not isinstance(value, Mapping):
        return False
    kind = value.get("class_name")  # any JSON value: a list is unhashable
    return (
        isinstance(kind, str)
        and kind in DATA_MARKERS
        and isinstance(value.get("config"), Mapping)
    )
