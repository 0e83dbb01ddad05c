"""The import watcher, on throwaway modules (fast; the real orders are in
test_import_orders.py, in fresh interpreters)."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from keras_rescaling_patch.runtime import post_import

NAME = "krp_post_import_target"
OWN = "krp_post_import_own"


def forget(prefix: str) -> None:
    for name in [n for n in sys.modules if n.split(".")[0] == prefix]:
        del sys.modules[name]


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Path]:
    """A top-level package on sys.path that the test can make fail or succeed."""
    package = tmp_path / NAME
    package.mkdir()
    (package / "__init__.py").write_text("import os\nVALUE = 1\n")
    (package / "sub.py").write_text("SUB = 2\n")
    own = tmp_path / OWN
    (own / "inner").mkdir(parents=True)
    (own / "__init__.py").write_text("from . import inner\n")
    (own / "inner" / "__init__.py").write_text("")
    (own / "inner" / "state.py").write_text("COUNT = []\n")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield package
    sys.path.remove(str(tmp_path))
    forget(NAME)
    forget(OWN)
    sys.meta_path[:] = [
        f for f in sys.meta_path if not isinstance(f, post_import.ImportWatcher)
    ]


def watcher_counting(
    calls: list[str], own: types.ModuleType | None = None
) -> post_import.ImportWatcher:
    def callback(module: types.ModuleType) -> None:
        assert module is sys.modules[NAME]
        calls.append(f"VALUE={module.VALUE}")  # the body has run

    return post_import.call_after_import(NAME, callback, own)


def test_a_find_spec_probe_does_not_fire_and_the_watcher_stays(target: Path) -> None:
    calls: list[str] = []
    watcher = watcher_counting(calls)
    spec = importlib.util.find_spec(NAME)
    assert spec is not None and spec.origin == str(target / "__init__.py")
    assert calls == [] and watcher in sys.meta_path
    importlib.import_module(NAME)
    assert calls == ["VALUE=1"] and watcher in sys.meta_path
    assert type(sys.modules[NAME].__loader__).__name__ == "SourceFileLoader"


def test_a_submodule_import_fires_after_the_parent_ran(target: Path) -> None:
    calls: list[str] = []
    watcher_counting(calls)
    importlib.import_module(f"{NAME}.sub")
    assert calls == ["VALUE=1"]


def test_a_failed_import_keeps_waiting_for_the_next_one(target: Path) -> None:
    calls: list[str] = []
    watcher_counting(calls)
    (target / "__init__.py").write_text("raise ImportError('not yet')\n")
    importlib.invalidate_caches()
    with pytest.raises(ImportError, match="not yet"):
        importlib.import_module(NAME)
    assert calls == []
    (target / "__init__.py").write_text("VALUE = 3\n")
    sys.modules.pop(NAME, None)
    importlib.import_module(NAME)
    assert calls == ["VALUE=3"]


def test_every_new_module_object_fires_once(target: Path) -> None:
    """keras.config.set_backend, or a purge by hand, imports Keras again."""
    calls: list[str] = []
    watcher_counting(calls)
    first = importlib.import_module(NAME)
    importlib.import_module(NAME)  # already imported: nothing new
    forget(NAME)
    (target / "__init__.py").write_text("VALUE = 5\n")
    second = importlib.import_module(NAME)
    assert second is not first
    assert calls == ["VALUE=1", "VALUE=5"]


def test_cancel_and_already_imported(target: Path) -> None:
    calls: list[str] = []
    watcher = watcher_counting(calls)
    assert watcher.cancel() is True and watcher.cancel() is False
    assert watcher not in sys.meta_path
    importlib.import_module(NAME)
    assert calls == []
    post_import.call_after_import(NAME, lambda module: calls.append("now"))
    assert calls == ["now"]


def test_threads_importing_at_once_fire_the_callback_once(target: Path) -> None:
    (target / "__init__.py").write_text("import time\ntime.sleep(0.2)\nVALUE = 4\n")
    calls: list[str] = []
    watcher_counting(calls)
    barrier = threading.Barrier(6)

    def import_it() -> None:
        barrier.wait()
        importlib.import_module(NAME)

    threads = [threading.Thread(target=import_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert calls == ["VALUE=4"]


def test_a_finder_that_asks_the_machinery_again_does_not_recurse(
    target: Path,
) -> None:
    class Asking:
        """A finder that answers by asking the whole machinery (guarded)."""

        busy = False

        def find_spec(self, name: str, path: object, target: object = None) -> object:
            if name != NAME or self.busy:
                return None
            self.busy = True
            try:
                return importlib.util.find_spec(NAME)  # back through meta_path
            finally:
                self.busy = False

    calls: list[str] = []
    watcher_counting(calls)
    asking = Asking()
    sys.meta_path.insert(1, asking)
    try:
        importlib.import_module(NAME)
    finally:
        sys.meta_path.remove(asking)
    assert calls == ["VALUE=1"]


class AheadOfTheWatcher:
    """Loads the target itself, as typeguard's import hook does for its
    packages: the watcher never sees the target looked up."""

    def find_spec(
        self, name: str, path: object = None, target: object = None
    ) -> object:
        if name == NAME or name.startswith(f"{NAME}."):
            return importlib.machinery.PathFinder.find_spec(name, path, target)  # type: ignore[arg-type]
        return None


def test_a_module_loaded_past_the_watcher_fires_at_its_first_use(
    target: Path,
) -> None:
    """Something else looked up during its import gives the watcher a glimpse
    of it; the first attribute read after the import fires the callback."""
    (target / "__init__.py").write_text(
        "import krp_post_import_target.sub\nimport json\nVALUE = 6\n"
    )
    calls: list[str] = []
    watcher_counting(calls)
    sys.modules.pop("json", None)  # looked up through the watcher meanwhile
    ahead = AheadOfTheWatcher()
    sys.meta_path.insert(0, ahead)
    try:
        module = importlib.import_module(NAME)
        assert calls == []
        assert module.VALUE == 6
        assert calls == ["VALUE=6"]
        assert type(module) is types.ModuleType  # its class is given back
    finally:
        sys.meta_path.remove(ahead)


def test_a_module_loaded_past_the_watcher_fires_at_the_next_look_up(
    target: Path,
) -> None:
    calls: list[str] = []
    watcher_counting(calls)
    ahead = AheadOfTheWatcher()
    sys.meta_path.insert(0, ahead)
    try:
        importlib.import_module(NAME)  # nothing else looked up meanwhile
        assert calls == []
        importlib.import_module(f"{OWN}.inner")  # anything at all
        assert calls == ["VALUE=1"]
    finally:
        sys.meta_path.remove(ahead)


def test_own_modules_removed_by_a_purge_come_back_as_the_same_objects(
    target: Path,
) -> None:
    own = importlib.import_module(OWN)
    state = importlib.import_module(f"{OWN}.inner.state")
    state.COUNT.append("kept")
    watcher_counting([], own)
    forget(OWN)  # as keras.config.set_backend does to keras_rescaling_patch
    assert importlib.import_module(f"{OWN}.inner.state") is state
    assert sys.modules[OWN] is own and own.__spec__.name == OWN
    assert state.COUNT == ["kept"]
    assert type(state.__spec__.loader).__name__ == "SourceFileLoader"
