"""The start-up hook's file in site-packages, in-process on a fake site folder."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from pathlib import Path

import pytest

from keras_rescaling_patch.runtime import startup_hook


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """site-packages here, with a dist-info whose RECORD the hook joins."""
    folder = tmp_path / "site-packages"
    dist_info = folder / "keras_rescaling_patch-0.1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "RECORD").write_text(
        "keras_rescaling_patch/__init__.py,sha256=abc,10\n"
        "keras_rescaling_patch-0.1.0.dist-info/RECORD,,\n"
    )
    monkeypatch.setattr(startup_hook, "site_directory", lambda user: folder)
    monkeypatch.setattr(startup_hook, "_site_directories", lambda: [folder])
    return folder


def record(site: Path) -> list[str]:
    text = (site / "keras_rescaling_patch-0.1.0.dist-info" / "RECORD").read_text()
    return [line.split(",")[0] for line in text.splitlines()]


def test_install_records_the_file_and_uninstall_drops_it(site: Path) -> None:
    change = startup_hook.install()
    assert change.changed and change.path == site / startup_hook.FILE_NAME
    assert record(site)[-1] == startup_hook.FILE_NAME
    assert startup_hook.install().changed is False
    assert record(site).count(startup_hook.FILE_NAME) == 1
    assert startup_hook.installed_hooks() == [change.path]
    assert startup_hook.uninstall().changed
    assert startup_hook.FILE_NAME not in record(site)
    assert startup_hook.uninstall().changed is False


@pytest.mark.parametrize(
    "content", [b"\xff\xfe\x00 not text", b"# another tool's start-up file\n"]
)
def test_a_foreign_file_is_refused_both_ways_and_never_crashes(
    content: bytes, site: Path
) -> None:
    path = site / startup_hook.FILE_NAME
    path.write_bytes(content)
    assert startup_hook.installed_hooks() == []
    for action in (startup_hook.install, startup_hook.uninstall):
        with pytest.raises(startup_hook.HookError, match="was not written by"):
            action()
    assert path.read_bytes() == content


def test_an_older_hook_of_ours_is_refreshed(site: Path) -> None:
    path = site / startup_hook.FILE_NAME
    path.write_text(f"{startup_hook.MARKER}: an older version\nimport os\n")
    assert startup_hook.install().changed
    assert path.read_text() == startup_hook.content()


def test_the_hook_line_runs_the_bootstrap_text_and_nothing_else(site: Path) -> None:
    """One physical line that site.py executes: the bootstrap's own text, so
    the start-up finder is exactly the code tested as runtime/bootstrap.py."""
    startup_hook.install()
    lines = (site / startup_hook.FILE_NAME).read_text().splitlines()
    code = [line for line in lines if not line.startswith("#")]
    source = startup_hook.BOOTSTRAP.read_text(encoding="utf-8")
    assert code == [startup_hook.hook_line(source)]
    compact = startup_hook.compact(source)
    assert code[0].startswith("import os, sys; exec(") and repr(compact) in code[0]


def test_the_compacted_bootstrap_is_the_same_code() -> None:
    """Docstrings, comments and annotations go; every statement stays."""
    source = startup_hook.BOOTSTRAP.read_text(encoding="utf-8")
    compact = startup_hook.compact(source)
    assert '"""' not in compact and "#" not in compact and "->" not in compact
    assert len(compact) < len(source) / 2
    for needed in (
        "class KerasRescalingPatchStartup",
        "def find_spec(self, name",
        "take_over(self, name, path, target)",
        "sys.meta_path.insert(0,",
    ):
        assert needed in compact, needed  # fmt: skip
    namespace: dict[str, object] = {"__name__": "compacted"}
    before = list(sys.meta_path)
    # This process has the package's own watcher, which the bootstrap would
    # rightly leave alone: take it out for the test.
    sys.meta_path[:] = [
        f for f in before if not hasattr(f, "keras_rescaling_patch_role")
    ]
    try:
        exec(compact, namespace)  # as the hook's own line does
        exec(compact, namespace)  # twice, as site does in a venv: one finder
        added = [f for f in sys.meta_path if f not in before]
        assert [type(f).__name__ for f in added] == ["KerasRescalingPatchStartup"]
        assert added[0].find_spec("json") is None
    finally:
        sys.meta_path[:] = before


@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_install_and_uninstall_wait_for_each_other(action: str, site: Path) -> None:
    """Both take an exclusive lock on the folder, so a concurrent pair cannot
    leave the file and its RECORD row out of step: here the test holds it."""
    if action == "uninstall":
        startup_hook.install()
    done = threading.Event()
    worker = threading.Thread(
        target=lambda: (getattr(startup_hook, action)(), done.set()), daemon=True
    )
    descriptor = os.open(site, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        worker.start()
        assert not done.wait(0.3), f"{action} did not wait for the lock"
    finally:
        os.close(descriptor)  # releases the lock
    assert done.wait(10)
    listed = startup_hook.FILE_NAME in record(site)
    assert (site / startup_hook.FILE_NAME).exists() == listed == (action == "install")
