"""Turn a serialized array marker back into the array it describes.

Keras writes an array-valued layer argument into a model config as a small
marker dict: ``{"class_name": "__numpy__", "config": {"value": [...],
"dtype": "float32"}}`` for NumPy arrays and ``"__tensor__"`` for backend
tensors. Stock Keras 3.0-3.4 hands that dict unchanged to
``Rescaling.__init__``, which is the bug. This module recognises exactly
those two markers and rebuilds the value with Keras's own
``serialization_lib``, so the result is whatever Keras 3.5.0 would build.

Nothing else is restored: a marker for a lambda, a class or any other
object is returned untouched, so the shim never lets deserialization run
anything that Keras's ``safe_mode`` would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _plain(value: Any) -> Any:
    """Copy Keras's tracked containers into plain dicts and lists.

    ``Layer.__setattr__`` wraps dicts and lists in ``TrackedDict`` and
    ``TrackedList``; Keras's deserializer is only specified for the plain
    JSON types, so it gets those.
    """
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def restore(value: Any) -> Any:
    """Return the array a data marker describes, or ``value`` unchanged."""
    # Imported here: at the first layer built, not in `import keras_rescaling_patch`.
    from keras_rescaling_patch._markers import is_data_marker

    if not is_data_marker(value):
        return value
    from keras.src.saving import serialization_lib

    return serialization_lib.deserialize_keras_object(_plain(value))


def serialize(value: Any) -> Any:
    """Serialize a ``scale`` or ``offset`` the way Keras 3.5.0 does."""
    from keras.src.saving import serialization_lib

    return serialization_lib.serialize_keras_object(value)
