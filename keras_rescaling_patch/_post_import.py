"""Run a callback right after a module's first import has finished.

``import keras_rescaling_patch`` may happen before Keras is imported (the
README tells users to import it first), at interpreter start-up from the
``.pth`` hook, or in a command that never touches Keras (``vendor``). In
all of those, importing Keras ourselves would cost seconds and fix the
backend too early. Instead a one-shot finder waits at the front of
``sys.meta_path``; when the module is imported, it lets the normal
machinery find and execute it, then calls the callback.

Only ``sys`` is used, so this costs next to nothing until the import.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: this module must stay import-cheap
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class PostImportHook:
    """A one-shot ``sys.meta_path`` finder for one top-level module."""

    def __init__(self, name: str, callback: Callable[[], None]) -> None:
        self.name = name
        self.callback = callback

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != self.name:
            return None
        self.cancel()
        for finder in list(sys.meta_path):
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec else None
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original_exec_module = loader.exec_module

        def exec_module(module: Any) -> None:
            original_exec_module(module)
            self.callback()

        loader.exec_module = exec_module
        return spec

    def cancel(self) -> bool:
        """Stop waiting; return whether the hook was still waiting."""
        if self in sys.meta_path:
            sys.meta_path.remove(self)
            return True
        return False


def call_after_import(name: str, callback: Callable[[], None]) -> PostImportHook | None:
    """Call ``callback`` once ``name`` is imported: now if it already is.

    Returns the waiting hook, or ``None`` if the callback already ran.
    """
    if name in sys.modules:
        callback()
        return None
    hook = PostImportHook(name, callback)
    sys.meta_path.insert(0, hook)
    return hook
