"""Run a callback once a module's first import has *completed*.

``import keras_rescaling_patch`` may happen before Keras is imported (the
README tells users to import it first), at interpreter start-up from the
``.pth`` hook or ``run``, or in a command that never touches Keras
(``scan``). Importing Keras ourselves would cost seconds and fix the
backend too early, so a finder waits at the front of ``sys.meta_path``
for the real import instead.

It must not be fooled by anything short of that import. TensorFlow calls
``importlib.util.find_spec("keras")`` before it imports Keras, and many
libraries probe for Keras the same way; an import may fail and be retried;
two threads may import at once. So the finder:

- answers ``find_spec`` with the real spec, whose loader is wrapped to run
  the callback after the module body has executed (a probe that never
  executes the module changes nothing);
- stays in ``sys.meta_path`` until the module has really been executed and
  stored in ``sys.modules`` (a failed import leaves it waiting for the
  next attempt);
- ignores its own nested look-ups, holds no lock while anything imports,
  and runs the callback at most once.

Only ``sys`` and ``_thread`` are used, so waiting costs next to nothing.
"""

from __future__ import annotations

import _thread
import sys

TYPE_CHECKING = False  # not typing's: this module must stay import-cheap
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class PostImportHook:
    """A ``sys.meta_path`` finder that waits for one top-level module."""

    def __init__(self, name: str, callback: Callable[[], None]) -> None:
        self.name = name
        self.callback = callback
        self.fired = False
        self.cancelled = False
        self._looking: set[int] = set()  # threads inside our own look-up

    @property
    def waiting(self) -> bool:
        return not (self.fired or self.cancelled)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != self.name or not self.waiting:
            return None
        thread = _thread.get_ident()
        if thread in self._looking:
            return None  # a finder further down asked the machinery again
        self._looking.add(thread)
        try:
            spec = self._spec_from_other_finders(name, path, target)
        finally:
            self._looking.discard(thread)
        if spec is None or spec.loader is None:
            return spec
        if not hasattr(spec.loader, "exec_module"):
            return spec  # a legacy loader: left alone, status() applies later
        spec.loader = _Loader(spec.loader, self)
        return spec

    def _spec_from_other_finders(self, name: str, path: Any, target: Any) -> Any:
        for finder in list(sys.meta_path):
            if finder is self:
                continue
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec else None
            if spec is not None:
                return spec
        return None

    def executed(self) -> None:
        """The module body ran; fire once, if Python keeps it in ``sys.modules``.

        (A module executed by hand from a probed spec, outside
        ``sys.modules``, is not the import being waited for.)
        """
        if not self.waiting or self.name not in sys.modules:
            return
        self.fired = True
        self._leave_meta_path()
        self.callback()

    def cancel(self) -> bool:
        """Stop waiting; return whether the hook was still waiting."""
        was_waiting = self.waiting
        self.cancelled = True
        self._leave_meta_path()
        return was_waiting

    def _leave_meta_path(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass  # already gone


class _Loader:
    """The real loader, plus the callback once ``exec_module`` has returned.

    While the module executes, ``__loader__`` and ``__spec__.loader`` are the
    real loader again, so nothing inside the module sees this wrapper.
    """

    def __init__(self, loader: Any, hook: PostImportHook) -> None:
        self.loader = loader
        self.hook = hook

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)

    def create_module(self, spec: Any) -> Any:
        create = getattr(self.loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: Any) -> None:
        module.__loader__ = self.loader
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self.loader
        self.loader.exec_module(module)
        self.hook.executed()


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
