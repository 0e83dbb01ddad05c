"""Make array-valued ``keras.layers.Rescaling`` reload on Keras 3.0-3.4.

Keras 3.0.0 to 3.4.1 save ``Rescaling(scale=np.array([...]))`` fine but
cannot run it after reloading: the serialized array reaches the layer as a
dict (keras-team/keras#20072, fixed in 3.5.0 by #20079). Importing this
package patches ``Rescaling`` where, and only where, that bug is present,
so models load and predict exactly as on Keras 3.5.0.

The environment variable ``KERAS_RESCALING_PATCH`` decides what the import
does: ``auto`` (default) patches affected releases, ``off`` touches
nothing, ``force`` patches a fixed Keras 3 too. The import itself never
imports Keras: if Keras is already imported the patch is applied at once,
otherwise the moment Keras's own import completes, whichever way it is
imported (``import keras``, ``tf.keras``, a submodule, another thread),
and again each time Keras is imported anew (``keras.config.set_backend``).
"""

from __future__ import annotations

from keras_rescaling_patch.runtime import activation as _activation

# Not `typing.TYPE_CHECKING`: importing typing would double the cost of this
# import, which the start-up hook pays in every interpreter.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

    from keras_rescaling_patch.runtime.public_types import (
        KerasRescalingPatchWarning,
        NotNeededWarning,
        Status,
    )

__version__ = "0.1.0"
__all__ = [
    "KerasRescalingPatchWarning",
    "NotNeededWarning",
    "Status",
    "__version__",
    "apply",
    "remove",
    "status",
]


def apply(force: bool = False) -> bool:
    """Patch ``keras.layers.Rescaling`` if this Keras needs it (or if ``force``).

    Idempotent and thread-safe; ``force`` never patches Keras 2 or a
    ``Rescaling`` this package does not recognise. Imports Keras if needed;
    Keras imported again later is patched too. Returns whether the shim is
    active on the class ``keras.layers.Rescaling`` is afterwards.
    """
    from keras_rescaling_patch.runtime import control

    return control.apply(force)


def remove() -> bool:
    """Restore ``Rescaling``'s original attributes (the very same objects).

    Also stops applying the shim to Keras imported later. Returns whether
    anything was removed.
    """
    from keras_rescaling_patch.runtime import control

    return control.remove()


def status() -> Status:
    """For the class ``keras.layers.Rescaling`` is now: the Keras version,
    whether it is affected, whether the shim is active on it, and why.

    Imports Keras if needed (which applies a waiting patch first).
    """
    from keras_rescaling_patch.runtime import control

    return control.status()


def __getattr__(name: str) -> Any:
    """``Status`` and the warnings, created on first use (import cost)."""
    if name in ("KerasRescalingPatchWarning", "NotNeededWarning", "Status"):
        from keras_rescaling_patch.runtime import public_types

        return getattr(public_types, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def _on_keras_imported(keras: ModuleType) -> None:
    from keras_rescaling_patch.runtime import control

    control.on_keras_imported(keras)


_activation.activate(_on_keras_imported)
del TYPE_CHECKING
