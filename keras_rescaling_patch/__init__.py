"""Make array-valued ``keras.layers.Rescaling`` reload on Keras 3.0-3.4.

Keras 3.0.0 to 3.4.1 save ``Rescaling(scale=np.array([...]))`` fine but
cannot run it after reloading: the serialized array reaches the layer as a
dict (keras-team/keras#20072, fixed in 3.5.0 by #20079). Importing this
package patches ``Rescaling`` where, and only where, that bug is present,
so models load and predict exactly as on Keras 3.5.0.

The environment variable ``KERAS_RESCALING_PATCH`` decides what the import
does: ``auto`` (default) patches affected releases, ``off`` touches
nothing, ``force`` patches a fixed Keras 3 too.
"""

from keras_rescaling_patch._control import (
    Status,
    activate_from_environment,
    apply,
    remove,
    status,
)

__version__ = "0.1.0"
__all__ = ["Status", "__version__", "apply", "remove", "status"]

activate_from_environment()
del activate_from_environment
