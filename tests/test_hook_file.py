"""The start-up hook's file in site-packages, in-process on a fake site folder."""

from __future__ import annotations

import fcntl
import os
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
    assert path.read_text() == startup_hook.CONTENT


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
