"""What ``import keras_rescaling_patch`` does, kept cheap on purpose.

The import reads ``KERAS_RESCALING_PATCH`` and, unless it is ``off``,
arranges for a callback to run as soon as Keras has been imported: at once
if it already is, otherwise through a post-import hook that only a
completed import of Keras (or ``remove()``) ends. Nothing here imports
Keras, so the command line's file tools, the start-up hook and a plain
``import`` before ``import keras`` stay fast, and the Keras backend is
still chosen by the user's own first import of Keras.

This module only keeps the import-time state (the mode, who imported the
package, the waiting hook); what the callback does is the caller's
business (``keras_rescaling_patch.runtime.control``), so the dependency points
one way.
"""

from __future__ import annotations

import os

from keras_rescaling_patch.runtime import post_import

TYPE_CHECKING = False  # not typing's: this module must stay import-cheap
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

ENV_VAR = "KERAS_RESCALING_PATCH"
MODES = ("auto", "off", "force")
INVALID = "invalid"  # the mode when the variable holds anything else

mode: str | None = None  # what the import found; None before activate()
mode_problem: str | None = None  # the one-line message for an INVALID value
# Who imported the package: "import" (user code) or "startup" (the .pth
# hook or `run`); only user code is warned that the shim is not needed.
origin = "import"
pending: post_import.PostImportHook | None = None
failure: str | None = None  # why the callback failed when Keras was imported


def read_mode(environ: Mapping[str, str] = os.environ) -> tuple[str, str | None]:
    """The mode ``KERAS_RESCALING_PATCH`` asks for, and a problem if unknown.

    An unknown value gives ``INVALID`` and a message naming the allowed
    values: it is never guessed at, and never raised at import (the
    command line and the start-up hook import this package too).
    """
    raw = environ.get(ENV_VAR, "")
    value = raw.strip().lower() or "auto"
    if value in MODES:
        return value, None
    allowed = ", ".join(MODES)
    return INVALID, f"{ENV_VAR}={raw!r} is not understood; use one of: {allowed}"


def activate(on_keras_imported: Callable[[], None]) -> None:
    """Run once at import: call back when Keras is imported, unless ``off``."""
    global mode, mode_problem, pending
    mode, mode_problem = read_mode()
    if mode == "off":
        return
    pending = post_import.call_after_import(
        "keras", lambda: _never_raising(on_keras_imported)
    )


def _never_raising(callback: Callable[[], None]) -> None:
    """Run inside Keras's import: whatever happens, that import must succeed."""
    global failure
    try:
        callback()
    except Exception as error:
        failure = f"{type(error).__name__}: {error}"
        import logging

        logging.getLogger("keras_rescaling_patch").debug(
            "applying the shim after `import keras` failed", exc_info=True
        )


_started = False


def start_at_interpreter_start() -> None:
    """What the start-up hook and ``run`` call in every new interpreter.

    The package import has already arranged for the shim; this marks the
    process as covered "at start-up", so the "not needed" warning meant for
    code that imports the package itself stays silent (``status`` says it
    instead), and says on stderr, in one line, when the setting is not
    understood, since the interpreter goes on starting without the shim.
    Idempotent: in a venv, ``site`` processes site-packages twice, so a
    ``.pth`` line runs twice per interpreter.
    """
    global _started, origin
    if _started:
        return
    _started = True
    origin = "startup"
    if mode == INVALID:
        import sys

        sys.stderr.write(
            f"keras-rescaling-patch: {mode_problem}; "
            "the shim stays off in this process.\n"
        )


def cancel_pending() -> bool:
    """Stop waiting for Keras; return whether a hook was still waiting."""
    global pending
    hook, pending = pending, None
    return hook is not None and hook.cancel()


def waiting() -> bool:
    """Whether a hook is still waiting for Keras's import."""
    return pending is not None and pending.waiting
