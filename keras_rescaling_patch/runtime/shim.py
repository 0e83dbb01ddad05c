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

Each replacement carries the class attribute it replaced (or a note that
the class had none of its own), so :func:`uninstall` puts back the very
same objects from the class itself, and any copy of this package (one
imported again after a purge of ``sys.modules``) sees which classes are
patched. Keras can be imported several times in one process, each time
with a new ``Rescaling``: every class patched is remembered, weakly, for
:func:`uninstall_everywhere`.
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import Any

PATCHED_NAMES = ("__init__", "get_config", "from_config")
PATCH_MARK = "__keras_rescaling_patch__"
ORIGINAL = "__keras_rescaling_patch_original__"  # on a replacement: what it replaced

lock = threading.RLock()
_patched: weakref.WeakSet[type] = weakref.WeakSet()


def is_replacement(attribute: object) -> bool:
    """Whether a class attribute is one of the shim's replacements."""
    function = getattr(attribute, "__func__", attribute)
    return bool(getattr(function, PATCH_MARK, False))


def installed_on(cls: type) -> bool:
    """Whether the shim is installed on ``cls`` now."""
    return is_replacement(vars(cls).get("__init__"))


def original_methods(cls: type) -> dict[str, Any]:
    """``cls``'s own attributes as they were before the shim (``None``: it had
    none of its own)."""
    own = vars(cls)
    originals: dict[str, Any] = {}
    for name in PATCHED_NAMES:
        attribute = own.get(name)
        if is_replacement(attribute):
            function = getattr(attribute, "__func__", attribute)
            originals[name] = getattr(function, ORIGINAL)
        else:
            originals[name] = attribute
    return originals


def install(cls: type) -> bool:
    """Patch ``cls``; return ``False`` if it was already patched."""
    with lock:
        if installed_on(cls):
            return False
        own = vars(cls)
        for name, replacement in _replacements(cls).items():
            function = getattr(replacement, "__func__", replacement)
            setattr(function, ORIGINAL, own.get(name))
            setattr(cls, name, replacement)
        _patched.add(cls)
        return True


def uninstall(cls: type) -> bool:
    """Put ``cls``'s original attributes back; return whether anything changed."""
    with lock:
        if not installed_on(cls):
            _patched.discard(cls)
            return False
        for name, original in original_methods(cls).items():
            if original is None:
                if name in vars(cls):
                    delattr(cls, name)
            else:
                setattr(cls, name, original)
        _patched.discard(cls)
        return True


def uninstall_everywhere() -> bool:
    """Unpatch every class patched in this process; whether any was."""
    with lock:
        changed = [uninstall(cls) for cls in list(_patched)]
        return any(changed)


def _replacements(cls: Any) -> dict[str, Any]:
    """Build the three replacement attributes for ``cls``."""
    original_init = vars(cls)["__init__"]
    original_get_config = vars(cls)["get_config"]
    own_from_config = vars(cls).get("from_config")

    # Same parameter names as the stock method: Keras reads them with
    # inspect.getfullargspec (which ignores __wrapped__) to auto-config.
    def __init__(self: Any, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        from keras_rescaling_patch.runtime import keras_serialization

        original_init(
            self,
            keras_serialization.restore(scale),
            keras_serialization.restore(offset),
            **kwargs,
        )

    def get_config(self: Any) -> dict[str, Any]:
        from keras_rescaling_patch.runtime import keras_serialization

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
        from keras_rescaling_patch.runtime import keras_serialization

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
