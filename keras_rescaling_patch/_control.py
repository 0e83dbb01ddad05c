"""The apply/remove/status contract, and the import-time activation.

The gate's verdict is computed once per process, on the unpatched class,
and cached: asking a patched class whether it is buggy would always say
"fixed". Everything that changes the shim's state holds one lock, so
concurrent ``apply()`` calls patch once.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from keras_rescaling_patch import _gate, _shim

log = logging.getLogger("keras_rescaling_patch")
log.addHandler(logging.NullHandler())

ENV_VAR = "KERAS_RESCALING_PATCH"
MODES = ("auto", "off", "force")

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


def mode_from_environment() -> str:
    """Read ``KERAS_RESCALING_PATCH``; raise ``ValueError`` if it is unknown."""
    raw = os.environ.get(ENV_VAR, "")
    mode = raw.strip().lower() or "auto"
    if mode not in MODES:
        raise ValueError(
            f"{ENV_VAR}={raw!r} is not understood; use one of: " + ", ".join(MODES)
        )
    return mode


def verdict() -> _gate.Verdict:
    """The gate's verdict for this process's Keras (computed once)."""
    global _verdict
    with _shim.lock:
        if _verdict is None:
            _verdict = _gate.inspect_installed_keras()
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
        removed = _shim.uninstall()
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
        elif _last_event == "off":
            reason = f"Shim not applied ({ENV_VAR}=off). {seen.reason}"
        else:
            reason = seen.reason
        return Status(seen.keras_version, seen.affected, active, reason)


def activate_from_environment() -> None:
    """Run at import: apply, force or do nothing, per ``KERAS_RESCALING_PATCH``."""
    global _last_event
    mode = mode_from_environment()
    if mode == "off":
        _last_event = "off"
        log.info("keras-rescaling-patch inactive: %s=off.", ENV_VAR)
        return
    apply(force=mode == "force")
