"""The post-import hook, on a throwaway module (fast; the real orders are in
test_import_orders.py, in fresh interpreters)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from keras_rescaling_patch.runtime import post_import

NAME = "krp_post_import_target"


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Path]:
    """A top-level package on sys.path that the test can make fail or succeed."""
    package = tmp_path / NAME
    package.mkdir()
    (package / "__init__.py").write_text("import os\nVALUE = 1\n")
    (package / "sub.py").write_text("SUB = 2\n")
    sys.path.insert(0, str(tmp_path))
    yield package
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.split(".")[0] == NAME]:
        del sys.modules[name]
    sys.meta_path[:] = [
        f for f in sys.meta_path if not isinstance(f, post_import.PostImportHook)
    ]


def hook_counting(calls: list[str]) -> post_import.PostImportHook:
    def callback() -> None:
        module = sys.modules[NAME]
        calls.append(f"VALUE={module.VALUE}")  # the body has run

    hook = post_import.call_after_import(NAME, callback)
    assert hook is not None
    return hook


def test_a_find_spec_probe_does_not_cancel_the_wait(target: Path) -> None:
    calls: list[str] = []
    hook = hook_counting(calls)
    spec = importlib.util.find_spec(NAME)
    assert spec is not None and spec.origin == str(target / "__init__.py")
    assert calls == [] and hook in sys.meta_path
    importlib.import_module(NAME)
    assert calls == ["VALUE=1"] and hook not in sys.meta_path
    assert type(sys.modules[NAME].__loader__).__name__ == "SourceFileLoader"


def test_a_submodule_import_fires_after_the_parent_ran(target: Path) -> None:
    calls: list[str] = []
    hook_counting(calls)
    importlib.import_module(f"{NAME}.sub")
    assert calls == ["VALUE=1"]


def test_a_failed_import_keeps_waiting_for_the_next_one(target: Path) -> None:
    calls: list[str] = []
    hook = hook_counting(calls)
    (target / "__init__.py").write_text("raise ImportError('not yet')\n")
    importlib.invalidate_caches()
    with pytest.raises(ImportError, match="not yet"):
        importlib.import_module(NAME)
    assert calls == [] and hook.waiting
    (target / "__init__.py").write_text("VALUE = 3\n")
    sys.modules.pop(NAME, None)
    importlib.import_module(NAME)
    assert calls == ["VALUE=3"] and not hook.waiting


def test_cancel_and_already_imported(target: Path) -> None:
    calls: list[str] = []
    hook = hook_counting(calls)
    assert hook.cancel() is True and hook.cancel() is False
    importlib.import_module(NAME)
    assert calls == []
    assert post_import.call_after_import(NAME, lambda: calls.append("now")) is None
    assert calls == ["now"]


def test_threads_importing_at_once_fire_the_callback_once(target: Path) -> None:
    (target / "__init__.py").write_text("import time\ntime.sleep(0.2)\nVALUE = 4\n")
    calls: list[str] = []
    hook_counting(calls)
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
    hook = hook_counting(calls)
    asking = Asking()
    sys.meta_path.insert(1, asking)
    try:
        importlib.import_module(NAME)
    finally:
        sys.meta_path.remove(asking)
    assert calls == ["VALUE=1"] and not hook.waiting
