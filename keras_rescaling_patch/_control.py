"""The apply/remove/status contract.

The gate's verdict is computed once per process, on the unpatched class,
and cached: asking a patched class whether it is buggy would always say
"fixed". Everything that changes the shim's state holds one lock, so
concurrent ``apply()`` calls patch once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from keras_rescaling_patch import _activation, _gate, _shim

log = logging.getLogger("keras_rescaling_patch")
log.addHandler(logging.NullHandler())

_verdict: _gate.Verdict | None = None
_last_event: str | None = None


@dataclass(frozen=True)
class Status:
    """Where the shim stands in this process.

    ``affected``: this Keras has the bug. ``active``: the shim is installed
    now. ``reason``: one sentence saying why it is active or not.
    """

    keras_version: str | None
    affected: bool
    active: bool
    reason: str


def verdict() -> _gate.Verdict:
    """The gate's verdict for this process's Keras (computed once)."""
    global _verdict
    with _shim.lock:
        if _verdict is None:
            # Importing Keras here can fire the post-import hook, which
            # computes (and keeps) the verdict on the still-unpatched class;
            # a verdict computed after that would probe the patched class.
            seen = _gate.inspect_installed_keras()
            if _verdict is None:
                _verdict = seen
        return _verdict


def apply(force: bool = False) -> bool:
    """Patch ``Rescaling`` if this Keras needs it, or if ``force``.

    Idempotent and thread-safe. ``force`` patches a fixed Keras 3 too, but
    never Keras 2 or a ``Rescaling`` this package does not recognise.
    Returns whether the shim is active afterwards.
    """
    global _last_event
    with _shim.lock:
        if _shim.installed_on() is not None:
            return True
        seen = verdict()
        if not (seen.affected or (force and seen.patchable)):
            log.info("keras-rescaling-patch inactive: %s", seen.reason)
            return False
        import keras

        _shim.install(keras.layers.Rescaling)
        _last_event = "forced" if force and not seen.affected else "applied"
        log.info("keras-rescaling-patch active: %s", status().reason)
        return True


def remove() -> bool:
    """Restore ``Rescaling`` exactly; return whether anything was removed."""
    global _last_event
    with _shim.lock:
        cancelled = _activation.cancel_pending()
        removed = _shim.uninstall() or cancelled
        if removed:
            _last_event = "removed"
            log.info("keras-rescaling-patch removed; Rescaling is stock again.")
        return removed


def status() -> Status:
    """Report the Keras version, whether it is affected and the shim active."""
    with _shim.lock:
        seen = verdict()
        active = _shim.installed_on() is not None
        if active and _last_event == "forced":
            reason = f"Shim active because it was forced. {seen.reason}"
        elif active:
            reason = f"Shim active: {seen.reason}"
        elif _last_event == "removed":
            reason = f"Shim removed by remove(). {seen.reason}"
        elif _activation.mode == "off":
            reason = f"Shim not applied ({_activation.ENV_VAR}=off). {seen.reason}"
        else:
            reason = seen.reason
        return Status(seen.keras_version, seen.affected, active, reason)
