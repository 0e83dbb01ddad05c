"""The start-up module of ``keras-rescaling-patch run``.

``run`` puts this folder first on ``PYTHONPATH``, so every Python process
the command starts (its children and their spawned workers too, since they
inherit the variable) imports this ``sitecustomize`` at start-up. It does
what the ``.pth`` start-up hook does (it executes the text of
``../bootstrap.py``, importing nothing of the package), then runs the
``sitecustomize`` the interpreter would have found after this one, so a
user's own start-up code still runs, and so does another launcher's.

Chaining goes by position in ``sys.path``: each launcher runs the next
``sitecustomize`` found *after its own folder*, so launchers of several
installations (``A/bin/keras-rescaling-patch run -- B/bin/... run --``)
run once each, in order, and then the user's.

Errors of ours are swallowed (a launcher must never break the program);
errors of the user's ``sitecustomize`` surface exactly as they would have.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))


def _start_shim() -> None:
    if os.environ.get("KERAS_RESCALING_PATCH", "").strip().lower() == "off":
        return
    try:
        bootstrap = os.path.join(os.path.dirname(_HERE), "bootstrap.py")
        with open(bootstrap, encoding="utf-8") as stream:
            source = stream.read()
        exec(source, {"__name__": "keras_rescaling_patch.runtime.bootstrap"})
    except Exception:  # noqa: BLE001 - never break start-up
        pass


def _folders_after_this_one() -> list[str]:
    """``sys.path`` after this launcher's own entry (all of it if absent)."""
    folders = [os.path.abspath(entry or os.curdir) for entry in sys.path]
    if _HERE not in folders:
        return list(sys.path)
    return sys.path[folders.index(_HERE) + 1 :]


def _run_next_sitecustomize() -> None:
    """Execute the next ``sitecustomize`` on ``sys.path``, as Python would have.

    With the import system's own parts, which every interpreter has loaded
    (``importlib.util`` would import twenty modules into every process).
    """
    bootstrap: Any = sys.modules.get("_frozen_importlib")
    external: Any = sys.modules.get("_frozen_importlib_external")
    if bootstrap is None or external is None:  # not CPython: the public names
        import importlib.machinery as external
        import importlib.util as bootstrap
    spec = external.PathFinder.find_spec("sitecustomize", _folders_after_this_one())
    if spec is None or spec.loader is None:
        return
    module = bootstrap.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_start_shim()
_run_next_sitecustomize()
