"""What the start-up hook and ``run`` execute in every new interpreter.

Importing the package has already arranged for the shim to be applied when
Keras is imported; this marks the process as covered "at start-up", so the
"not needed" warning meant for code that imports the package itself stays
silent (``status`` says it instead), and says on stderr, in one line, when
``KERAS_RESCALING_PATCH`` holds a value that is not understood, since the
interpreter goes on starting without the shim.
"""

from __future__ import annotations

import sys

from keras_rescaling_patch import _activation

_started = False


def start() -> None:
    """Called at interpreter start-up; never raises for a bad setting.

    Idempotent: in a venv, ``site`` processes site-packages twice, so a
    ``.pth`` line runs twice per interpreter.
    """
    global _started
    if _started:
        return
    _started = True
    _activation.origin = "startup"
    if _activation.mode == _activation.INVALID:
        sys.stderr.write(
            f"keras-rescaling-patch: {_activation.mode_problem}; "
            "the shim stays off in this process.\n"
        )
