"""Install and remove the replacement ``Rescaling`` methods.

Three methods are replaced, all on ``Rescaling`` itself; ``call`` is never
touched, so a patched layer computes with exactly the code and cost of a
stock one:

- ``__init__`` restores a serialized ``__numpy__`` / ``__tensor__`` marker
  passed as ``scale`` or ``offset`` (the stock class stores the dict and
  fails on the first call);
- ``get_config`` serializes ``scale`` and ``offset`` with Keras's own
  serializer, as Keras 3.5.0 does, so ``json.dumps`` of the config works;
- ``from_config`` restores the two markers before the layer is built, as
  Keras 3.5.0 does, then defers to the inherited ``from_config``; where the
  class has a ``from_config`` of its own (a fixed Keras, patched only when
  forced), that one gets the config as it is, since it restores them itself.

The class attributes found at install time are kept and put back by
:func:`uninstall`: the very same objects, and an attribute the class did
not define itself (``from_config``) is deleted again.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from keras_rescaling_patch.runtime import keras_serialization

PATCHED_NAMES = ("__init__", "get_config", "from_config")
PATCH_MARK = "__keras_rescaling_patch__"

_MISSING = object()
lock = threading.RLock()
_patched_class: type | None = None
_originals: dict[str, Any] = {}


def is_replacement(attribute: object) -> bool:
    """Whether a class attribute is one of the shim's replacements."""
    function = getattr(attribute, "__func__", attribute)
    return bool(getattr(function, PATCH_MARK, False))


def installed_on() -> type | None:
    """The class the shim is installed on now, or ``None``."""
    return _patched_class


def install(cls: type) -> bool:
    """Patch ``cls``; return ``False`` if it was already patched."""
    global _patched_class
    with lock:
        if _patched_class is not None:
            return False
        own = vars(cls)
        _originals.clear()
        _originals.update({name: own.get(name, _MISSING) for name in PATCHED_NAMES})
        for name, replacement in _replacements(cls).items():
            setattr(cls, name, replacement)
        _patched_class = cls
        return True


def uninstall() -> bool:
    """Put the original attributes back; return whether anything changed."""
    global _patched_class
    with lock:
        cls = _patched_class
        if cls is None:
            return False
        for name, original in _originals.items():
            if original is _MISSING:
                if name in vars(cls):
                    delattr(cls, name)
            else:
                setattr(cls, name, original)
        _originals.clear()
        _patched_class = None
        return True


def _replacements(cls: Any) -> dict[str, Any]:
    """Build the three replacement attributes for ``cls``."""
    original_init = vars(cls)["__init__"]
    original_get_config = vars(cls)["get_config"]
    own_from_config = vars(cls).get("from_config")

    # Same parameter names as the stock method: Keras reads them with
    # inspect.getfullargspec (which ignores __wrapped__) to auto-config.
    def __init__(self: Any, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        original_init(
            self,
            keras_serialization.restore(scale),
            keras_serialization.restore(offset),
            **kwargs,
        )

    def get_config(self: Any) -> dict[str, Any]:
        config: dict[str, Any] = original_get_config(self)
        config["scale"] = keras_serialization.serialize(self.scale)
        config["offset"] = keras_serialization.serialize(self.offset)
        return config

    def from_config(
        subclass: type, config: dict[str, Any], custom_objects: Any = None
    ) -> Any:
        if own_from_config is not None:
            # A Rescaling with a from_config of its own (a fixed Keras, where
            # the shim is only ever forced) restores the markers itself and
            # expects to be handed them as they are.
            own = own_from_config.__get__(None, subclass)
            if custom_objects is None:
                return own(config)
            return own(config, custom_objects=custom_objects)
        # ``custom_objects`` is accepted as Keras 3.5.0 accepts it; the two
        # data markers never need it.
        config = dict(config)
        for key in ("scale", "offset"):
            if key in config:
                config[key] = keras_serialization.restore(config[key])
        return super(cls, subclass).from_config(config)

    __init__ = functools.update_wrapper(__init__, original_init)
    get_config = functools.update_wrapper(get_config, original_get_config)
    for function in (__init__, get_config, from_config):
        function.__module__ = __name__
        setattr(function, PATCH_MARK, True)
    from_config.__qualname__ = f"{cls.__qualname__}.from_config"
    return {
        "__init__": __init__,
        "get_config": get_config,
        "from_config": classmethod(from_config),
    }
