"""``repair`` never loses a user's file: races, odd destinations, ownership.

Each race is staged deterministically through the progress callback,
which ``repair`` calls while it copies: there the test does what another
process could do at that moment (replace the input, write into it, create
the output), then checks that nothing was lost and nothing half-done left.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import stat
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from keras_rescaling_patch import _atomic
from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files.jobs import repair_local as repair
from keras_rescaling_patch.files.options import RepairOptions
from support.synthetic import synthetic_archive
from tests.conftest import AffectedModel
from tests.subprocesses import NOBODY, Venv, as_another_user, environment

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown, mknod)")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def once(action: Callable[[], None]) -> Callable[[int], None]:
    """A progress callback that does ``action`` the first time it is called."""
    done: list[bool] = []

    def progress(copied: int) -> None:
        if not done:
            done.append(True)
            action()

    return progress


@pytest.fixture
def model(affected_model: AffectedModel, tmp_path: Path) -> Path:
    return affected_model.copy_to(tmp_path)


@pytest.mark.parametrize("backup", [True, False])
def test_an_input_replaced_during_in_place_is_left_alone(
    backup: bool, model: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.write_bytes(b"another model, written meanwhile")
    progress = once(lambda: os.replace(other, model))
    with pytest.raises(repair.RepairRefused, match="changed while"):
        repair.repair(
            model,
            options=RepairOptions(in_place=True, backup=backup, progress=progress),
        )
    assert model.read_bytes() == b"another model, written meanwhile"
    assert listing(tmp_path) == [model.name]


def test_an_input_written_into_during_the_run_is_not_published(
    model: Path, tmp_path: Path
) -> None:
    def scribble() -> None:
        with model.open("r+b") as stream:
            stream.seek(10)
            stream.write(b"XXXX")

    with pytest.raises(repair.RepairRefused, match="changed while"):
        repair.repair(
            model, options=RepairOptions(in_place=True, progress=once(scribble))
        )
    assert listing(tmp_path) == [model.name]


def test_an_output_created_meanwhile_is_never_overwritten(
    model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.keras"
    progress = once(lambda: out.write_bytes(b"precious"))
    with pytest.raises(repair.RepairRefused, match="appeared while"):
        repair.repair(model, out, RepairOptions(progress=progress))
    assert out.read_bytes() == b"precious"
    assert listing(tmp_path) == sorted([model.name, out.name])


def test_a_second_in_place_repair_of_the_same_file_is_refused(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = digest(model)
    with model.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running repair does
        code = main(["repair", str(model), "--in-place"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"repair: {model}: another repair of this file is running; nothing written\n"
    )
    assert digest(model) == before and listing(model.parent) == [model.name]


@pytest.mark.slow
def test_two_in_place_repairs_at_once_keep_the_original(
    model: Path, tmp_path: Path, installed_files: Venv
) -> None:
    """Two real processes: one repairs, the other refuses; .bak is the original."""
    with zipfile.ZipFile(model, "a") as archive:  # big enough to overlap
        with archive.open("padding.bin", "w", force_zip64=True) as padding:
            for _ in range(32):
                padding.write(os.urandom(8 << 20))
    original = digest(model)
    command = [installed_files.cli, "repair", str(model), "--in-place"]
    first = subprocess.Popen(
        command, env=environment(), cwd=tmp_path, text=True, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(f".{model.name}.*")):
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.001)
    second = subprocess.run(command, env=environment(), cwd=tmp_path, text=True,
                            capture_output=True)  # fmt: skip
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert second.returncode == 2 and "another repair of this file" in second.stderr
    assert digest(Path(f"{model}.bak")) == original != digest(model)
    assert listing(tmp_path) == [model.name, f"{model.name}.bak"]


def test_a_fifo_destination_is_refused_even_with_force(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "out.keras"
    os.mkfifo(fifo)
    code = main(["repair", str(model), "-o", str(fifo), "--force"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert f"{fifo} is not a regular file" in err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@as_root
def test_a_device_destination_is_refused_even_with_force(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of ours
    code = main(["repair", str(model), "-o", str(device), "--force"])
    assert code == 2 and "is not a regular file" in capsys.readouterr().err
    assert stat.S_ISCHR(device.lstat().st_mode)


@as_root
def test_in_place_keeps_owner_group_and_mode(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.chown(model, NOBODY, NOBODY)
    model.chmod(0o640)
    assert main(["repair", str(model), "--in-place"]) == 0
    status = model.stat()
    assert (status.st_uid, status.st_gid) == (NOBODY, NOBODY)
    assert stat.S_IMODE(status.st_mode) == 0o640


@pytest.mark.slow
def test_an_owner_that_cannot_be_kept_is_a_refusal(
    affected_model: AffectedModel, shared_folder: Path
) -> None:
    """`nobody` may rewrite root's model in a shared folder, but not keep root
    as its owner: refuse rather than hand the file to the wrong user."""
    folder = shared_folder
    folder.chmod(0o777)
    model = affected_model.copy_to(folder)
    before = digest(model)
    completed = as_another_user(["repair", str(model), "--in-place"])
    assert (completed.returncode, completed.stdout) == (2, ""), completed.stderr
    assert len(completed.stderr.splitlines()) == 1
    assert "cannot keep the owner" in completed.stderr
    assert "nothing written" in completed.stderr
    assert digest(model) == before and listing(folder) == [model.name]
    assert model.stat().st_uid == 0


def test_a_backup_that_is_a_folder_is_named(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(f"{model}.bak").mkdir()
    code = main(["repair", str(model), "--in-place", "--force"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"repair: {model}.bak is a folder; nothing written\n"


@pytest.mark.slow
def test_unreadable_input_is_named_as_the_input(
    affected_model: AffectedModel, shared_folder: Path
) -> None:
    """A file its reader may not read (as root, the reader is `nobody`)."""
    folder = shared_folder
    folder.chmod(0o777)
    model = affected_model.copy_to(folder)
    model.chmod(0o600)
    out = folder / "out.keras"
    for arguments in (
        ["scan", str(model)],
        ["scan", "--json", str(model)],
        ["repair", str(model), "-o", str(out)],
    ):
        completed = as_another_user(arguments)
        assert completed.returncode == 2, completed.stderr
        assert "Traceback" not in completed.stderr
        if "--json" in arguments:
            report = json.loads(completed.stdout)
            assert report["files"][0]["error"] == "cannot read it (Permission denied)"
        else:
            written = "; nothing written" if arguments[0] == "repair" else ""
            assert completed.stderr == (
                f"{arguments[0]}: {model}: cannot read it (Permission denied)"
                f"{written}\n"
            )
        assert not out.exists()


@pytest.mark.parametrize("swap", [True, False])
def test_a_backup_created_meanwhile_is_never_overwritten(
    swap: bool, model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With and without an atomic swap (some file systems have none)."""
    if not swap:
        monkeypatch.setattr(_atomic.StagedFile, "exchange", lambda self: False)
    before = digest(model)
    keep = Path(f"{model}.bak")
    progress = once(lambda: keep.write_bytes(b"someone else's backup"))
    with pytest.raises(repair.RepairRefused, match="appeared while repairing"):
        repair.repair(model, options=RepairOptions(in_place=True, progress=progress))
    assert keep.read_bytes() == b"someone else's backup"
    assert digest(model) == before
    assert listing(model.parent) == sorted([model.name, keep.name])


@pytest.mark.slow
def test_sigterm_mid_copy_cleans_up_and_says_so(
    tmp_path: Path, installed_files: Venv
) -> None:
    """A service manager's TERM unwinds like Ctrl-C: no temporary file left."""
    source = synthetic_archive(tmp_path / "big.keras", 512 << 20)
    out = tmp_path / "out.keras"
    process = subprocess.Popen(
        [installed_files.cli, "repair", str(source), "-o", str(out)],
        env=environment(), cwd=tmp_path, text=True, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in tmp_path.glob(".out.keras.*.tmp")):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.001)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert err == "repair: terminated; nothing written\n"
    assert listing(tmp_path) == ["big.keras"]
