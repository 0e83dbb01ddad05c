"""The start-up finder: all that an interpreter pays before it looks up Keras.

The start-up hook (a ``.pth`` line) and ``run``'s ``sitecustomize`` run in
every Python process of an environment, and most of those processes (pip,
health checks, command-line tools) never import Keras. So they execute
this file's text with ``exec``, rather than importing it or the package:
an import from source costs about a millisecond before its first line
runs (the process's first ``compile()`` builds Python's AST types), and
``exec`` of a string does not. Stdlib only, no ``__future__`` import, no
annotations but builtins, for the same reason.

It puts one small finder at the front of ``sys.meta_path``. The finder
answers nothing until Keras is looked up, or until it sees that Keras got
imported past it; then it imports ``keras_rescaling_patch`` and hands the
look-up to the package's own finder, which takes its place. Running this
text twice in one process (a venv's ``site`` reads a ``.pth`` twice; two
launchers of ``run``) leaves one finder.
"""

import sys

TYPE_CHECKING = False  # not typing's: nothing more is imported at start-up
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

ROLE = "keras_rescaling_patch_role"  # marks our finders in sys.meta_path


class KerasRescalingPatchStartup:
    """Waits at the front of ``sys.meta_path`` for the first look-up of Keras."""

    keras_rescaling_patch_role = "startup"
    handing_over = False

    def find_spec(
        self,
        name: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        if self.handing_over or (name != "keras" and "keras" not in sys.modules):
            return None
        self.handing_over = True  # our own imports below must pass through
        try:
            from keras_rescaling_patch.runtime.activation import take_over

            spec: ModuleSpec | None = take_over(self, name, path, target)
            return spec
        except Exception:  # noqa: BLE001 - never break an import; stay inert
            return None


for finder in sys.meta_path:  # a loop, not any(): a generator costs a compile
    if getattr(finder, ROLE, None):
        break
else:
    sys.meta_path.insert(0, KerasRescalingPatchStartup())
