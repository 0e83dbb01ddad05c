"""What ``import keras_rescaling_patch`` does, kept cheap on purpose.

The import reads ``KERAS_RESCALING_PATCH`` and, unless it is ``off``,
puts a watcher at the front of ``sys.meta_path`` that calls back each time
a Keras module finishes importing: at once if Keras already is imported,
then again whenever Keras is imported anew (``keras.config.set_backend``,
a purge of ``sys.modules``). Nothing here imports Keras, so the command
line's file tools and a plain ``import`` before ``import keras`` stay
fast, and the backend is still chosen by the user's own import of Keras.

The start-up hook and ``run`` do not import this package at start-up: they
leave a smaller finder (``runtime/bootstrap.py``) that imports it, through
:func:`take_over`, at the first look-up of Keras. A process that has that
finder was started with the shim, which decides :data:`origin`.

This module keeps the import-time state (the mode, who brought the package
in, the watcher); what the callback does is the caller's business
(``keras_rescaling_patch.runtime.control``), so the dependency points one
way.
"""

from __future__ import annotations

import os
import sys

from keras_rescaling_patch.runtime import post_import

TYPE_CHECKING = False  # not typing's: this module must stay import-cheap
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import ModuleType
    from typing import Any

ENV_VAR = "KERAS_RESCALING_PATCH"
MODES = ("auto", "off", "force")
INVALID = "invalid"  # the mode when the variable holds anything else
PACKAGE = "keras_rescaling_patch"

mode: str | None = None  # what the import found; None before activate()
mode_problem: str | None = None  # the one-line message for an INVALID value
# Who brought the package in: "import" (user code), "startup" (the start-up
# hook or `run`, through runtime/bootstrap.py) or "command line". Only user
# code is warned that the shim is not needed here.
origin = "import"
watcher: post_import.ImportWatcher | None = None
failure: str | None = None  # why the callback failed when Keras was imported
_callback: Callable[[ModuleType], None] | None = None


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


def activate(on_keras_imported: Callable[[ModuleType], None]) -> None:
    """Run once at import: call back whenever Keras is imported, unless ``off``.

    Finders of ours already in ``sys.meta_path`` (the start-up finder, or
    the watcher of a copy of this package imported past a purge) go inert,
    and the new watcher takes the place of the first of them. Nothing is
    deleted from ``sys.meta_path`` here: this may run inside a look-up that
    is iterating over it, where a deletion would skip the next finder.
    """
    global mode, mode_problem, origin, _callback
    mode, mode_problem = read_mode()
    _callback = on_keras_imported
    place, started = _silence_our_finders()
    if started:
        origin = "startup"
    if mode != "off":
        watch(place)


def watch(place: int | None = None) -> bool:
    """Watch for Keras (again); whether it was not watching.

    ``place``: the index of an inert finder of ours to replace with a new
    watcher; otherwise it goes first.
    """
    global watcher
    if watcher is not None and not watcher.cancelled:
        was_paused, watcher.paused = watcher.paused, False
        return was_paused
    if _callback is None:
        return False
    callback = _callback
    watcher = post_import.ImportWatcher(
        "keras", lambda keras: _never_raising(callback, keras), sys.modules[PACKAGE]
    )
    if place is None:
        sys.meta_path.insert(0, watcher)
    else:
        sys.meta_path[place] = watcher
    watcher.check()
    return True


def _silence_our_finders() -> tuple[int | None, bool]:
    """Make our finders in ``sys.meta_path`` inert; return the index of the
    first, and whether the start-up finder was handing over to this import."""
    place, started = None, False
    finder: Any
    for index, finder in enumerate(sys.meta_path):
        role = getattr(finder, post_import.ROLE, None)
        if role == "startup":
            # Handing over: Keras is being looked up, and the start-up hook
            # (or run) brings the package in. Otherwise the user's own code
            # imports it, before Keras, in a process started with the hook.
            started = started or bool(finder.handing_over)
            finder.handing_over = True
        elif role == "watcher":
            finder.cancelled = True
        else:
            continue
        place = index if place is None else place
    return place, started


def take_over(startup: Any, name: str, path: Any, target: Any) -> Any:
    """The start-up finder saw Keras looked up: answer for it from now on.

    The import that got here ran :func:`activate`, which put the watcher
    where the start-up finder was.
    """
    global origin
    origin = "startup"
    current = watcher
    if current is None or current.cancelled:
        return None  # off, or removed
    return current.find_spec(name, path, target)


def _never_raising(callback: Callable[[ModuleType], None], keras: ModuleType) -> None:
    """Run inside Keras's import: whatever happens, that import must succeed,
    unless the user turned our warning into an error (``-W error``)."""
    global failure
    try:
        callback(keras)
    except Warning:
        raise
    except Exception as error:
        failure = f"{type(error).__name__}: {error}"
        import logging

        logging.getLogger(PACKAGE).debug(
            "applying the shim after `import keras` failed", exc_info=True
        )


def pause_watching() -> bool:
    """Stop calling back for Keras imported from now on (``remove()``); the
    watcher stays, so a purge still gives back this package's own modules.
    Returns whether it was watching."""
    current = watcher
    if current is None or current.cancelled or current.paused:
        return False
    current.paused = True
    return True


def watching() -> bool:
    """Whether Keras imported from now on gets the callback."""
    return watcher is not None and not watcher.cancelled and not watcher.paused


def settle() -> None:
    """Call back now for a Keras the watcher has not seen complete yet (one
    imported past it, with nothing looked up since)."""
    if watcher is not None:
        watcher.check()
