"""Call back each time a module's import has *completed*, for the life of the process.

``import keras_rescaling_patch`` may come before Keras is imported (the
README tells users to import it first), at interpreter start-up (the
``.pth`` hook, ``run``), or in a command that never touches Keras. And
Keras may be imported more than once: ``keras.config.set_backend`` deletes
every module whose name starts with ``keras`` (this package's too) and
imports Keras again, and notebooks purge ``sys.modules`` by hand. Each new
Keras module object brings a new ``Rescaling`` class that needs the shim.
So a finder (:class:`ImportWatcher`) stays at the front of
``sys.meta_path`` until ``remove()``, and:

- answers a look-up of the module with the real spec, its loader wrapped
  to call back after the module body has run (a ``find_spec`` probe that
  never executes the module changes nothing; a failed import leaves it
  waiting for the next attempt);
- calls back once per module object, and for one that was imported past
  it (a finder placed ahead of it that loads the module itself) at the
  first chance it gets: the next look-up of anything once that import has
  completed, or the first attribute read on the module after it completed
  (the module's class is swapped for a watching subclass meanwhile, as
  ``importlib.util.LazyLoader`` does);
- hands back this package's own module objects when a purge removed them
  from ``sys.modules``, so the process keeps one shim, one state and one
  set of public classes, however often the purge runs;
- ignores its own nested look-ups, holds no lock while anything imports.

Only ``sys``, ``_thread`` and ``types`` are used; waiting costs a
dictionary look-up per import.
"""

from __future__ import annotations

import _thread
import sys
import types

TYPE_CHECKING = False  # not typing's: this module must stay import-cheap
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ROLE = "keras_rescaling_patch_role"  # as in runtime/bootstrap.py


class ImportWatcher:
    """A ``sys.meta_path`` finder that watches one top-level module for good."""

    keras_rescaling_patch_role = "watcher"

    def __init__(
        self,
        name: str,
        callback: Callable[[types.ModuleType], None],
        own_package: types.ModuleType | None = None,
    ) -> None:
        self.name = name
        self.callback = callback
        self.own_package = own_package  # re-served after a purge
        self._own_prefix = f"{own_package.__name__}." if own_package else None
        self.cancelled = False  # out of service (a newer watcher took over)
        self.paused = False  # no callbacks (remove()), our modules still served
        self.handled: types.ModuleType | None = None  # the last module called back
        self._executing: set[int] = set()  # ids of modules our loader runs
        self._watched: set[int] = set()  # ids of modules given a watching class
        self._looking: set[int] = set()  # threads inside our own look-up

    # -- the finder ---------------------------------------------------------

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if self.cancelled:
            return None
        if name == self.name:
            return None if self.paused else self._wrapped_spec(name, path, target)
        if self._own_prefix is not None and f"{name}.".startswith(self._own_prefix):
            spec = self._served_again(name)
            if spec is not None:
                return spec
        self.check()
        return None

    def _wrapped_spec(self, name: str, path: Any, target: Any) -> Any:
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
            return spec  # a legacy loader: seen at the next look-up instead
        spec.loader = _Loader(spec.loader, self)
        return spec

    def _spec_from_other_finders(self, name: str, path: Any, target: Any) -> Any:
        for finder in list(sys.meta_path):
            if finder is self or getattr(finder, ROLE, None):
                continue
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec else None
            if spec is not None:
                return spec
        return None

    def _served_again(self, name: str) -> Any:
        """A spec that hands back our module ``name`` if a purge removed it."""
        if name in sys.modules:
            return None
        module: Any = self.own_package
        for part in name.split(".")[1:]:
            module = getattr(module, part, None)
        if not isinstance(module, types.ModuleType) or module.__name__ != name:
            return None  # never imported here: import it the usual way
        original = module.__spec__
        if original is None:
            return None
        from importlib.machinery import ModuleSpec

        spec = ModuleSpec(
            name,
            _Again(module, original),  # type: ignore[arg-type]
            origin=original.origin,
            is_package=original.submodule_search_locations is not None,
        )
        spec.submodule_search_locations = original.submodule_search_locations
        return spec

    # -- calling back -------------------------------------------------------

    def check(self) -> None:
        """Call back for the module in ``sys.modules`` if it is new and complete.

        A module still being imported past us gets a watching class, which
        calls back on the first attribute read once its import is over.
        """
        module = sys.modules.get(self.name)
        if module is None or module is self.handled or self.cancelled or self.paused:
            return
        if not _initializing(module):
            self.executed(module)
        elif id(module) not in self._executing and id(module) not in self._watched:
            self._watched.add(id(module))
            try:
                module.__class__ = _watching_class(self)
            except TypeError:
                pass  # not a plain module: the next look-up will do

    def executed(self, module: types.ModuleType) -> None:
        """``module`` has run to the end; call back once for it.

        (A module executed by hand from a probed spec, not the one in
        ``sys.modules``, is not the import being watched.)
        """
        if self.cancelled or self.paused or module is self.handled:
            return
        if sys.modules.get(self.name) is not module:
            return
        self.handled = module
        self._watched.discard(id(module))
        self.callback(module)

    def cancel(self) -> bool:
        """Stop watching and leave ``sys.meta_path``; return whether it watched."""
        was_watching = not self.cancelled
        self.cancelled = True
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass  # already gone
        return was_watching


def _initializing(module: Any) -> bool:
    """Whether the import system is still executing ``module``'s body.

    Read past any ``__getattribute__`` of the module's class (ours included).
    """
    try:
        namespace = object.__getattribute__(module, "__dict__")
    except AttributeError:
        return False
    spec = namespace.get("__spec__")
    return bool(getattr(spec, "_initializing", False))


def _watching_class(watcher: ImportWatcher) -> type:
    """A module class that calls back on the first read after the import."""

    class ImportedPastTheWatcher(types.ModuleType):
        def __getattribute__(self, attribute: str) -> Any:
            if not _initializing(self):
                object.__setattr__(self, "__class__", types.ModuleType)
                watcher.executed(self)
            return types.ModuleType.__getattribute__(self, attribute)

    return ImportedPastTheWatcher


class _Loader:
    """The real loader, plus the callback once ``exec_module`` has returned.

    While the module executes, ``__loader__`` and ``__spec__.loader`` are the
    real loader again, so nothing inside the module sees this wrapper.
    """

    def __init__(self, loader: Any, watcher: ImportWatcher) -> None:
        self.loader = loader
        self.watcher = watcher

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
        self.watcher._executing.add(id(module))
        try:
            self.loader.exec_module(module)
        finally:
            self.watcher._executing.discard(id(module))
        self.watcher.executed(module)


class _Again:
    """A loader that hands back a module this process has already executed."""

    def __init__(self, module: types.ModuleType, spec: Any) -> None:
        self.module = module
        self.spec = spec

    def create_module(self, spec: Any) -> types.ModuleType:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec  # the import machinery set ours


def call_after_import(
    name: str,
    callback: Callable[[types.ModuleType], None],
    own_package: types.ModuleType | None = None,
) -> ImportWatcher:
    """Call ``callback`` with each new module ``name`` imported from now on
    (and with the one imported already, at once). Returns the watcher, at the
    front of ``sys.meta_path``."""
    watcher = ImportWatcher(name, callback, own_package)
    sys.meta_path.insert(0, watcher)
    watcher.check()
    return watcher
