"""The apply/remove/status contract, and what happens when Keras arrives.

The gate's verdict is computed once per process, on the unpatched class,
and cached: asking a patched class whether it is buggy would always say
"fixed". Everything that changes the shim's state holds one lock, so
concurrent ``apply()`` calls patch once.

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
import warnings

from keras_rescaling_patch.runtime import activation, gate, shim

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType, ModuleType

    from keras_rescaling_patch.runtime.public_types import Status

log = logging.getLogger("keras_rescaling_patch")
log.addHandler(logging.NullHandler())

SERIALIZATION_LIB = "keras.src.saving.serialization_lib"

_verdict: gate.Verdict | None = None
_last_event: str | None = None  # "applied", "forced" or "removed"


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
    return _Keras(keras, serialization_lib, None)


def _imported_keras() -> _Keras:
    """The Keras this process has already imported (inside its import too)."""
    return _Keras(sys.modules.get("keras"), sys.modules.get(SERIALIZATION_LIB), None)


def _verdict_for(keras: _Keras) -> gate.Verdict:
    """The gate's verdict; cached once Keras has imported. Hold the lock."""
    global _verdict
    if _verdict is not None:
        return _verdict
    if keras.module is None:
        assert keras.error is not None
        return gate.verdict_for_import_error(keras.error)
    _verdict = gate.inspect_keras(keras.module, keras.serialization_lib)
    return _verdict


def verdict() -> gate.Verdict:
    """The gate's verdict for this process's Keras (imports Keras if needed)."""
    keras = _import_keras()
    with shim.lock:
        return _verdict_for(keras)


def _install_if_wanted(keras: _Keras, force: bool) -> bool:
    """Patch if the verdict (or ``force``) allows; hold the lock."""
    global _last_event
    if shim.installed_on() is not None:
        return True
    seen = _verdict_for(keras)
    if not (seen.affected or (force and seen.patchable)):
        log.info("keras-rescaling-patch inactive: %s", seen.reason)
        return False
    shim.install(keras.module.layers.Rescaling)  # type: ignore[union-attr]
    _last_event = "forced" if force and not seen.affected else "applied"
    log.info("keras-rescaling-patch active: %s", seen.reason)
    return True


def on_keras_imported() -> None:
    """The import-time callback: Keras has just been imported (or already was).

    Runs in the importing thread, inside Keras's import: it imports nothing.
    """
    with shim.lock:
        if _last_event == "removed":
            return  # remove() was called while the import ran
        keras = _imported_keras()
        if activation.mode == activation.INVALID:
            if activation.origin == "import":
                from keras_rescaling_patch.runtime.public_types import (
                    KerasRescalingPatchWarning,
                )

                _warn_at_the_caller(
                    f"{activation.mode_problem}; the shim was not applied.",
                    KerasRescalingPatchWarning,
                )
            return
        force = activation.mode == "force"
        if _install_if_wanted(keras, force) or activation.origin != "import":
            return
        seen = _verdict_for(keras)
        if seen.fixed:
            from keras_rescaling_patch.runtime.public_types import NotNeededWarning

            _warn_at_the_caller(seen.reason, NotNeededWarning)


def _warn_at_the_caller(message: str, category: type[Warning]) -> None:
    """Warn, attributed to the first line outside this package and importlib.

    That is the user's ``import`` (of this package, or of Keras), so the
    default filter shows it once per such line and the location makes sense.
    """
    package = __file__.rsplit("runtime", 1)[0]
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and (
        frame.f_code.co_filename.startswith(package)
        or frame.f_code.co_filename.startswith("<frozen importlib")
        or frame.f_code.co_filename.endswith(("importlib/__init__.py",))
    ):
        frame = frame.f_back
    if frame is None:
        warnings.warn(message, category, stacklevel=2)
        return
    warnings.warn_explicit(
        message,
        category,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=frame.f_globals.get("__name__", "<unknown>"),
        registry=frame.f_globals.setdefault("__warningregistry__", {}),
    )


def _settle_pending(keras: _Keras) -> None:
    """Keras is imported but the hook did not see it: do what it would have.

    (Keras imported by a route that bypasses ``sys.meta_path``, or before a
    finder inserted ahead of ours.) Hold the lock.
    """
    if keras.module is not None and activation.waiting():
        activation.cancel_pending()
        on_keras_imported()


def apply(force: bool = False) -> bool:
    """Patch ``Rescaling`` if this Keras needs it, or if ``force``.

    Idempotent and thread-safe. ``force`` patches a fixed Keras 3 too, but
    never Keras 2 or a ``Rescaling`` this package does not recognise.
    Returns whether the shim is active afterwards.
    """
    keras = _import_keras()
    with shim.lock:
        if keras.module is not None:
            activation.cancel_pending()  # this call decides instead
        return _install_if_wanted(keras, force)


def remove() -> bool:
    """Restore ``Rescaling`` exactly; return whether anything was removed.

    Also cancels a patch still waiting for Keras's import. Never imports.
    """
    global _last_event
    with shim.lock:
        cancelled = activation.cancel_pending()
        removed = shim.uninstall() or cancelled
        if removed:
            _last_event = "removed"
            log.info("keras-rescaling-patch removed; Rescaling is stock again.")
        return removed


def status() -> Status:
    """Report the Keras version, whether it is affected and the shim active.

    Imports Keras if needed, which applies a waiting patch first.
    """
    from keras_rescaling_patch.runtime.public_types import Status

    keras = _import_keras()
    with shim.lock:
        _settle_pending(keras)
        seen = _verdict_for(keras)
        active = shim.installed_on() is not None
        return Status(seen.keras_version, seen.affected, active, _why(seen, active))


def _why(seen: gate.Verdict, active: bool) -> str:
    """One explanation of the state, with what a person can do about it."""
    if active and _last_event == "forced":
        return f"Shim active because it was forced. {seen.reason}"
    if active:
        return f"Shim active: {seen.reason}"
    if _last_event == "removed":
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
