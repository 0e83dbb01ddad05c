"""The apply/remove/status contract, and what happens when Keras arrives.

Everything here is about the ``Rescaling`` that ``keras.layers.Rescaling``
is *now*: Keras can be imported again in one process (``set_backend``, a
purge of ``sys.modules``), and each import brings a new class. The gate's
verdict is computed once per class, on the unpatched class, and kept:
asking a patched class whether it is buggy would always say "fixed".
Everything that changes the shim's state holds one lock, so concurrent
``apply()`` calls patch once.

That lock is never held while Keras is being imported. The import-time
callback runs inside Keras's import (holding Python's import lock for
``keras``) and takes this lock; a thread that held this lock while
waiting for ``import keras`` would deadlock with it. So every public
function imports Keras first, without the lock, and the gate itself never
imports anything.
"""

from __future__ import annotations

import importlib
import logging
import sys
import weakref

from keras_rescaling_patch.runtime import activation, gate, shim

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

    from keras_rescaling_patch.runtime.public_types import Status

log = logging.getLogger("keras_rescaling_patch")
log.addHandler(logging.NullHandler())

SERIALIZATION_LIB = "keras.src.saving.serialization_lib"
# The words every "not needed" warning starts with: a -W / PYTHONWARNINGS
# filter can name them (it cannot name an installed package's class).
NOT_NEEDED = "keras-rescaling-patch is not needed here"

_verdicts: weakref.WeakKeyDictionary[type, gate.Verdict] = weakref.WeakKeyDictionary()
_forced: weakref.WeakSet[type] = weakref.WeakSet()
_removed = False  # remove() was called, and apply() has not been since
_told: set[str] = set()  # once-per-process messages already given


class _Keras:
    """The outcome of importing Keras (outside the lock)."""

    __slots__ = ("error", "module", "serialization_lib")

    def __init__(
        self,
        module: ModuleType | None,
        serialization_lib: ModuleType | None,
        error: BaseException | None,
    ) -> None:
        self.module = module
        self.serialization_lib = serialization_lib
        self.error = error

    @property
    def rescaling(self) -> object:
        """``keras.layers.Rescaling`` as it is now (``None`` without Keras)."""
        layers = getattr(self.module, "layers", None)
        return getattr(layers, "Rescaling", None)


def _import_keras() -> _Keras:
    """Import Keras and its serializer; never call this holding the lock."""
    try:
        import keras
    except Exception as error:  # noqa: BLE001 - a broken Keras is reported
        return _Keras(None, None, error)
    try:
        serialization_lib = importlib.import_module(SERIALIZATION_LIB)
    except Exception:  # noqa: BLE001 - the gate says the shim stays out
        serialization_lib = None
    activation.settle()  # a Keras imported past the watcher: call back now
    return _Keras(sys.modules.get("keras", keras), serialization_lib, None)


def _imported_keras(module: ModuleType) -> _Keras:
    """A Keras module that has just been imported (inside its import too)."""
    return _Keras(module, sys.modules.get(SERIALIZATION_LIB), None)


def _verdict_for(keras: _Keras) -> gate.Verdict:
    """The gate's verdict for the current class; kept per class. Hold the lock."""
    if keras.module is None:
        assert keras.error is not None
        return gate.verdict_for_import_error(keras.error)
    cls = keras.rescaling
    if isinstance(cls, type) and cls in _verdicts:
        return _verdicts[cls]
    # A class patched by another copy of this package (one imported past a
    # purge) is judged by the methods the shim replaced.
    patched = isinstance(cls, type) and shim.installed_on(cls)
    methods = shim.original_methods(cls) if isinstance(cls, type) and patched else None
    verdict = gate.inspect_keras(keras.module, keras.serialization_lib, methods)
    if isinstance(cls, type):
        _verdicts[cls] = verdict
    return verdict


def _patched(cls: object) -> bool:
    return isinstance(cls, type) and shim.installed_on(cls)


def verdict() -> gate.Verdict:
    """The gate's verdict for this process's Keras (imports Keras if needed)."""
    keras = _import_keras()
    with shim.lock:
        return _verdict_for(keras)


def _install_if_wanted(keras: _Keras, force: bool) -> bool:
    """Patch the current class if its verdict (or ``force``) allows; hold the lock."""
    cls = keras.rescaling
    if _patched(cls):
        return True
    seen = _verdict_for(keras)
    if not (seen.affected or (force and seen.patchable)):
        log.info("keras-rescaling-patch inactive: %s", seen.reason)
        return False
    assert isinstance(cls, type)
    shim.install(cls)
    if force and not seen.affected:
        _forced.add(cls)
    log.info("keras-rescaling-patch active: %s", seen.reason)
    return True


def on_keras_imported(module: ModuleType) -> None:
    """The import-time callback: a Keras module has just finished importing.

    Runs in the importing thread, inside Keras's import: it imports nothing
    of Keras. Called again for every new Keras module of the process.
    """
    with shim.lock:
        if _removed:
            return  # remove() was called while the import ran
        keras = _imported_keras(module)
        if activation.mode == activation.INVALID:
            _say_the_setting_is_invalid()
            return
        force = activation.mode == "force"
        if _install_if_wanted(keras, force) or activation.origin != "import":
            return
        seen = _verdict_for(keras)
        if seen.fixed:
            _tell_once(not_needed_message(seen), "not needed")


def not_needed_message(seen: gate.Verdict) -> str:
    """The warning's text: its first words can be filtered on (-W)."""
    cause = seen.reason.split("; keras-rescaling-patch is not needed", 1)[0]
    cause = cause.split("; the shim is not needed", 1)[0].rstrip(".")
    return f"{NOT_NEEDED} and can be removed: {cause}."


def _say_the_setting_is_invalid() -> None:
    """Once per process: in a warning for user code, on stderr at start-up."""
    problem = f"keras-rescaling-patch: {activation.mode_problem}"
    if activation.origin == "startup":
        if "invalid" not in _told:
            _told.add("invalid")
            sys.stderr.write(f"{problem}; the shim stays off in this process.\n")
    elif activation.origin == "import":
        _tell_once(f"{problem}; the shim was not applied.", "invalid")


def _tell_once(message: str, what: str) -> None:
    """Warn once per process, at the user's own line where there is one."""
    if what in _told:
        return
    _told.add(what)
    from keras_rescaling_patch.runtime import public_types
    from keras_rescaling_patch.runtime.warning_location import warn_at_the_user

    category = (
        public_types.NotNeededWarning
        if what == "not needed"
        else public_types.KerasRescalingPatchWarning
    )
    warn_at_the_user(message, category)


def apply(force: bool = False) -> bool:
    """Patch the current ``Rescaling`` if this Keras needs it, or if ``force``.

    Idempotent and thread-safe. ``force`` patches a fixed Keras 3 too, but
    never Keras 2 or a ``Rescaling`` this package does not recognise. Keras
    modules imported later get the shim too (the watcher is put back if
    ``remove()`` took it away). Returns whether the shim is active on the
    class that ``keras.layers.Rescaling`` is afterwards.
    """
    global _removed
    keras = _import_keras()
    with shim.lock:
        if keras.module is None:
            return False
        _removed = False
        active = _install_if_wanted(keras, force)
        if active:
            activation.watch()
        return active


def remove() -> bool:
    """Restore every class the shim patched; stop watching for Keras.

    Returns whether anything was removed. Never imports.
    """
    global _removed
    with shim.lock:
        stopped = activation.pause_watching()
        restored = shim.uninstall_everywhere()
        _forced.clear()
        if restored:
            log.info("keras-rescaling-patch removed; Rescaling is stock again.")
        elif stopped:
            log.debug("keras-rescaling-patch no longer watches for Keras imports.")
        if restored or stopped:
            _removed = True
        return restored or stopped


def status() -> Status:
    """Report on the class that ``keras.layers.Rescaling`` is now.

    Imports Keras if needed (which applies a waiting patch first).
    """
    from keras_rescaling_patch.runtime.public_types import Status

    keras = _import_keras()
    with shim.lock:
        seen = _verdict_for(keras)
        cls = keras.rescaling
        active = _patched(cls)
        forced = active and cls in _forced
        return Status(
            seen.keras_version, seen.affected, active, _why(seen, active, forced)
        )


def _why(seen: gate.Verdict, active: bool, forced: bool) -> str:
    """One explanation of the state, with what a person can do about it."""
    if active and forced:
        return f"Shim active because it was forced. {seen.reason}"
    if active:
        return f"Shim active: {seen.reason}"
    if _removed:
        return (
            "Shim removed by remove(); call keras_rescaling_patch.apply() to "
            f"patch again. {seen.reason}"
        )
    if not seen.affected:
        return seen.reason
    if activation.mode == "off":
        return (
            f"Shim not applied: {activation.ENV_VAR}=off. Unset it, or call "
            f"keras_rescaling_patch.apply(). {seen.reason}"
        )
    if activation.mode == activation.INVALID:
        return (
            f"Shim not applied: {activation.mode_problem}. Fix the variable, "
            f"or call keras_rescaling_patch.apply(). {seen.reason}"
        )
    if activation.failure is not None:
        return (
            "Shim not applied: applying it when Keras was imported failed "
            f"({activation.failure}); please report this. {seen.reason}"
        )
    return (
        "Shim not applied in this process; call keras_rescaling_patch.apply(). "
        f"{seen.reason}"
    )
