"""What ``import keras_rescaling_patch`` does, kept cheap on purpose.

The import reads ``KERAS_RESCALING_PATCH`` and, unless it is ``off``,
arranges for :func:`keras_rescaling_patch.apply` to run as soon as Keras is
imported: at once if it already is, otherwise through a post-import hook.
Nothing here imports Keras, so the command line's file tools, the start-up
hook and a plain ``import`` before ``import keras`` stay fast, and the
Keras backend is still chosen by the user's own first import of Keras.
"""

from __future__ import annotations

import os

from keras_rescaling_patch import _post_import

ENV_VAR = "KERAS_RESCALING_PATCH"
MODES = ("auto", "off", "force")

mode: str | None = None  # the mode the import ran with
_pending: _post_import.PostImportHook | None = None


def mode_from_environment() -> str:
    """Read ``KERAS_RESCALING_PATCH``; raise ``ValueError`` if it is unknown."""
    raw = os.environ.get(ENV_VAR, "")
    value = raw.strip().lower() or "auto"
    if value not in MODES:
        raise ValueError(
            f"{ENV_VAR}={raw!r} is not understood; use one of: " + ", ".join(MODES)
        )
    return value


def _apply_on_import(force: bool) -> None:
    """Runs right after Keras's import: patch, never break that import."""
    try:
        from keras_rescaling_patch import _control

        _control.apply(force=force)
    except Exception:
        import logging

        logging.getLogger("keras_rescaling_patch").debug(
            "applying the shim after `import keras` failed", exc_info=True
        )


def activate_from_environment() -> None:
    """Run once at import: apply now, on Keras's import, or not at all."""
    global mode, _pending
    mode = mode_from_environment()
    if mode == "off":
        return
    force = mode == "force"
    _pending = _post_import.call_after_import("keras", lambda: _apply_on_import(force))


def cancel_pending() -> bool:
    """Drop a hook still waiting for Keras; return whether there was one."""
    global _pending
    hook, _pending = _pending, None
    return hook is not None and hook.cancel()
