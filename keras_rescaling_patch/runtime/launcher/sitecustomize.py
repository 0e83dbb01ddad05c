"""The start-up module of ``keras-rescaling-patch run``.

``run`` puts this folder first on ``PYTHONPATH``, so every Python process
the command starts (its children and their spawned workers too, since they
inherit the variable) imports this ``sitecustomize`` at start-up. It does
what the ``.pth`` start-up hook does, without writing anything into
site-packages, then runs the ``sitecustomize`` the interpreter would have
run without us, so a user's own start-up code still runs.

Errors of ours are swallowed (a launcher must never break the program);
errors of the user's ``sitecustomize`` surface exactly as they would have.
"""

import os
import sys


def _start_shim() -> None:
    if os.environ.get("KERAS_RESCALING_PATCH", "").strip().lower() == "off":
        return
    try:
        from keras_rescaling_patch.runtime import activation

        activation.start_at_interpreter_start()
    except Exception:  # noqa: BLE001 - e.g. another interpreter without us
        pass


def _run_next_sitecustomize() -> None:
    """Execute the ``sitecustomize`` found on ``sys.path`` after this folder."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_start_shim()
_run_next_sitecustomize()
