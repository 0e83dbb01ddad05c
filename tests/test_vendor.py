"""`keras-rescaling-patch vendor` on small vendored trees (no downloads)."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from keras.src.layers.preprocessing import rescaling as installed_rescaling

from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.vendoring import unified_diff, vendor
from tests.subprocesses import ROOT, as_another_user

PRISTINE = Path(installed_rescaling.__file__).read_bytes()  # stock 3.4.1 wheel


def make_tree(folder: Path, version: str = "3.4.1", content: bytes = PRISTINE) -> Path:
    target = folder / vendor.TARGET
    target.parent.mkdir(parents=True)
    target.write_bytes(content)
    (folder / "keras/src/version.py").write_text(f'__version__ = "{version}"\n')
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
    }


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["vendor", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_applies_then_reports_already_patched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = make_tree(tmp_path)
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 0 and "applied keras+3.3.0-3.4.1.patch" in out
    patched = target.read_bytes()
    assert b"def from_config(cls, config, custom_objects=None):" in patched
    code, out, _ = run(capsys, str(tmp_path / "keras"))
    assert code == 0 and "already patched; nothing changed" in out
    assert target.read_bytes() == patched


def test_reverse_restores_pristine_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = make_tree(tmp_path)
    target.chmod(0o640)
    assert run(capsys, str(tmp_path))[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    code, out, _ = run(capsys, "--reverse", str(tmp_path))
    assert code == 0 and "undid" in out
    assert (
        hashlib.sha256(target.read_bytes()).digest()
        == hashlib.sha256(PRISTINE).digest()
    )
    code, out, _ = run(capsys, "--reverse", str(tmp_path))
    assert code == 0 and "is not patched; nothing changed" in out


def test_dry_run_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path)
    before = snapshot(tmp_path)
    code, out, _ = run(capsys, "--dry-run", str(tmp_path))
    assert code == 0 and "would succeed" in out
    assert snapshot(tmp_path) == before


LOCAL_EDITS = {
    "inside-a-hunk": (
        ('"offset": self.offset,', '"offset": self.offset,  # local'),
        "hunk 2 (at line 57) does not match",
    ),
    "outside-the-hunks": (
        ("offset=0.0, **kwargs", "offset=1.0, **kwargs"),
        "the hunks fit, but lines outside them differ",
    ),
}


@pytest.mark.parametrize("edit", list(LOCAL_EDITS))
def test_refuses_a_locally_modified_file(
    edit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (old, new), where = LOCAL_EDITS[edit]
    modified = PRISTINE.replace(old.encode(), new.encode())
    assert modified != PRISTINE
    make_tree(tmp_path, content=modified)
    before = snapshot(tmp_path)
    for flags in ([], ["--reverse"]):
        code, out, err = run(capsys, *flags, str(tmp_path))
        assert code == 1 and out == ""
        assert len(err.strip().splitlines()) == 1
        assert "left alone" in err and "--dry-run --verbose <" in err
        if not flags:
            assert where in err and "patch -p1 --dry-run" in err
        else:
            assert "patch -p1 -R --dry-run" in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("version", "words"),
    [("3.5.0", "already contains the fix"), ("3.15.1", "already contains the fix")],
)
def test_fixed_releases_are_left_alone(
    version: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path, version=version)
    before = snapshot(tmp_path)
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 0 and words in out and "nothing changed" in out
    assert snapshot(tmp_path) == before


def test_keras_2_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras/__init__.py").write_text('__version__ = "2.15.0"\n')
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 0 and "never had the bug" in out


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda d: None, "contains no keras/ package"),
        (lambda d: (d / "keras").mkdir(), "cannot find Keras's __version__"),
    ],
)
def test_bad_directories_exit_2(
    setup: object, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup(tmp_path)  # type: ignore[operator]
    code, out, err = run(capsys, str(tmp_path))
    assert code == 2 and out == "" and words in err
    code, _, err = run(capsys, str(tmp_path / "missing"))
    assert code == 2 and "is not a directory" in err


def test_a_failed_write_leaves_the_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = make_tree(tmp_path)

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    report = vendor.vendor(tmp_path)
    assert report.exit_code == 2
    assert report.message.endswith("No space left on device; nothing changed")
    assert target.read_bytes() == PRISTINE
    assert sorted(p.name for p in target.parent.iterdir()) == ["rescaling.py"]


def test_diff_reader_is_strict() -> None:
    file_patch = unified_diff.parse(
        (ROOT / "patches/keras+3.3.0-3.4.1.patch").read_text()
    )[0]
    shifted = "\n" + PRISTINE.decode()
    with pytest.raises(unified_diff.PatchError, match="hunk 1"):
        unified_diff.apply(shifted, file_patch)
    with pytest.raises(unified_diff.PatchError, match="no file sections"):
        unified_diff.parse("Description: no diff here\n")


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("keras/src/layers/preprocessing/rescaling.py", "is not UTF-8 text"),
        ("keras/src/version.py", "is not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_text_is_one_line_exit_2(
    where: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path)
    (tmp_path / where).write_bytes(b"\xff\xfe\x00 not text")
    before = snapshot(tmp_path)
    code, out, err = run(capsys, str(tmp_path))
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert words in err and where in err
    assert snapshot(tmp_path) == before


def test_a_symlinked_file_is_refused_and_the_link_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = make_tree(tmp_path / "tree")
    shared = tmp_path / "shared-rescaling.py"
    target.rename(shared)
    target.symlink_to(shared)
    for flags in ([], ["--dry-run"], ["--reverse"]):
        code, out, err = run(capsys, *flags, str(tmp_path / "tree"))
        assert (code, out) == (2, "") and "is a symbolic link" in err, err
    assert target.is_symlink() and shared.read_bytes() == PRISTINE


def test_an_unwritable_tree_is_one_line_exit_2_and_dry_run_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = make_tree(tmp_path)

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(vendor.os, "access", lambda path, mode: False)
    code, out, err = run(capsys, "--dry-run", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"vendor: Keras 3.4.1: cannot write {target}; nothing changed\n"
    monkeypatch.undo()
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    code, out, err = run(capsys, str(tmp_path))
    assert (code, out) == (2, "")
    assert err == (
        f"vendor: Keras 3.4.1: cannot write {target}: Read-only file system; "
        "nothing changed\n"
    )
    assert target.read_bytes() == PRISTINE


@pytest.mark.slow
def test_a_tree_of_another_user_is_refused_in_one_line(shared_folder: Path) -> None:
    """Run as `nobody` on root's tree: unwritable, and unreadable at 0600."""
    tmp_path = shared_folder
    target = make_tree(tmp_path / "tree")

    def vendor_as_nobody(*flags: str) -> subprocess.CompletedProcess[str]:
        return as_another_user(["vendor", *flags, str(tmp_path / "tree")])

    for flags in ([], ["--dry-run"]):
        completed = vendor_as_nobody(*flags)
        assert completed.returncode == 2, completed.stderr
        assert completed.stderr.startswith("vendor: Keras 3.4.1: cannot write ")
        assert len(completed.stderr.splitlines()) == 1
    target.chmod(0o600)
    completed = vendor_as_nobody()
    assert completed.returncode == 2
    assert completed.stderr == (f"vendor: cannot read {target} (Permission denied)\n")
    assert target.read_bytes() == PRISTINE
